//! Services and the NetworkPolicy.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::workload::selector;
use super::{meta, names, security};
use crate::model::{Ensemble, Environment};

/// The Service clients use; it only routes to Ready servers, i.e. servers in a quorum.
pub fn client_service(env: &Environment, e: &Ensemble) -> Service {
    let mut metadata = meta(env, e, e.client_service_name.value.clone());
    if !e.client_service_annotations.is_empty() {
        let annotations = metadata.annotations.get_or_insert_with(Default::default);
        annotations.extend(
            e.client_service_annotations
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone())),
        );
    }
    Service {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some(e.client_service_type.value.word().to_owned()),
            selector: Some(names::selector(e)),
            ports: Some(vec![client_service_port(e)]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// Services the servers find each other through. Peers must resolve each other before any of
/// them is Ready (a quorum needs them all talking first), hence `publishNotReadyAddresses`:
/// the legacy deployment's "DNS records appear only after the pod is ready" problem
/// (docs/design.md §1).
pub fn peer_services(env: &Environment, e: &Ensemble) -> Vec<Service> {
    let ports = vec![
        client_service_port(e),
        service_port("quorum", e.ports.quorum.value),
        service_port("election", e.ports.election.value),
    ];
    // The StatefulSet's governing Service, in both modes: it gives every pod its DNS name
    // `<pod>.<name>-headless`, which `spec.serviceName` names.
    let headless = Service {
        metadata: meta(env, e, names::headless_service(e)),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            publish_not_ready_addresses: Some(true),
            selector: Some(names::selector(e)),
            ports: Some(ports.clone()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    if !e.per_server_services() {
        return vec![headless];
    }
    let per_server = (1..=e.servers.value).map(|id| {
        let mut selector = names::selector(e);
        selector.insert(
            "statefulset.kubernetes.io/pod-name".into(),
            names::pod(e, id),
        );
        Service {
            metadata: meta(env, e, names::pod(e, id)),
            spec: Some(ServiceSpec {
                publish_not_ready_addresses: Some(true),
                selector: Some(selector),
                ports: Some(ports.clone()),
                ..ServiceSpec::default()
            }),
            ..Service::default()
        }
    });
    std::iter::once(headless).chain(per_server).collect()
}

/// The client port reachable from outside the pod (the secure one with client TLS).
fn client_service_port(e: &Ensemble) -> ServicePort {
    let (name, number) = security::client_port(e);
    service_port(name, number)
}

pub(super) fn service_port(name: &str, number: i64) -> ServicePort {
    ServicePort {
        name: Some(name.into()),
        port: number as i32,
        target_port: Some(IntOrString::String(name.into())),
        protocol: Some("TCP".into()),
        ..ServicePort::default()
    }
}

/// Ingress only: quorum and election ports from the ensemble's own pods; the client
/// (and metrics) port from the namespace, or the pods and namespaces the spec allows; the
/// metrics port alone from `metrics-from-namespaces`/`metrics-from-pods`. This is the legacy
/// deployment's namespace isolation, enforced by the network instead of by convention.
///
/// Whoever may reach the client port also gets the metrics port: `mntr` (in the default
/// four-letter words) answers the same figures there, so the metrics port tells them nothing
/// new; the reverse is not true, hence Prometheus's own rule.
pub fn network_policy(env: &Environment, e: &Ensemble) -> NetworkPolicy {
    let own_pods = NetworkPolicyPeer {
        pod_selector: Some(selector(e)),
        ..NetworkPolicyPeer::default()
    };
    let np = &e.network_policy;
    let namespace_pods = NetworkPolicyPeer {
        pod_selector: Some(LabelSelector {
            match_labels: (!np.allow_pods.is_empty()).then(|| {
                np.allow_pods
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value.clone()))
                    .collect()
            }),
            ..LabelSelector::default()
        }),
        ..NetworkPolicyPeer::default()
    };
    let mut client_peers = vec![own_pods.clone(), namespace_pods];
    if !np.allow_namespaces.value.is_empty() {
        client_peers.push(NetworkPolicyPeer {
            namespace_selector: Some(namespaces_named(&np.allow_namespaces.value)),
            ..NetworkPolicyPeer::default()
        });
    }
    let mut client_ports = vec![policy_port(security::client_port(e).1)];
    if e.metrics.value {
        client_ports.push(policy_port(e.ports.metrics.value));
    }
    let mut ingress = vec![
        NetworkPolicyIngressRule {
            from: Some(vec![own_pods]),
            ports: Some(vec![
                policy_port(e.ports.quorum.value),
                policy_port(e.ports.election.value),
            ]),
        },
        NetworkPolicyIngressRule {
            from: Some(client_peers),
            ports: Some(client_ports),
        },
    ];
    if e.metrics.value && np.has_metrics_peers() {
        ingress.push(metrics_only_rule(e));
    }
    NetworkPolicy {
        metadata: meta(env, e, e.name.clone()),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(selector(e)),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(ingress),
            ..NetworkPolicySpec::default()
        }),
    }
}

/// The metrics port, and nothing else, for Prometheus: one peer, so that
/// `metrics-from-pods` and `metrics-from-namespaces` together mean "these pods in these
/// namespaces"; without namespaces, a pod selector alone means the ensemble's namespace.
fn metrics_only_rule(e: &Ensemble) -> NetworkPolicyIngressRule {
    let np = &e.network_policy;
    let namespaces = &np.metrics_from_namespaces.value;
    let pods = &np.metrics_from_pods;
    let peer = NetworkPolicyPeer {
        namespace_selector: (!namespaces.is_empty()).then(|| namespaces_named(namespaces)),
        pod_selector: (!pods.is_empty()).then(|| LabelSelector {
            match_labels: Some(
                pods.iter()
                    .map(|(k, v)| (k.clone(), v.value.clone()))
                    .collect(),
            ),
            ..LabelSelector::default()
        }),
        ..NetworkPolicyPeer::default()
    };
    NetworkPolicyIngressRule {
        from: Some(vec![peer]),
        ports: Some(vec![policy_port(e.ports.metrics.value)]),
    }
}

/// The namespaces of these names, by the label the API server sets on every namespace since
/// Kubernetes 1.22.
fn namespaces_named(names: &[String]) -> LabelSelector {
    LabelSelector {
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: "kubernetes.io/metadata.name".into(),
            operator: "In".into(),
            values: Some(names.to_vec()),
        }]),
        ..LabelSelector::default()
    }
}

fn policy_port(number: i64) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(number as i32)),
        protocol: Some("TCP".into()),
        ..NetworkPolicyPort::default()
    }
}
