//! Objects for the Prometheus Operator (`monitoring.coreos.com/v1`, issue #14): a ServiceMonitor
//! (with the Service it selects) or a PodMonitor that make Prometheus scrape every server, and a
//! PrometheusRule with ZooKeeper's alerts. `k8s-openapi` has no types for these CRDs, so they are
//! small serde structs here, with only the fields zkc sets; `.ci/k8s/run-suite` dry-runs them
//! against the real CRDs, and `.ci/promql-check` loads the rules with Prometheus's own parser.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::{meta, names};
use crate::model::{Ensemble, Environment};

const API_VERSION: &str = "monitoring.coreos.com/v1";
/// The port name of the container and of the metrics Service.
const METRICS_PORT: &str = "metrics";
/// The path of ZooKeeper's PrometheusMetricsProvider (its MetricsServletContextListener).
const METRICS_PATH: &str = "/metrics";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitor {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: ServiceMonitorSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    pub selector: LabelSelector,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMonitor {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: PodMonitorSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMonitorSpec {
    pub selector: LabelSelector,
    pub pod_metrics_endpoints: Vec<Endpoint>,
}

/// An endpoint of either monitor: the named port, plain HTTP (the provider serves no TLS
/// unless `metricsProvider.httpsPort` is set, which zkc does not set).
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub port: &'static str,
    pub path: &'static str,
    pub scheme: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRule {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: PrometheusRuleSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrometheusRuleSpec {
    pub groups: Vec<RuleGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleGroup {
    pub name: String,
    pub rules: Vec<AlertRule>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertRule {
    pub alert: &'static str,
    pub expr: String,
    #[serde(rename = "for")]
    pub for_: &'static str,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// The label that tells the metrics Service from the ensemble's other Services, which carry
/// the same selector labels: the ServiceMonitor selects on it.
const METRICS_SERVICE_LABEL: (&str, &str) = ("zkc.dev/service", "metrics");

/// Metadata of a Prometheus Operator object: the ensemble's, plus the labels the user's
/// Prometheus selects monitors and rules by (`prometheus-operator { labels … }`).
fn operator_meta(env: &Environment, e: &Ensemble) -> ObjectMeta {
    let mut metadata = meta(env, e, e.name.clone());
    let labels = metadata.labels.get_or_insert_with(BTreeMap::new);
    for (k, v) in &e.prometheus_operator.labels {
        labels.insert(k.clone(), v.value.clone());
    }
    metadata
}

fn endpoint() -> Endpoint {
    Endpoint {
        port: METRICS_PORT,
        path: METRICS_PATH,
        scheme: "http",
    }
}

/// The Service a ServiceMonitor needs: headless and publishing not-ready addresses, so a
/// server out of the quorum (not Ready) is still scraped, which is when its figures matter.
pub fn metrics_service(env: &Environment, e: &Ensemble) -> Service {
    let mut metadata = meta(env, e, names::metrics_service(e));
    metadata.labels.get_or_insert_with(BTreeMap::new).insert(
        METRICS_SERVICE_LABEL.0.into(),
        METRICS_SERVICE_LABEL.1.into(),
    );
    Service {
        metadata,
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            publish_not_ready_addresses: Some(true),
            selector: Some(names::selector(e)),
            ports: Some(vec![super::network::service_port(
                METRICS_PORT,
                e.ports.metrics.value,
            )]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

pub fn service_monitor(env: &Environment, e: &Ensemble) -> ServiceMonitor {
    let mut match_labels = names::selector(e);
    match_labels.insert(
        METRICS_SERVICE_LABEL.0.into(),
        METRICS_SERVICE_LABEL.1.into(),
    );
    ServiceMonitor {
        api_version: API_VERSION,
        kind: "ServiceMonitor",
        metadata: operator_meta(env, e),
        spec: ServiceMonitorSpec {
            selector: LabelSelector { match_labels },
            endpoints: vec![endpoint()],
        },
    }
}

pub fn pod_monitor(env: &Environment, e: &Ensemble) -> PodMonitor {
    PodMonitor {
        api_version: API_VERSION,
        kind: "PodMonitor",
        metadata: operator_meta(env, e),
        spec: PodMonitorSpec {
            selector: LabelSelector {
                match_labels: names::selector(e),
            },
            pod_metrics_endpoints: vec![endpoint()],
        },
    }
}

pub fn prometheus_rule(env: &Environment, e: &Ensemble) -> PrometheusRule {
    PrometheusRule {
        api_version: API_VERSION,
        kind: "PrometheusRule",
        metadata: operator_meta(env, e),
        spec: PrometheusRuleSpec {
            groups: vec![RuleGroup {
                name: format!("zookeeper-{}", e.name),
                rules: super::alerts::alerts(env, e),
            }],
        },
    }
}
