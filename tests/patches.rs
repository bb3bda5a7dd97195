//! Patches on zkc's objects (issue #15), on the real binary: what a user writes next to the
//! specs, what lands in `out/`, and what a later edit or a broken patch does to it.

mod support;

use std::fs;

use support::*;

fn project(patch: &str, ensemble: &str) -> Project {
    let spec = format!(
        "environment \"develop\" {{ import \"lib/base.kdl\"; patches \"extra/patch.yaml\"; ensemble \"zookeeper\" {ensemble} }}"
    );
    Project::new(&[
        ("lib/base.kdl", LIB),
        ("develop.kdl", spec.as_str()),
        ("extra/patch.yaml", patch),
    ])
}

const NODE_POOL: &str = "\
target: {kind: StatefulSet, name: zookeeper}
patch:
  - op: add
    path: /spec/template/spec/affinity/nodeAffinity
    value:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions: [{key: pool, operator: In, values: [zk]}]
  - {op: add, path: /metadata/annotations/example.com~1owner, value: platform}
";

#[test]
fn a_patch_lands_in_out_with_the_parents_it_needs_and_a_rebuild_writes_nothing() {
    // Without spreading there is no `affinity` (and no annotation map) to add to: zkc makes
    // them for the patch.
    let p = project(NODE_POOL, "{ spread \"none\"; zone-spread \"none\" }");
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let sts = fs::read_to_string(p.path("out/develop/statefulset-zookeeper.yaml")).unwrap();
    assert!(
        sts.contains("      affinity:\n        nodeAffinity:\n"),
        "{sts}"
    );
    assert!(sts.contains("    example.com/owner: platform\n"), "{sts}");
    let again = p.zkc(&["build", "specs"]);
    assert!(stderr(&again).contains("0 written"), "{}", stderr(&again));
    assert_eq!(code(&p.zkc(&["check", "specs"])), 0);
    // With spreading on, the node affinity joins zkc's pod anti-affinity.
    p.write(
        "specs/develop.kdl",
        "environment \"develop\" { import \"lib/base.kdl\"; patches \"extra/patch.yaml\"; ensemble \"zookeeper\" }",
    );
    assert_eq!(code(&p.zkc(&["build", "specs"])), 0);
    let sts = fs::read_to_string(p.path("out/develop/statefulset-zookeeper.yaml")).unwrap();
    assert!(
        sts.contains("nodeAffinity:") && sts.contains("podAntiAffinity:"),
        "{sts}"
    );
}

#[test]
fn a_patch_zkc_refuses_leaves_out_untouched() {
    let p = project(NODE_POOL, "");
    assert_eq!(code(&p.zkc(&["build", "specs"])), 0);
    let before = fs::read_to_string(p.path("out/develop/statefulset-zookeeper.yaml")).unwrap();
    p.write(
        "specs/extra/patch.yaml",
        "target: {kind: StatefulSet, name: zookeeper}\npatch:\n  - {op: replace, path: /spec/selector, value: {matchLabels: {app: other}}}\n",
    );
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("ZK0087"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("specs/extra/patch.yaml:3:"),
        "{}",
        stderr(&out)
    );
    let after = fs::read_to_string(p.path("out/develop/statefulset-zookeeper.yaml")).unwrap();
    assert_eq!(before, after);
}
