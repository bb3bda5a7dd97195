//! Stage 5: semantic checks on the typed model. Everything the resolver cannot see from one
//! value alone (relations between settings, between ensembles and environments, and with the
//! ensembles already deployed) is checked here, and only here.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Ensemble, Environment, Sp};
use crate::source::Loc;

/// What is deployed today, as recorded in the current `out/` tree.
pub trait Deployed {
    /// The replica count of the ensemble's StatefulSet in `out/`, if it exists there.
    fn servers(&self, namespace: &str, ensemble: &str) -> Option<i64>;
}

/// Longest ensemble name: the StatefulSet controller adds `-<10-char hash>` to it in the
/// `controller-revision-hash` label, whose value is limited to 63 characters.
pub const MAX_ENSEMBLE_NAME: usize = 52;

/// Memory the JVM needs outside the heap (ZK0034): the pod runner measured the resident size
/// of ZooKeeper 3.9 with 20,000 znodes at about 100 MiB above a pre-touched heap.
pub const JVM_OVERHEAD_MIB: u64 = 192;
/// The smallest heap zkc accepts.
pub const MIN_HEAP_MIB: u64 = 128;

pub fn check(environments: &[Environment], deployed: &dyn Deployed, diags: &mut Diagnostics) {
    let mut namespaces: BTreeMap<&str, &Environment> = BTreeMap::new();
    for env in environments {
        let ns = &env.namespace;
        if let Err(why) = dns_label(&ns.value, 63, false) {
            diags.push(
                Diagnostic::new(Code::InvalidName, format!("namespace \"{}\" is not a valid Kubernetes namespace: {why}", ns.value))
                    .at_loc(ns.loc_or(env.loc), "invalid namespace")
                    .help("a namespace is a DNS-1123 label: lower-case letters, digits and `-`, at most 63 characters"),
            );
        }
        if let Some(first) = namespaces.insert(&ns.value, env) {
            diags.push(
                Diagnostic::new(Code::NamespaceClash, format!("environments `{}` and `{}` both target namespace \"{}\"", first.name, env.name, ns.value))
                    .at_loc(ns.loc_or(env.loc), format!("`{}` targets \"{}\"", env.name, ns.value))
                    .at_loc(first.namespace.loc_or(first.loc), format!("`{}` targets it too", first.name))
                    .help("give each environment its own `namespace`; one directory out/<namespace>/ belongs to one environment"),
            );
        }
        check_gitops(env, diags);
        for e in &env.ensembles {
            check_ensemble(e, diags);
            check_resize(env, e, deployed, diags);
        }
    }
}

fn check_gitops(env: &Environment, diags: &mut Diagnostics) {
    if let Some(argo) = env.argocd.as_ref().filter(|a| a.repo.is_none()) {
        diags.push(
            Diagnostic::new(
                Code::MissingValue,
                "`argocd` needs the Git repository that holds out/",
            )
            .at_loc(argo.loc, "repo missing")
            .help("add repo=\"https://git.example.com/platform/zk.git\""),
        );
    }
    if let Some(flux) = env.flux.as_ref().filter(|f| f.source.is_none()) {
        diags.push(
            Diagnostic::new(
                Code::MissingValue,
                "`flux` needs the GitRepository source that holds out/",
            )
            .at_loc(flux.loc, "source missing")
            .help("add source=\"NAME\" (a GitRepository in the Kustomization's namespace)"),
        );
    }
}

