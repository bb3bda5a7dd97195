//! Stage 5: semantic checks on the typed model. Everything the resolver cannot see from one
//! value alone (relations between settings, between ensembles and environments, and with the
//! ensembles already deployed) is checked here, and only here.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::emit::names;
use crate::model::{Ensemble, Environment, Sp};
use crate::resolve::{LeafKey, Origin};
use crate::source::Loc;

/// What is deployed today, as recorded in the current `out/` tree.
pub trait Deployed {
    /// The replica count of the ensemble's StatefulSet in `out/`, if it exists there.
    fn servers(&self, namespace: &str, ensemble: &str) -> Option<i64>;

    /// Where the output directory sits in its git repository (`deploy/zk/out`), when known:
    /// the default `path-prefix` of the Argo CD and Flux objects.
    fn path_prefix(&self) -> Option<&str> {
        None
    }
}

/// Longest ensemble name: the StatefulSet controller adds `-<10-char hash>` to it in the
/// `controller-revision-hash` label, whose value is limited to 63 characters.
pub const MAX_ENSEMBLE_NAME: usize = 52;
/// Longest environment name: `zookeeper-<name>` names its Argo CD Application and Flux
/// Kustomization, and must stay a 63-character label.
pub const MAX_ENVIRONMENT_NAME: usize = 53;

/// Memory the JVM needs outside the heap (ZK0034): the pod runner measured the resident size
/// of ZooKeeper 3.9 with 20,000 znodes at about 100 MiB above a pre-touched heap.
pub const JVM_OVERHEAD_MIB: u64 = 192;
/// The smallest heap zkc accepts.
pub const MIN_HEAP_MIB: u64 = 128;

pub fn check(environments: &[Environment], deployed: &dyn Deployed, diags: &mut Diagnostics) {
    let mut namespaces: BTreeMap<&str, &Environment> = BTreeMap::new();
    for env in environments {
        let ns = &env.namespace;
        // A namespace that is the environment's own name is checked with the name.
        if ns.value != env.name
            && let Err(why) = dns_label(&ns.value, 63, false)
        {
            diags.push(
                Diagnostic::new(Code::InvalidName, format!("namespace \"{}\" is not a valid Kubernetes namespace: {why}", ns.value))
                    .at_loc(ns.loc_or(env.loc), "invalid namespace")
                    .help("a namespace is a DNS-1123 label: lower-case letters, digits and `-`, at most 63 characters"),
            );
        }
        // The same environment declared twice is ZK0016 already; one diagnostic per mistake.
        if let Some(first) = namespaces.insert(&ns.value, env)
            && first.name != env.name
        {
            diags.push(
                Diagnostic::new(Code::NamespaceClash, format!("environments `{}` and `{}` both target namespace \"{}\"", first.name, env.name, ns.value))
                    .at_loc(ns.loc_or(env.loc), format!("`{}` targets \"{}\"", env.name, ns.value))
                    .at_loc(first.namespace.loc_or(first.loc), format!("`{}` targets it too", first.name))
                    .help("give each environment its own `namespace`; one directory out/<namespace>/ belongs to one environment"),
            );
        }
        check_environment_name(env, diags);
        check_metadata(&env.labels, "label", env.loc, diags);
        check_metadata(&env.annotations, "annotation", env.loc, diags);
        check_gitops(env, diags);
        check_object_names(env, diags);
        for e in &env.ensembles {
            check_ensemble(e, diags);
            check_resize(env, e, deployed, diags);
        }
    }
}

/// The environment's name reaches the Argo CD Application and Flux Kustomization names
/// (`zookeeper-<name>`) and the generated files' headers: a DNS label keeps both well-formed.
fn check_environment_name(env: &Environment, diags: &mut Diagnostics) {
    if let Err(why) = dns_label(&env.name, MAX_ENVIRONMENT_NAME, true) {
        diags.push(
            Diagnostic::new(Code::InvalidName, format!("environment name {:?} is not usable: {why}", env.name))
                .at_loc(env.loc, "invalid name")
                .help(format!("use lower-case letters, digits and `-`, starting with a letter, at most {MAX_ENVIRONMENT_NAME} characters")),
        );
    }
}

