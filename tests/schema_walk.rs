//! Issue #12, item 4: a setting that is accepted must take effect or be reported. This walks the
//! schema table — every setting, every argument and every property, at the ensemble, `zoo-cfg`,
//! `network-policy`, `prometheus-operator` and environment levels — writes each with a value other than its default,
//! and requires the compiled output to differ from the baseline, or a diagnostic to say why it
//! cannot. A new setting that is parsed, defaulted and documented but never emitted fails here.

use zkc::compile::{NothingDeployed, compile};
use zkc::render::Tree;
use zkc::schema::{
    Default, ENSEMBLE_SETTINGS, ENVIRONMENT_SETTINGS, Kind, NETWORK_POLICY_SETTINGS,
    PROMETHEUS_OPERATOR_SETTINGS, SASL_SETTINGS, Setting, Shape, TLS_SETTINGS, ZOO_CFG_SETTINGS,
};
use zkc::source::SourceMap;

/// Where a setting is written.
#[derive(Clone, Copy)]
enum Level {
    Ensemble,
    ZooCfg,
    NetworkPolicy,
    Tls,
    Sasl,
    PrometheusOperator,
    Environment,
}

fn spec(level: Level, line: &str) -> String {
    let (env_line, ensemble_line) = match level {
        Level::Environment => (line.to_owned(), String::new()),
        Level::Ensemble => (String::new(), line.to_owned()),
        Level::ZooCfg => (String::new(), format!("zoo-cfg {{ {line} }}")),
        // With metrics on, so the metrics settings are walked where they take effect (without
        // it they are errors, ZK0070), and a monitor's Prometheus may reach the servers.
        Level::NetworkPolicy => (
            String::new(),
            format!("metrics #true\n        network-policy {{ {line} }}"),
        ),
        // Each alone: a setting that needs the feature on is reported (ZK0057, ZK0080, …).
        Level::Tls => (String::new(), format!("tls {{ {line} }}")),
        Level::Sasl => (String::new(), format!("sasl {{ {line} }}")),
        Level::PrometheusOperator => (
            String::new(),
            format!(
                "metrics #true\n        network-policy {{ metrics-from-namespaces \"monitoring\" }}\n        prometheus-operator {{ {line} }}"
            ),
        ),
    };
    // argocd and flux are present so their properties have something to change.
    format!(
        "environment \"walk\" {{\n    argocd repo=\"https://git.example.com/zk.git\"\n    flux source=\"platform\"\n    {env_line}\n    ensemble \"zk\" {{\n        {ensemble_line}\n    }}\n}}\n"
    )
}

fn compiled(text: &str) -> (Option<Tree>, usize) {
    let mut sources = SourceMap::default();
    sources.add("walk.kdl".into(), "specs/walk.kdl".into(), text.into());
    let c = compile(sources, &NothingDeployed);
    (c.tree, c.diagnostics.len())
}

fn kdl_string(s: &str) -> String {
    format!("{s:?}")
}

/// A value of `kind` other than `default`, valid where one is needed.
fn other_value(name: &str, kind: Kind, default: Default) -> String {
    match kind {
        Kind::Int { min, max } => match default {
            Default::Int(d) if d < max => (d + 1).to_string(),
            Default::Int(d) => (d - 1).to_string(),
            _ => min.to_string(),
        },
        Kind::Bool => match default {
            Default::Bool(b) => format!("#{}", !b),
            _ => "#true".into(),
        },
        Kind::Choice(choices) => {
            let current = match default {
                Default::Str(s) => s,
                _ => "",
            };
            kdl_string(choices.iter().find(|c| **c != current).unwrap())
        }
        Kind::Cpu => kdl_string("750m"),
        Kind::Bytes { .. } => kdl_string(match name {
            "heap" => "512Mi",
            "memory" | "memory-limit" => "2Gi",
            _ => "20Gi",
        }),
        Kind::Str => kdl_string(match name {
            "image" => "docker.io/library/zookeeper:3.8.4",
            "topology-key" => "example.com/rack",
            "repo" => "https://git.example.com/other.git",
            "server" => "https://k8s.example.com",
            "path-prefix" => "deploy/out",
            "interval" => "15m",
            _ => "walk-other",
        }),
    }
}

