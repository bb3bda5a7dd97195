//! Objects for the GitOps tools: the Namespace (with Pod Security labels and prune
//! protection), the Argo CD Application and the Flux Kustomization.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::model::{ArgoCd, ArgoSync, Environment, Flux};

/// Pod Security Admission labels for the "restricted" profile, which the pods satisfy.
fn pod_security_labels() -> BTreeMap<String, String> {
    ["enforce", "audit", "warn"]
        .into_iter()
        .map(|mode| {
            (
                format!("pod-security.kubernetes.io/{mode}"),
                "restricted".to_owned(),
            )
        })
        .collect()
}

pub fn namespace(env: &Environment) -> Namespace {
    let mut labels: BTreeMap<String, String> = env
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    labels.extend(pod_security_labels());
    labels.insert("app.kubernetes.io/managed-by".into(), "zkc".into());
    let mut annotations: BTreeMap<String, String> = env
        .annotations
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    // Deleting the application must never delete a namespace full of data volumes.
    annotations.insert(
        "argocd.argoproj.io/sync-options".into(),
        "Prune=false".into(),
    );
    annotations.insert(
        "kustomize.toolkit.fluxcd.io/prune".into(),
        "disabled".into(),
    );
    Namespace {
        metadata: ObjectMeta {
            name: Some(env.namespace.value.clone()),
            labels: Some(labels),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub name: String,
    pub namespace: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `argoproj.io/v1alpha1` Application (Argo CD's CRD, `spec.source`, `spec.destination`,
/// `spec.syncPolicy`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Meta,
    pub spec: ApplicationSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    pub project: String,
    pub source: ApplicationSource,
    pub destination: ApplicationDestination,
    pub sync_policy: SyncPolicy,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSource {
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    pub target_revision: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationDestination {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub namespace: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automated: Option<Automated>,
    pub sync_options: Vec<String>,
    pub managed_namespace_metadata: ManagedNamespaceMetadata,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Automated {
    pub prune: bool,
    pub self_heal: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ManagedNamespaceMetadata {
    pub labels: BTreeMap<String, String>,
}

fn gitops_labels() -> BTreeMap<String, String> {
    BTreeMap::from([("app.kubernetes.io/managed-by".to_owned(), "zkc".to_owned())])
}

/// The GitOps object's name carries the environment, so one Argo CD or Flux namespace can hold
/// the applications of every environment.
fn gitops_name(env: &Environment) -> String {
    format!("zookeeper-{}", env.name)
}

pub fn application(env: &Environment, argo: &ArgoCd) -> Application {
    let ns = &env.namespace.value;
    let server = match (&argo.server, &argo.cluster) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(_)) => None,
        (None, None) => Some("https://kubernetes.default.svc".to_owned()),
    };
    // `prune=#false self-heal=#false` keeps automated sync on with both off (Argo CD syncs
    // each new revision with `automated: {prune: false, selfHeal: false}`); only
    // `sync="manual"` turns it off.
    let automated = (argo.sync == ArgoSync::Automated).then_some(Automated {
        prune: argo.prune.value,
        self_heal: argo.self_heal.value,
    });
    Application {
        api_version: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: Meta {
            name: gitops_name(env),
            namespace: argo.app_namespace.clone(),
            labels: gitops_labels(),
        },
        spec: ApplicationSpec {
            project: argo.project.clone(),
            source: ApplicationSource {
                repo_url: argo
                    .repo
                    .as_ref()
                    .map(|r| r.value.clone())
                    .unwrap_or_default(),
                target_revision: argo.revision.clone(),
                path: format!("{}/{ns}", argo.path_prefix.value.trim_end_matches('/')),
            },
            destination: ApplicationDestination {
                server,
                name: argo.cluster.clone(),
                namespace: ns.clone(),
            },
            sync_policy: SyncPolicy {
                automated,
                // CreateNamespace with managedNamespaceMetadata: Argo CD creates the namespace
                // already labelled for Pod Security "restricted".
                sync_options: vec!["CreateNamespace=true".into()],
                managed_namespace_metadata: ManagedNamespaceMetadata {
                    labels: pod_security_labels(),
                },
            },
        },
    }
}

/// `kustomize.toolkit.fluxcd.io/v1` Kustomization.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FluxKustomization {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: Meta,
    pub spec: FluxKustomizationSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FluxKustomizationSpec {
    pub interval: String,
    pub path: String,
    pub prune: bool,
    pub source_ref: SourceRef,
    pub target_namespace: String,
    pub health_checks: Vec<HealthCheck>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decryption: Option<Decryption>,
}

/// `spec.decryption` of the kustomize-controller's v1 Kustomization (api/v1/kustomization_types.go:
/// `provider`, enum `sops`; `secretRef`, a LocalObjectReference).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decryption {
    pub provider: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretRef {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceRef {
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub name: String,
    pub namespace: String,
}

/// `spec.components` paths are relative to `spec.path` (`./<path-prefix>/<namespace>`); the
/// spec names the component from the repository root.
fn component_path(flux: &Flux, root_relative: &str) -> String {
    let depth = flux.path_prefix.value.trim_matches('/').split('/').count() + 1;
    format!("{}{}", "../".repeat(depth), root_relative.trim_matches('/'))
}

pub fn flux_kustomization(env: &Environment, flux: &Flux) -> FluxKustomization {
    let ns = &env.namespace.value;
    FluxKustomization {
        api_version: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: Meta {
            name: gitops_name(env),
            namespace: flux.app_namespace.clone(),
            labels: gitops_labels(),
        },
        spec: FluxKustomizationSpec {
            interval: flux.interval.clone(),
            path: format!("./{}/{ns}", flux.path_prefix.value.trim_end_matches('/')),
            prune: flux.prune,
            source_ref: SourceRef {
                kind: "GitRepository",
                name: flux
                    .source
                    .as_ref()
                    .map(|s| s.value.clone())
                    .unwrap_or_default(),
                namespace: flux.source_namespace.clone(),
            },
            target_namespace: ns.clone(),
            health_checks: env
                .ensembles
                .iter()
                .map(|e| HealthCheck {
                    api_version: "apps/v1",
                    kind: "StatefulSet",
                    name: e.name.clone(),
                    namespace: ns.clone(),
                })
                .collect(),
            components: flux
                .secrets_component
                .iter()
                .map(|c| component_path(flux, &c.value))
                .collect(),
            decryption: flux.decryption.as_ref().map(|d| Decryption {
                provider: d.value.word(),
                secret_ref: flux.decryption_secret.as_ref().map(|s| SecretRef {
                    name: s.value.clone(),
                }),
            }),
        },
    }
}
