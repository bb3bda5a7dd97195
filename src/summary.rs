//! One line per changed object for `zkc check` and `zkc diff`: which object, and what changed at a
//! glance (`replicas 3 → 5`, `image …:3.8.4 → …:3.9.3`, `zoo.cfg tickTime 2000 → 3000`), so a
//! reviewer sees the meaning of a drift before reading the diff.

use std::collections::BTreeMap;

use serde_yaml::Value;

/// How many changed fields a line names before it says "(+N more)".
const SHOWN: usize = 4;

/// `old` or `new` is empty for created and removed files. `config` is the (old, new) text of a
/// StatefulSet's ConfigMap, whose zoo.cfg changes are the reason its servers restart.
pub fn summarize(old: &str, new: &str, config: Option<(&str, &str)>) -> String {
    let (old_doc, new_doc) = (parse(old), parse(new));
    let doc = if new.is_empty() { &old_doc } else { &new_doc };
    let subject = object_name(doc);
    let is_statefulset = doc["kind"].as_str() == Some("StatefulSet");
    if old.is_empty() || new.is_empty() {
        let (verb, what) = if old.is_empty() {
            ("new", "starts")
        } else {
            ("removed", "deletes")
        };
        return match is_statefulset {
            true => format!("{subject}: {verb}, {what} {} servers", replicas(doc)),
            false => format!("{subject}: {verb}"),
        };
    }
    let (mut changes, rolls) = changed_fields(&old_doc, &new_doc);
    if let Some((old_cfg, new_cfg)) = config.filter(|_| rolls) {
        changes.extend(changed_fields(&parse(old_cfg), &parse(new_cfg)).0);
    }
    let mut effects = Vec::new();
    if is_statefulset {
        effects.extend(scaling(&old_doc, &new_doc));
        if rolls {
            effects.push(rolling_restart(&old_doc, &new_doc));
        } else if effects.is_empty() {
            effects.push("no restart".to_owned());
        }
        effects.extend(reowned_volumes(&old_doc, &new_doc));
    }
    if changes.is_empty() && effects.is_empty() {
        return format!("{subject}: header or formatting only");
    }
    let more = changes.len().saturating_sub(SHOWN);
    changes.truncate(SHOWN);
    let mut listed = changes.join(", ");
    if more > 0 {
        listed.push_str(&format!(" (+{more} more)"));
    }
    match (effects.is_empty(), listed.is_empty()) {
        (true, _) => format!("{subject}: {listed}"),
        (false, true) => format!("{subject}: {}", effects.join("; ")),
        (false, false) => format!("{subject}: {} ({listed})", effects.join("; ")),
    }
}

/// The changed fields as `name old → new`, and whether the pod template changed.
fn changed_fields(old: &Value, new: &Value) -> (Vec<String>, bool) {
    let (mut before, mut after) = (BTreeMap::new(), BTreeMap::new());
    flatten(old, String::new(), &mut before);
    flatten(new, String::new(), &mut after);
    let mut changes = Vec::new();
    let mut rolls = false;
    for key in before
        .keys()
        .chain(after.keys().filter(|k| !before.contains_key(*k)))
    {
        let (a, b) = (before.get(key), after.get(key));
        if a == b {
            continue;
        }
        // Any change to the pod template makes the StatefulSet controller replace every pod.
        rolls |= key.starts_with("spec.template.");
        // The checksum changes exactly when zoo.cfg does, whose keys the line names instead;
        // the replica count is the scaling effect.
        if key.ends_with("zkc.dev/config-checksum") || key == "spec.replicas" {
            continue;
        }
        let show = |v: Option<&String>| v.map_or("(none)".to_owned(), Clone::clone);
        let change = format!("{} {} → {}", friendly(key), show(a), show(b));
        // The pod's and the container's securityContext name the same user.
        if !changes.contains(&change) {
            changes.push(change);
        }
    }
    (changes, rolls)
}

/// `ns/configmap-NAME-config.yaml` for `ns/statefulset-NAME.yaml` (the names of `emit::names`).
pub fn config_map_of(statefulset: &str) -> Option<String> {
    let (ns, file) = statefulset.split_once('/')?;
    let name = file.strip_prefix("statefulset-")?.strip_suffix(".yaml")?;
    Some(format!("{ns}/configmap-{name}-config.yaml"))
}

