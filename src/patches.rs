//! `patches "extra/hosts.yaml"`: RFC 6902 JSON patches on the objects zkc emits, for the fields
//! zkc does not model. A patch file holds one or more YAML documents:
//!
//! ```yaml
//! target: {kind: StatefulSet, name: zookeeper}
//! patch:
//!   - {op: add, path: /spec/template/spec/hostAliases, value: [{ip: 10.0.0.9, hostnames: [db]}]}
//! ```
//!
//! A patch may only reach the fields in [`PATCHABLE`]: each is something zkc leaves unset and
//! that cannot break what zkc guarantees (the selector, the server container, its volumes and
//! security context, zoo.cfg, the peers' names and the quorum's Services stay zkc's). The
//! result is read back into the typed Kubernetes object, so a misspelt field is an error
//! pointing at the operation that wrote it.

use json_patch::PatchOperation;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::check::syntax::metadata_key_problem;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::emit::{self, Object, names};
use crate::manifests::{files, missing_after, split_documents};
use crate::model::{ClientServiceType, Environment};
use crate::source::{FileId, Loc, SourceMap, Span};

/// Where a patch may write, per kind: JSON pointers a path must equal or lie under. A map
/// (`…/annotations/`) takes single keys, never one zkc writes. Left out on purpose: `dnsPolicy`
/// (without the cluster's search path the peers' names do not resolve), `readinessGates` (a
/// gate nobody sets keeps every server out of the client Service), `hostNetwork` and every
/// other field of the pod that zkc sets or that weakens its isolation.
const PATCHABLE: &[(&str, &[&str])] = &[
    (
        "StatefulSet",
        &[
            "/metadata/annotations/",
            "/spec/minReadySeconds",
            "/spec/revisionHistoryLimit",
            "/spec/template/metadata/annotations/",
            "/spec/template/spec/affinity/nodeAffinity",
            "/spec/template/spec/dnsConfig",
            "/spec/template/spec/hostAliases",
            "/spec/template/spec/runtimeClassName",
            "/spec/template/spec/schedulerName",
            "/spec/template/spec/terminationGracePeriodSeconds",
        ],
    ),
    // The client Service only (the quorum's Services are zkc's): see [`service_rule`].
    (
        "Service",
        &[
            "/metadata/annotations/",
            "/spec/externalTrafficPolicy",
            "/spec/internalTrafficPolicy",
            "/spec/ipFamilies",
            "/spec/ipFamilyPolicy",
            "/spec/loadBalancerClass",
            "/spec/loadBalancerSourceRanges",
            "/spec/sessionAffinity",
            "/spec/sessionAffinityConfig",
            "/spec/trafficDistribution",
        ],
    ),
    ("ServiceAccount", &["/metadata/annotations/"]),
    (
        "PodDisruptionBudget",
        &["/metadata/annotations/", "/spec/unhealthyPodEvictionPolicy"],
    ),
];

/// Fields of a Service the API server accepts only on some types (`validateServiceFields`):
/// `externalTrafficPolicy` needs NodePort or LoadBalancer, the load balancer's fields need
/// LoadBalancer.
const SERVICE_TYPE_FIELDS: &[(&str, &[ClientServiceType])] = &[
    (
        "/spec/externalTrafficPolicy",
        &[ClientServiceType::NodePort, ClientServiceType::LoadBalancer],
    ),
    (
        "/spec/loadBalancerClass",
        &[ClientServiceType::LoadBalancer],
    ),
    (
        "/spec/loadBalancerSourceRanges",
        &[ClientServiceType::LoadBalancer],
    ),
];

/// One document of a patch file, checked: its target and operations, each with its place.
#[derive(Debug, Clone)]
pub struct Patch {
    pub kind: String,
    pub name: String,
    pub target: Loc,
    pub operations: Vec<(PatchOperation, Loc)>,
    /// Every operation was read and may be applied (a refused one was reported; the others
    /// are not applied without it).
    pub complete: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    target: Target,
    patch: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    kind: String,
    name: String,
}

