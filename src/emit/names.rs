//! Names of everything zkc creates for an ensemble, derived in one place.

use std::collections::BTreeMap;

use crate::model::{Ensemble, Environment, Monitor};

pub fn headless_service(e: &Ensemble) -> String {
    format!("{}-headless", e.name)
}

pub fn config_map(e: &Ensemble) -> String {
    format!("{}-config", e.name)
}

/// The cert-manager Certificate and the Secret it fills.
pub fn certificate(e: &Ensemble) -> String {
    format!("{}-tls", e.name)
}

/// The Service a ServiceMonitor selects (`prometheus-operator { monitor "service-monitor" }`).
pub fn metrics_service(e: &Ensemble) -> String {
    format!("{}-metrics", e.name)
}

pub fn pod(e: &Ensemble, id: i64) -> String {
    format!("{}-{id}", e.name)
}

/// The DNS name server `id` is reached at by its peers. `.svc` without the cluster domain
/// resolves through the pod's DNS search path, so the output does not depend on the cluster's
/// domain (`cluster.local` is only the default).
pub fn peer_host(env: &Environment, e: &Ensemble, id: i64) -> String {
    let ns = &env.namespace.value;
    if e.per_server_services() {
        format!("{}.{ns}.svc", pod(e, id))
    } else {
        format!("{}.{}.{ns}.svc", pod(e, id), headless_service(e))
    }
}

/// Every namespaced object an ensemble produces, as (lower-case kind, name): what two ensembles
/// of one namespace must never share (ZK0052). `emit` builds exactly these; a test in
/// `tests/objects.rs` holds the two together.
pub fn objects(e: &Ensemble) -> Vec<(&'static str, String)> {
    let mut objects = vec![
        ("serviceaccount", e.name.clone()),
        ("configmap", config_map(e)),
        ("statefulset", e.name.clone()),
        ("poddisruptionbudget", e.name.clone()),
        ("service", e.client_service_name.value.clone()),
        ("service", headless_service(e)),
    ];
    if e.per_server_services() {
        objects.extend((1..=e.servers.value).map(|id| ("service", pod(e, id))));
    }
    if e.network_policy.enabled.value {
        objects.push(("networkpolicy", e.name.clone()));
    }
    if e.tls.enabled() && e.tls.issuer.is_some() {
        objects.push(("certificate", certificate(e)));
    }
    let operator = &e.prometheus_operator;
    match operator.monitor.value {
        Monitor::Off => {}
        Monitor::PodMonitor => objects.push(("podmonitor", e.name.clone())),
        Monitor::ServiceMonitor => {
            objects.push(("service", metrics_service(e)));
            objects.push(("servicemonitor", e.name.clone()));
        }
    }
    if operator.rules.value {
        objects.push(("prometheusrule", e.name.clone()));
    }
    objects
}

/// Labels that select the ensemble's pods.
pub fn selector(e: &Ensemble) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), "zookeeper".to_owned()),
        ("app.kubernetes.io/instance".to_owned(), e.name.clone()),
    ])
}
