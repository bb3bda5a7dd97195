//! Hand-written manifests an environment ships with (`manifests "extra/quota.yaml"`): read from
//! the specs directory, held to the rules zkc's own objects follow, and rendered into
//! `out/<namespace>/` and its `kustomization.yaml`. A manifest is the escape hatch for what zkc
//! does not model, so the checks are about what would break the output contract: another
//! namespace, a secret value in git, a name zkc already uses, a misspelt field of a built-in
//! kind (which the API server would silently drop).

use serde::{Serialize, de::DeserializeOwned};
use serde_yaml::Value;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::emit::names;
use crate::model::{Environment, Sp};
use crate::source::{FileId, Loc, SourceMap, Span};

/// One file of `manifests`, validated: its documents as zkc renders them.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// `manifest-<path with - for />.yaml`, the file name in `out/<namespace>/`.
    pub file_name: String,
    pub documents: Vec<Value>,
}

/// Reads and checks every environment's `manifests`, keeping the valid ones on the environment.
pub fn load(sources: &SourceMap, environments: &mut [Environment], diags: &mut Diagnostics) {
    for env in environments.iter_mut() {
        let files = files(sources, env, &env.manifest_paths, "manifest", diags);
        env.manifests = files
            .into_iter()
            .filter_map(|(file, rel)| check_file(sources, file, &rel, env, diags))
            .collect();
    }
}

/// The files an environment's `manifests` or `patches` (`what`) name, each once, with their
/// paths relative to the specs directory; a diagnostic for each that cannot be used.
pub(crate) fn files(
    sources: &SourceMap,
    env: &Environment,
    paths: &Sp<Vec<String>>,
    what: &str,
    diags: &mut Diagnostics,
) -> Vec<(FileId, String)> {
    let spec_dir = env.file.rsplit_once('/').map_or("", |(dir, _)| dir);
    let at = paths.loc_or(env.loc);
    let mut found: Vec<(FileId, String)> = Vec::new();
    for path in &paths.value {
        let Some(rel) = within_specs(spec_dir, path) else {
            diags.push(
                Diagnostic::new(Code::ManifestNotFound, format!("{what} {path:?} is outside the specs directory"))
                    .at_loc(at, "outside specs/")
                    .help("keep the file under the specs directory and name it relative to this spec file"),
            );
            continue;
        };
        if found.iter().any(|(_, r)| *r == rel) {
            diags.push(
                Diagnostic::new(
                    Code::ManifestNotFound,
                    format!("{what} {rel:?} is named twice"),
                )
                .at_loc(at, "twice")
                .help("name each file once: it would be applied twice"),
            );
            continue;
        }
        if let Some(file) = find(sources, what, &rel, at, diags) {
            found.push((file, rel));
        }
    }
    found
}

/// `path` relative to the specs directory, or `None` when it leaves it.
fn within_specs(spec_dir: &str, path: &str) -> Option<String> {
    if path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = spec_dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The file of `manifests` or `patches` (`what`) at `rel`, or a diagnostic at `at`.
fn find(
    sources: &SourceMap,
    what: &str,
    rel: &str,
    at: Loc,
    diags: &mut Diagnostics,
) -> Option<FileId> {
    if sources.is_link(rel) {
        diags.push(
            Diagnostic::new(
                Code::ManifestNotFound,
                format!("{what} {rel:?} is a symbolic link"),
            )
            .at_loc(at, "a link")
            .help("copy the file into the specs directory; zkc never reads through links"),
        );
        return None;
    }
    let Some(file) = sources.find_manifest(rel) else {
        let known: Vec<&str> = sources
            .manifest_ids()
            .map(|id| sources.get(id).rel.as_str())
            .collect();
        let help = match crate::diag::did_you_mean(rel, known.iter().copied()) {
            Some(near) => format!("did you mean {near:?}? paths are relative to the spec file that names them"),
            None => "write the path of a *.yaml file under the specs directory, relative to this spec file".into(),
        };
        diags.push(
            Diagnostic::new(
                Code::ManifestNotFound,
                format!("{what} {rel:?} does not exist"),
            )
            .at_loc(at, "not found")
            .help(help),
        );
        return None;
    };
    if let Some((_, offset, why)) = sources
        .unreadable_manifests
        .iter()
        .find(|(f, _, _)| *f == file)
    {
        diags.push(
            Diagnostic::new(
                Code::UnreadableSpec,
                format!("{} cannot be read: {why}", sources.get(file).name),
            )
            .at(
                file,
                Span {
                    offset: *offset,
                    len: 0,
                },
                "here",
            )
            .help("save manifests as UTF-8 text of at most 1 MiB"),
        );
        return None;
    }
    Some(file)
}

fn check_file(
    sources: &SourceMap,
    file: FileId,
    rel: &str,
    env: &Environment,
    diags: &mut Diagnostics,
) -> Option<Manifest> {
    let text = sources.get(file).text.as_str();
    let mut documents = Vec::new();
    let mut ok = true;
    for (offset, doc) in split_documents(text) {
        let here = |span: Span| Loc {
            file,
            span: Span {
                offset: offset + span.offset,
                len: span.len,
            },
        };
        let value: Value = match serde_yaml::from_str(doc) {
            Ok(value) => value,
            Err(e) => {
                let at = e.location().map_or(0, |l| l.index());
                diags.push(
                    Diagnostic::new(Code::ManifestInvalid, format!("not valid YAML: {e}"))
                        .at_loc(here(Span { offset: at, len: 1 }), "here")
                        .help(
                            "fix the YAML; `kubectl apply --dry-run=client -f FILE` shows the same",
                        ),
                );
                ok = false;
                continue;
            }
        };
        if value.is_null() {
            continue; // an empty document, as after a trailing `---`
        }
        let problems = document_problems(&value, env);
        for (key, message, help) in &problems {
            diags.push(
                Diagnostic::new(Code::ManifestInvalid, message.clone())
                    .at_loc(here(key_span(doc, key)), key.clone())
                    .help(help.clone()),
            );
        }
        ok &= problems.is_empty();
        documents.push(in_namespace(value, &env.namespace.value));
    }
    ok.then(|| Manifest {
        file_name: format!(
            "manifest-{}",
            rel.replace('/', "-").replace(".yml", ".yaml")
        ),
        documents,
    })
}

/// Kinds that live outside namespaces: a `metadata.namespace` on them would be wrong.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "ClusterRole",
    "ClusterRoleBinding",
    "CSIDriver",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "PersistentVolume",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingWebhookConfiguration",
];