fn kinds() -> String {
    PATCHABLE
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads every environment's `patches`: files, YAML, operations and the fields they reach.
pub fn load(sources: &SourceMap, environments: &mut [Environment], diags: &mut Diagnostics) {
    for env in environments.iter_mut() {
        let files = files(sources, env, &env.patch_paths, "patch file", diags);
        env.patches = files
            .into_iter()
            .flat_map(|(file, _)| read_file(sources, file, diags))
            .collect();
    }
}

fn read_file(sources: &SourceMap, file: FileId, diags: &mut Diagnostics) -> Vec<Patch> {
    let text = sources.get(file).text.as_str();
    let mut patches = Vec::new();
    for (offset, doc) in split_documents(text) {
        if doc
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue; // an empty document, as after a trailing `---`
        }
        let here = |at: usize, len: usize| Loc {
            file,
            span: Span {
                offset: offset + at,
                len: len.max(1),
            },
        };
        match serde_yaml::from_str::<Document>(doc) {
            Ok(parsed) => patches.push(read_document(doc, parsed, &here, diags)),
            Err(e) => {
                let at = e.location().map_or(0, |l| l.index());
                diags.push(
                    Diagnostic::new(Code::PatchInvalid, format!("not a patch: {e}"))
                        .at_loc(here(at, 1), "here")
                        .help("a patch document is `target: {kind: …, name: …}` and `patch:`, a list of RFC 6902 operations"),
                );
            }
        }
    }
    patches
}

fn read_document(
    doc: &str,
    parsed: Document,
    here: &dyn Fn(usize, usize) -> Loc,
    diags: &mut Diagnostics,
) -> Patch {
    let kind = parsed.target.kind;
    let kind_at = key_value_at(doc, "kind", &kind, 0).unwrap_or(0);
    let target = here(kind_at, kind.len());
    if parsed.patch.is_empty() {
        diags.push(
            Diagnostic::new(Code::PatchInvalid, "the patch has no operation")
                .at_loc(target, "nothing to apply")
                .help("list its operations under `patch:`, or remove the document"),
        );
    }
    let mut cursor = 0;
    let mut operations = Vec::new();
    let mut complete = !parsed.patch.is_empty();
    for op in parsed.patch {
        let path = op
            .get("path")
            .and_then(|p| p.as_str())
            .unwrap_or_default()
            .to_owned();
        let at = key_value_at(doc, "path", &path, cursor).unwrap_or(cursor);
        cursor = at + path.len().max(1);
        let loc = here(at, path.len());
        match serde_json::from_value::<PatchOperation>(op) {
            Ok(op) => match reach(&kind, &op) {
                None => operations.push((op, loc)),
                Some(problem) => {
                    complete = false;
                    diags.push(
                        Diagnostic::new(Code::PatchOwnedField, problem)
                            .at_loc(loc, "not patchable")
                            .help(patchable_help(&kind)),
                    );
                }
            },
            Err(e) => {
                complete = false;
                diags.push(
                    Diagnostic::new(Code::PatchInvalid, format!("not an RFC 6902 operation: {e}"))
                        .at_loc(loc, "this operation")
                        .help("write `{op: add|remove|replace|test, path: /…, value: …}`; a `/` inside a key is written `~1`"),
                );
            }
        }
    }
    Patch {
        kind,
        name: parsed.target.name,
        target,
        operations,
        complete,
    }
}

/// Where `key: value` (plain or quoted) is written at or after `from`: the value's offset.
fn key_value_at(doc: &str, key: &str, value: &str, from: usize) -> Option<usize> {
    let rest = doc.get(from..)?;
    ["", "\"", "'"].iter().find_map(|q| {
        let needle = format!("{key}: {q}{value}{q}");
        rest.find(&needle)
            .map(|i| from + i + key.len() + 2 + q.len())
    })
}

/// Why an operation may not be applied to an object of `kind`, if it may not.
fn reach(kind: &str, op: &PatchOperation) -> Option<String> {
    let path = op.path().to_string();
    match op {
        PatchOperation::Move(_) | PatchOperation::Copy(_) => {
            return Some(format!(
                "`{}` is not supported: write `add` and `remove`",
                op_name(op)
            ));
        }
        _ => {}
    }
    let Some((_, allowed)) = PATCHABLE.iter().find(|(k, _)| *k == kind) else {
        return Some(format!("zkc's {kind} objects take no patches"));
    };
    let fits = allowed.iter().any(|a| match a.strip_suffix('/') {
        // a map: one key of it, not the map itself
        Some(map) => {
            path.starts_with(a) && path.len() > a.len() && !path[map.len() + 1..].contains('/')
        }
        None => path == *a || path.starts_with(&format!("{a}/")),
    });
    (!fits).then(|| format!("{path} of a {kind} is zkc's, or not a field a patch may set"))
}

