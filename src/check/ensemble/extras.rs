//! The rules of `volumes`, `init-containers` and `sidecars` (ZK0074–ZK0079): whatever the
//! user adds to the pod must not break what zkc guarantees about the server, and must be what
//! the API server accepts and the kubelet can start.

use std::collections::BTreeMap;

use super::at;
use crate::check::dns_label;
use crate::check::owned::is_env_var_name;
use crate::check::security::object_name;
use crate::check::syntax::{Pinning, image_reference};
use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean, unknown_name_help};
use crate::emit::{RESERVED_VOLUME_NAMES, server_mounts};
use crate::model::{At, Ensemble, ExtraContainer, ExtraVolume, VolumeSource};

/// zkc's volumes other containers may mount, and whether they must be read-only.
fn shareable(e: &Ensemble) -> Vec<(&'static str, bool)> {
    let mut v = vec![("data", true), ("logs", false)];
    if e.datalog.is_some() {
        v.insert(1, ("datalog", true));
    }
    v
}

/// Paths no container may mount over: the kernel's and the runtime's (`/proc`, `/dev`,
/// `/sys` and what is below), and the top directories of the image, which hold the JVM,
/// ZooKeeper and the shell (a volume there hides them).
const SYSTEM_TREES: &[&str] = &["/proc", "/dev", "/sys"];
const SYSTEM_DIRS: &[&str] = &[
    "/", "/bin", "/sbin", "/lib", "/lib64", "/usr", "/etc", "/opt", "/var", "/root", "/home",
];

fn extra_containers(e: &Ensemble) -> impl Iterator<Item = &ExtraContainer> {
    e.init_containers.iter().chain(&e.sidecars)
}

/// ZK0074, and ZK0030 for the names of the objects a volume comes from.
pub(super) fn volume_sources(e: &Ensemble, diags: &mut Diagnostics) {
    for v in e.extra_volumes.iter().filter(|v| !v.has_invalid) {
        let name = &v.name.value;
        match v.sources.as_slice() {
            [] => diags.push(at(
                v.name.loc,
                Code::ExtraVolumeSource,
                format!("volume `{name}` has no source"),
                "no secret, config-map, claim or empty-dir",
                format!("add one: `volume \"{name}\" secret=\"…\"`, `config-map=\"…\"`, `claim=\"…\"` or `empty-dir=#true`"),
            )),
            [_] => {}
            [first, rest @ ..] => {
                let mut d = Diagnostic::new(
                    Code::ExtraVolumeSource,
                    format!("volume `{name}` has {} sources", rest.len() + 1),
                )
                .at_loc(first.loc, "one source");
                for other in rest {
                    d = d.at_loc(other.loc, "another");
                }
                diags.push(d.help("a volume has exactly one source: write one volume per source"));
            }
        }
        for source in &v.sources {
            let (what, object) = match &source.value {
                VolumeSource::Secret(s) => ("Secret", s),
                VolumeSource::ConfigMap(c) => ("ConfigMap", c),
                VolumeSource::Claim(c) => ("PersistentVolumeClaim", c),
                VolumeSource::EmptyDir => continue,
            };
            object_name(what, object, source.loc, diags);
        }
        if let (Some(limit), false) = (
            &v.size_limit,
            v.sources.iter().any(|s| s.value == VolumeSource::EmptyDir),
        ) {
            diags.push(at(
                limit.loc,
                Code::ExtraVolumeSource,
                format!("`size-limit` of volume `{name}` has no emptyDir to limit"),
                "only for `empty-dir=#true`",
                "remove it, or make the volume `empty-dir=#true`".into(),
            ));
        }
    }
}

/// ZK0076: a claim of the ensemble's own StatefulSet (`data-<name>-<ordinal>`) mounted as an
/// extra volume would give a container another server's data, writable.
pub(super) fn own_claims(e: &Ensemble, diags: &mut Diagnostics) {
    for v in &e.extra_volumes {
        for source in &v.sources {
            let VolumeSource::Claim(claim) = &source.value else {
                continue;
            };
            let own = ["data", "datalog"]
                .iter()
                .any(|t| claim.starts_with(&format!("{t}-{}-", e.name)));
            if own {
                diags.push(at(
                    source.loc,
                    Code::MountNotAllowed,
                    format!("claim {claim:?} holds a server's data of ensemble `{}`", e.name),
                    "the ensemble's own claim",
                    "mount the server's data with `mounts { mount \"data\" path=… }` in a sidecar (read-only)".into(),
                ));
            }
        }
    }
}

