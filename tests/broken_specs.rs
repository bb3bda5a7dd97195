//! Issue #12, from the user's side: every class of spec that used to build broken or dangerous
//! output at exit 0, run through the real binary on a project whose `out/` is already built.
//! Each must exit 1, report the exact code at the exact place, and leave `out/` byte for byte
//! and mtime for mtime as it was.

use std::fs;
use std::path::Path;
use std::process::Command;

const GOOD: &str = "environment \"staging\" {\n    ensemble \"zk\"\n}\n";

/// A broken project: what it shows, its spec files, the expected code and its place as
/// file:line:column.
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

const CASES: &[Case] = &[
    (
        "names that derive into each other",
        &[(
            "staging.kdl",
            "environment \"staging\" {\n    ensemble \"zk\"\n    ensemble \"zk-headless\"\n}\n",
        )],
        "ZK0052",
        "specs/staging.kdl:3:14",
    ),
    (
        "an environment copied to another file",
        &[
            ("staging.kdl", GOOD),
            (
                "qa.kdl",
                "environment \"staging\" {\n    namespace \"qa\"\n    ensemble \"zk\"\n}\n",
            ),
        ],
        "ZK0016",
        "specs/staging.kdl:1:13",
    ),
    (
        "a heap without a unit",
        &[(
            "staging.kdl",
            "environment \"staging\" {\n    ensemble \"zk\" { heap 512; }\n}\n",
        )],
        "ZK0051",
        "specs/staging.kdl:2:26",
    ),
    (
        "a ten-byte volume",
        &[(
            "staging.kdl",
            "environment \"staging\" {\n    ensemble \"zk\" { storage 10; }\n}\n",
        )],
        "ZK0051",
        "specs/staging.kdl:2:29",
    ),
    (
        "an absurd memory size",
        &[(
            "staging.kdl",
            "environment \"staging\" {\n    ensemble \"zk\" { resources memory=\"99999999999Ei\"; }\n}\n",
        )],
        "ZK0006",
        "specs/staging.kdl:2:31",
    ),
    (
        "a datalog class without a size",
        &[(
            "staging.kdl",
            "environment \"staging\" {\n    ensemble \"zk\" { datalog class=\"fast-ssd\"; }\n}\n",
        )],
        "ZK0008",
        "specs/staging.kdl:2:29",
    ),
    (
        "the server id set from the side",
        &[(
            "staging.kdl",
            "environment \"staging\" {\n    ensemble \"zk\" { env ZOO_MY_ID=\"1\"; }\n}\n",
        )],
        "ZK0053",
        "specs/staging.kdl:2:25",
    ),
    (
        "a heap flag around the heap check",
        &[(
            "staging.kdl",
            "environment \"staging\" {\n    ensemble \"zk\" { jvm-flags \"-Xmx8g\"; }\n}\n",
        )],
        "ZK0053",
        "specs/staging.kdl:2:21",
    ),
    (
        "a selector label overridden",
        &[(
            "staging.kdl",
            "environment \"staging\" {\n    ensemble \"zk\" { labels \"app.kubernetes.io/instance\"=\"x\"; }\n}\n",
        )],
        "ZK0053",
        "specs/staging.kdl:2:28",
    ),
    (
        "a zoo.cfg line injected through a value",
        &[(
            "staging.kdl",
            "environment \"staging\" {\n    ensemble \"zk\" { zoo-cfg { set \"snapCount\" \"1\\nserver.9=evil:2888:3888\"; }; }\n}\n",
        )],
        "ZK0054",
        "specs/staging.kdl:2:31",
    ),
    (
        "a final setting loosened through its property",
        &[
            (
                "lib/policy.kdl",
                "defaults { spread (final)\"required\"; }\n",
            ),
            (
                "staging.kdl",
                "environment \"staging\" {\n    import \"lib/policy.kdl\"\n    ensemble \"zk\" { spread \"required\" topology-key=\"zone\"; }\n}\n",
            ),
        ],
        "ZK0021",
        "specs/staging.kdl:3:39",
    ),
    (
        "Argo CD told two destinations",
        &[(
            "staging.kdl",
            "environment \"staging\" {\n    ensemble \"zk\"\n    argocd repo=\"https://git.example.com/zk.git\" server=\"https://k8s\" cluster=\"prod\"\n}\n",
        )],
        "ZK0020",
        "specs/staging.kdl:3:71",
    ),
    (
        "an environment name that injects YAML",
        &[(
            "staging.kdl",
            "environment \"staging\\n---\\nkind: Pod\" {\n    namespace \"staging\"\n    ensemble \"zk\"\n}\n",
        )],
        "ZK0030",
        "specs/staging.kdl:1:13",
    ),
];