fn op_name(op: &PatchOperation) -> &'static str {
    match op {
        PatchOperation::Add(_) => "add",
        PatchOperation::Remove(_) => "remove",
        PatchOperation::Replace(_) => "replace",
        PatchOperation::Move(_) => "move",
        PatchOperation::Copy(_) => "copy",
        PatchOperation::Test(_) => "test",
    }
}

fn patchable_help(kind: &str) -> String {
    match PATCHABLE.iter().find(|(k, _)| *k == kind) {
        Some((_, allowed)) => format!(
            "a patch on a {kind} may set {} (a map takes single keys, `~1` for a `/` in one); what zkc models has a setting: see docs/spec-reference.md",
            allowed.join(", ")
        ),
        None => format!("patches apply to {}", kinds()),
    }
}

/// After the checks of the model: every patch finds its object, applies, and leaves an object
/// of its kind without unknown fields, with annotation keys zkc does not write, and with what
/// the API server and the ensemble need.
pub fn check(environments: &[Environment], diags: &mut Diagnostics) {
    for env in environments.iter().filter(|e| !e.patches.is_empty()) {
        let original = emit::environment(env).namespaced;
        let mut objects = original.clone();
        for patch in env.patches.iter().filter(|p| p.complete) {
            let Some(index) = objects
                .iter()
                .position(|o| o.api_kind() == patch.kind && o.name() == patch.name)
            else {
                diags.push(missing_target(env, &objects, patch));
                continue;
            };
            let mut problems = rules(env, &objects[index], patch);
            if problems.is_empty() {
                problems = apply(&mut objects[index], &original[index], patch)
                    .err()
                    .unwrap_or_default();
            }
            if problems.is_empty() {
                problems = results(env, &objects[index], patch);
            }
            for (index, code, message, help) in problems {
                let at = patch
                    .operations
                    .get(index)
                    .map_or(patch.target, |(_, loc)| *loc);
                diags.push(
                    Diagnostic::new(code, message)
                        .at_loc(at, "this operation")
                        .help(help),
                );
            }
        }
    }
}

/// What is wrong with one operation: (its index, code, message, help).
type Problem = (usize, Code, String, String);

/// The rules about which object takes which operation, before applying it.
fn rules(env: &Environment, object: &Object, patch: &Patch) -> Vec<Problem> {
    let Object::Service(_) = object else {
        return Vec::new();
    };
    let Some(e) = env
        .ensembles
        .iter()
        .find(|e| e.client_service_name.value == patch.name)
    else {
        return vec![(
            0,
            Code::PatchOwnedField,
            format!(
                "Service {} carries the quorum's or the metrics' traffic: it takes no patches",
                patch.name
            ),
            "only an ensemble's client Service takes patches".into(),
        )];
    };
    let service_type = e.client_service_type.value;
    patch
        .operations
        .iter()
        .enumerate()
        .filter_map(|(index, (op, _))| {
            let path = op.path().to_string();
            let (field, types) = SERVICE_TYPE_FIELDS
                .iter()
                .find(|(f, _)| path == *f || path.starts_with(&format!("{f}/")))?;
            (!types.contains(&service_type) && !matches!(op, PatchOperation::Test(_))).then(|| {
                let words: Vec<&str> = types.iter().map(|t| t.word()).collect();
                (index, Code::PatchOwnedField, format!("{field} needs a Service of type {}; `{}` is {}", words.join(" or "), patch.name, service_type.word()), format!("set `client-service \"{}\"` in ensemble `{}`, or drop the operation: the API server refuses the field on this type", words[words.len() - 1], e.name))
            })
        })
        .collect()
}

/// The patch applied to `object` in place (`original` is zkc's object, before any patch), or
/// every problem found.
fn apply(object: &mut Object, original: &Object, patch: &Patch) -> Result<(), Vec<Problem>> {
    let zkc = serde_json::to_value(original).expect("Kubernetes objects serialise to JSON");
    match object {
        Object::StatefulSet(o) => apply_typed(o, &zkc, patch),
        Object::Service(o) => apply_typed(o, &zkc, patch),
        Object::ServiceAccount(o) => apply_typed(o, &zkc, patch),
        Object::PodDisruptionBudget(o) => apply_typed(o, &zkc, patch),
        other => Err(vec![(
            0,
            Code::PatchOwnedField,
            format!("zkc's {} objects take no patches", other.api_kind()),
            patchable_help(other.api_kind()),
        )]),
    }
}

