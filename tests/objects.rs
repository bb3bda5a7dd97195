//! Properties of the emitted objects that golden files show only by example.

use zkc::compile::{NothingDeployed, compile};
use zkc::render::Tree;
use zkc::source::SourceMap;

fn tree(spec: &str) -> Tree {
    let mut sources = SourceMap::default();
    sources.add("a.kdl".into(), "specs/a.kdl".into(), spec.into());
    let c = compile(sources, &NothingDeployed);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    c.tree.unwrap()
}

#[test]
fn disabling_the_network_policy_removes_it_from_the_kustomization() {
    let t = tree(r#"environment "a" { ensemble "zk" { network-policy { enabled #false } } }"#);
    assert!(!t.keys().any(|k| k.contains("networkpolicy")));
    assert!(!t["a/kustomization.yaml"].contains("networkpolicy"));
}

#[test]
fn without_a_datalog_volume_the_log_stays_in_the_data_directory() {
    let t = tree(r#"environment "a" { ensemble "zk" }"#);
    let cfg = &t["a/configmap-zk-config.yaml"];
    assert!(
        cfg.contains("dataDir=/data") && !cfg.contains("dataLogDir"),
        "{cfg}"
    );
    let t = tree(r#"environment "a" { ensemble "zk" { datalog "5Gi" } }"#);
    assert!(t["a/configmap-zk-config.yaml"].contains("dataLogDir=/datalog"));
    assert!(t["a/statefulset-zk.yaml"].contains("mountPath: /datalog"));
}

#[test]
fn a_config_change_changes_the_pod_template_checksum() {
    let checksum = |t: &Tree| {
        let sts = &t["a/statefulset-zk.yaml"];
        sts.lines()
            .find(|l| l.contains("zkc.dev/config-checksum"))
            .unwrap()
            .to_owned()
    };
    let a = tree(r#"environment "a" { ensemble "zk" }"#);
    let b = tree(r#"environment "a" { ensemble "zk" { zoo-cfg { tick-time 3000 } } }"#);
    let c = tree(r#"environment "a" { ensemble "zk" { labels team="x" } }"#);
    assert_ne!(checksum(&a), checksum(&b), "zoo.cfg changed");
    assert_eq!(checksum(&a), checksum(&c), "zoo.cfg unchanged");
}

#[test]
fn the_heap_defaults_to_three_quarters_of_the_memory_limit() {
    let t = tree(r#"environment "a" { ensemble "zk" { resources cpu="1" memory="2Gi" } }"#);
    assert!(t["a/statefulset-zk.yaml"].contains("value: '1536'"));
}

#[test]
fn retain_storage_false_deletes_claims_with_the_statefulset() {
    let t = tree(r#"environment "a" { ensemble "zk" { retain-storage #false } }"#);
    assert!(t["a/statefulset-zk.yaml"].contains("whenDeleted: Delete"));
}