/// The document with the environment's namespace written in, as on every object zkc emits: the
/// directory is applied to that namespace whatever the GitOps controller's default is.
fn in_namespace(mut value: Value, namespace: &str) -> Value {
    let kind = value["kind"].as_str().unwrap_or_default().to_owned();
    if CLUSTER_SCOPED.contains(&kind.as_str()) {
        return value;
    }
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_mapping_mut) {
        metadata.insert("namespace".into(), namespace.into());
    }
    value
}

/// The documents of a YAML stream with their byte offsets: split at `---` lines, so a
/// diagnostic can point into the right one.
pub(crate) fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            docs.push((start, &text[start..offset]));
            start = offset + line.len();
        }
        offset += line.len();
    }
    docs.push((start, &text[start..]));
    docs
}

/// Where `key:` is first written in a document, for the diagnostic's label.
fn key_span(doc: &str, key: &str) -> Span {
    let leaf = key.rsplit('.').next().unwrap_or(key);
    let needle = format!("{leaf}:");
    let offset = doc
        .match_indices(&needle)
        .find(|(i, _)| *i == 0 || doc[..*i].ends_with([' ', '\n', '-']))
        .map_or(0, |(i, _)| i);
    Span {
        offset,
        len: leaf.len().max(1),
    }
}

/// (the key to point at, message, help) for each rule the document breaks.
fn document_problems(value: &Value, env: &Environment) -> Vec<(String, String, String)> {
    let str_at = |path: &[&str]| {
        let mut v = value;
        for p in path {
            v = v.get(p)?;
        }
        v.as_str()
    };
    let (Some(api_version), Some(kind), Some(name)) = (
        str_at(&["apiVersion"]),
        str_at(&["kind"]),
        str_at(&["metadata", "name"]),
    ) else {
        return vec![(
            "kind".into(),
            "a manifest document needs apiVersion, kind and metadata.name".into(),
            "write a complete Kubernetes object".into(),
        )];
    };
    let ns = &env.namespace.value;
    let mut problems = Vec::new();
    if let Some(other) = str_at(&["metadata", "namespace"]).filter(|n| n != ns) {
        problems.push((
            "namespace".into(),
            format!("{kind} {name} is in namespace {other:?}, but out/{ns}/ is applied to {ns:?}"),
            format!(
                "remove metadata.namespace (the environment's namespace applies) or write {ns:?}"
            ),
        ));
    }
    if kind == "Secret" {
        problems.push((
            "kind".into(),
            format!("Secret {name} would put a secret value into out/ and git"),
            "ship the secret another way (External Secrets, Sealed Secrets, SOPS; docs/security.md) and name it from the spec".into(),
        ));
    }
    if kind == "Namespace" {
        problems.push((
            "kind".into(),
            "the Namespace object is zkc's (`namespace-object #true`)".into(),
            "remove it and write `namespace-object #true` in the environment".into(),
        ));
    }
    let lower = kind.to_ascii_lowercase();
    if let Some(e) = env.ensembles.iter().find(|e| {
        names::objects(e)
            .iter()
            .any(|(k, n)| *k == lower && n == name)
    }) {
        problems.push((
            "name".into(),
            format!("{kind} {name} is an object of ensemble `{}`", e.name),
            "give the manifest's object another name; to change zkc's object, use its settings"
                .into(),
        ));
    }
    problems.extend(
        unknown_fields(api_version, kind, value)
            .into_iter()
            .map(|field| {
                (
                    field.clone(),
                    format!("{kind} has no field {field}: the API server would drop it"),
                    "check the spelling against `kubectl explain`".into(),
                )
            }),
    );
    problems
}