fn zkc(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zkc"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let meta = e.metadata().unwrap();
            (
                e.path().display().to_string(),
                fs::read(e.path()).unwrap(),
                meta.modified().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_broken_spec_fails_at_its_place_and_leaves_out_untouched() {
    let mut failures = Vec::new();
    for (name, files, code, place) in CASES {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("specs")).unwrap();
        fs::write(dir.path().join("specs/staging.kdl"), GOOD).unwrap();
        assert!(zkc(dir.path(), &["build", "specs"]).status.success());
        let before = tree(&dir.path().join("out"));
        for (rel, text) in *files {
            let path = dir.path().join("specs").join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        let run = zkc(dir.path(), &["--message-format", "json", "build", "specs"]);
        let found: Vec<(String, String)> = String::from_utf8_lossy(&run.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|d| {
                let at = format!(
                    "{}:{}:{}",
                    d["file"].as_str().unwrap_or("?"),
                    d["line"],
                    d["column"]
                );
                (d["code"].as_str().unwrap_or("?").to_owned(), at)
            })
            .collect();
        if run.status.code() != Some(1) {
            failures.push(format!("{name}: exit {:?}", run.status.code()));
        }
        if !found.contains(&(code.to_string(), place.to_string())) {
            failures.push(format!("{name}: expected {code} at {place}, got {found:?}"));
        }
        if tree(&dir.path().join("out")) != before {
            failures.push(format!("{name}: out/ changed"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The negative control: the same harness passes a good spec (exit 0), so the assertions
/// above can tell a refused spec from a harness that refuses everything.
#[test]
fn the_good_spec_builds() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("specs")).unwrap();
    fs::write(dir.path().join("specs/staging.kdl"), GOOD).unwrap();
    let run = zkc(dir.path(), &["--message-format", "json", "build", "specs"]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn a_closed_pipe_ends_zkc_quietly() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("specs")).unwrap();
    fs::write(dir.path().join("specs/staging.kdl"), GOOD).unwrap();
    let script = format!(
        "{} diff specs | head -c 1 > /dev/null; echo \"${{PIPESTATUS[0]}}\"",
        env!("CARGO_BIN_EXE_zkc")
    );
    let run = Command::new("bash")
        .args(["-c", &script])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        "0",
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(!String::from_utf8_lossy(&run.stderr).contains("panicked"));
}

/// Issue #17: spec text reaches the terminal and CI logs escaped. An escape sequence in a
/// setting name must not reach stderr raw, and a diagnostic past column 65,535 (miette counts
/// columns in u16) must not panic.
#[test]
fn hostile_text_is_printed_safely() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("specs")).unwrap();
    let long = format!(
        "environment \"staging\" {{ ensemble \"zk\" {{ labels {} \"x\"=1; }} }}\n",
        "\"a\"=\"b\" ".repeat(9_000)
    );
    fs::write(
        dir.path().join("specs/long.kdl"),
        long.replace("staging", "long"),
    )
    .unwrap();
    fs::write(
        dir.path().join("specs/staging.kdl"),
        "environment \"staging\" {\n    ensemble \"zk\" { \"sev\\u{1b}[2J\\u{1b}]0;pwned\\u{7}er\" 5; }\n}\n",
    )
    .unwrap();
    for format in ["human", "github", "json"] {
        let run = zkc(
            dir.path(),
            &[
                "--color",
                "always",
                "--message-format",
                format,
                "build",
                "specs",
            ],
        );
        let all = [run.stdout.as_slice(), run.stderr.as_slice()].concat();
        let text = String::from_utf8_lossy(&all);
        assert_eq!(run.status.code(), Some(1), "{format}: {text}");
        assert!(!text.contains("panicked"), "{format}: {text}");
        assert!(
            !text.contains("[2J") || !text.contains("\u{1b}[2J"),
            "{format}: raw escape sequence"
        );
        assert!(!text.contains("\u{7}"), "{format}: raw bell");
        if format == "github" {
            assert!(
                text.lines().all(|l| l.starts_with("::")),
                "{format}: a line not a workflow command:\n{text}"
            );
        }
    }
}

/// Issue #17: crafted nesting well under the 1 MiB limit overflowed the parser's stack (exit
/// 134) or took minutes. Each is refused before parsing with ZK0001 at its place.
#[test]
fn crafted_nesting_is_refused_before_it_reaches_the_parser() {
    let attacks = [
        (
            "block comments",
            format!("{}{}\n", "/*".repeat(3600), "*/".repeat(3600)),
        ),
        ("a slashdash chain", format!("{}x\n", "/- ".repeat(3000))),
        ("type annotations", format!("x {}1\n", "(a)".repeat(30000))),
        ("braces", "a {".repeat(5000)),
    ];
    for (what, text) in attacks {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("specs")).unwrap();
        fs::write(dir.path().join("specs/a.kdl"), text).unwrap();
        let run = zkc(dir.path(), &["--message-format", "json", "check", "specs"]);
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert_eq!(
            run.status.code(),
            Some(1),
            "{what}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(stdout.contains("\"code\":\"ZK0001\""), "{what}: {stdout}");
    }
}

/// Issue #17: load errors stopped at the first file and had no code or place. Every unreadable
/// spec file is reported (ZK0060) with the other problems, at the first invalid byte.
#[test]
fn every_unreadable_spec_file_is_reported_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("specs")).unwrap();
    fs::write(dir.path().join("specs/staging.kdl"), GOOD).unwrap();
    assert!(zkc(dir.path(), &["build", "specs"]).status.success());
    let before = tree(&dir.path().join("out"));
    fs::write(
        dir.path().join("specs/a-latin1.kdl"),
        b"environment \"a\" {\n    labels team=\"m\xfcller\"\n}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("specs/b-huge.kdl"),
        "// x\n".repeat(300_000),
    )
    .unwrap();
    fs::write(
        dir.path().join("specs/c-broken.kdl"),
        "environment \"c\" { servers 300 }\n",
    )
    .unwrap();
    let run = zkc(dir.path(), &["--message-format", "json", "build", "specs"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(r#""code":"ZK0060","column":19,"end_column":19,"end_line":2,"file":"specs/a-latin1.kdl""#), "{stdout}");
    assert!(stdout.contains(r#""file":"specs/b-huge.kdl""#), "{stdout}");
    assert!(
        stdout.contains(r#""file":"specs/c-broken.kdl""#),
        "the other problems are reported too: {stdout}"
    );
    assert_eq!(tree(&dir.path().join("out")), before);
}
