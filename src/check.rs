//! Stage 5: semantic checks on the typed model. Everything the resolver cannot see from one
//! value alone (relations between settings, between ensembles and environments, and with the
//! ensembles already deployed) is checked here, and only here.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::emit::names;
use crate::model::{ArgoSync, Ensemble, Environment};
use crate::resolve::Origin;

mod ensemble;
mod owned;
mod security;
pub(crate) mod syntax;

use syntax::check_metadata;
pub(crate) use syntax::dns_label;

/// What is deployed today, as recorded in the current `out/` tree.
pub trait Deployed {
    /// The replica count of the ensemble's StatefulSet in `out/`, if it exists there.
    fn servers(&self, namespace: &str, ensemble: &str) -> Option<i64>;

    /// Whether `out/` is meant to be what the specs build into (`zkc check`) rather than what
    /// the build starts from (`zkc build`, `zkc diff`): then an acknowledgement that `out/`
    /// already reflects is the one of the commit under check, not a stale one.
    fn is_build_result(&self) -> bool {
        false
    }

    /// The text of a file zkc generated in `out/` (a relative path such as
    /// `staging/statefulset-zookeeper.yaml`).
    fn file(&self, _rel: &str) -> Option<&str> {
        None
    }

    /// What the command line allows this build to do to the deployed ensembles.
    fn allowed(&self) -> &crate::plan::Allowed {
        &crate::plan::NOTHING_ALLOWED
    }

