//! The user's additions to the pod: `volumes`, `init-containers` and `sidecars`. Each
//! container gets the server's restricted security context; there is no setting to relax it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMapEnvSource, ConfigMapVolumeSource, Container, EmptyDirVolumeSource, EnvFromSource,
    EnvVar, PersistentVolumeClaimVolumeSource, ResourceRequirements, SecretEnvSource,
    SecretVolumeSource, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::workload::restricted;
use crate::model::{At, Ensemble, ExtraContainer, ExtraVolume, VolumeSource};

pub(super) fn volume(v: &ExtraVolume) -> Volume {
    let mut volume = Volume {
        name: v.name.value.clone(),
        ..Volume::default()
    };
    // Only a build without errors is emitted, and ZK0074 makes it exactly one source.
    match v.sources.first().map(|s| &s.value) {
        Some(VolumeSource::Secret(name)) => {
            volume.secret = Some(SecretVolumeSource {
                secret_name: Some(name.clone()),
                ..SecretVolumeSource::default()
            })
        }
        Some(VolumeSource::ConfigMap(name)) => {
            volume.config_map = Some(ConfigMapVolumeSource {
                name: name.clone(),
                ..ConfigMapVolumeSource::default()
            })
        }
        // No `readOnly` on the claim itself: the kubelet would then mount it read-only in every
        // container whatever a mount says (pkg/kubelet/kubelet_pods.go, mustMountRO); each
        // mount's own `readOnly` decides.
        Some(VolumeSource::Claim(name)) => {
            volume.persistent_volume_claim = Some(PersistentVolumeClaimVolumeSource {
                claim_name: name.clone(),
                read_only: None,
            })
        }
        Some(VolumeSource::EmptyDir) => {
            volume.empty_dir = Some(EmptyDirVolumeSource {
                size_limit: v
                    .size_limit
                    .as_ref()
                    .map(|q| Quantity(q.value.text.clone())),
                ..EmptyDirVolumeSource::default()
            })
        }
        None => {}
    }
    volume
}

/// The volume's mount in the server container, when it has `mount`.
pub(super) fn server_mount(v: &ExtraVolume) -> Option<VolumeMount> {
    v.mount.as_ref().map(|path| VolumeMount {
        name: v.name.value.clone(),
        mount_path: path.value.clone(),
        read_only: v.mount_read_only().then_some(true),
        ..VolumeMount::default()
    })
}

fn quantities(
    pairs: [(&str, Option<&At<crate::quantity::Quantity>>); 2],
) -> BTreeMap<String, Quantity> {
    pairs
        .into_iter()
        .filter_map(|(k, q)| Some((k.to_owned(), Quantity(q?.value.text.clone()))))
        .collect()
}

pub(super) fn container(e: &Ensemble, c: &ExtraContainer) -> Container {
    // Memory is limited to the request: a sidecar that grows cannot take the server's page
    // cache or get the server's container killed. CPU as for the server: the request unless
    // `cpu-limit` says otherwise.
    let requests = quantities([("cpu", c.cpu.as_ref()), ("memory", c.memory.as_ref())]);
    let limits = quantities([
        ("cpu", c.cpu_limit.as_ref().or(c.cpu.as_ref())),
        ("memory", c.memory.as_ref()),
    ]);
    let env_from: Vec<EnvFromSource> = c
        .env_from_config_maps
        .value
        .iter()
        .map(|name| EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: name.clone(),
                ..ConfigMapEnvSource::default()
            }),
            ..EnvFromSource::default()
        })
        .chain(c.env_from_secrets.value.iter().map(|name| EnvFromSource {
            secret_ref: Some(SecretEnvSource {
                name: name.clone(),
                ..SecretEnvSource::default()
            }),
            ..EnvFromSource::default()
        }))
        .collect();
    Container {
        name: c.name.value.clone(),
        image: c.image.as_ref().map(|i| i.value.clone()),
        image_pull_policy: Some(c.pull_policy.word().to_owned()),
        command: (!c.command.is_empty()).then(|| c.command.clone()),
        args: (!c.args.is_empty()).then(|| c.args.clone()),
        env: (!c.env.is_empty()).then(|| {
            c.env
                .iter()
                .map(|(k, v)| EnvVar {
                    name: k.clone(),
                    value: Some(v.value.clone()),
                    ..EnvVar::default()
                })
                .collect()
        }),
        env_from: (!env_from.is_empty()).then_some(env_from),
        resources: Some(ResourceRequirements {
            requests: Some(requests),
            limits: Some(limits),
            ..ResourceRequirements::default()
        }),
        security_context: Some(restricted(e)),
        volume_mounts: (!c.mounts.is_empty()).then(|| {
            c.mounts
                .iter()
                .map(|m| VolumeMount {
                    name: m.volume.value.clone(),
                    mount_path: m.path.as_ref().map(|p| p.value.clone()).unwrap_or_default(),
                    read_only: m.read_only.as_ref().is_none_or(|r| r.value).then_some(true),
                    ..VolumeMount::default()
                })
                .collect()
        }),
        ..Container::default()
    }
}
