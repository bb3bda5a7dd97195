//! Stage 6: the checked model → Kubernetes objects, built with `k8s-openapi` types so a
//! misspelt field cannot compile. Argo CD and Flux objects, which `k8s-openapi` does not cover,
//! are small serde structs in [`gitops`].

mod alerts;
mod extras;
pub mod gitops;
pub mod names;
mod network;
pub mod prometheus;
pub mod security;
mod workload;

pub use workload::RESERVED_VOLUME_NAMES;
pub(crate) use workload::server_mounts;
pub mod zoo_cfg;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::model::{Ensemble, Environment, Monitor};

/// One Kubernetes object zkc writes, one per file.
// A handful of objects per ensemble live briefly between emit and render; boxing the large
// variants would cost more noise than the memory it saves.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum Object {
    Namespace(Namespace),
    ServiceAccount(ServiceAccount),
    ConfigMap(ConfigMap),
    Service(Service),
    StatefulSet(StatefulSet),
    PodDisruptionBudget(PodDisruptionBudget),
    NetworkPolicy(NetworkPolicy),
    ServiceMonitor(prometheus::ServiceMonitor),
    PodMonitor(prometheus::PodMonitor),
    PrometheusRule(prometheus::PrometheusRule),
    Application(gitops::Application),
    FluxKustomization(gitops::FluxKustomization),
    Certificate(security::Certificate),
}

impl Object {
    /// The lower-case kind, as used in file names (`statefulset-zookeeper.yaml`).
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Namespace(_) => "namespace",
            Object::ServiceAccount(_) => "serviceaccount",
            Object::ConfigMap(_) => "configmap",
            Object::Service(_) => "service",
            Object::StatefulSet(_) => "statefulset",
            Object::PodDisruptionBudget(_) => "poddisruptionbudget",
            Object::NetworkPolicy(_) => "networkpolicy",
            Object::ServiceMonitor(_) => "servicemonitor",
            Object::PodMonitor(_) => "podmonitor",
            Object::PrometheusRule(_) => "prometheusrule",
            Object::Application(_) => "application",
            Object::FluxKustomization(_) => "kustomization",
            Object::Certificate(_) => "certificate",
        }
    }

    /// The kind as the API names it (`StatefulSet`).
    pub fn api_kind(&self) -> &'static str {
        match self {
            Object::Namespace(_) => "Namespace",
            Object::ServiceAccount(_) => "ServiceAccount",
            Object::ConfigMap(_) => "ConfigMap",
            Object::Service(_) => "Service",
            Object::StatefulSet(_) => "StatefulSet",
            Object::PodDisruptionBudget(_) => "PodDisruptionBudget",
            Object::NetworkPolicy(_) => "NetworkPolicy",
            Object::ServiceMonitor(_) => "ServiceMonitor",
            Object::PodMonitor(_) => "PodMonitor",
            Object::PrometheusRule(_) => "PrometheusRule",
            Object::Application(_) => "Application",
            Object::FluxKustomization(_) => "Kustomization",
            Object::Certificate(_) => "Certificate",
        }
    }

    pub fn name(&self) -> &str {
        let meta = match self {
            Object::Namespace(o) => &o.metadata,
            Object::ServiceAccount(o) => &o.metadata,
            Object::ConfigMap(o) => &o.metadata,
            Object::Service(o) => &o.metadata,
            Object::StatefulSet(o) => &o.metadata,
            Object::PodDisruptionBudget(o) => &o.metadata,
            Object::NetworkPolicy(o) => &o.metadata,
            Object::ServiceMonitor(o) => &o.metadata,
            Object::PodMonitor(o) => &o.metadata,
            Object::PrometheusRule(o) => &o.metadata,
            Object::Certificate(o) => &o.metadata,
            Object::Application(o) => return &o.metadata.name,
            Object::FluxKustomization(o) => return &o.metadata.name,
        };
        meta.name.as_deref().unwrap_or_default()
    }
}

/// Everything one environment produces.
pub struct EnvironmentObjects {
    /// The objects of `out/<namespace>/`.
    pub namespaced: Vec<Object>,
    pub argocd: Option<Object>,
    pub flux: Option<Object>,
}

pub fn environment(env: &Environment) -> EnvironmentObjects {
    let mut namespaced = Vec::new();
    if env.namespace_object {
        namespaced.push(Object::Namespace(gitops::namespace(env)));
    }
    for e in &env.ensembles {
        namespaced.extend(ensemble(env, e));
    }
    EnvironmentObjects {
        namespaced,
        argocd: env
            .argocd
            .as_ref()
            .map(|a| Object::Application(gitops::application(env, a))),
        flux: env
            .flux
            .as_ref()
            .map(|f| Object::FluxKustomization(gitops::flux_kustomization(env, f))),
    }
}

/// The objects of one ensemble, in `out/<namespace>/`.
pub(crate) fn ensemble(env: &Environment, e: &Ensemble) -> Vec<Object> {
    let zoo_cfg = zoo_cfg::render(env, e);
    let mut objects = vec![
        Object::ServiceAccount(workload::service_account(env, e)),
        Object::ConfigMap(workload::config_map(env, e, &zoo_cfg)),
        Object::StatefulSet(workload::stateful_set(env, e, &zoo_cfg)),
        Object::PodDisruptionBudget(workload::disruption_budget(env, e)),
        Object::Service(network::client_service(env, e)),
    ];
    objects.extend(
        network::peer_services(env, e)
            .into_iter()
            .map(Object::Service),
    );
    if e.network_policy.enabled.value {
        objects.push(Object::NetworkPolicy(network::network_policy(env, e)));
    }
    objects.extend(security::certificate(env, e).map(Object::Certificate));
    objects.extend(prometheus_operator(env, e));
    objects
}

/// `prometheus-operator { … }`: nothing unless asked, and nothing while `metrics` is off
/// (ZK0070 reports that as an error before anything is emitted).
fn prometheus_operator(env: &Environment, e: &Ensemble) -> Vec<Object> {
    let operator = &e.prometheus_operator;
    let mut objects = Vec::new();
    match operator.monitor.value {
        Monitor::Off => {}
        Monitor::PodMonitor => {
            objects.push(Object::PodMonitor(prometheus::pod_monitor(env, e)));
        }
        Monitor::ServiceMonitor => {
            objects.push(Object::Service(prometheus::metrics_service(env, e)));
            objects.push(Object::ServiceMonitor(prometheus::service_monitor(env, e)));
        }
    }
    if operator.rules.value {
        objects.push(Object::PrometheusRule(prometheus::prometheus_rule(env, e)));
    }
    objects
}

/// Metadata of an ensemble's object: its name and namespace, the standard labels, and the
/// environment's and ensemble's own labels and annotations (the ensemble's win).
fn meta(env: &Environment, e: &Ensemble, name: String) -> ObjectMeta {
    let mut labels = common_labels(env, e);
    labels.extend(names::selector(e));
    let annotations: BTreeMap<String, String> = env
        .annotations
        .iter()
        .chain(&e.annotations)
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    ObjectMeta {
        name: Some(name),
        namespace: Some(env.namespace.value.clone()),
        labels: Some(labels),
        annotations: (!annotations.is_empty()).then_some(annotations),
        ..ObjectMeta::default()
    }
}

fn common_labels(env: &Environment, e: &Ensemble) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = env
        .labels
        .iter()
        .chain(&e.labels)
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    labels.insert("app.kubernetes.io/managed-by".into(), "zkc".into());
    labels.insert("app.kubernetes.io/component".into(), "coordination".into());
    labels
}
