//! Issue #14: every metric the emitted alerts select is one ZooKeeper 3.9.4 really exports.
//! `tests/metrics/names-3.9.4.txt` is scraped from a running 3-server ensemble by
//! `tests/metrics/scrape.py`; an alert on a misspelt or retired name would never fire, and
//! nothing else would notice. (`.ci/promql-check` does the same with Prometheus's own parser;
//! this test needs no Go and runs with `cargo test`.)

use std::collections::BTreeSet;

use zkc::compile::{NothingDeployed, compile};
use zkc::source::SourceMap;

const NAMES: &str = include_str!("metrics/names-3.9.4.txt");
/// Series Prometheus writes itself for every target.
const SYNTHETIC: &[&str] = &["up"];
/// Operators, and the aggregations, whose `by (…)` may stand between the name and its `(`.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
];

fn exported() -> BTreeSet<&'static str> {
    NAMES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .chain(SYNTHETIC.iter().copied())
        .collect()
}

/// The metric names a PromQL expression selects, found lexically: identifiers outside string
/// literals, label matchers `{…}`, ranges `[…]` and grouping lists `by (…)`, that are neither
/// keywords nor called as functions. Enough for the expressions zkc writes.
fn selected_metrics(expr: &str) -> Vec<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut names = Vec::new();
    let mut i = 0;
    let mut skip_group = false;
    while i < chars.len() {
        let c = chars[i];
        let closing = match c {
            '"' => Some('"'),
            '{' => Some('}'),
            '[' => Some(']'),
            '(' if skip_group => Some(')'),
            _ => None,
        };
        if let Some(end) = closing {
            skip_group = false;
            i += 1;
            while i < chars.len() && chars[i] != end {
                i += 1;
            }
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            // Numbers, including exponents and durations (`1e6`, `5m`).
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_:".contains(chars[i])) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let rest = chars[i..].iter().find(|c| !c.is_whitespace());
            if [
                "by",
                "without",
                "on",
                "ignoring",
                "group_left",
                "group_right",
            ]
            .contains(&word.as_str())
            {
                skip_group = true;
            } else if !KEYWORDS.contains(&word.as_str()) && rest != Some(&'(') {
                names.push(word);
            }
        } else {
            i += 1;
        }
    }
    names
}

/// The alert expressions of a spec asking for every rule, as emitted.
fn emitted_expressions() -> Vec<String> {
    let spec = r#"environment "a" {
        ensemble "zk" {
            metrics #true
            network-policy { metrics-from-namespaces "monitoring" }
            prometheus-operator { monitor "pod-monitor"; rules #true }
        }
    }"#;
    let mut sources = SourceMap::default();
    sources.add("a.kdl".into(), "specs/a.kdl".into(), spec.into());
    let c = compile(sources, &NothingDeployed);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    let tree = c.tree.unwrap();
    let rule = &tree["a/prometheusrule-zk.yaml"];
    let exprs: Vec<String> = rule
        .lines()
        .filter_map(|l| l.trim().strip_prefix("expr: "))
        .map(str::to_owned)
        .collect();
    assert!(exprs.len() >= 7, "{rule}");
    exprs
}

/// The names an expression selects that ZooKeeper does not export.
fn unknown_names(expr: &str) -> Vec<String> {
    let exported = exported();
    selected_metrics(expr)
        .into_iter()
        .filter(|n| !exported.contains(n.as_str()))
        .collect()
}

#[test]
fn every_alert_selects_only_metrics_zookeeper_exports() {
    let mut selected = 0;
    for expr in emitted_expressions() {
        selected += selected_metrics(&expr).len();
        assert_eq!(unknown_names(&expr), Vec::<String>::new(), "in {expr}");
    }
    assert!(selected >= 9, "the lexer found only {selected} selectors");
}

/// The negative control: the check sees a misspelt name, and reads past what is not a name.
#[test]
fn a_misspelt_metric_name_is_caught() {
    let expr = r#"rate(fsync_time_sum{namespace="a",pod=~"zk-[0-9]+"}[5m]) / rate(fsynctime_count{x="y"}[5m]) > 1e2"#;
    assert_eq!(unknown_names(expr), ["fsync_time_sum"]);
    let grouped =
        r#"count(count by (pod) (up{pod=~"x"} == 1)) or vector(0) unless count(leader_uptime)"#;
    assert_eq!(selected_metrics(grouped), ["up", "leader_uptime"]);
}

#[test]
fn the_names_list_is_a_real_scrape() {
    let names = exported();
    assert!(names.len() > 300, "{} names", names.len());
    for name in [
        "znode_count",
        "leader_uptime",
        "fsynctime_count",
        "election_time_count",
    ] {
        assert!(names.contains(name), "{name}");
    }
}
