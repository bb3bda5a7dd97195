//! The semantic rules of one ensemble, one function each. Every rule names the settings it
//! reads: a rule whose input failed to parse (and was reported, then replaced by its built-in
//! default) is skipped, so no diagnostic ever judges a value the user did not write.

mod extras;
mod metrics;

use std::collections::BTreeMap;

use super::owned::{check_owned_values, check_zoo_cfg_text, owned_zoo_cfg_key};
use super::security;
use super::syntax::{Pinning, image_reference};
use super::{JVM_OVERHEAD_MIB, MAX_ENSEMBLE_NAME, MIN_HEAP_MIB, dns_label};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Ensemble, PodManagement, Sp, SpreadMode};
use crate::resolve::{LeafKey, Origin, Value};
use crate::source::Loc;

/// A rule and the leaves (schema paths) it reads.
struct Rule {
    inputs: &'static [&'static str],
    check: fn(&Ensemble, &mut Diagnostics),
}

const PORTS: &[&str] = &[
    "ports.client",
    "ports.quorum",
    "ports.election",
    "ports.admin",
    "ports.metrics",
    "metrics",
    "ports.secure-client",
    "tls.client",
];
const TLS: &[&str] = &[
    "tls.client",
    "tls.quorum",
    "tls.issuer",
    "tls.secret",
    "tls.issuer.cluster-domain",
];
const SASL: &[&str] = &["sasl.client", "sasl.quorum", "sasl.enforce", "sasl.secret"];
/// What the metrics rules read (maps have no single leaf and are always valid).
const METRICS: &[&str] = &[
    "metrics",
    "prometheus-operator.monitor",
    "prometheus-operator.rules",
    "network-policy.enabled",
    "network-policy.allow-namespaces",
    "network-policy.metrics-from-namespaces",
];
const RESOURCES: &[&str] = &[
    "resources.cpu",
    "resources.cpu-limit",
    "resources.memory",
    "resources.memory-limit",
];

const RULES: &[Rule] = &[
    Rule {
        inputs: &[],
        check: check_owned_values,
    },
    Rule {
        inputs: &[],
        check: props_without_value,
    },
    Rule {
        inputs: &[],
        check: ensemble_name,
    },
    Rule {
        inputs: &["client-service.name"],
        check: client_service_name,
    },
    Rule {
        inputs: &["servers"],
        check: fault_tolerance,
    },
    Rule {
        inputs: PORTS,
        check: port_clash,
    },
    Rule {
        inputs: &["heap", "resources.memory", "resources.memory-limit"],
        check: heap,
    },
    Rule {
        inputs: &[],
        check: toleration_seconds,
    },
    Rule {
        inputs: &["metrics", "ports.metrics"],
        check: metrics_port_without_metrics,
    },
    Rule {
        inputs: METRICS,
        check: metrics::needs_metrics,
    },
    Rule {
        inputs: METRICS,
        check: metrics::ignored_metrics_settings,
    },
    Rule {
        inputs: METRICS,
        check: metrics::prometheus_blocked,
    },
    Rule {
        inputs: &[
            "network-policy.allow-namespaces",
            "network-policy.metrics-from-namespaces",
        ],
        check: metrics::namespace_names,
    },
    Rule {
        inputs: RESOURCES,
        check: requests_within_limits,
    },
    Rule {
        inputs: &["image"],
        check: image,
    },
    Rule {
        inputs: &[],
        check: check_zoo_cfg_text,
    },
    Rule {
        inputs: &[],
        check: owned_zoo_cfg_keys,
    },
    Rule {
        inputs: &["zoo-cfg.sync-limit", "zoo-cfg.init-limit"],
        check: sync_within_init_limit,
    },
    Rule {
        inputs: &[],
        check: probe_words,
    },
    Rule {
        inputs: &[
            "servers",
            "spread",
            "spread.topology-key",
            "zone-spread",
            "zone-spread.topology-key",
        ],
        check: spread_possible,
    },
    Rule {
        inputs: &["servers", "pod-management"],
        check: ordered_ready,
    },
    Rule {
        inputs: &["servers", "disruption.max-unavailable"],
        check: disruption_keeps_quorum,
    },
    Rule {
        inputs: TLS,
        check: security::certificate_source,
    },
    Rule {
        inputs: SASL,
        check: security::sasl_secret,
    },
    Rule {
        inputs: SASL,
        check: security::enforce_needs_client_sasl,
    },
    Rule {
        inputs: &[],
        check: security::ignored_security_settings,
    },
    Rule {
        inputs: &[],
        check: security::security_names,
    },
    Rule {
        inputs: &[],
        check: extras::volume_sources,
    },
    Rule {
        inputs: &[],
        check: extras::extra_names,
    },
    Rule {
        inputs: &["datalog"],
        check: extras::mount_paths,
    },
    Rule {
        inputs: &["datalog"],
        check: extras::container_mounts,
    },
    Rule {
        inputs: &[],
        check: extras::containers_complete,
    },
    Rule {
        inputs: &[],
        check: extras::unused_volumes,
    },
    Rule {
        inputs: &[],
        check: extras::own_claims,
    },
    Rule {
        inputs: &[],
        check: extras::read_only_without_effect,
    },
];