/// ZK0057: `read-only` where it changes nothing.
pub(super) fn read_only_without_effect(e: &Ensemble, diags: &mut Diagnostics) {
    for v in e.extra_volumes.iter().filter(|v| !v.has_invalid) {
        let Some(ro) = &v.read_only else { continue };
        let secret_like = v.sources.iter().any(|s| {
            matches!(
                s.value,
                VolumeSource::Secret(_) | VolumeSource::ConfigMap(_)
            )
        });
        let why = if v.mount.is_none() {
            "it applies to `mount`, the server container's mount, which this volume does not have; a sidecar's mount has its own `read-only`"
        } else if secret_like && !ro.value {
            // pkg/volume/secret and pkg/volume/configmap: GetAttributes says ReadOnly
            "the kubelet mounts Secret and ConfigMap volumes read-only whatever the mount says"
        } else {
            continue;
        };
        diags.push(at(
            ro.loc,
            Code::IgnoredSetting,
            format!("`read-only` of volume `{}` has no effect", v.name.value),
            "no effect",
            format!("remove it: {why}"),
        ));
    }
}

/// ZK0077 (and ZK0030 for names that are not Kubernetes names).
pub(super) fn extra_names(e: &Ensemble, diags: &mut Diagnostics) {
    let volumes = e.extra_volumes.iter().map(|v| &v.name);
    names(diags, "volume", volumes, |n| {
        RESERVED_VOLUME_NAMES.contains(&n)
    });
    let containers = extra_containers(e).map(|c| &c.name);
    names(diags, "container", containers, |n| n == "zookeeper");
}

fn names<'a>(
    diags: &mut Diagnostics,
    what: &str,
    names: impl Iterator<Item = &'a At<String>>,
    is_zkcs: impl Fn(&str) -> bool,
) {
    let mut seen: BTreeMap<&str, &At<String>> = BTreeMap::new();
    for name in names {
        let n = name.value.as_str();
        if let Err(why) = dns_label(n, 63, false) {
            diags.push(at(
                name.loc,
                Code::InvalidName,
                format!("{what} name {n:?} is not valid: {why}"),
                "invalid name",
                "use lowercase letters, digits and `-`, at most 63 characters".into(),
            ));
        } else if is_zkcs(n) {
            diags.push(at(
                name.loc,
                Code::ExtraNameClash,
                format!("{what} name `{n}` is zkc's own"),
                "taken by zkc",
                format!("rename it, e.g. `extra-{n}`"),
            ));
        } else if let Some(first) = seen.get(n) {
            diags.push(
                Diagnostic::new(Code::ExtraNameClash, format!("two {what}s are named `{n}`"))
                    .at_loc(name.loc, "again here")
                    .at_loc(first.loc, "first here")
                    .help("names are unique within the pod: rename one"),
            );
        } else {
            seen.insert(n, name);
        }
    }
}

/// ZK0075: paths absolute and plain, once per container, never over the system's directories,
/// and in the server container clear of zkc's own mounts.
pub(super) fn mount_paths(e: &Ensemble, diags: &mut Diagnostics) {
    let own: Vec<String> = server_mounts(e).into_iter().map(|m| m.mount_path).collect();
    let server = e.extra_volumes.iter().filter_map(|v| v.mount.as_ref());
    container_paths(diags, "the server container", server, &own);
    for c in extra_containers(e) {
        let paths = c.mounts.iter().filter_map(|m| m.path.as_ref());
        container_paths(
            diags,
            &format!("{} `{}`", c.role.word(), c.name.value),
            paths,
            &[],
        );
    }
}