fn apply_typed<T: Serialize + DeserializeOwned>(
    object: &mut T,
    zkc: &serde_json::Value,
    patch: &Patch,
) -> Result<(), Vec<Problem>> {
    let mut value = serde_json::to_value(&*object).expect("Kubernetes objects serialise to JSON");
    // An object without annotations has no map to add a key to (nor `affinity` for
    // `nodeAffinity`): they are made for the patch, and dropped again if they stay empty.
    let made = make_maps(&mut value, &patch.kind);
    let operations: Vec<PatchOperation> =
        patch.operations.iter().map(|(op, _)| op.clone()).collect();
    json_patch::patch(&mut value, &operations).map_err(|e| {
        let op = &operations[e.operation];
        let what = format!("{} {}: {}", op_name(op), e.path, e.kind);
        let help = match op {
            PatchOperation::Test(_) => "the object does not hold the tested value: out/ shows it",
            _ => "`replace` and `remove` need the field to exist, `add` its parent; out/ shows the object the patch applies to",
        };
        vec![(e.operation, Code::PatchInvalid, what, help.to_owned())]
    })?;
    drop_empty(&mut value, made);
    let mut problems = annotation_problems(zkc, patch);
    let typed = serde_json::from_value::<T>(value.clone());
    match &typed {
        Err(e) => problems.push((
            last_writer(patch, &[]),
            Code::PatchInvalid,
            format!("the patched {} is not valid: {e}", patch.kind),
            "check the values' types against `kubectl explain`".into(),
        )),
        Ok(_) => {
            let yaml = serde_yaml::to_value(&value).expect("JSON is YAML");
            problems.extend(missing_after::<T>(&yaml).into_iter().map(|field| {
                (
                    last_writer(patch, &field.split('.').collect::<Vec<_>>()),
                    Code::PatchInvalid,
                    format!(
                        "{} has no field {field}: the API server would drop it",
                        patch.kind
                    ),
                    "check the spelling against `kubectl explain`".into(),
                )
            }));
        }
    }
    match (typed, problems.is_empty()) {
        (Ok(typed), true) => {
            *object = typed;
            Ok(())
        }
        _ => Err(problems),
    }
}

/// The last operation whose path leads to `field` (dotted tokens, list indices left out, as
/// [`missing_after`] names fields), or the last operation writing a value.
fn last_writer(patch: &Patch, field: &[&str]) -> usize {
    let tokens = |op: &PatchOperation| -> Vec<String> {
        op.path()
            .tokens()
            .map(|t| t.decoded().into_owned())
            .filter(|t| t != "-" && !t.chars().all(|c| c.is_ascii_digit()))
            .collect()
    };
    let leads = |op: &PatchOperation| {
        let t = tokens(op);
        !field.is_empty()
            && field.len() >= t.len()
            && field[..t.len()].iter().zip(&t).all(|(a, b)| a == b)
    };
    let writes =
        |op: &PatchOperation| !matches!(op, PatchOperation::Remove(_) | PatchOperation::Test(_));
    patch
        .operations
        .iter()
        .rposition(|(op, _)| leads(op))
        .or_else(|| patch.operations.iter().rposition(|(op, _)| writes(op)))
        .unwrap_or(0)
}

/// Annotation keys a patch writes or removes: never one zkc writes (`zkc` is its object before
/// any patch), and each a key the API server and kustomize accept.
fn annotation_problems(zkc: &serde_json::Value, patch: &Patch) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, (op, _)) in patch.operations.iter().enumerate() {
        let path = op.path().to_string();
        let Some((map, key)) = path.rsplit_once('/') else {
            continue;
        };
        if !map.ends_with("/annotations") || matches!(op, PatchOperation::Test(_)) {
            continue;
        }
        let key = key.replace("~1", "/").replace("~0", "~");
        let problem = if zkc.pointer(map).and_then(|m| m.get(&key)).is_some()
            || key.starts_with("zkc.dev/")
        {
            Some((
                format!("annotation `{key}` is written by zkc"),
                "change it with the setting that writes it (`annotations`, `pod-annotations`, …)",
            ))
        } else {
            metadata_key_problem("annotation", &key).map(|m| {
                (
                    m,
                    "keys are [prefix/]name; write a `/` inside a key as `~1`",
                )
            })
        };
        if let Some((message, help)) = problem {
            problems.push((index, Code::PatchOwnedField, message, help.into()));
        }
    }
    problems
}