/// Runs every rule whose inputs all parsed.
pub(super) fn check(e: &Ensemble, diags: &mut Diagnostics) {
    for rule in RULES {
        if rule.inputs.iter().all(|path| !e.invalid.contains(*path)) {
            (rule.check)(e, diags);
        }
    }
}

/// A diagnostic with one label and a help line.
fn at(loc: Loc, code: Code, message: String, label: &str, help: String) -> Diagnostic {
    Diagnostic::new(code, message).at_loc(loc, label).help(help)
}

/// ZK0008: a property written without the value it qualifies (`datalog class="fast-ssd"`
/// without a size) would be silently ignored, since the setting itself stays off.
fn props_without_value(e: &Ensemble, diags: &mut Diagnostics) {
    for setting in crate::schema::ENSEMBLE_SETTINGS {
        let crate::schema::Shape::Props {
            arg: Some((arg, _)),
            ..
        } = setting.shape
        else {
            continue;
        };
        if e.leaves.contains_key(&LeafKey::new(setting.name)) {
            continue;
        }
        let prefix = format!("{}.", setting.name);
        let set_prop = e.leaves.iter().find_map(|(k, r)| match &r.origin {
            Origin::Spec { loc, .. } if k.path.starts_with(&prefix) => Some((k, *loc)),
            _ => None,
        });
        if let Some((key, loc)) = set_prop {
            diags.push(
                Diagnostic::new(
                    Code::MissingValue,
                    format!(
                        "`{key}` is set but `{}` has no {arg}, so it would be ignored",
                        setting.name
                    ),
                )
                .at_loc(loc, format!("needs a {arg}"))
                .help(format!("write the {arg} too, e.g. `{}`", setting.example)),
            );
        }
    }
}

fn ensemble_name(e: &Ensemble, diags: &mut Diagnostics) {
    if let Err(why) = dns_label(&e.name, MAX_ENSEMBLE_NAME, true) {
        diags.push(at(
            e.loc,
            Code::InvalidName,
            format!("ensemble name \"{}\" is not usable: {why}", e.name),
            "invalid name",
            format!("use lower-case letters, digits and `-`, starting with a letter, at most {MAX_ENSEMBLE_NAME} characters"),
        ));
    }
}

fn client_service_name(e: &Ensemble, diags: &mut Diagnostics) {
    let service = &e.client_service_name;
    if service.value != e.name
        && let Err(why) = dns_label(&service.value, 63, true)
    {
        diags.push(at(
            service.loc_or(e.loc),
            Code::InvalidName,
            format!("client Service name \"{}\" is not usable: {why}", service.value),
            "invalid name",
            "a Service name is a DNS-1035 label: lower-case letters, digits and `-`, starting with a letter".into(),
        ));
    }
}

/// ZK0041, ZK0042.
fn fault_tolerance(e: &Ensemble, diags: &mut Diagnostics) {
    let servers = e.servers.value;
    let loc = e.servers.loc_or(e.loc);
    if servers == 1 {
        diags.push(at(
            loc,
            Code::SingleServer,
            "a single server has no fault tolerance".into(),
            "1 server",
            "use 3 servers unless this ensemble is disposable".into(),
        ));
    } else if servers % 2 == 0 && e.resize_from.is_none() {
        // An even count acknowledged as a resize step is on the way to an odd one.
        diags.push(at(
            loc,
            Code::EvenServers,
            format!(
                "{servers} servers tolerate no more failures than {}",
                servers - 1
            ),
            "even",
            format!("use {} or {} servers", servers - 1, servers + 1),
        ));
    }
}

/// ZK0033.
fn port_clash(e: &Ensemble, diags: &mut Diagnostics) {
    let mut by_number: BTreeMap<i64, (&str, &Sp<i64>)> = BTreeMap::new();
    for (name, port) in e.ports.named() {
        if (name == "metrics" && !e.metrics.value)
            || (name == "secure-client" && !e.tls.client.value)
        {
            continue;
        }
        if let Some((other, other_port)) = by_number.insert(port.value, (name, port)) {
            diags.push(
                Diagnostic::new(
                    Code::PortClash,
                    format!("the {name} and {other} ports are both {}", port.value),
                )
                .at_loc(port.loc_or(e.loc), format!("{name} port"))
                .at_loc(other_port.loc_or(e.loc), format!("{other} port"))
                .help("give every port its own number"),
            );
        }
    }
}

