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

#[test]
fn argocd_options() {
    let app = |props: &str| {
        tree(&format!("environment \"qa\" {{ ensemble \"zk\"; argocd repo=\"https://git.example.com/zk.git\" {props} }}"))["_argocd/qa.yaml"].clone()
    };
    let defaults = app("");
    for line in [
        "name: zookeeper-qa",
        "namespace: argocd",
        "project: default",
        "targetRevision: HEAD",
        "path: out/qa",
        "server: https://kubernetes.default.svc",
        "prune: true",
        "selfHeal: true",
        "- CreateNamespace=true",
        "pod-security.kubernetes.io/enforce: restricted",
    ] {
        assert!(defaults.contains(line), "{line} in\n{defaults}");
    }
    let custom = app(
        "server=\"https://api.dev.example.com:6443\" self-heal=#false app-namespace=\"gitops\" revision=\"v2\"",
    );
    for line in [
        "server: https://api.dev.example.com:6443",
        "selfHeal: false",
        "namespace: gitops",
        "targetRevision: v2",
    ] {
        assert!(custom.contains(line), "{line} in\n{custom}");
    }
    let by_name = app("cluster=\"dev\"");
    assert!(
        by_name.contains("name: dev") && !by_name.contains("server:"),
        "{by_name}"
    );
    let manual = app("sync=\"manual\"");
    assert!(
        !manual.contains("automated"),
        "no automated sync when asked for manual sync:\n{manual}"
    );
}

#[test]
fn flux_options() {
    let k = |props: &str| {
        tree(&format!("environment \"qa\" {{ ensemble \"zk\"; ensemble \"zk2\"; flux source=\"repo\" {props} }}"))["_flux/qa.yaml"].clone()
    };
    let defaults = k("");
    for line in [
        "apiVersion: kustomize.toolkit.fluxcd.io/v1",
        "namespace: flux-system",
        "interval: 10m",
        "path: ./out/qa",
        "prune: true",
        "kind: GitRepository",
        "name: repo",
        "targetNamespace: qa",
        "name: zk2",
    ] {
        assert!(defaults.contains(line), "{line} in\n{defaults}");
    }
    assert!(
        !defaults.contains("    namespace: flux-system\n  targetNamespace"),
        "source namespace omitted by default"
    );
    let custom =
        k("prune=#false interval=\"1m\" path-prefix=\"deploy/out\" source-namespace=\"sources\"");
    for line in [
        "prune: false",
        "interval: 1m",
        "path: ./deploy/out/qa",
        "namespace: sources",
    ] {
        assert!(custom.contains(line), "{line} in\n{custom}");
    }
}

/// ZK0052 checks the names `names::objects` lists; this holds that list to what `emit` really
/// builds, for every kind of ensemble (per-server Services, no NetworkPolicy, a renamed client
/// Service), so a new object cannot escape the clash check.
#[test]
fn the_clash_check_knows_every_emitted_object() {
    let spec = r#"environment "a" {
        ensemble "zk"
        ensemble "events" { servers 5; peer-discovery "per-server-services"; client-service "ClusterIP" name="events-client" }
        ensemble "locks" { network-policy { enabled #false } }
    }"#;
    let mut sources = SourceMap::default();
    sources.add("a.kdl".into(), "specs/a.kdl".into(), spec.into());
    let c = compile(sources, &NothingDeployed);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    for env in &c.environments {
        let mut emitted: Vec<(String, String)> = zkc::emit::environment(env)
            .namespaced
            .iter()
            .map(|o| (o.kind().to_owned(), o.name().to_owned()))
            .collect();
        let mut listed: Vec<(String, String)> = env
            .ensembles
            .iter()
            .flat_map(zkc::emit::names::objects)
            .map(|(kind, name)| (kind.to_owned(), name))
            .collect();
        emitted.sort();
        listed.sort();
        assert_eq!(emitted, listed);
    }
}

/// Record properties keep their types (issue #12, item 11): `toleration-seconds` reaches the
/// toleration as an integer, not as the text of one.
#[test]
fn record_properties_keep_their_types() {
    let t = tree(
        r#"environment "a" { ensemble "zk" { tolerations { toleration key="node.kubernetes.io/unreachable" operator="Exists" effect="NoExecute" toleration-seconds=30 } } }"#,
    );
    let sts = &t["a/statefulset-zk.yaml"];
    assert!(sts.contains("tolerationSeconds: 30\n"), "{sts}");
}

/// Issue #12, item 8: `prune=#false self-heal=#false` used to drop automated sync without a
/// word; automated sync stays on and only the two options are off.
#[test]
fn argocd_without_prune_and_self_heal_still_syncs_automatically() {
    let t = tree(
        r#"environment "a" { ensemble "zk"; argocd repo="https://git.example.com/zk.git" prune=#false self-heal=#false }"#,
    );
    let app = &t["_argocd/a.yaml"];
    assert!(
        app.contains("automated:\n      prune: false\n      selfHeal: false\n"),
        "{app}"
    );
}

/// `volumes` may not take a name zkc gives a pod volume (ZK0077) whatever is switched on, so
/// the reserved list must hold every name zkc emits: here with TLS, SASL and a datalog.
#[test]
fn every_volume_zkc_emits_has_a_reserved_name() {
    let t = tree(
        r#"environment "a" { ensemble "zk" {
            datalog "5Gi"
            tls { client #true; quorum "on"; secret "zk-tls" }
            sasl { secret "zk-sasl"; client #true; quorum "required" }
        } }"#,
    );
    let sts: serde_yaml::Value = serde_yaml::from_str(&t["a/statefulset-zk.yaml"]).unwrap();
    let spec = &sts["spec"];
    let names: Vec<&str> = spec["template"]["spec"]["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .chain(spec["volumeClaimTemplates"].as_sequence().unwrap())
        .map(|v| {
            v["name"]
                .as_str()
                .or(v["metadata"]["name"].as_str())
                .unwrap()
        })
        .collect();
    assert!(names.len() >= 8, "{names:?}");
    for name in names {
        assert!(
            zkc::emit::RESERVED_VOLUME_NAMES.contains(&name),
            "{name} is emitted but not reserved"
        );
    }
}