/// Every variant line of one setting: its value, then each property.
fn variants(s: &Setting) -> Vec<String> {
    match s.shape {
        Shape::Value(kind) => vec![format!(
            "{} {}",
            s.name,
            other_value(s.name, kind, s.default)
        )],
        Shape::Props { arg, props } => {
            let mut lines = Vec::new();
            // Properties are written with the argument where the argument has no default.
            let needed_arg = match (arg, s.default) {
                (Some((arg, kind)), Default::Unset) => {
                    format!(" {}", other_value(arg, kind, s.default))
                }
                _ => String::new(),
            };
            if let Some((arg, kind)) = arg {
                lines.push(format!("{} {}", s.name, other_value(arg, kind, s.default)));
            }
            for p in props {
                lines.push(format!(
                    "{}{needed_arg} {}={}",
                    s.name,
                    p.name,
                    other_value(p.name, p.kind, p.default)
                ));
            }
            lines
        }
        Shape::List(_) => vec![format!(
            "{} {}",
            s.name,
            match s.name {
                "four-letter-words" => "\"ruok\" \"srvr\" \"stat\"",
                "jvm-flags" => "\"-XX:+UseG1GC\"",
                _ => "\"walk-other\"",
            }
        )],
        Shape::Map => vec![match s.name {
            "set" => "set \"snapCount\" \"50000\"".to_owned(),
            "env" => "env TZ=\"UTC\"".to_owned(),
            "annotations" | "pod-annotations" => format!("{} \"example.com/a\"=\"b\"", s.name),
            _ => format!("{} team=\"a\"", s.name),
        }],
        Shape::Records { item, props } => {
            let fields: Vec<String> = props
                .iter()
                .map(|p| format!("{}={}", p.name, other_value(p.name, p.kind, p.default)))
                .collect();
            vec![format!("{} {{ {item} {} }}", s.name, fields.join(" "))]
        }
        // Walked item by item in `every_item_setting_changes_the_output_or_is_reported`.
        Shape::Block(_) | Shape::Items { .. } => Vec::new(),
    }
}

/// A valid item of each items setting, as (setting, value) lines: the walk changes one line at
/// a time. A source of a volume replaces `empty-dir`, so the variant is not two sources.
fn base_item(setting: &str) -> Vec<(&'static str, String)> {
    match setting {
        "volumes" => vec![
            ("empty-dir", "#true".into()),
            ("mount", kdl_string("/walk")),
        ],
        "mounts" => vec![("path", kdl_string("/walk"))],
        _ => vec![
            ("image", kdl_string("registry.example.com/walk:1.0")),
            ("resources", "cpu=\"10m\" memory=\"16Mi\"".into()),
            (
                "mounts",
                format!(
                    "{{ {} }}",
                    item_line("mount", "mounts", &base_item("mounts"))
                ),
            ),
        ],
    }
}

/// `item "NAME" { setting value; … }`; a mount names the volume the walk's ensemble has.
fn item_line(item: &str, setting: &str, lines: &[(&str, String)]) -> String {
    let name = if setting == "mounts" {
        "walk-volume"
    } else {
        "walk"
    };
    let body: Vec<String> = lines.iter().map(|(k, v)| format!("{k} {v}")).collect();
    format!("{item} \"{name}\" {{ {} }}", body.join("; "))
}

/// Every variant of an item: the base with one of its settings, argument or property changed.
fn item_variants(setting: &str, item: &str, settings: &[Setting]) -> Vec<String> {
    let base = base_item(setting);
    let mut out = Vec::new();
    for s in settings {
        let base_value = base
            .iter()
            .find(|(k, _)| *k == s.name)
            .map(|(_, v)| v.clone());
        let changed: Vec<String> = match s.shape {
            Shape::Value(Kind::Bool) if base_value.as_deref() == Some("#true") => {
                vec!["#false".into()]
            }
            Shape::Value(Kind::Str) if matches!(s.name, "mount" | "path") => {
                vec![kdl_string("/walk-other")]
            }
            Shape::Value(kind) => vec![other_value(s.name, kind, s.default)],
            Shape::List(_) => vec![kdl_string("walk-other")],
            Shape::Map => vec!["WALK=\"x\"".into()],
            Shape::Props { arg, props } => {
                let mut v: Vec<String> = arg
                    .iter()
                    .map(|(a, k)| other_value(a, *k, s.default))
                    .collect();
                // A property changed, the others (and the argument) as in the base.
                v.extend(props.iter().map(|p| {
                    let value = other_value(p.name, p.kind, p.default);
                    match (&base_value, arg) {
                        (Some(b), None) if b.contains(&format!("{}=", p.name)) => {
                            let kept: Vec<&str> = b
                                .split(' ')
                                .filter(|w| !w.starts_with(&format!("{}=", p.name)))
                                .collect();
                            format!("{}={value} {}", p.name, kept.join(" "))
                        }
                        (Some(b), _) => format!("{b} {}={value}", p.name),
                        (None, _) => format!("{}={value}", p.name),
                    }
                }));
                v
            }
            Shape::Items {
                item: inner,
                settings: inner_settings,
            } => item_variants(s.name, inner, inner_settings)
                .into_iter()
                .map(|line| format!("{{ {line} }}"))
                .collect(),
            Shape::Records { .. } | Shape::Block(_) => unreachable!("no such item setting"),
        };
        for value in changed {
            let mut lines: Vec<(&str, String)> = base.clone();
            lines.retain(|(k, _)| *k != s.name && !(is_source(s.name) && *k == "empty-dir"));
            lines.push((s.name, value));
            out.push(item_line(item, setting, &lines));
        }
    }
    out
}

