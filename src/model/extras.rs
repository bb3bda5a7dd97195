//! The escape hatches of an ensemble's pods, typed: `volumes`, `init-containers` and
//! `sidecars` (their settings: [`crate::schema::EXTRA_VOLUME_SETTINGS`] and
//! [`crate::schema::EXTRA_CONTAINER_SETTINGS`]). Every field keeps its location, so the rules
//! in `check::extras` point at the line that wrote it.

use std::collections::BTreeMap;

use crate::quantity::Quantity;
use crate::resolve::{Item, Value};
use crate::schema::PullPolicy;
use crate::source::Loc;

/// A value and where the spec wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    pub value: T,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub enum VolumeSource {
    Secret(String),
    ConfigMap(String),
    Claim(String),
    EmptyDir,
}

#[derive(Debug, Clone)]
pub struct ExtraVolume {
    pub name: At<String>,
    /// Every source the item names: exactly one is valid (ZK0074).
    pub sources: Vec<At<VolumeSource>>,
    /// `size-limit` written (only meaningful with `empty-dir`).
    pub size_limit: Option<At<Quantity>>,
    /// The path in the server container.
    pub mount: Option<At<String>>,
    /// `read-only` as written: it applies to `mount` (read-only when unset).
    pub read_only: Option<At<bool>>,
    /// A value of the volume failed to parse (reported).
    pub has_invalid: bool,
}

impl ExtraVolume {
    /// Whether the server container's `mount` is read-only (the default).
    pub fn mount_read_only(&self) -> bool {
        self.read_only.as_ref().is_none_or(|r| r.value)
    }

    fn read(item: &Item) -> ExtraVolume {
        let size_limit = item.get("size-limit").and_then(|d| match &d.value {
            Value::Quantity(q) => Some(At {
                value: q.clone(),
                loc: d.loc,
            }),
            _ => None,
        });
        let mut sources = Vec::new();
        let mut named = |key: &str, make: fn(String) -> VolumeSource| {
            if let Some((s, loc)) = item.str(key) {
                sources.push(At {
                    value: make(s.to_owned()),
                    loc,
                });
            }
        };
        named("secret", VolumeSource::Secret);
        named("config-map", VolumeSource::ConfigMap);
        named("claim", VolumeSource::Claim);
        if let Some(d) = item
            .get("empty-dir")
            .filter(|d| d.value == Value::Bool(true))
        {
            sources.push(At {
                value: VolumeSource::EmptyDir,
                loc: d.loc,
            });
        }
        ExtraVolume {
            name: At {
                value: item.name.clone(),
                loc: item.loc,
            },
            sources,
            size_limit,
            mount: at_str(item, "mount"),
            read_only: at_bool(item, "read-only"),
            has_invalid: item.has_invalid(),
        }
    }
}

/// Init container or sidecar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerRole {
    Init,
    Sidecar,
}

impl ContainerRole {
    pub fn word(self) -> &'static str {
        match self {
            ContainerRole::Init => "init-container",
            ContainerRole::Sidecar => "sidecar",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExtraMount {
    /// The volume's name: one of `volumes`, or zkc's `data`, `datalog`, `logs`.
    pub volume: At<String>,
    pub path: Option<At<String>>,
    pub read_only: Option<At<bool>>,
}

#[derive(Debug, Clone)]
pub struct ExtraContainer {
    pub role: ContainerRole,
    pub name: At<String>,
    pub image: Option<At<String>>,
    pub pull_policy: PullPolicy,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: BTreeMap<String, At<String>>,
    /// The names, and where the list is written.
    pub env_from_secrets: At<Vec<String>>,
    pub env_from_config_maps: At<Vec<String>>,
    pub cpu: Option<At<Quantity>>,
    pub memory: Option<At<Quantity>>,
    pub cpu_limit: Option<At<Quantity>>,
    pub mounts: Vec<ExtraMount>,
    /// A value of the container failed to parse (reported): what looks missing may not be.
    pub has_invalid: bool,
}

impl ExtraContainer {
    fn read(role: ContainerRole, item: &Item) -> ExtraContainer {
        let quantity = |path: &str| {
            item.get(path).and_then(|d| match &d.value {
                Value::Quantity(q) => Some(At {
                    value: q.clone(),
                    loc: d.loc,
                }),
                _ => None,
            })
        };
        ExtraContainer {
            role,
            name: At {
                value: item.name.clone(),
                loc: item.loc,
            },
            image: at_str(item, "image"),
            pull_policy: item
                .str("image.pull-policy")
                .and_then(|(w, _)| PullPolicy::from_word(w))
                .unwrap_or(PullPolicy::IfNotPresent),
            command: item.list("command"),
            args: item.list("args"),
            env: item
                .map("env")
                .into_iter()
                .filter_map(|(k, d)| match &d.value {
                    Value::Str(s) => Some((
                        k,
                        At {
                            value: s.clone(),
                            loc: d.loc,
                        },
                    )),
                    _ => None,
                })
                .collect(),
            env_from_secrets: at_list(item, "env-from-secrets"),
            env_from_config_maps: at_list(item, "env-from-config-maps"),
            cpu: quantity("resources.cpu"),
            memory: quantity("resources.memory"),
            cpu_limit: quantity("resources.cpu-limit"),
            mounts: item
                .items("mounts")
                .iter()
                .map(|m| ExtraMount {
                    volume: At {
                        value: m.name.clone(),
                        loc: m.loc,
                    },
                    path: at_str(m, "path"),
                    read_only: at_bool(m, "read-only"),
                })
                .collect(),
            has_invalid: item.has_invalid(),
        }
    }
}

/// A list and its place (the item's name when it is not written).
fn at_list(item: &Item, path: &str) -> At<Vec<String>> {
    At {
        value: item.list(path),
        loc: item.get(path).map_or(item.loc, |d| d.loc),
    }
}

fn at_bool(item: &Item, path: &str) -> Option<At<bool>> {
    let d = item.get(path)?;
    match d.value {
        Value::Bool(b) => Some(At {
            value: b,
            loc: d.loc,
        }),
        _ => None,
    }
}

fn at_str(item: &Item, path: &str) -> Option<At<String>> {
    item.str(path).map(|(s, loc)| At {
        value: s.to_owned(),
        loc,
    })
}

/// The items of an items setting as resolved (none when unset or invalid).
fn items(value: Option<&Value>) -> &[Item] {
    match value {
        Some(Value::Items(items)) => items,
        _ => &[],
    }
}

pub(super) fn volumes(value: Option<&Value>) -> Vec<ExtraVolume> {
    items(value).iter().map(ExtraVolume::read).collect()
}

pub(super) fn containers(role: ContainerRole, value: Option<&Value>) -> Vec<ExtraContainer> {
    items(value)
        .iter()
        .map(|item| ExtraContainer::read(role, item))
        .collect()
}
