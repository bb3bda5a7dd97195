//! Rules about the metrics settings (issue #14): what needs `metrics #true`, what a disabled
//! block ignores, who may reach the metrics port, and the namespaces named.

use super::at;
use crate::check::dns_label;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Ensemble, Map, Monitor, Sp};
use crate::source::Loc;

/// Where the first entry of a map setting was written.
fn map_loc(map: &Map, fallback: Loc) -> Option<Loc> {
    map.values().next().map(|v| v.loc_or(fallback))
}

/// The settings that need `metrics #true` and ask for something, with where they were written.
fn metrics_dependent(e: &Ensemble) -> Vec<(&'static str, Loc)> {
    let operator = &e.prometheus_operator;
    let np = &e.network_policy;
    let mut set = Vec::new();
    if operator.monitor.value != Monitor::Off {
        set.push((
            "prometheus-operator { monitor }",
            operator.monitor.loc_or(e.loc),
        ));
    }
    if operator.rules.value {
        set.push((
            "prometheus-operator { rules }",
            operator.rules.loc_or(e.loc),
        ));
    }
    if !np.metrics_from_namespaces.value.is_empty() {
        set.push((
            "network-policy { metrics-from-namespaces }",
            np.metrics_from_namespaces.loc_or(e.loc),
        ));
    }
    if let Some(loc) = map_loc(&np.metrics_from_pods, e.loc) {
        set.push(("network-policy { metrics-from-pods }", loc));
    }
    set
}

/// ZK0070.
pub(super) fn needs_metrics(e: &Ensemble, diags: &mut Diagnostics) {
    if e.metrics.value {
        return;
    }
    for (what, loc) in metrics_dependent(e) {
        diags.push(at(
            loc,
            Code::MetricsOff,
            format!("`{what}` needs `metrics #true`"),
            "metrics is off",
            format!("add `metrics #true` to the ensemble, or remove `{what}`"),
        ));
    }
}

/// ZK0057: settings that a choice elsewhere turns off.
pub(super) fn ignored_metrics_settings(e: &Ensemble, diags: &mut Diagnostics) {
    let operator = &e.prometheus_operator;
    if !operator.wanted()
        && let Some(loc) = map_loc(&operator.labels, e.loc)
    {
        diags.push(at(
            loc,
            Code::IgnoredSetting,
            "`prometheus-operator { labels }` has no effect without a monitor or rules".into(),
            "no effect",
            "add `monitor \"pod-monitor\"` or `rules #true`, or remove the labels".into(),
        ));
    }
    let np = &e.network_policy;
    if e.metrics.value && !np.enabled.value && np.has_metrics_peers() {
        let loc = map_loc(&np.metrics_from_pods, e.loc)
            .unwrap_or_else(|| np.metrics_from_namespaces.loc_or(e.loc));
        diags.push(
            Diagnostic::new(
                Code::IgnoredSetting,
                "`metrics-from-namespaces` and `metrics-from-pods` have no effect without the NetworkPolicy",
            )
            .at_loc(loc, "no effect")
            .at_loc(np.enabled.loc_or(e.loc), "no NetworkPolicy")
            .help("without a NetworkPolicy every pod may reach the metrics port: turn it on (`enabled #true`) or remove them"),
        );
    }
}

/// ZK0071: a monitor that the NetworkPolicy would block, when Prometheus runs elsewhere.
pub(super) fn prometheus_blocked(e: &Ensemble, diags: &mut Diagnostics) {
    let monitor = &e.prometheus_operator.monitor;
    let np = &e.network_policy;
    let blocked = e.metrics.value
        && monitor.value != Monitor::Off
        && np.enabled.value
        && !np.has_metrics_peers()
        && np.allow_namespaces.value.is_empty();
    if blocked {
        diags.push(at(
            monitor.loc_or(e.loc),
            Code::PrometheusBlocked,
            "the NetworkPolicy lets only this namespace's pods reach the metrics port, so a Prometheus in another namespace cannot scrape".into(),
            "Prometheus would be blocked",
            "name where Prometheus runs: `network-policy { metrics-from-namespaces \"monitoring\" }`".into(),
        ));
    }
}

/// ZK0030: a namespace named in the NetworkPolicy that cannot exist would match nothing, and
/// the peers the spec means would silently stay blocked.
pub(super) fn namespace_names(e: &Ensemble, diags: &mut Diagnostics) {
    let np = &e.network_policy;
    for (setting, list) in [
        ("allow-namespaces", &np.allow_namespaces),
        ("metrics-from-namespaces", &np.metrics_from_namespaces),
    ] {
        for name in &list.value {
            if let Err(why) = dns_label(name, 63, false) {
                diags.push(invalid_namespace(e, setting, name, list, &why));
            }
        }
    }
}

fn invalid_namespace(
    e: &Ensemble,
    setting: &str,
    name: &str,
    list: &Sp<Vec<String>>,
    why: &str,
) -> Diagnostic {
    at(
        list.loc_or(e.loc),
        Code::InvalidName,
        format!("`{setting}` names {name:?}, which is not a namespace name: {why}"),
        "not a namespace",
        "a namespace name is a DNS label: lower-case letters, digits and `-`, at most 63 characters".into(),
    )
}