fn check_ensemble(e: &Ensemble, diags: &mut Diagnostics) {
    let at = |sp_loc: Loc, code: Code, message: String, label: &str, help: String| {
        Diagnostic::new(code, message)
            .at_loc(sp_loc, label)
            .help(help)
    };
    if let Err(why) = dns_label(&e.name, MAX_ENSEMBLE_NAME, true) {
        diags.push(at(
            e.loc,
            Code::InvalidName,
            format!("ensemble name \"{}\" is not usable: {why}", e.name),
            "invalid name",
            format!("use lower-case letters, digits and `-`, starting with a letter, at most {MAX_ENSEMBLE_NAME} characters"),
        ));
    }
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

    let servers = e.servers.value;
    let servers_loc = e.servers.loc_or(e.loc);
    if servers == 1 {
        diags.push(at(
            servers_loc,
            Code::SingleServer,
            "a single server has no fault tolerance".into(),
            "1 server",
            "use 3 servers unless this ensemble is disposable".into(),
        ));
    } else if servers % 2 == 0 {
        diags.push(at(
            servers_loc,
            Code::EvenServers,
            format!(
                "{servers} servers tolerate no more failures than {}",
                servers - 1
            ),
            "even",
            format!("use {} or {} servers", servers - 1, servers + 1),
        ));
    }

    let mut by_number: BTreeMap<i64, (&str, &Sp<i64>)> = BTreeMap::new();
    for (name, port) in e.ports.named() {
        if name == "metrics" && !e.metrics.value {
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

    check_heap(e, diags);
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
    let words = &cfg.four_letter_words;
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

    for (setting, spread) in [("spread", &e.spread), ("zone-spread", &e.zone_spread)] {
        let key = &spread.topology_key.value;
        if spread.mode.value == "required"
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
    if e.pod_management.value == "OrderedReady" && servers > 1 {
        diags.push(at(
            e.pod_management.loc_or(e.loc),
            Code::OrderedReadyDeadlock,
            "OrderedReady would wait for server 1 to be Ready, which needs a quorum of servers that are never started".into(),
            "never forms a quorum",
            "use pod-management \"Parallel\"".into(),
        ));
    }
    let tolerable = (servers - 1) / 2;
    if servers >= 3 && e.max_unavailable.value > tolerable {
        diags.push(
            Diagnostic::new(
                Code::DisruptionBreaksQuorum,
                format!("{} of {servers} servers may be evicted at once, but a quorum survives losing only {tolerable}", e.max_unavailable.value),
            )
            .at_loc(e.max_unavailable.loc_or(e.loc), "too many")
            .help(format!("use disruption max-unavailable={tolerable}")),
        );
    }
}

/// ZK0034: the heap fits the memory limit with the JVM's own overhead (see the code's text).
fn check_heap(e: &Ensemble, diags: &mut Diagnostics) {
    let heap = e.heap.value.mebibytes();
    let limit = e.memory_limit.value.mebibytes();
    let problem = if heap < MIN_HEAP_MIB {
        format!("heap {} is below the {MIN_HEAP_MIB}Mi ZooKeeper needs", e.heap.value)
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

fn check_resize(env: &Environment, e: &Ensemble, deployed: &dyn Deployed, diags: &mut Diagnostics) {
    let Some(current) = deployed.servers(&env.namespace.value, &e.name) else {
        return;
    };
    if current != e.servers.value && !e.acknowledge_resize.value {
        diags.push(
            Diagnostic::new(Code::ServerCountChange, format!("ensemble `{}` changes from {current} to {} servers", e.name, e.servers.value))
                .at_loc(e.servers.loc_or(e.loc), format!("out/ has {current}"))
                .help(format!(
                    "resize one server at a time, rolling every server with each new list (see `zkc explain ZK0046`), then write `servers {} acknowledge-resize=#true`",
                    e.servers.value
                )),
        );
    }
}

/// zkc derives these keys; the text says which setting sets them.
fn owned_zoo_cfg_key(key: &str) -> Option<&'static str> {
    Some(match key {
        "dataDir" | "dataLogDir" => "`storage` and `datalog`",
        "clientPort" | "clientPortAddress" | "secureClientPort" => "`ports client=`",
        "admin.serverPort" => "`ports admin=`",
        "admin.enableServer"
        | "admin.serverAddress"
        | "admin.snapshot.enabled"
        | "admin.restore.enabled" => "`admin-server`",
        "tickTime" => "`zoo-cfg { tick-time }`",
        "initLimit" => "`zoo-cfg { init-limit }`",
        "syncLimit" => "`zoo-cfg { sync-limit }`",
        "maxClientCnxns" => "`zoo-cfg { max-client-cnxns }`",
        "autopurge.snapRetainCount" | "autopurge.purgeInterval" => "`zoo-cfg { autopurge }`",
        "4lw.commands.whitelist" => "`zoo-cfg { four-letter-words }`",
        "jute.maxbuffer" => "`zoo-cfg { jute-max-buffer }`",
        "quorumListenOnAllIPs" | "standaloneEnabled" | "reconfigEnabled" | "dynamicConfigFile" => {
            "`servers` and `peer-discovery` (zkc needs its own value)"
        }
        k if k.starts_with("metricsProvider.") => "`metrics` and `ports metrics=`",
        k if k.starts_with("server.") || k.starts_with("group.") || k.starts_with("weight.") => {
            "`servers` (zkc writes the server list)"
        }
        _ => return None,
    })
}

/// A DNS label: lower-case alphanumerics and `-`, alphanumeric at both ends; RFC 1035 labels
/// (Service names) must also start with a letter.
fn dns_label(name: &str, max: usize, must_start_with_letter: bool) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if name.len() > max {
        return Err(format!(
            "it is {} characters long, at most {max} are allowed",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!("it contains {c:?}"));
    }
    if must_start_with_letter && !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("it must start with a letter".into());
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("it must start and end with a letter or digit".into());
    }
    Ok(())
}

enum Pinning {
    Pinned,
    Floating,
}

/// Validates an image reference (the grammar of distribution/reference) and says whether it
/// pins a version.
fn image_reference(image: &str) -> Result<Pinning, String> {
    let (name_tag, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let hex = d
            .strip_prefix("sha256:")
            .ok_or("the digest must start with sha256:")?;
        if hex.len() != 64
            || !hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        {
            return Err("a sha256 digest has 64 lower-case hex digits".into());
        }
    }
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_tag[last_slash..].rfind(':') {
        Some(i) => (
            &name_tag[..last_slash + i],
            Some(&name_tag[last_slash + i + 1..]),
        ),
        None => (name_tag, None),
    };
    let mut components: Vec<&str> = name.split('/').collect();
    if components.len() > 1 && (components[0].contains(['.', ':']) || components[0] == "localhost")
    {
        let host = components.remove(0);
        if !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c))
        {
            return Err(format!("invalid registry host {host:?}"));
        }
    }
    for c in &components {
        let ok = !c.is_empty()
            && c.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
            && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
            && c.ends_with(|ch: char| ch.is_ascii_alphanumeric());
        if !ok {
            return Err(format!(
                "invalid repository component {c:?} (lower-case letters, digits, `.`, `_`, `-`)"
            ));
        }
    }
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch))
            && !t.starts_with(['.', '-']);
        if !ok {
            return Err(format!("invalid tag {t:?}"));
        }
    }
    Ok(match (tag, digest) {
        (_, Some(_)) => Pinning::Pinned,
        (Some(t), None) if t != "latest" => Pinning::Pinned,
        _ => Pinning::Floating,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        for ok in [
            "zookeeper:3.9.4",
            "docker.io/library/zookeeper:3.9.4",
            "localhost:5000/zk:1",
            "registry.example.com:443/a/b_c-d:v1.2",
        ] {
            assert!(matches!(image_reference(ok), Ok(Pinning::Pinned)), "{ok}");
        }
        for floating in [
            "zookeeper",
            "zookeeper:latest",
            "docker.io/library/zookeeper",
        ] {
            assert!(
                matches!(image_reference(floating), Ok(Pinning::Floating)),
                "{floating}"
            );
        }
        for bad in [
            "Zookeeper:3",
            "zookeeper 3.9",
            "zk:",
            "zk@sha256:abc",
            "a//b:1",
        ] {
            assert!(image_reference(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns_labels() {
        assert!(dns_label("zookeeper-1", 52, true).is_ok());
        assert!(dns_label("1zk", 52, true).is_err());
        assert!(dns_label("1zk", 63, false).is_ok());
        assert!(dns_label("zk-", 52, true).is_err());
        assert!(dns_label("Zk", 52, true).is_err());
        assert!(dns_label(&"a".repeat(53), 52, true).is_err());
    }
}