fn replicas(sts: &Value) -> u64 {
    sts["spec"]["replicas"].as_u64().unwrap_or(1)
}

fn ordinal_start(sts: &Value) -> u64 {
    sts["spec"]["ordinals"]["start"].as_u64().unwrap_or(0)
}

/// The StatefulSet controller starts the pods a scale-up adds before it rolls the others, and
/// deletes the pods a scale-down drops at once (the control-plane suite records both).
fn scaling(old: &Value, new: &Value) -> Option<String> {
    let (from, to) = (replicas(old), replicas(new));
    let start = ordinal_start(new);
    let ids = |a: u64, b: u64| {
        let ids: Vec<String> = (start + a..start + b).map(|i| i.to_string()).collect();
        let noun = if ids.len() == 1 { "server" } else { "servers" };
        format!("{noun} {}", ids.join(", "))
    };
    match from.cmp(&to) {
        std::cmp::Ordering::Less => {
            Some(format!("scales {from} → {to}, starting {}", ids(from, to)))
        }
        std::cmp::Ordering::Greater => {
            Some(format!("scales {from} → {to}, deleting {}", ids(to, from)))
        }
        std::cmp::Ordering::Equal => None,
    }
}

/// What a pod template change does to a running ensemble: the StatefulSet controller's rolling
/// update replaces the pods that already exist one at a time from the highest ordinal down, each
/// after the one before is Ready (the control-plane suite records that order); pods added by a
/// scale-up start with the new template, pods removed by a scale-down are not restarted.
fn rolling_restart(old: &Value, new: &Value) -> String {
    let kept = replicas(old).min(replicas(new));
    let start = ordinal_start(new);
    let order: Vec<String> = (start..start + kept).rev().map(|i| i.to_string()).collect();
    let noun = if kept == 1 { "server" } else { "servers" };
    format!("rolls {kept} {noun}, {}", order.join(" → "))
}

/// A new user or group makes the kubelet change the owner of every file on the volumes before
/// the server starts (`fsGroupChangePolicy: Always`; the pod runner's uid-change scenario shows
/// the servers keep their data): on large volumes that start is slow.
fn reowned_volumes(old: &Value, new: &Value) -> Option<String> {
    let ctx = |sts: &Value| sts["spec"]["template"]["spec"]["securityContext"].clone();
    let (a, b) = (ctx(old), ctx(new));
    (a["runAsUser"] != b["runAsUser"] || a["fsGroup"] != b["fsGroup"])
        .then(|| "each server's volumes are re-owned for the new user before it starts".to_owned())
}

fn parse(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or(Value::Null)
}

fn object_name(doc: &Value) -> String {
    let get = |path: &[&str]| {
        let mut v = doc;
        for p in path {
            v = v.get(p)?;
        }
        v.as_str().map(str::to_owned)
    };
    let kind = get(&["kind"]).unwrap_or_else(|| "object".into());
    let name = get(&["metadata", "name"]).unwrap_or_default();
    match get(&["metadata", "namespace"]) {
        Some(ns) if kind != "Application" && kind != "Kustomization" => {
            format!("{kind} {ns}/{name}")
        }
        _ => format!("{kind} {name}"),
    }
}

/// Scalars by dotted path; lists index by position, zoo.cfg is split into its keys.
fn flatten(v: &Value, path: String, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Mapping(m) => {
            for (k, v) in m {
                let k = k
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{k:?}"));
                let p = if path.is_empty() {
                    k
                } else {
                    format!("{path}.{k}")
                };
                flatten(v, p, out);
            }
        }
        Value::Sequence(s) => {
            for (i, v) in s.iter().enumerate() {
                flatten(v, format!("{path}[{i}]"), out);
            }
        }
        Value::String(s) if path == "data.zoo.cfg" => {
            for line in s.lines() {
                if let Some((k, v)) = line.split_once('=') {
                    out.insert(format!("zoo.cfg {k}"), v.to_owned());
                }
            }
        }
        Value::String(s) => {
            out.insert(path, s.clone());
        }
        Value::Null => {
            out.insert(path, "null".into());
        }
        Value::Bool(b) => {
            out.insert(path, b.to_string());
        }
        Value::Number(n) => {
            out.insert(path, n.to_string());
        }
        Value::Tagged(t) => flatten(&t.value, path, out),
    }
}