fn container_paths<'a>(
    diags: &mut Diagnostics,
    container: &str,
    paths: impl Iterator<Item = &'a At<String>>,
    own: &[String],
) {
    let mut seen: Vec<&str> = Vec::new();
    for path in paths {
        let p = path.value.as_str();
        match path_problem(p, own, &seen) {
            Some(why) => diags.push(at(
                path.loc,
                Code::MountOverZkc,
                format!("cannot mount at {p:?} in {container}: {why}"),
                "mount path",
                if p.starts_with('/') {
                    "mount at a path of its own, e.g. \"/etc/extra\"".into()
                } else {
                    format!("write it absolute: \"/{p}\"")
                },
            )),
            None => seen.push(p),
        }
    }
}

fn path_problem(p: &str, own: &[String], seen: &[&str]) -> Option<String> {
    if !p.starts_with('/') {
        return Some("it is not absolute".into());
    }
    if p.split('/').any(|part| part == ".." || part == ".") || p.contains("//") {
        return Some("it has `.`, `..` or an empty part".into());
    }
    if p.len() > 1 && p.ends_with('/') {
        return Some("it ends with `/`".into());
    }
    if SYSTEM_DIRS.contains(&p) || SYSTEM_TREES.iter().any(|t| within(p, t)) {
        return Some("the system's files are there".into());
    }
    if let Some(o) = own.iter().find(|o| within(p, o)) {
        return Some(match p == o.as_str() {
            true => format!("zkc mounts `{o}` there"),
            false => format!("it is inside zkc's `{o}`"),
        });
    }
    if let Some(o) = own.iter().find(|o| within(o, p)) {
        return Some(format!("it would hide zkc's `{o}`"));
    }
    seen.contains(&p)
        .then(|| "another volume is mounted there".into())
}

/// `inner` is `outer` or below it.
fn within(inner: &str, outer: &str) -> bool {
    inner == outer || outer == "/" || inner.starts_with(&format!("{outer}/"))
}

/// ZK0076.
pub(super) fn container_mounts(e: &Ensemble, diags: &mut Diagnostics) {
    let shareable = shareable(e);
    let valid = mountable(e);
    for c in extra_containers(e) {
        for m in &c.mounts {
            let n = m.volume.value.as_str();
            if !valid.contains(&n) {
                diags.push(at(
                    m.volume.loc,
                    Code::MountNotAllowed,
                    format!(
                        "{} `{}` mounts `{n}`, which is not a volume it can mount",
                        c.role.word(),
                        c.name.value
                    ),
                    "no such volume",
                    unknown_name_help(n, &valid),
                ));
            } else if let (Some((_, true)), Some(writable)) = (
                shareable.iter().find(|(s, _)| *s == n),
                m.read_only.as_ref().filter(|r| !r.value),
            ) {
                diags.push(at(
                    writable.loc,
                    Code::MountNotAllowed,
                    format!(
                        "{} `{}` cannot write to the server's `{n}`",
                        c.role.word(),
                        c.name.value
                    ),
                    "writable",
                    "remove `read-only #false`: a second writer would corrupt the server's files"
                        .into(),
                ));
            }
        }
    }
}

/// The volumes a container's `mounts` may name, sorted.
fn mountable(e: &Ensemble) -> Vec<&str> {
    let mut valid: Vec<&str> = e
        .extra_volumes
        .iter()
        .map(|v| v.name.value.as_str())
        .collect();
    valid.extend(shareable(e).iter().map(|(n, _)| *n));
    valid.sort_unstable();
    valid.dedup();
    valid
}