/// ZK0034: the heap fits the memory limit with the JVM's own overhead (see the code's text).
fn heap(e: &Ensemble, diags: &mut Diagnostics) {
    let heap = e.heap.value.mebibytes();
    let limit = e.memory_limit.value.mebibytes();
    let problem = if heap < MIN_HEAP_MIB {
        format!(
            "heap {} is below the {MIN_HEAP_MIB}Mi ZooKeeper needs",
            e.heap.value
        )
    } else if heap.saturating_add(JVM_OVERHEAD_MIB) > limit {
        format!(
            "heap {} leaves {}Mi of the memory limit {} for the rest of the JVM, which needs {JVM_OVERHEAD_MIB}Mi",
            e.heap.value,
            limit.saturating_sub(heap),
            e.memory_limit.value
        )
    } else {
        return;
    };
    diags.push(
        Diagnostic::new(Code::HeapTooLarge, problem)
            .at_loc(e.heap.loc_or(e.loc), "heap")
            .at_loc(e.memory_limit.loc_or(e.loc), "memory limit")
            .help(format!(
                "keep the heap at least {MIN_HEAP_MIB}Mi and {JVM_OVERHEAD_MIB}Mi below the limit: lower `heap` or raise `resources memory-limit=`"
            )),
    );
}

/// The API server: "effect must be 'NoExecute' when `tolerationSeconds` is set".
fn toleration_seconds(e: &Ensemble, diags: &mut Diagnostics) {
    for t in &e.tolerations.value {
        let no_execute = matches!(t.get("effect"), Some(Value::Str(s)) if s == "NoExecute");
        if t.contains_key("toleration-seconds") && !no_execute {
            diags.push(at(
                e.tolerations.loc_or(e.loc),
                Code::Conflict,
                "toleration-seconds= applies only to effect=\"NoExecute\"".into(),
                "toleration-seconds without NoExecute",
                "add effect=\"NoExecute\", or remove toleration-seconds=".into(),
            ));
        }
    }
}

/// ZK0057.
fn metrics_port_without_metrics(e: &Ensemble, diags: &mut Diagnostics) {
    if !e.metrics.value && matches!(e.ports.metrics.origin, Origin::Spec { .. }) {
        diags.push(at(
            e.ports.metrics.loc_or(e.loc),
            Code::IgnoredSetting,
            "`ports metrics=` has no effect while `metrics` is off".into(),
            "no effect",
            "turn `metrics #true` on, or remove the port".into(),
        ));
    }
}

/// ZK0035.
fn requests_within_limits(e: &Ensemble, diags: &mut Diagnostics) {
    for (what, request, limit) in [
        ("cpu", &e.cpu, &e.cpu_limit),
        ("memory", &e.memory, &e.memory_limit),
    ] {
        if request.value.value > limit.value.value {
            diags.push(
                Diagnostic::new(
                    Code::RequestAboveLimit,
                    format!(
                        "{what} request {} is above its limit {}",
                        request.value, limit.value
                    ),
                )
                .at_loc(request.loc_or(e.loc), "request")
                .at_loc(limit.loc_or(e.loc), "limit")
                .help(format!("raise `{what}-limit` or lower `{what}`")),
            );
        }
    }
}

/// ZK0037, ZK0038.
fn image(e: &Ensemble, diags: &mut Diagnostics) {
    match image_reference(&e.image.value) {
        Err(why) => diags.push(at(
            e.image.loc_or(e.loc),
            Code::BadImage,
            format!("\"{}\" is not a valid image reference: {why}", e.image.value),
            "invalid image",
            "write [registry/]repository[:tag][@sha256:digest], e.g. docker.io/library/zookeeper:3.9.4".into(),
        )),
        Ok(Pinning::Floating) => diags.push(at(
            e.image.loc_or(e.loc),
            Code::LatestTag,
            format!("image \"{}\" does not pin a version", e.image.value),
            "no version",
            "pin a tag such as :3.9.4, or a digest".into(),
        )),
        Ok(Pinning::Pinned) => {}
    }
}

