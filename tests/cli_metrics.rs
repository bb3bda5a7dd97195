//! Issue #14 through the real binary: the metrics settings build their objects, and each misuse
//! is reported with its code and exit status, nothing written.

mod support;

use support::*;

fn spec(body: &str) -> String {
    format!("environment \"a\" {{\n    ensemble \"zk\" {{\n        {body}\n    }}\n}}\n")
}

const COMPLETE: &str = "metrics #true\n        network-policy { metrics-from-namespaces \"monitoring\" }\n        prometheus-operator { monitor \"service-monitor\"; rules #true; labels release=\"prom\" }";

#[test]
fn a_monitor_and_rules_build_with_the_metrics_service() {
    let p = Project::new(&[("a.kdl", &spec(COMPLETE))]);
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("ZK0"),
        "no warning: {}",
        stderr(&out)
    );
    let read = |file: &str| std::fs::read_to_string(p.path(&format!("out/a/{file}"))).unwrap();
    // The labels Prometheus selects by are on its objects; the Service carries the one the
    // ServiceMonitor selects it by.
    for file in ["servicemonitor-zk.yaml", "prometheusrule-zk.yaml"] {
        assert!(read(file).contains("release: prom"), "{file}");
    }
    assert!(read("service-zk-metrics.yaml").contains("zkc.dev/service: metrics"));
    assert_eq!(code(&p.zkc(&["check", "specs"])), 0);
}

/// (spec body, code, exit status of `build`, of `build --deny-warnings`)
const MISUSES: &[(&str, &str, i32, i32)] = &[
    (
        "prometheus-operator { monitor \"pod-monitor\" }",
        "ZK0070",
        1,
        1,
    ),
    (
        "network-policy { metrics-from-namespaces \"monitoring\" }",
        "ZK0070",
        1,
        1,
    ),
    (
        "metrics #true\n        prometheus-operator { monitor \"pod-monitor\" }",
        "ZK0071",
        0,
        1,
    ),
    (
        "metrics #true\n        network-policy { metrics-from-namespaces \"Monitoring\" }",
        "ZK0030",
        1,
        1,
    ),
    (
        "metrics #true\n        prometheus-operator { labels release=\"prom\" }",
        "ZK0057",
        0,
        1,
    ),
];

#[test]
fn each_misuse_is_reported_with_its_code_and_exit_status() {
    for (body, expected, exit, deny_exit) in MISUSES {
        let p = Project::new(&[("a.kdl", &spec(body))]);
        let strict = p.zkc(&["build", "specs", "--deny-warnings"]);
        assert_eq!(code(&strict), *deny_exit, "{body}: {}", stderr(&strict));
        assert!(
            stderr(&strict).contains(expected),
            "{body}: {}",
            stderr(&strict)
        );
        assert!(!p.path("out").exists(), "{body}: nothing written");
        let out = p.zkc(&["build", "specs"]);
        assert_eq!(code(&out), *exit, "{body}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{body}: {}", stderr(&out));
    }
}

#[test]
fn explain_knows_the_new_codes() {
    let p = Project::new(&[("a.kdl", &spec(COMPLETE))]);
    for code_ in ["ZK0070", "ZK0071"] {
        let out = p.zkc(&["explain", code_]);
        assert_eq!(code(&out), 0);
        assert!(stdout(&out).contains("metrics"), "{}", stdout(&out));
    }
}