/// What the patched object must still be: peers' names not redirected by a host alias, and
/// durations and counts the API server accepts and ZooKeeper needs.
fn results(env: &Environment, object: &Object, patch: &Patch) -> Vec<Problem> {
    let Object::StatefulSet(sts) = object else {
        return Vec::new();
    };
    let spec = sts.spec.as_ref().expect("zkc's StatefulSets have a spec");
    let pod = spec
        .template
        .spec
        .as_ref()
        .expect("zkc's pod templates have a spec");
    let at = |field: &str| last_writer(patch, &field.split('.').collect::<Vec<_>>());
    let mut problems = Vec::new();
    let cluster_names = cluster_names(env);
    for alias in pod.host_aliases.iter().flatten() {
        for host in alias.hostnames.iter().flatten() {
            if host.contains(".svc") || cluster_names.iter().any(|n| n == host) {
                problems.push((at("spec.template.spec.hostAliases"), Code::PatchOwnedField, format!("host alias {host:?} would redirect a name of the cluster's services or of the ensemble's peers"), "alias names outside the cluster only: /etc/hosts wins over cluster DNS, and the quorum would follow it".into()));
            }
        }
    }
    if pod.termination_grace_period_seconds.is_some_and(|s| s < 1) {
        problems.push((at("spec.template.spec.terminationGracePeriodSeconds"), Code::PatchInvalid, "a grace period under 1 s kills the server before it closes its transaction log and its sessions".into(), "leave the default (30 s) or give more".into()));
    }
    let negative = [
        (
            "spec.minReadySeconds",
            spec.min_ready_seconds.map(i64::from),
        ),
        (
            "spec.revisionHistoryLimit",
            spec.revision_history_limit.map(i64::from),
        ),
    ];
    for (field, value) in negative {
        if value.is_some_and(|v| v < 0) {
            problems.push((
                at(field),
                Code::PatchInvalid,
                format!("{field} cannot be negative"),
                "the API server refuses it".into(),
            ));
        }
    }
    problems
}

/// The short names of the environment's Services and pods, which the pods' DNS search path
/// resolves: a host alias of one of them would shadow it.
fn cluster_names(env: &Environment) -> Vec<String> {
    env.ensembles
        .iter()
        .flat_map(|e| {
            let services = names::objects(e)
                .into_iter()
                .filter(|(k, _)| *k == "service")
                .map(|(_, n)| n);
            let pods = (1..=e.servers.value).map(|id| names::pod(e, id));
            services.chain(pods).collect::<Vec<_>>()
        })
        .collect()
}

fn missing_target(env: &Environment, objects: &[Object], patch: &Patch) -> Diagnostic {
    let names: Vec<&str> = objects
        .iter()
        .filter(|o| o.api_kind() == patch.kind)
        .map(|o| o.name())
        .collect();
    let help = match crate::diag::did_you_mean(&patch.name, names.iter().copied()) {
        Some(near) => format!(
            "did you mean `{near}`? {} objects here: {}",
            patch.kind,
            names.join(", ")
        ),
        None if names.is_empty() => format!(
            "environment `{}` has no {}; patches apply to {}",
            env.name,
            patch.kind,
            kinds()
        ),
        None => format!("{} objects here: {}", patch.kind, names.join(", ")),
    };
    Diagnostic::new(
        Code::PatchTargetMissing,
        format!(
            "environment `{}` has no {} `{}` to patch",
            env.name, patch.kind, patch.name
        ),
    )
    .at_loc(patch.target, "no such object")
    .help(help)
}

