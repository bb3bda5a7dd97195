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
mod syntax;

use syntax::check_metadata;
pub(crate) use syntax::dns_label;

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
            ensemble::check(e, diags);
            if !e.invalid.contains("servers") {
                check_resize(env, e, deployed, diags);
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
    let current = deployed.servers(&env.namespace.value, &e.name);
    let ack = &e.acknowledge_resize;
    if ack.value && current.is_none_or(|n| n == e.servers.value) {
        // An acknowledgement left in the spec would let a later edit resize without one.
        let (code, why) = match current {
            Some(n) => (
                Code::StaleAcknowledgement,
                format!("out/ already has {n} servers"),
            ),
            None => (
                Code::NothingToAcknowledge,
                "the ensemble is not in out/ yet".to_owned(),
            ),
        };
        diags.push(
            Diagnostic::new(
                code,
                format!("acknowledge-resize has nothing to acknowledge: {why}"),
            )
            .at_loc(ack.loc_or(e.loc), "stale acknowledgement")
            .help("remove `acknowledge-resize=#true`; write it again only for the next resize"),
        );
    }
    let Some(current) = current else {
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