/// ZK0039.
fn owned_zoo_cfg_keys(e: &Ensemble, diags: &mut Diagnostics) {
    for (key, value) in &e.zoo_cfg.extra {
        if let Some(instead) = owned_zoo_cfg_key(key) {
            diags.push(at(
                value.loc_or(e.loc),
                Code::OwnedZooCfgKey,
                format!("zoo.cfg key `{key}` is set by zkc"),
                "owned by zkc",
                format!("use {instead} instead"),
            ));
        }
    }
}

/// ZK0040.
fn sync_within_init_limit(e: &Ensemble, diags: &mut Diagnostics) {
    let cfg = &e.zoo_cfg;
    if cfg.sync_limit.value > cfg.init_limit.value {
        diags.push(
            Diagnostic::new(
                Code::LimitRange,
                format!(
                    "sync-limit {} is above init-limit {}",
                    cfg.sync_limit.value, cfg.init_limit.value
                ),
            )
            .at_loc(cfg.sync_limit.loc_or(e.loc), "sync-limit")
            .at_loc(cfg.init_limit.loc_or(e.loc), "init-limit")
            .help("keep 1 <= sync-limit <= init-limit; the defaults are 5 and 10"),
        );
    }
}

/// ZK0047.
fn probe_words(e: &Ensemble, diags: &mut Diagnostics) {
    let words = &e.zoo_cfg.four_letter_words;
    let missing: Vec<&str> = ["ruok", "srvr"]
        .into_iter()
        .filter(|w| !words.value.iter().any(|x| x == w))
        .collect();
    if !missing.is_empty() && !words.value.iter().any(|w| w == "*") {
        diags.push(at(
            words.loc_or(e.loc),
            Code::ProbeWordsMissing,
            format!(
                "the probes need {} in four-letter-words",
                missing.join(" and ")
            ),
            "probes would fail",
            "keep \"ruok\" and \"srvr\" in the list".into(),
        ));
    }
}

/// ZK0043.
fn spread_possible(e: &Ensemble, diags: &mut Diagnostics) {
    let servers = e.servers.value;
    for (setting, spread) in [("spread", &e.spread), ("zone-spread", &e.zone_spread)] {
        let key = &spread.topology_key.value;
        if spread.mode.value == SpreadMode::Required
            && servers > 1
            && let Some(pin) = e.node_selector.get(key)
        {
            diags.push(
                Diagnostic::new(
                    Code::SpreadImpossible,
                    format!("{setting} requires the {servers} servers in distinct `{key}` domains, but node-selector pins them to one"),
                )
                .at_loc(pin.loc_or(e.loc), "pins every server to one domain")
                .at_loc(spread.mode.loc_or(e.loc), "requires distinct domains")
                .help(format!("use `{setting} \"preferred\"`, or remove the node-selector entry")),
            );
        }
    }
}

/// ZK0044.
fn ordered_ready(e: &Ensemble, diags: &mut Diagnostics) {
    if e.pod_management.value == PodManagement::OrderedReady && e.servers.value > 1 {
        diags.push(at(
            e.pod_management.loc_or(e.loc),
            Code::OrderedReadyDeadlock,
            "OrderedReady would wait for server 1 to be Ready, which needs a quorum of servers that are never started".into(),
            "never forms a quorum",
            "use pod-management \"Parallel\"".into(),
        ));
    }
}

/// ZK0045.
fn disruption_keeps_quorum(e: &Ensemble, diags: &mut Diagnostics) {
    let servers = e.servers.value;
    let tolerable = (servers - 1) / 2;
    if servers >= 3 && e.max_unavailable.value > tolerable {
        diags.push(
            Diagnostic::new(
                Code::DisruptionBreaksQuorum,
                format!(
                    "{} of {servers} servers may be evicted at once, but a quorum survives losing only {tolerable}",
                    e.max_unavailable.value
                ),
            )
            .at_loc(e.max_unavailable.loc_or(e.loc), "too many")
            .help(format!("use disruption max-unavailable={tolerable}")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULES;
    use crate::resolve::{LeafKey, builtin_leaves};
    use crate::schema::ENSEMBLE_SETTINGS;

    /// A misspelt input would never be found invalid, and its rule would run on a replaced
    /// value: every input is a leaf the schema defines.
    #[test]
    fn every_rule_input_is_a_setting() {
        let leaves = builtin_leaves(ENSEMBLE_SETTINGS);
        let optional = [
            "heap",
            "resources.cpu-limit",
            "resources.memory-limit",
            "client-service.name",
            "tls.issuer",
            "tls.issuer.cluster-domain",
            "tls.secret",
            "sasl.secret",
            "datalog",
        ];
        for rule in RULES {
            for input in rule.inputs {
                assert!(
                    leaves.contains_key(&LeafKey::new(*input)) || optional.contains(input),
                    "{input}"
                );
            }
        }
    }
}