/// The objects on the way to each patchable field of `kind` that the object lacks (an
/// annotation map, `affinity` before `nodeAffinity`), created empty so that `add` has a parent;
/// returns their pointers, deepest first, for [`drop_empty`].
fn make_maps(value: &mut serde_json::Value, kind: &str) -> Vec<String> {
    let allowed = PATCHABLE
        .iter()
        .filter(|(k, _)| *k == kind)
        .flat_map(|(_, allowed)| allowed.iter());
    let mut made = Vec::new();
    for field in allowed {
        // a map's own pointer counts as a parent (its keys are what a patch adds)
        let parents = match field.strip_suffix('/') {
            Some(map) => map,
            None => field.rsplit_once('/').map_or("", |(p, _)| p),
        };
        let mut at = String::new();
        for token in parents.split('/').skip(1) {
            let parent = at.clone();
            at = format!("{at}/{token}");
            let Some(object) = value.pointer_mut(&parent).and_then(|p| p.as_object_mut()) else {
                break;
            };
            if !object.contains_key(token) {
                object.insert(token.to_owned(), serde_json::json!({}));
                made.push(at.clone());
            }
        }
    }
    made.reverse();
    made
}

/// Removes the maps [`make_maps`] made that the patch left empty.
fn drop_empty(value: &mut serde_json::Value, made: Vec<String>) {
    for map in made {
        if value
            .pointer(&map)
            .and_then(|m| m.as_object())
            .is_some_and(|m| m.is_empty())
        {
            let (parent, key) = map.rsplit_once('/').expect("a pointer below the root");
            if let Some(parent) = value.pointer_mut(parent).and_then(|p| p.as_object_mut()) {
                parent.remove(key);
            }
        }
    }
}

/// Every environment's objects with its patches applied, for the renderer: [`check`] has
/// shown they apply.
pub fn applied(env: &Environment, mut objects: Vec<Object>) -> Vec<Object> {
    let original = objects.clone();
    for patch in &env.patches {
        if let Some(index) = objects
            .iter()
            .position(|o| o.api_kind() == patch.kind && o.name() == patch.name)
        {
            apply(&mut objects[index], &original[index], patch)
                .expect("patches::check has applied this patch");
        }
    }
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(text: &str) -> PatchOperation {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_patch_reaches_only_the_listed_fields() {
        let ok = |kind, o: &str| reach(kind, &op(o)).is_none();
        assert!(ok(
            "StatefulSet",
            r#"{"op":"add","path":"/spec/template/spec/hostAliases","value":[]}"#
        ));
        assert!(ok(
            "StatefulSet",
            r#"{"op":"add","path":"/spec/template/spec/hostAliases/0","value":{}}"#
        ));
        assert!(ok(
            "StatefulSet",
            r#"{"op":"add","path":"/spec/template/metadata/annotations/a.io~1b","value":"x"}"#
        ));
        assert!(!ok(
            "StatefulSet",
            r#"{"op":"replace","path":"/spec/template/metadata/annotations","value":{}}"#
        ));
        assert!(!ok(
            "StatefulSet",
            r#"{"op":"add","path":"/spec/template/spec/hostAliasesX","value":[]}"#
        ));
        assert!(!ok(
            "StatefulSet",
            r#"{"op":"replace","path":"/spec/selector","value":{}}"#
        ));
        assert!(!ok(
            "StatefulSet",
            r#"{"op":"add","path":"/spec/template/spec/hostNetwork","value":true}"#
        ));
        assert!(!ok(
            "StatefulSet",
            r#"{"op":"add","path":"/spec/template/spec/dnsPolicy","value":"None"}"#
        ));
        assert!(!ok(
            "StatefulSet",
            r#"{"op":"move","from":"/spec/template/spec/dnsConfig","path":"/spec/template/spec/schedulerName"}"#
        ));
        assert!(!ok(
            "ConfigMap",
            r#"{"op":"replace","path":"/data/zoo.cfg","value":""}"#
        ));
    }

    #[test]
    fn an_operation_is_found_at_its_path_key_not_in_a_comment() {
        let doc = "# see /spec/x\npatch:\n  - {op: add, path: /spec/x, value: 1}\n  - op: add\n    path: \"/spec/x\"\n";
        let first = key_value_at(doc, "path", "/spec/x", 0).unwrap();
        assert_eq!(&doc[first..first + 7], "/spec/x");
        assert!(first > doc.find("patch:").unwrap());
        let second = key_value_at(doc, "path", "/spec/x", first + 7).unwrap();
        assert_eq!(&doc[second..second + 7], "/spec/x");
        assert!(second > first);
    }
}
