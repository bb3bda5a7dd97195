//! TLS and SASL (issue #14) through the real binary: every misuse is refused with its code, and
//! quorum TLS and SASL reach a deployed ensemble one phase per commit, read back from `out/`.

mod support;

use support::*;

fn spec(body: &str) -> String {
    format!("environment \"staging\" {{\n    ensemble \"zk\" {{\n        {body}\n    }}\n}}\n")
}

const SOURCE: &str = "secret \"zk-tls\"";

#[test]
fn every_misuse_is_refused_with_its_code() {
    let cases = [
        ("tls { client #true }", "ZK0080"),
        (
            "tls { quorum \"on\"; issuer \"zk-ca\"; secret \"zk-tls\" }",
            "ZK0081",
        ),
        ("tls { client #true; secret \"Zk_Tls\" }", "ZK0030"),
        ("sasl { client #true }", "ZK0082"),
        (
            "sasl { secret \"zk-sasl\"; quorum \"enabled\"; enforce #true }",
            "ZK0083",
        ),
        (
            "tls { client #true; secret \"zk-tls\" }\n ports secure-client=3888",
            "ZK0033",
        ),
        ("zoo-cfg { set \"sslQuorum\" \"true\" }", "ZK0039"),
        (
            "jvm-flags \"-Djava.security.auth.login.config=/x\"",
            "ZK0053",
        ),
    ];
    for (body, want) in cases {
        let p = Project::new(&[("staging.kdl", &spec(body))]);
        let out = p.zkc(&["build", "specs"]);
        assert_ne!(code(&out), 0, "{body}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(want),
            "{body}: want {want}\n{}",
            stderr(&out)
        );
        assert!(
            !p.path("out").exists(),
            "{body}: nothing is written on an error"
        );
    }
}

/// The admin guide's three rolling restarts, as commits: each build reads the previous zoo.cfg
/// from `out/` and refuses a jump of more than one phase, or a phase change during a resize.
#[test]
fn quorum_tls_and_sasl_move_one_phase_per_build() {
    let p = Project::new(&[("staging.kdl", &spec(""))]);
    let build = |body: &str| {
        p.write("specs/staging.kdl", &spec(body));
        p.zkc(&["build", "specs"])
    };
    assert_eq!(code(&build("")), 0);
    let cfg = || std::fs::read_to_string(p.path("out/staging/configmap-zk-config.yaml")).unwrap();
    let refused = build(&format!("tls {{ {SOURCE}; quorum \"on\" }}"));
    assert_ne!(code(&refused), 0);
    assert!(stderr(&refused).contains("ZK0084"), "{}", stderr(&refused));
    assert!(
        !cfg().contains("sslQuorum"),
        "a refused build writes nothing"
    );
    for (phase, ssl, unification) in [
        ("accept-tls", "false", "true"),
        ("send-tls", "true", "true"),
        ("on", "true", "false"),
    ] {
        let out = build(&format!("tls {{ {SOURCE}; quorum \"{phase}\" }}"));
        assert_eq!(code(&out), 0, "{phase}: {}", stderr(&out));
        assert!(cfg().contains(&format!("sslQuorum={ssl}\n")), "{phase}");
        assert!(
            cfg().contains(&format!("portUnification={unification}\n")),
            "{phase}"
        );
        assert_eq!(
            code(&p.zkc(&["check", "specs"])),
            0,
            "{phase}: check after build"
        );
    }
    // Back to plain in one step is refused too; a phase change with a resize is refused.
    let back = build("tls { quorum \"off\" }");
    assert!(stderr(&back).contains("ZK0084"), "{}", stderr(&back));
    let resize = build(&format!(
        "servers 4 acknowledge-resize-from=3\n tls {{ {SOURCE}; quorum \"send-tls\" }}"
    ));
    assert!(stderr(&resize).contains("ZK0085"), "{}", stderr(&resize));
    // Quorum SASL: enabled before required.
    let sasl = |q: &str| {
        format!("tls {{ {SOURCE}; quorum \"on\" }}\n sasl {{ secret \"zk-sasl\"; quorum \"{q}\" }}")
    };
    assert!(stderr(&build(&sasl("required"))).contains("ZK0084"));
    assert_eq!(code(&build(&sasl("enabled"))), 0);
    assert_eq!(code(&build(&sasl("required"))), 0);
}

/// No credential reaches out/: the Secrets are referenced by name, never written.
#[test]
fn no_secret_is_written() {
    let body = "tls { client #true; quorum \"on\"; issuer \"zk-ca\" }\n sasl { secret \"zk-sasl\"; client #true; quorum \"required\"; enforce #true }";
    let p = Project::new(&[("staging.kdl", &spec(body))]);
    assert_eq!(code(&p.zkc(&["build", "specs"])), 0);
    for entry in std::fs::read_dir(p.path("out/staging")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("kind: Secret"));
        assert!(!text.contains("BEGIN"), "no PEM in out/");
    }
}

/// ZooKeeper 3.9's FIPS mode (on by default) refuses DIGEST-MD5 to a quorum learner and skips
/// the peers' host name checks: zkc turns it off exactly when the quorum uses TLS or SASL, and
/// leaves it alone for client-only TLS or SASL.
#[test]
fn fips_mode_is_off_with_quorum_tls_or_sasl_only() {
    let cases = [
        ("tls { client #true; secret \"zk-tls\" }", false),
        ("sasl { secret \"zk-sasl\"; client #true }", false),
        ("tls { quorum \"accept-tls\"; secret \"zk-tls\" }", true),
        ("sasl { secret \"zk-sasl\"; quorum \"enabled\" }", true),
        ("", false),
    ];
    for (body, off) in cases {
        let p = Project::new(&[("staging.kdl", &spec(body))]);
        assert_eq!(code(&p.zkc(&["build", "specs"])), 0, "{body}");
        let cfg = std::fs::read_to_string(p.path("out/staging/configmap-zk-config.yaml")).unwrap();
        assert_eq!(cfg.contains("    fips-mode=false\n"), off, "{body}\n{cfg}");
    }
    let p = Project::new(&[(
        "staging.kdl",
        &spec("zoo-cfg { set \"fips-mode\" \"false\" }"),
    )]);
    assert!(stderr(&p.zkc(&["build", "specs"])).contains("ZK0039"));
}