/// ZK0052: no two objects of one kind and name in a namespace. Derived names can meet across
/// ensembles (`zk`'s headless Service is `zk-headless`, the client Service of an ensemble named
/// `zk-headless`) or within one (`client-service name="zk-1"` beside per-server Services).
fn check_object_names(env: &Environment, diags: &mut Diagnostics) {
    let mut owners: BTreeMap<(&str, String), usize> = BTreeMap::new();
    // (first owner, second owner) → the objects they share, one diagnostic per pair.
    let mut clashes: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
    for (i, e) in env.ensembles.iter().enumerate() {
        for (kind, name) in names::objects(e) {
            let object = format!("{kind}/{name}");
            match owners.get(&(kind, name.clone())) {
                // Two ensembles of one name are ZK0031 already.
                Some(&first) if env.ensembles[first].name == e.name && first != i => {}
                Some(&first) => clashes.entry((first, i)).or_default().push(object),
                None => {
                    owners.insert((kind, name), i);
                }
            }
        }
    }
    for ((first, second), objects) in clashes {
        let (a, b) = (&env.ensembles[first], &env.ensembles[second]);
        let label = if first == second {
            format!(
                "ensemble `{}` produces {} twice",
                b.name,
                objects.join(", ")
            )
        } else {
            format!("ensemble `{}` produces {}", b.name, objects.join(", "))
        };
        let mut d = Diagnostic::new(
            Code::ObjectNameClash,
            format!(
                "two objects named {} in namespace \"{}\"",
                objects[0], env.namespace.value
            ),
        )
        .at_loc(b.client_service_name.loc_or(b.loc), label);
        if first != second {
            d = d.at_loc(a.loc, format!("ensemble `{}` produces the same", a.name));
        }
        diags.push(d.help("rename an ensemble (or its `client-service name=`): every Service, ConfigMap and StatefulSet name in a namespace must be unique"));
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
    if let Some(argo) = env
        .argocd
        .as_ref()
        .filter(|a| a.server.is_some() && a.cluster.is_some())
    {
        diags.push(
            Diagnostic::new(Code::Conflict, "`argocd` names the destination cluster twice: server= and cluster=")
                .at_loc(argo.loc, "server= and cluster=")
                .help("keep one: server=\"https://…\" (the API server URL) or cluster=\"NAME\" (a cluster registered in Argo CD); Argo CD rejects an Application with both"),
        );
    }
    if let Some(flux) = env.flux.as_ref().filter(|_| !env.namespace_object) {
        diags.push(
            Diagnostic::new(Code::FluxWithoutNamespace, format!("Flux does not create namespace \"{}\"", env.namespace.value))
                .at_loc(flux.loc, "applies into a namespace nobody creates")
                .help("add `namespace-object #true` so out/<namespace>/ carries the Namespace, or create it elsewhere and ignore this warning"),
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

/// ZK0053: values zkc derives itself cannot be set from the side, where they would either
/// override the derived value (`env ZOO_MY_ID`) or be silently dropped (a selector label).
fn check_owned_values(e: &Ensemble, diags: &mut Diagnostics) {
    let owned = |what: &str, key: &str, value: &Sp<String>, instead: &str| {
        Diagnostic::new(Code::OwnedValue, format!("{what} `{key}` is set by zkc"))
            .at_loc(value.loc_or(e.loc), "owned by zkc")
            .help(instead.to_owned())
    };
    for (name, value) in &e.env {
        if let Some(instead) = owned_env_var(name) {
            diags.push(owned("environment variable", name, value, instead));
        } else if !is_env_var_name(name) {
            diags.push(invalid_key(
                e,
                "environment variable",
                name,
                value,
                "letters, digits and `_`, not starting with a digit",
            ));
        }
    }
    for flag in &e.jvm_flags.value {
        if let Some(instead) = owned_jvm_flag(flag) {
            diags.push(owned(
                "JVM flag",
                flag,
                &Sp {
                    value: flag.clone(),
                    origin: e.jvm_flags.origin.clone(),
                },
                instead,
            ));
        }
    }
    for (map, what) in [
        (&e.labels, "label"),
        (&e.node_selector, "label"),
        (&e.network_policy.allow_pods, "label"),
        (&e.annotations, "annotation"),
        (&e.pod_annotations, "annotation"),
    ] {
        check_metadata(map, what, e.loc, diags);
    }
    for (map, what) in [
        (&e.labels, "label"),
        (&e.annotations, "annotation"),
        (&e.pod_annotations, "pod annotation"),
    ] {
        for (key, value) in map {
            if let Some(instead) = owned_metadata_key(key, what, e.metrics.value) {
                diags.push(owned(what, key, value, instead));
            }
        }
    }
}

/// ZK0030 for label and annotation keys and label values: the API server's rules (qualified
/// names; label values of at most 63 characters), and keys that kustomize would corrupt: it
/// re-reads quoted keys such as '1_000' or 'on' as YAML 1.1 numbers and booleans and fails.
fn check_metadata(map: &crate::model::Map, what: &str, fallback: Loc, diags: &mut Diagnostics) {
    for (key, value) in map {
        let problem = qualified_name(key)
            .map(|why| format!("{what} key {key:?} is not valid: {why}"))
            .or_else(|| {
                crate::render::yaml11::ambiguous_in_yaml11(key.rsplit('/').next().unwrap_or(key))
                    .then(|| format!("{what} key {key:?} would be read as a number or boolean by kubectl and kustomize"))
            })
            .or_else(|| {
                (what == "label")
                    .then(|| label_value(&value.value))
                    .flatten()
                    .map(|why| format!("label value {:?} is not valid: {why}", value.value))
            });
        if let Some(message) = problem {
            diags.push(
                Diagnostic::new(Code::InvalidName, message)
                    .at_loc(value.loc_or(fallback), "invalid")
                    .help("keys are [prefix/]name, the name up to 63 letters, digits, `-`, `_` and `.` starting and ending with a letter or digit; label values likewise, or empty"),
            );
        }
    }
}

/// A Kubernetes qualified name (`[prefix/]name`), or why not.
fn qualified_name(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        let ok = !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| dns_label(l, 63, false).is_ok());
        if !ok {
            return Some(format!("its prefix {p:?} is not a DNS subdomain"));
        }
    }
    if name.is_empty() {
        return Some("its name is empty".into());
    }
    label_value(name)
}

/// A label value (or the name part of a key): at most 63 characters of letters, digits, `-`,
/// `_` and `.`, starting and ending with a letter or digit; or why not.
fn label_value(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if value.len() > 63 {
        return Some(format!(
            "it is {} characters long, at most 63 are allowed",
            value.len()
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!("it contains {c:?}"));
    }
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    (!edge(value.chars().next()) || !edge(value.chars().last()))
        .then(|| "it must start and end with a letter or digit".into())
}

fn invalid_key(e: &Ensemble, what: &str, key: &str, value: &Sp<String>, rule: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidName,
        format!("{what} name {key:?} is not valid"),
    )
    .at_loc(value.loc_or(e.loc), "invalid name")
    .help(format!("use {rule}"))
}

fn is_env_var_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Environment variables the image or the JVM reads for what zkc sets, and why.
fn owned_env_var(name: &str) -> Option<&'static str> {
    Some(match name {
        "ZOO_MY_ID" => "the server id is the pod index; it cannot be set",
        "ZK_SERVER_HEAP" => "use `heap`",
        "JVMFLAGS" | "SERVER_JVMFLAGS" => "use `jvm-flags`",
        // Read by every JVM: they would bypass the heap check.
        "JAVA_TOOL_OPTIONS" | "JDK_JAVA_OPTIONS" | "_JAVA_OPTIONS" => "use `jvm-flags`",
        "ZOO_LOG4J_PROP" => {
            "ZooKeeper 3.9 logs through logback and never reads ZOO_LOG4J_PROP; remove it"
        }
        "ZOOCFGDIR" | "ZOOCFG" | "ZOO_CONF_DIR" => {
            "zkc mounts zoo.cfg at /conf/zoo.cfg; use `zoo-cfg`"
        }
        "ZOO_DATA_DIR" | "ZOO_DATA_LOG_DIR" | "ZOO_LOG_DIR" => {
            "zkc mounts the volumes at /data, /datalog and /logs; use `storage` and `datalog`"
        }
        // The entrypoint builds zoo.cfg from ZOO_* variables only when none is mounted.
        n if n.starts_with("ZOO_") => {
            "the image reads ZOO_* variables only to write a zoo.cfg, and zkc mounts its own; use `zoo-cfg`"
        }
        _ => return None,
    })
}

/// JVM flags that would override or break what zkc derives.
fn owned_jvm_flag(flag: &str) -> Option<&'static str> {
    let starts = |prefix: &str| flag.starts_with(prefix);
    Some(
        if starts("-Xmx")
            || starts("-Xms")
            || starts("-XX:MaxHeapSize")
            || starts("-XX:InitialHeapSize")
            || starts("-XX:MaxRAM")
            || starts("-XX:InitialRAMPercentage")
            || starts("-XX:MinRAMPercentage")
        {
            "use `heap`: zkc sets the heap and checks it against the memory limit"
        } else if starts("-Djute.maxbuffer") {
            "use `zoo-cfg { jute-max-buffer }`"
        } else if starts("-XX:HeapDumpPath") {
            "zkc points heap dumps at the /logs volume"
        } else if flag.is_empty() || flag.contains(char::is_whitespace) {
            "one flag per string: zkServer.sh splits JVMFLAGS at white space"
        } else {
            return None;
        },
    )
}

