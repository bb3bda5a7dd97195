//! The syntax Kubernetes and registries require of names, keys and image references.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::Loc;

/// ZK0030 for label and annotation keys and label values: the API server's rules (qualified
/// names; label values of at most 63 characters), and keys that kustomize would corrupt: it
/// re-reads quoted keys such as '1_000' or 'on' as YAML 1.1 numbers and booleans and fails.
pub(super) fn check_metadata(
    map: &crate::model::Map,
    what: &str,
    fallback: Loc,
    diags: &mut Diagnostics,
) {
    for (key, value) in map {
        let problem = metadata_key_problem(what, key).or_else(|| {
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

/// Why a label or annotation key cannot be written, if it cannot: not a qualified name, or a
/// name kustomize would re-read as a number or boolean.
pub(crate) fn metadata_key_problem(what: &str, key: &str) -> Option<String> {
    qualified_name(key)
        .map(|why| format!("{what} key {key:?} is not valid: {why}"))
        .or_else(|| {
            crate::render::yaml11::ambiguous_in_yaml11(key.rsplit('/').next().unwrap_or(key))
                .then(|| format!("{what} key {key:?} would be read as a number or boolean by kubectl and kustomize"))
        })
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

/// A DNS label: lower-case alphanumerics and `-`, alphanumeric at both ends; RFC 1035 labels
/// (Service names) must also start with a letter.
pub(crate) fn dns_label(
    name: &str,
    max: usize,
    must_start_with_letter: bool,
) -> Result<(), String> {
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

pub(super) enum Pinning {
    Pinned,
    Floating,
}

/// Validates an image reference (the grammar of distribution/reference) and says whether it
/// pins a version.
pub(super) fn image_reference(image: &str) -> Result<Pinning, String> {
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