/// Short names for the fields people change most.
fn friendly(path: &str) -> String {
    let container = "spec.template.spec.containers[0].";
    match path {
        p if p.starts_with(container) => p[container.len()..].to_owned(),
        p if p.starts_with("spec.template.spec.") => p["spec.template.spec.".len()..].to_owned(),
        p => p.strip_prefix("spec.").unwrap_or(p).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::summarize;

    const OLD: &str = "kind: StatefulSet\nmetadata:\n  name: zk\n  namespace: staging\nspec:\n  replicas: 3\n  ordinals:\n    start: 1\n  template:\n    metadata:\n      annotations:\n        zkc.dev/config-checksum: sha256:1\n    spec:\n      containers:\n      - image: zookeeper:3.8.4\n";
    const CONFIG: &str = "kind: ConfigMap\nmetadata:\n  name: zk-config\n  namespace: staging\ndata:\n  zoo.cfg: |\n    tickTime=2000\n    initLimit=10\n";

    #[test]
    fn an_image_change_rolls_every_server_from_the_highest_id() {
        let new = OLD.replace("3.8.4", "3.9.4");
        assert_eq!(
            summarize(OLD, &new, None),
            "StatefulSet staging/zk: rolls 3 servers, 3 → 2 → 1 (image zookeeper:3.8.4 → zookeeper:3.9.4)"
        );
        assert_eq!(
            summarize("", OLD, None),
            "StatefulSet staging/zk: new, starts 3 servers"
        );
        assert_eq!(
            summarize(OLD, "", None),
            "StatefulSet staging/zk: removed, deletes 3 servers"
        );
    }

    #[test]
    fn a_zoo_cfg_change_names_its_keys_on_the_statefulset() {
        let new = OLD.replace("sha256:1", "sha256:2");
        let new_config = CONFIG.replace("tickTime=2000", "tickTime=3000");
        assert_eq!(
            summarize(OLD, &new, Some((CONFIG, &new_config))),
            "StatefulSet staging/zk: rolls 3 servers, 3 → 2 → 1 (zoo.cfg tickTime 2000 → 3000)"
        );
        // Without the ConfigMap at hand the effect is still named.
        assert_eq!(
            summarize(OLD, &new, None),
            "StatefulSet staging/zk: rolls 3 servers, 3 → 2 → 1"
        );
        assert_eq!(
            summarize(CONFIG, &new_config, None),
            "ConfigMap staging/zk-config: zoo.cfg tickTime 2000 → 3000"
        );
    }

    #[test]
    fn a_resize_step_says_which_server_starts_or_stops_first() {
        let grown = OLD
            .replace("replicas: 3", "replicas: 4")
            .replace("sha256:1", "sha256:2");
        assert_eq!(
            summarize(OLD, &grown, None),
            "StatefulSet staging/zk: scales 3 → 4, starting server 4; rolls 3 servers, 3 → 2 → 1"
        );
        let shrunk = OLD
            .replace("replicas: 3", "replicas: 2")
            .replace("sha256:1", "sha256:2");
        assert_eq!(
            summarize(OLD, &shrunk, None),
            "StatefulSet staging/zk: scales 3 → 2, deleting server 3; rolls 2 servers, 2 → 1"
        );
    }

    #[test]
    fn a_change_outside_the_template_restarts_nothing() {
        let old = OLD.replace("  replicas: 3\n", "  replicas: 3\n  minReadySeconds: 0\n");
        let new = old.replace("minReadySeconds: 0", "minReadySeconds: 10");
        assert_eq!(
            summarize(&old, &new, None),
            "StatefulSet staging/zk: no restart (minReadySeconds 0 → 10)"
        );
        assert_eq!(
            summarize(OLD, OLD, None),
            "StatefulSet staging/zk: no restart"
        );
    }
}