/// Label and annotation keys zkc sets on its objects.
fn owned_metadata_key(key: &str, what: &str, metrics: bool) -> Option<&'static str> {
    let zkc_label = matches!(
        key,
        "app.kubernetes.io/name"
            | "app.kubernetes.io/instance"
            | "app.kubernetes.io/managed-by"
            | "app.kubernetes.io/component"
    );
    Some(if what == "label" && zkc_label {
        "zkc sets it to select and identify the ensemble's objects; use another key"
    } else if key.starts_with("zkc.dev/") {
        "keys under zkc.dev/ are zkc's own"
    } else if what == "pod annotation" && metrics && key.starts_with("prometheus.io/") {
        "`metrics #true` sets the prometheus.io scrape annotations"
    } else {
        return None;
    })
}

/// ZK0008: a property written without the value it qualifies (`datalog class="fast-ssd"`
/// without a size) would be silently ignored, since the setting itself stays off.
fn check_props_without_value(e: &Ensemble, diags: &mut Diagnostics) {
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

fn check_ensemble(e: &Ensemble, diags: &mut Diagnostics) {
    check_owned_values(e, diags);
    check_props_without_value(e, diags);
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

    check_zoo_cfg_text(e, diags);
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

/// The zoo.cfg keys ZooKeeper 3.9 acts on, derived from its source and admin guide by
/// `tests/zkcfg/derive_zoo_cfg_keys.py` (the file's header says how).
const KNOWN_ZOO_CFG_KEYS: &str = include_str!("zoo_cfg_keys.txt");

fn known_zoo_cfg_keys() -> impl Iterator<Item = &'static str> {
    KNOWN_ZOO_CFG_KEYS
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// ZK0054, ZK0055: every user text that reaches zoo.cfg must read back as exactly one
/// `key=value` line. zoo.cfg is a Java `.properties` file read as ISO-8859-1: a line break,
/// a `\` (escape, or line continuation at the end), blanks around a key, `:` or `=` in a key
/// and non-ASCII text all change what ZooKeeper sees; `tests/zkcfg` proves the emitted files
/// with ZooKeeper's own parser.
fn check_zoo_cfg_text(e: &Ensemble, diags: &mut Diagnostics) {
    let bad = |what: &str, text: &str, at: Loc, rule: &str| {
        Diagnostic::new(
            Code::ZooCfgInjection,
            format!("{what} {text:?} cannot be written to zoo.cfg safely"),
        )
        .at_loc(at, "would change other zoo.cfg lines")
        .help(rule.to_owned())
    };
    for (key, value) in &e.zoo_cfg.extra {
        let at = value.loc_or(e.loc);
        if !is_zoo_cfg_key(key) {
            diags.push(bad(
                "key",
                key,
                at,
                "a zoo.cfg key is ASCII letters, digits, `.`, `_` and `-`",
            ));
        } else if !is_zoo_cfg_value(&value.value) {
            diags.push(bad(
                "value",
                &value.value,
                at,
                "a zoo.cfg value is printable ASCII without `\\` and without blanks at either end",
            ));
        } else if owned_zoo_cfg_key(key).is_none() && !known_zoo_cfg_keys().any(|k| k == key) {
            let mut d = Diagnostic::new(
                Code::UnknownZooCfgKey,
                format!("ZooKeeper 3.9 does not know the zoo.cfg key `{key}`"),
            )
            .at_loc(at, "unknown key");
            d = match crate::diag::did_you_mean(key, known_zoo_cfg_keys()) {
                Some(k) => d.help(format!("did you mean `{k}`? ZooKeeper would turn `{key}` into an unused system property")),
                None => d.help("ZooKeeper turns keys it does not know into system properties and ignores them; check the admin guide's spelling"),
            };
            diags.push(d);
        }
    }
    let words = &e.zoo_cfg.four_letter_words;
    for word in &words.value {
        if word != "*" && !(word.len() == 4 && word.chars().all(|c| c.is_ascii_lowercase())) {
            diags.push(bad(
                "four-letter word",
                word,
                words.loc_or(e.loc),
                "a four-letter word is four lower-case letters, such as \"mntr\", or \"*\" for all",
            ));
        }
    }
}

fn is_zoo_cfg_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn is_zoo_cfg_value(value: &str) -> bool {
    value.chars().all(|c| (' '..='~').contains(&c) && c != '\\') && value.trim() == value
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