    /// The relative paths of the StatefulSets zkc generated in `out/`.
    fn statefulsets(&self) -> Vec<String> {
        Vec::new()
    }

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
        security::flux_secrets(env, diags);
        check_object_names(env, diags);
        for e in &env.ensembles {
            ensemble::check(e, diags);
            if !e.invalid.contains("servers") {
                check_resize(env, e, deployed, diags);
                security::check_deployed(env, e, deployed, diags);
            }
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
    if let Some(argo) = env.argocd.as_ref().filter(|a| a.sync == ArgoSync::Manual) {
        for option in [&argo.prune, &argo.self_heal] {
            if let Origin::Spec { loc, .. } = option.origin {
                diags.push(
                    Diagnostic::new(
                        Code::IgnoredSetting,
                        "prune= and self-heal= apply only to automated sync",
                    )
                    .at_loc(loc, "no effect with sync=\"manual\"")
                    .help("remove it, or use sync=\"automated\""),
                );
            }
        }
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

fn check_resize(env: &Environment, e: &Ensemble, deployed: &dyn Deployed, diags: &mut Diagnostics) {
    if let Origin::Spec { loc, .. } = e.cold_restart.origin
        && e.resize_from.is_none()
    {
        diags.push(
            Diagnostic::new(
                Code::IgnoredSetting,
                "cold-restart acknowledges a resize step, and there is none",
            )
            .at_loc(loc, "no acknowledge-resize-from")
            .help("remove `cold-restart`, or write it with `acknowledge-resize-from=N`"),
        );
    }
    let servers = e.servers.value;
    let Some(current) = deployed.servers(&env.namespace.value, &e.name) else {
        if let Some(from) = &e.resize_from {
            diags.push(
                Diagnostic::new(
                    Code::NothingToAcknowledge,
                    format!(
                        "ensemble `{}` is not in out/ yet: there is no resize to acknowledge",
                        e.name
                    ),
                )
                .at_loc(from.loc_or(e.loc), "nothing to acknowledge")
                .help("remove `acknowledge-resize-from`"),
            );
        }
        return;
    };
    let Some(from) = &e.resize_from else {
        if current != servers {
            diags.push(
                Diagnostic::new(Code::ServerCountChange, format!("ensemble `{}` changes from {current} to {servers} servers", e.name))
                    .at_loc(e.servers.loc_or(e.loc), format!("out/ has {current}"))
                    .help(format!("resize one server per commit, acknowledging each step (see `zkc explain ZK0046`): `servers {} acknowledge-resize-from={current}`", one_step(current, servers))),
            );
        }
        return;
    };
    check_acknowledged_step(e, current, from, deployed, diags);
}

/// ZK0058, ZK0059, ZK0065, ZK0066, ZK0069 and a needless cold-restart: an acknowledged step
/// must start from what `out/` has, move one server, and be cold where rolling stalls.
fn check_acknowledged_step(
    e: &Ensemble,
    current: i64,
    from: &crate::model::Sp<i64>,
    deployed: &dyn Deployed,
    diags: &mut Diagnostics,
) {
    let servers = e.servers.value;
    let at = from.loc_or(e.loc);
    if from.value == servers {
        diags.push(
            Diagnostic::new(
                Code::NothingToAcknowledge,
                format!("`acknowledge-resize-from={servers}` names the count the spec asks for"),
            )
            .at_loc(at, "no resize")
            .help("remove `acknowledge-resize-from`"),
        );
    } else if current == servers {
        // `zkc check` compares with the build's own result, where the acknowledgement of the
        // commit that resizes is expected.
        if !deployed.is_build_result() {
            diags.push(
                Diagnostic::new(
                    Code::StaleAcknowledgement,
                    format!(
                        "the resize of `{}` to {servers} servers is already in out/",
                        e.name
                    ),
                )
                .at_loc(at, "already built")
                .help("remove `acknowledge-resize-from` in the next commit"),
            );
        }
    } else if from.value != current {
        diags.push(
            Diagnostic::new(Code::AcknowledgementMismatch, format!("the acknowledgement is for a resize from {}, but out/ has {current}", servers_noun(from.value)))
                .at_loc(at, format!("out/ has {current}"))
                .help(format!("acknowledge the step from what out/ has: `servers {} acknowledge-resize-from={current}`", one_step(current, servers))),
        );
    } else if (servers - current).abs() > 1 {
        diags.push(
            Diagnostic::new(Code::ResizeStep, format!("ensemble `{}` would change from {current} to {servers} servers in one step", e.name))
                .at_loc(e.servers.loc_or(e.loc), format!("{} servers at once", (servers - current).abs()))
                .help(format!("one server per commit: `servers {} acknowledge-resize-from={current}` first (see `zkc explain ZK0066`)", one_step(current, servers))),
        );
    } else if rolling_step_stalls(current, servers) && !e.cold_restart.value {
        diags.push(
            Diagnostic::new(Code::ColdResizeStep, format!("a rolling update from {current} to {servers} servers stalls: a restarted server never becomes Ready"))
                .at_loc(at, format!("{current} → {servers}"))
                .help(format!("apply this step with every server stopped (`zkc explain ZK0069`), then write `servers {servers} acknowledge-resize-from={current} cold-restart=#true`")),
        );
    } else if let Origin::Spec { loc, .. } = e.cold_restart.origin
        && !rolling_step_stalls(current, servers)
    {
        diags.push(
            Diagnostic::new(Code::IgnoredSetting, format!("cold-restart is not needed from {current} to {servers} servers: the rolling update finishes"))
                .at_loc(loc, "not needed")
                .help("remove `cold-restart`; stopping every server is only needed for 1 → 2 and 3 → 4 (ZK0069)"),
        );
    }
}

/// Whether the StatefulSet controller's rolling update of a one-server growth stalls forever.
/// tests/e2e/resize_orders.py measured both cases on ZooKeeper 3.9.4: 1 → 2 (the new server
/// needs both servers of its list, and server 1 keeps serving on its own list) and 3 → 4 (once
/// server 3, the usual leader, restarts, servers 1 and 2 still hold a majority of their old list
/// and re-elect; servers 3 and 4 only follow a leader that 3 of their 4 servers report). For
/// N → N+1 in general the old list keeps a majority without its leader when N - 1 > N / 2, and
/// the new servers see too few followers when N - 1 < (N + 1) / 2 + 1: only N = 3 (and N = 1,
/// which has no majority to spare) meets both.
fn rolling_step_stalls(current: i64, servers: i64) -> bool {
    servers == current + 1 && matches!(current, 1 | 3)
}

fn servers_noun(n: i64) -> String {
    if n == 1 {
        "1 server".into()
    } else {
        format!("{n} servers")
    }
}

/// The next count on the way from `current` to `target`.
fn one_step(current: i64, target: i64) -> i64 {
    current + (target - current).signum()
}
