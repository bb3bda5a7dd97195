//! The rules of `volumes`, `init-containers` and `sidecars` (ZK0074–ZK0079): whatever the
//! user adds to the pod must not break what zkc guarantees about the server.

use std::collections::BTreeMap;

use super::at;
use crate::check::dns_label;
use crate::check::syntax::{Pinning, image_reference};
use crate::diag::{Code, Diagnostic, Diagnostics, unknown_name_help};
use crate::emit::{own_volume_names, server_mounts};
use crate::model::{At, Ensemble, ExtraContainer, VolumeSource};
use crate::source::Loc;

/// zkc's volumes other containers may mount, and whether they must be read-only.
fn shareable(e: &Ensemble) -> Vec<(&'static str, bool)> {
    let mut v = vec![("data", true), ("logs", false)];
    if e.datalog.is_some() {
        v.insert(1, ("datalog", true));
    }
    v
}

fn extra_containers(e: &Ensemble) -> impl Iterator<Item = &ExtraContainer> {
    e.init_containers.iter().chain(&e.sidecars)
}

/// ZK0074.
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
        let empty_dir = v
            .sources
            .iter()
            .any(|s| matches!(s.value, VolumeSource::EmptyDir { .. }));
        if let (Some(limit), false) = (&v.size_limit, empty_dir) {
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

/// ZK0077 (and ZK0030 for names that are not Kubernetes names).
pub(super) fn extra_names(e: &Ensemble, diags: &mut Diagnostics) {
    let own_volumes = own_volume_names(e);
    let volumes = e.extra_volumes.iter().map(|v| &v.name);
    names(diags, "volume", volumes, |n| {
        own_volumes.iter().any(|o| o == n)
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
    let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
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
                    .at_loc(*first, "first here")
                    .help("names are unique within the pod: rename one"),
            );
        } else {
            seen.insert(n, name.loc);
        }
    }
}

/// ZK0075: paths absolute and plain, once per container, and never over zkc's own mounts in
/// the server container.
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
    let mut seen: Vec<&At<String>> = Vec::new();
    for path in paths {
        let p = path.value.as_str();
        match path_problem(p, own, &seen) {
            Some(why) => diags.push(at(
                path.loc,
                Code::MountOverZkc,
                format!("cannot mount at {p:?} in {container}: {why}"),
                "mount path",
                "mount at an absolute path of its own, e.g. \"/etc/extra\"".into(),
            )),
            None => seen.push(path),
        }
    }
}

fn path_problem(p: &str, own: &[String], seen: &[&At<String>]) -> Option<String> {
    if !p.starts_with('/') {
        return Some("it is not absolute".into());
    }
    if p.split('/').any(|part| part == ".." || part == ".") || p.contains("//") {
        return Some("it has `.`, `..` or an empty part".into());
    }
    if p.len() > 1 && p.ends_with('/') {
        return Some("it ends with `/`".into());
    }
    if let Some(o) = own.iter().find(|o| overlaps(p, o)) {
        return Some(format!("zkc mounts `{o}` there"));
    }
    seen.iter()
        .find(|s| overlaps(p, &s.value))
        .map(|first| format!("`{}` is mounted there already", first.value))
}

/// One path is the other or contains it.
fn overlaps(a: &str, b: &str) -> bool {
    let within = |inner: &str, outer: &str| {
        inner == outer || outer == "/" || inner.starts_with(&format!("{outer}/"))
    };
    within(a, b) || within(b, a)
}

/// ZK0076.
pub(super) fn container_mounts(e: &Ensemble, diags: &mut Diagnostics) {
    let shareable = shareable(e);
    let mut valid: Vec<&str> = e
        .extra_volumes
        .iter()
        .map(|v| v.name.value.as_str())
        .collect();
    valid.extend(shareable.iter().map(|(n, _)| *n));
    valid.sort_unstable();
    valid.dedup();
    for c in extra_containers(e) {
        for m in &c.mounts {
            let n = m.volume.value.as_str();
            if !valid.contains(&n) {
                diags.push(at(
                    m.volume.loc,
                    Code::MountUnknownVolume,
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
                    Code::MountUnknownVolume,
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

/// ZK0078, and the image rules of the server (ZK0037, ZK0038) for every extra container.
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
        if c.cpu.is_none() || c.memory.is_none() {
            missing(
                diags,
                "CPU and memory request",
                "`resources cpu=\"50m\" memory=\"64Mi\"`",
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

/// ZK0079.
pub(super) fn unused_volumes(e: &Ensemble, diags: &mut Diagnostics) {
    for v in e.extra_volumes.iter().filter(|v| v.mount.is_none()) {
        let mounted = extra_containers(e)
            .flat_map(|c| &c.mounts)
            .any(|m| m.volume.value == v.name.value);
        if !mounted {
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
}
