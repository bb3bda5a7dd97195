//! What each commit does to a running ensemble (issue #13), on the real binary: a spec as it
//! was, `out/` built from it, the spec as a hurried user edits it, and the exact diagnostic or
//! summary line `zkc build`, `zkc diff` and `zkc check` give for it.

mod support;

use std::fs;

use support::*;

/// One environment `develop` with one ensemble whose body is `body`.
fn spec(body: &str) -> String {
    format!(
        "environment \"develop\" {{ import \"lib/base.kdl\"; ensemble \"zookeeper\" {{ {body} }} }}"
    )
}

fn project(body: &str) -> Project {
    let p = Project::new(&[("lib/base.kdl", LIB), ("develop.kdl", &spec(body))]);
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    p
}

/// Edits the spec, runs `args`, and returns (exit code, stdout, stderr with the diagnostics'
/// line wrapping undone).
fn after(p: &Project, body: &str, args: &[&str]) -> (i32, String, String) {
    p.write("specs/develop.kdl", &spec(body));
    let out = p.zkc(args);
    (code(&out), stdout(&out), unwrapped(&stderr(&out)))
}

/// miette wraps messages and help lines at the terminal width; the words are what matter.
fn unwrapped(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

fn replicas(p: &Project) -> String {
    let sts = fs::read_to_string(p.path("out/develop/statefulset-zookeeper.yaml")).unwrap();
    sts.lines()
        .find_map(|l| l.strip_prefix("  replicas: "))
        .unwrap()
        .to_owned()
}

#[test]
fn growing_three_to_five_takes_one_acknowledged_server_per_commit() {
    let p = project("servers 3");
    let before = p.snapshot();
    let (rc, _, err) = after(&p, "servers 5", &["build", "specs"]);
    assert_eq!(rc, 1, "{err}");
    assert!(
        err.contains("ZK0046") && err.contains("`servers 4 acknowledge-resize-from=3`"),
        "{err}"
    );
    let (rc, _, err) = after(
        &p,
        "servers 5 acknowledge-resize-from=3",
        &["build", "specs"],
    );
    assert_eq!(rc, 1, "{err}");
    assert!(
        err.contains("ZK0066") && err.contains("from 3 to 5 servers in one step"),
        "{err}"
    );
    assert_eq!(p.snapshot(), before, "a refused build writes nothing");

    // 3 → 4 cannot be rolled (ZK0069): the step is acknowledged as a cold one.
    let (rc, _, err) = after(
        &p,
        "servers 4 acknowledge-resize-from=3",
        &["build", "specs"],
    );
    assert_eq!(rc, 1, "{err}");
    assert!(
        err.contains("ZK0069") && err.contains("cold-restart=#true"),
        "{err}"
    );
    for (from, to, cold) in [(3, 4, " cold-restart=#true"), (4, 5, "")] {
        let step = format!("servers {to} acknowledge-resize-from={from}{cold}");
        let (rc, diff, err) = after(&p, &step, &["diff", "specs"]);
        assert_eq!(rc, 0, "{err}");
        assert!(
            diff.contains(&format!("# StatefulSet develop/zookeeper: scales {from} → {to}, starting server {to}; rolls {from} servers")),
            "{diff}"
        );
        // Every commit of the procedure passes the strictest CI gate, the even step too.
        let (rc, _, err) = after(&p, &step, &["build", "specs", "--deny-warnings"]);
        assert_eq!(rc, 0, "{step}: {err}");
        assert_eq!(replicas(&p), to.to_string());
        let (rc, _, err) = after(&p, &step, &["check", "specs", "--deny-warnings"]);
        assert_eq!(rc, 0, "check on the commit that resizes: {err}");
    }
}

#[test]
fn a_left_over_acknowledgement_authorises_nothing_later() {
    let p = project("servers 5");
    assert_eq!(
        after(
            &p,
            "servers 4 acknowledge-resize-from=5",
            &["build", "specs"]
        )
        .0,
        0
    );
    // Rebuilt as it is: a warning that it is spent, nothing written.
    let (rc, _, err) = after(
        &p,
        "servers 4 acknowledge-resize-from=5",
        &["build", "specs"],
    );
    assert_eq!(rc, 0, "{err}");
    assert!(err.contains("ZK0059") && err.contains("0 written"), "{err}");
    // A later edit that keeps it cannot jump anywhere.
    for target in ["servers 3", "servers 6", "servers 1"] {
        let (rc, _, err) = after(
            &p,
            &format!("{target} acknowledge-resize-from=5"),
            &["build", "specs"],
        );
        assert_eq!(rc, 1, "{target}: {err}");
        assert!(
            err.contains("ZK0065") && err.contains("out/ has 4"),
            "{target}: {err}"
        );
    }
}

#[test]
fn shrinking_five_to_three_takes_two_acknowledged_steps() {
    let p = project("servers 5");
    let (rc, _, err) = after(&p, "servers 3", &["build", "specs"]);
    assert_eq!(rc, 1);
    assert!(
        err.contains("`servers 4 acknowledge-resize-from=5`"),
        "{err}"
    );
    for (from, to) in [(5, 4), (4, 3)] {
        let step = format!("servers {to} acknowledge-resize-from={from}");
        let (rc, diff, _) = after(&p, &step, &["diff", "specs"]);
        assert_eq!(rc, 0);
        assert!(
            diff.contains(&format!("# StatefulSet develop/zookeeper: scales {from} → {to}, deleting server {from}; rolls {to} servers")),
            "{diff}"
        );
        let (rc, _, err) = after(&p, &step, &["build", "specs", "--deny-warnings"]);
        assert_eq!(rc, 0, "{step}: {err}");
        assert_eq!(replicas(&p), to.to_string());
    }
}

#[test]
fn renaming_or_removing_an_ensemble_needs_allow_removal() {
    let p = project("servers 3");
    let before = p.snapshot();
    p.write(
        "specs/develop.kdl",
        "environment \"develop\" { import \"lib/base.kdl\"; ensemble \"zk\" }",
    );
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 1);
    let err = unwrapped(&stderr(&out));
    assert!(
        err.contains("ZK0067")
            && err.contains("ensemble develop/zookeeper (3 servers) is no longer in the spec")
            && err.contains("`zk` is new here: a renamed ensemble starts empty")
            && err.contains("--allow-removal develop/zookeeper"),
        "{err}"
    );
    assert_eq!(p.snapshot(), before);
    let out = p.zkc(&["build", "specs", "--allow-removal", "develop/zookeeper"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!p.path("out/develop/statefulset-zookeeper.yaml").exists());
    assert!(p.path("out/develop/statefulset-zk.yaml").is_file());
}

#[test]
fn deleting_an_environment_needs_allow_removal_of_its_namespace() {
    let p = project("servers 3");
    fs::remove_file(p.path("specs/develop.kdl")).unwrap();
    p.write(
        "specs/other.kdl",
        "environment \"other\" { import \"lib/base.kdl\"; ensemble \"zookeeper\" }",
    );
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 1);
    let err = unwrapped(&stderr(&out));
    assert!(
        err.contains("namespace develop is no longer built: the sync would delete ensemble develop/zookeeper (3 servers)")
            && err.contains("`--allow-removal develop`"),
        "{err}"
    );
    let out = p.zkc(&[
        "build",
        "specs",
        "--allow-removal",
        "develop/other-ensemble",
    ]);
    assert_eq!(
        code(&out),
        1,
        "allowing another ensemble allows nothing here"
    );
    let out = p.zkc(&["build", "specs", "--allow-removal", "develop"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!p.path("out/develop").exists());
}

#[test]
fn a_field_the_api_server_cannot_update_needs_the_recreate_procedure() {
    let p = project("storage \"10Gi\"");
    let before = p.snapshot();
    for body in [
        "storage \"20Gi\"",
        "storage \"10Gi\" class=\"fast\"",
        "datalog \"5Gi\"",
    ] {
        let (rc, _, err) = after(&p, body, &["build", "specs"]);
        assert_eq!(rc, 1, "{body}: {err}");
        assert!(
            err.contains("ZK0068")
                && err.contains("cannot change on a running StatefulSet")
                && err.contains("--allow-recreate develop/zookeeper"),
            "{body}: {err}"
        );
        assert_eq!(p.snapshot(), before, "{body}: nothing written");
    }
    let (rc, _, err) = after(
        &p,
        "storage \"20Gi\"",
        &["build", "specs", "--allow-recreate", "develop/zookeeper"],
    );
    assert_eq!(rc, 0, "{err}");
    // What may change in place still does, without the flag.
    let (rc, _, err) = after(
        &p,
        "storage \"20Gi\"; retain-storage #false",
        &["build", "specs"],
    );
    assert_eq!(rc, 0, "{err}");
}

#[test]
fn check_and_diff_name_the_effect_of_a_zoo_cfg_change() {
    let p = project("zoo-cfg { tick-time 2000; }");
    p.write("specs/develop.kdl", &spec("zoo-cfg { tick-time 3000; }"));
    let out = p.zkc(&["check", "specs"]);
    assert_eq!(code(&out), 3);
    assert!(
        stdout(&out).contains("stale: out/develop/statefulset-zookeeper.yaml  (StatefulSet develop/zookeeper: rolls 3 servers, 3 → 2 → 1 (zoo.cfg tickTime 2000 → 3000))"),
        "{}",
        stdout(&out)
    );
    let out = p.zkc(&["--message-format", "github", "diff", "specs"]);
    assert_eq!(code(&out), 0);
    assert!(
        stdout(&out).lines().any(|l| l == "::notice file=out/develop/statefulset-zookeeper.yaml,title=zkc%3A update::StatefulSet develop/zookeeper: rolls 3 servers, 3 → 2 → 1 (zoo.cfg tickTime 2000 → 3000)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn diff_exit_code_says_whether_build_would_change_anything() {
    let p = project("servers 3");
    let out = p.zkc(&["diff", "--exit-code", "specs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    p.write("specs/develop.kdl", &spec("resources cpu=\"1\""));
    let out = p.zkc(&["diff", "--exit-code", "specs"]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        code(&p.zkc(&["diff", "specs"])),
        0,
        "without the flag a diff is not a failure"
    );
}

#[test]
fn the_summary_names_upgrades_and_new_users() {
    let p = project("security uid=10000");
    let (_, diff, _) = after(
        &p,
        "security uid=10001; image \"docker.io/library/zookeeper:3.9.4\"",
        &["diff", "specs"],
    );
    assert!(
        diff.contains("# StatefulSet develop/zookeeper: rolls 3 servers, 3 → 2 → 1; each server's volumes are re-owned for the new user before it starts (image docker.io/library/zookeeper:3.9.3 → docker.io/library/zookeeper:3.9.4, securityContext.runAsUser 10000 → 10001)"),
        "{diff}"
    );
}
