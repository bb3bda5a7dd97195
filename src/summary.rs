//! One line per changed object for `zkc check` and `zkc diff`: which object, and what changed at a
//! glance (`replicas 3 → 5`, `image …:3.8.4 → …:3.9.3`, `zoo.cfg tickTime 2000 → 3000`), so a
//! reviewer sees the meaning of a drift before reading the diff.

use std::collections::BTreeMap;

use serde_yaml::Value;

/// How many changed fields a line names before it says "(+N more)".
const SHOWN: usize = 4;

/// `old` or `new` is empty for created and removed files.
pub fn summarize(old: &str, new: &str) -> String {
    let (old_doc, new_doc) = (parse(old), parse(new));
    let subject = object_name(if new.is_empty() { &old_doc } else { &new_doc });
    if old.is_empty() {
        return format!("{subject}: new");
    }
    if new.is_empty() {
        return format!("{subject}: removed");
    }
    let (mut before, mut after) = (BTreeMap::new(), BTreeMap::new());
    flatten(&old_doc, String::new(), &mut before);
    flatten(&new_doc, String::new(), &mut after);
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
        if key.ends_with("zkc.dev/config-checksum") {
            continue; // the checksum changes exactly when zoo.cfg does, which its line shows
        }
        let show = |v: Option<&String>| v.map_or("(none)".to_owned(), Clone::clone);
        changes.push(format!("{} {} → {}", friendly(key), show(a), show(b)));
    }
    let effect = rolls.then(|| rolling_restart(&old_doc, &new_doc));
    if changes.is_empty() {
        return match effect {
            Some(effect) => format!("{subject}: {effect} (its zoo.cfg changed)"),
            None => format!("{subject}: header or formatting only"),
        };
    }
    let more = changes.len().saturating_sub(SHOWN);
    changes.truncate(SHOWN);
    let mut line = format!("{subject}: {}", changes.join(", "));
    if more > 0 {
        line.push_str(&format!(" (+{more} more)"));
    }
    if let Some(effect) = effect {
        line.push_str(&format!("; {effect}"));
    }
    line
}

/// What a pod template change does to a running ensemble: the StatefulSet controller's rolling
/// update replaces the pods that already exist one at a time from the highest ordinal down, each
/// after the one before is Ready (the control-plane suite records that order); pods added by a
/// scale-up start with the new template, pods removed by a scale-down are not restarted.
fn rolling_restart(old: &Value, new: &Value) -> String {
    let replicas = |sts: &Value| sts["spec"]["replicas"].as_u64().unwrap_or(1);
    let kept = replicas(old).min(replicas(new));
    let start = new["spec"]["ordinals"]["start"].as_u64().unwrap_or(0);
    let order: Vec<String> = (start..start + kept).rev().map(|i| i.to_string()).collect();
    format!(
        "restarts {kept} servers one at a time, {}",
        order.join(" → ")
    )
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
        "spec.replicas" => "replicas".into(),
        p if p.starts_with(container) => p[container.len()..].to_owned(),
        p if p.starts_with("spec.template.spec.") => p["spec.template.spec.".len()..].to_owned(),
        p => p.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::summarize;

    const OLD: &str = "kind: StatefulSet\nmetadata:\n  name: zk\n  namespace: staging\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - image: zookeeper:3.8.4\n";

    #[test]
    fn names_what_changed() {
        let new = OLD
            .replace("replicas: 3", "replicas: 5")
            .replace("3.8.4", "3.9.3");
        assert_eq!(
            summarize(OLD, &new),
            "StatefulSet staging/zk: replicas 3 → 5, image zookeeper:3.8.4 → zookeeper:3.9.3; restarts 3 servers one at a time, 2 → 1 → 0"
        );
        assert_eq!(summarize("", OLD), "StatefulSet staging/zk: new");
        assert_eq!(summarize(OLD, ""), "StatefulSet staging/zk: removed");
    }

    #[test]
    fn a_template_change_says_it_restarts_every_server() {
        let old = "kind: StatefulSet\nmetadata:\n  name: zk\n  namespace: a\nspec:\n  replicas: 3\n  ordinals:\n    start: 1\n  template:\n    metadata:\n      annotations:\n        zkc.dev/config-checksum: sha256:1\n";
        let new = old.replace("sha256:1", "sha256:2");
        assert_eq!(
            summarize(old, &new),
            "StatefulSet a/zk: restarts 3 servers one at a time, 3 → 2 → 1 (its zoo.cfg changed)"
        );
        let scaled = new.replace("replicas: 3", "replicas: 5");
        assert_eq!(
            summarize(old, &scaled),
            "StatefulSet a/zk: replicas 3 → 5; restarts 3 servers one at a time, 3 → 2 → 1"
        );
    }

    #[test]
    fn splits_zoo_cfg_into_keys() {
        let old = "kind: ConfigMap\nmetadata:\n  name: zk-config\n  namespace: a\ndata:\n  zoo.cfg: |\n    tickTime=2000\n    initLimit=10\n";
        let new = old.replace("tickTime=2000", "tickTime=3000");
        assert_eq!(
            summarize(old, &new),
            "ConfigMap a/zk-config: zoo.cfg tickTime 2000 → 3000"
        );
    }
}