fn is_source(name: &str) -> bool {
    matches!(name, "secret" | "config-map" | "claim")
}

#[test]
fn every_setting_changes_the_output_or_is_reported() {
    // The baseline has one warning (ZK0056: Flux without the Namespace); a variant is reported
    // when its diagnostics differ from that.
    let (baseline, baseline_diagnostics) = compiled(&spec(Level::Ensemble, ""));
    let baseline = baseline.expect("the baseline compiles");
    assert_eq!(
        baseline_diagnostics, 1,
        "the baseline has only its known warning"
    );
    let levels = [
        (Level::Ensemble, ENSEMBLE_SETTINGS),
        (Level::ZooCfg, ZOO_CFG_SETTINGS),
        (Level::NetworkPolicy, NETWORK_POLICY_SETTINGS),
        (Level::Tls, TLS_SETTINGS),
        (Level::Sasl, SASL_SETTINGS),
        (Level::PrometheusOperator, PROMETHEUS_OPERATOR_SETTINGS),
        (Level::Environment, ENVIRONMENT_SETTINGS),
    ];
    let mut silent = Vec::new();
    let mut walked = 0;
    for (level, settings) in levels {
        // The blocks that turn metrics on have a baseline of their own: the block left empty.
        let (baseline, baseline_diagnostics) = match level {
            Level::NetworkPolicy | Level::PrometheusOperator => {
                let (tree, diagnostics) = compiled(&spec(level, ""));
                (tree.expect("the metrics baseline compiles"), diagnostics)
            }
            _ => (baseline.clone(), baseline_diagnostics),
        };
        for setting in settings {
            for line in variants(setting) {
                walked += 1;
                let (tree, diagnostics) = compiled(&spec(level, &line));
                if diagnostics == baseline_diagnostics && tree.as_ref() == Some(&baseline) {
                    silent.push(line);
                }
            }
        }
    }
    assert!(walked > 60, "the walk covered only {walked} variants");
    assert!(
        silent.is_empty(),
        "accepted without effect or diagnostic:\n{}",
        silent.join("\n")
    );
}

/// The negative control: the walk's comparison sees a setting that is accepted and ignored.
/// Writing a setting's default value changes nothing and reports nothing, and is caught.
#[test]
fn the_walk_catches_a_setting_without_effect() {
    let (baseline, baseline_diagnostics) = compiled(&spec(Level::Ensemble, ""));
    let (same, diagnostics) = compiled(&spec(Level::Ensemble, "servers 3"));
    assert_eq!(diagnostics, baseline_diagnostics);
    assert_eq!(same, baseline);
}

/// The same walk for the settings of `volumes`, `init-containers` and `sidecars` (and their
/// `mounts`): each against the output of its own base item.
#[test]
fn every_item_setting_changes_the_output_or_is_reported() {
    let mut silent = Vec::new();
    let mut walked = 0;
    for s in ENSEMBLE_SETTINGS {
        let Shape::Items { item, settings } = s.shape else {
            continue;
        };
        let base = format!(
            "{} {{ {} }}",
            s.name,
            item_line(item, s.name, &base_item(s.name))
        );
        // A volume of its own is mounted by a container's `mounts` walk.
        let extra = match s.name {
            "volumes" => "",
            _ => "volumes { volume \"walk-volume\" empty-dir=#true mount=\"/walk-volume\" }",
        };
        let (baseline, baseline_diagnostics) =
            compiled(&spec(Level::Ensemble, &format!("{base}\n{extra}")));
        let baseline = baseline.unwrap_or_else(|| panic!("the base item of `{}` compiles", s.name));
        for line in item_variants(s.name, item, settings) {
            let line = format!("{} {{ {line} }}", s.name);
            walked += 1;
            let (tree, diagnostics) = compiled(&spec(Level::Ensemble, &format!("{line}\n{extra}")));
            if diagnostics == baseline_diagnostics && tree.as_ref() == Some(&baseline) {
                silent.push(line);
            }
        }
    }
    assert!(walked > 20, "the walk covered only {walked} item variants");
    assert!(
        silent.is_empty(),
        "accepted without effect or diagnostic:\n{}",
        silent.join("\n")
    );
}