/// ZK0078, ZK0035 and the image rules of the server (ZK0037, ZK0038) for every extra
/// container, and the names its environment comes from (ZK0030).
pub(super) fn containers_complete(e: &Ensemble, diags: &mut Diagnostics) {
    for c in extra_containers(e).filter(|c| !c.has_invalid) {
        let what = format!("{} `{}`", c.role.word(), c.name.value);
        let missing = |diags: &mut Diagnostics, thing: &str, example: &str| {
            diags.push(at(
                c.name.loc,
                Code::ContainerIncomplete,
                format!("{what} has no {thing}"),
                "incomplete",
                format!("add {example}"),
            ))
        };
        match &c.image {
            None => missing(diags, "image", "`image=\"registry.example.com/name:1.0\"`"),
            Some(image) => image_pinned(&what, image, diags),
        }
        match (&c.cpu, &c.memory) {
            (None, None) => missing(
                diags,
                "CPU and memory request",
                "`resources cpu=\"50m\" memory=\"64Mi\"`",
            ),
            (None, Some(_)) => missing(diags, "CPU request", "`cpu=\"50m\"` to `resources`"),
            (Some(_), None) => missing(diags, "memory request", "`memory=\"64Mi\"` to `resources`"),
            (Some(_), Some(_)) => {}
        }
        if let (Some(cpu), Some(limit)) = (&c.cpu, &c.cpu_limit)
            && cpu.value.value > limit.value.value
        {
            diags.push(
                Diagnostic::new(Code::RequestAboveLimit, format!("cpu request {} of {what} is above its limit {}", cpu.value, limit.value))
                    .at_loc(cpu.loc, "request")
                    .at_loc(limit.loc, "limit")
                    .help("raise `cpu-limit` or lower `cpu`; the API server refuses a request above its limit"),
            );
        }
        for m in c.mounts.iter().filter(|m| m.path.is_none()) {
            diags.push(at(
                m.volume.loc,
                Code::ContainerIncomplete,
                format!("{what} mounts `{}` without a path", m.volume.value),
                "no path",
                format!("write `mount \"{}\" path=\"/…\"`", m.volume.value),
            ));
        }
        environment_names(c, &what, diags);
    }
}

fn environment_names(c: &ExtraContainer, what: &str, diags: &mut Diagnostics) {
    for (name, value) in &c.env {
        if !is_env_var_name(name) {
            diags.push(at(
                value.loc,
                Code::InvalidName,
                format!("environment variable name {name:?} of {what} is not valid"),
                "invalid name",
                "use letters, digits and `_`, not starting with a digit".into(),
            ));
        }
    }
    for (kind, list) in [
        ("Secret", &c.env_from_secrets),
        ("ConfigMap", &c.env_from_config_maps),
    ] {
        for name in &list.value {
            object_name(&format!("{kind} of {what}"), name, list.loc, diags);
        }
    }
}

fn image_pinned(what: &str, image: &At<String>, diags: &mut Diagnostics) {
    match image_reference(&image.value) {
        Err(why) => diags.push(at(
            image.loc,
            Code::BadImage,
            format!(
                "the image {:?} of {what} is not a valid reference: {why}",
                image.value
            ),
            "invalid image",
            "write [registry/]repository[:tag][@sha256:digest]".into(),
        )),
        Ok(Pinning::Floating) => diags.push(at(
            image.loc,
            Code::LatestTag,
            format!(
                "the image {:?} of {what} does not pin a version",
                image.value
            ),
            "no version",
            "pin a tag or a digest: a restart could otherwise run another version".into(),
        )),
        Ok(Pinning::Pinned) => {}
    }
}

/// ZK0079. A volume a mount misspells is reported there (ZK0076), not here again.
pub(super) fn unused_volumes(e: &Ensemble, diags: &mut Diagnostics) {
    let mounts: Vec<&str> = extra_containers(e)
        .flat_map(|c| &c.mounts)
        .map(|m| m.volume.value.as_str())
        .collect();
    let valid = mountable(e);
    let meant: Vec<&str> = mounts
        .iter()
        .filter(|m| !valid.contains(m))
        .filter_map(|m| did_you_mean(m, valid.iter().copied()))
        .collect();
    let unused = |v: &&ExtraVolume| {
        let n = v.name.value.as_str();
        !v.has_invalid && v.mount.is_none() && !mounts.contains(&n) && !meant.contains(&n)
    };
    for v in e.extra_volumes.iter().filter(unused) {
        diags.push(at(
            v.name.loc,
            Code::VolumeUnused,
            format!("volume `{}` is mounted by no container", v.name.value),
            "unused",
            format!(
                "mount it in the server with `mount=\"/…\"`, or in a sidecar with `mounts {{ mount \"{}\" path=\"/…\" }}`; or remove it",
                v.name.value
            ),
        ));
    }
}