/// Fields of a built-in kind that its typed Kubernetes object does not have (k8s-openapi
/// ignores them when reading, as the API server does with a warning): found by reading the
/// document into the type and comparing the field paths of the two.
fn unknown_fields(api_version: &str, kind: &str, value: &Value) -> Vec<String> {
    use k8s_openapi::api::{apps, batch, core, networking, policy, rbac};
    match (api_version, kind) {
        ("v1", "ConfigMap") => missing_after::<core::v1::ConfigMap>(value),
        ("v1", "Service") => missing_after::<core::v1::Service>(value),
        ("v1", "ServiceAccount") => missing_after::<core::v1::ServiceAccount>(value),
        ("v1", "LimitRange") => missing_after::<core::v1::LimitRange>(value),
        ("v1", "ResourceQuota") => missing_after::<core::v1::ResourceQuota>(value),
        ("apps/v1", "Deployment") => missing_after::<apps::v1::Deployment>(value),
        ("batch/v1", "Job") => missing_after::<batch::v1::Job>(value),
        ("batch/v1", "CronJob") => missing_after::<batch::v1::CronJob>(value),
        ("networking.k8s.io/v1", "NetworkPolicy") => {
            missing_after::<networking::v1::NetworkPolicy>(value)
        }
        ("policy/v1", "PodDisruptionBudget") => {
            missing_after::<policy::v1::PodDisruptionBudget>(value)
        }
        ("rbac.authorization.k8s.io/v1", "Role") => missing_after::<rbac::v1::Role>(value),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
            missing_after::<rbac::v1::RoleBinding>(value)
        }
        _ => Vec::new(),
    }
}

pub(crate) fn missing_after<T: DeserializeOwned + Serialize>(value: &Value) -> Vec<String> {
    let Ok(typed) = serde_yaml::from_value::<T>(value.clone()) else {
        return vec!["(a value of the wrong type)".into()];
    };
    let round_trip = serde_yaml::to_value(&typed).unwrap_or(Value::Null);
    let (mut before, mut after) = (Vec::new(), Vec::new());
    field_paths(value, String::new(), &mut before);
    field_paths(&round_trip, String::new(), &mut after);
    before.retain(|p| !after.contains(p));
    // A misspelt key hides its children: name it alone.
    let roots: Vec<String> = before
        .iter()
        .filter(|p| !before.iter().any(|q| p.starts_with(&format!("{q}."))))
        .cloned()
        .collect();
    roots
}

/// The dotted paths of every mapping key (list items share their parent's path).
fn field_paths(value: &Value, path: String, out: &mut Vec<String>) {
    match value {
        Value::Mapping(m) => {
            for (k, v) in m {
                let key = k.as_str().unwrap_or_default();
                let p = if path.is_empty() {
                    key.to_owned()
                } else {
                    format!("{path}.{key}")
                };
                out.push(p.clone());
                field_paths(v, p, out);
            }
        }
        Value::Sequence(items) => {
            for item in items {
                field_paths(item, path.clone(), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_specs_directory() {
        assert_eq!(
            within_specs("envs", "extra/a.yaml").as_deref(),
            Some("envs/extra/a.yaml")
        );
        assert_eq!(
            within_specs("envs", "../lib/a.yaml").as_deref(),
            Some("lib/a.yaml")
        );
        assert_eq!(within_specs("", "../a.yaml"), None);
        assert_eq!(within_specs("envs", "/etc/passwd"), None);
    }

    #[test]
    fn documents_split_at_their_markers() {
        let docs = split_documents("a: 1\n---\nb: 2\n--- \nc: 3\n");
        let texts: Vec<&str> = docs.iter().map(|(_, d)| *d).collect();
        assert_eq!(texts, ["a: 1\n", "b: 2\n", "c: 3\n"]);
        assert_eq!(docs[1].0, 9);
    }

    #[test]
    fn a_misspelt_field_of_a_built_in_kind_is_found() {
        let v: Value = serde_yaml::from_str(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndta: {k: v}\n",
        )
        .unwrap();
        assert_eq!(unknown_fields("v1", "ConfigMap", &v), ["dta"]);
        let ok: Value = serde_yaml::from_str(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n",
        )
        .unwrap();
        assert!(unknown_fields("v1", "ConfigMap", &ok).is_empty());
    }
}
