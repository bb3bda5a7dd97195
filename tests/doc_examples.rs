//! The documentation is tested: every KDL example of README.md and docs/*.md builds, every
//! example of the spec reference builds in a minimal ensemble, every `zkc` command of the
//! README's `sh` blocks runs, the pre-commit hooks and the GitHub Actions workflow of
//! docs/gitops.md run their commands against a project, and the flake evaluates.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use zkc::compile::{NothingDeployed, compile};
use zkc::diag::Severity;
use zkc::source::{FileKind, SourceMap};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

/// Every fenced block of `lang` in a Markdown text, with its first line number, indentation
/// removed (blocks inside list items are indented).
fn blocks(text: &str, lang: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut open: Option<(usize, usize, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match &mut open {
            None if trimmed == format!("```{lang}") => open = Some((n + 1, indent, String::new())),
            Some(_) if trimmed == "```" => {
                let (start, _, body) = open.take().unwrap();
                found.push((start, body));
            }
            Some((_, indent, body)) => {
                body.push_str(line.get(*indent..).unwrap_or(""));
                body.push('\n');
            }
            None => {}
        }
    }
    found
}

/// Compiles `files` (path under specs/ → text); panics with the diagnostics on an error.
fn builds(what: &str, files: Vec<(String, String)>) {
    let mut sources = SourceMap::default();
    for (rel, text) in &files {
        sources.add(rel.clone(), format!("specs/{rel}"), text.clone());
    }
    // An example naming `manifests` gets a small ConfigMap at each path, as a user would have.
    let named = files
        .iter()
        .flat_map(|(_, t)| t.lines())
        .filter_map(|l| l.trim().strip_prefix("manifests "))
        .flat_map(|paths| paths.split('"').skip(1).step_by(2));
    for (i, path) in named.enumerate() {
        let manifest = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: example-{i}\n");
        sources.add_kind(
            path.to_owned(),
            format!("specs/{path}"),
            manifest,
            FileKind::Manifest,
        );
    }
    // An example naming `patches` gets a patch of the example ensemble's StatefulSet.
    let patched = files
        .iter()
        .flat_map(|(_, t)| t.lines())
        .filter_map(|l| l.trim().strip_prefix("patches "))
        .flat_map(|paths| paths.split('"').skip(1).step_by(2));
    for path in patched {
        let patch = "target: {kind: StatefulSet, name: zk}\npatch:\n  - {op: add, path: /spec/template/spec/hostAliases, value: [{ip: 10.0.0.9, hostnames: [db]}]}\n";
        sources.add_kind(
            path.to_owned(),
            format!("specs/{path}"),
            patch.to_owned(),
            FileKind::Manifest,
        );
    }
    let c = compile(sources, &NothingDeployed);
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .map(|d| format!("{} {}", d.code.as_str(), d.message))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not build: {errors:?}\n{files:?}"
    );
    let environments = files.iter().any(|(_, t)| t.contains("environment \""));
    assert!(
        !environments || c.tree.as_ref().is_some_and(|t| !t.is_empty()),
        "{what} produces nothing"
    );
}

/// The files of one KDL example: split at `// specs/<path>` lines; a lone example is one
/// environment file; `lib/base.kdl` is the repository's example library unless the block has
/// its own.
fn example_files(block: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        let name = line
            .strip_prefix("// specs/")
            .filter(|n| n.ends_with(".kdl") && !n.contains(' '));
        match (name, files.last_mut()) {
            (Some(name), _) => files.push((name.to_owned(), String::new())),
            (None, Some((_, text))) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => files.push(("example.kdl".to_owned(), format!("{line}\n"))),
        }
    }
    let imports_base = block.contains("import \"lib/base.kdl\"");
    if imports_base && !files.iter().any(|(n, _)| n == "lib/base.kdl") {
        files.push(("lib/base.kdl".into(), read("specs/lib/base.kdl")));
    }
    files
}

#[test]
fn every_kdl_example_in_the_docs_builds() {
    let mut pages = vec!["README.md".to_owned()];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(format!(
                "docs/{}",
                path.file_name().unwrap().to_str().unwrap()
            ));
        }
    }
    let mut count = 0;
    for page in &pages {
        for (line, block) in blocks(&read(page), "kdl") {
            builds(&format!("{page}:{line}"), example_files(&block));
            count += 1;
        }
    }
    assert!(count >= 3, "only {count} KDL examples found in {pages:?}");
}

/// The example column of docs/spec-reference.md, each in the smallest spec where it belongs.
#[test]
fn every_spec_reference_example_builds_on_its_own() {
    let page = read("docs/spec-reference.md");
    let mut wrap: Option<fn(&str) -> String> = None;
    let mut count = 0;
    for line in page.lines() {
        wrap = match line {
            "## Environment settings" => {
                Some(|e| format!("environment \"example\" {{\n    ensemble \"zk\"\n    {e}\n}}\n"))
            }
            // With `metrics #true`: the metrics settings need it (ZK0070).
            "## Ensemble settings" => Some(|e| {
                format!(
                    "environment \"example\" {{\n    ensemble \"zk\" {{\n        metrics #true\n        {e}\n    }}\n}}\n"
                )
            }),
            "### zoo-cfg" => Some(|e| {
                format!(
                    "environment \"example\" {{\n    ensemble \"zk\" {{\n        zoo-cfg {{ {e} }}\n    }}\n}}\n"
                )
            }),
            "### network-policy" => Some(|e| {
                format!(
                    "environment \"example\" {{\n    ensemble \"zk\" {{\n        metrics #true\n        network-policy {{ {e} }}\n    }}\n}}\n"
                )
            }),
            "### prometheus-operator" => Some(|e| {
                format!(
                    "environment \"example\" {{\n    ensemble \"zk\" {{\n        metrics #true\n        prometheus-operator {{ {e} }}\n    }}\n}}\n"
                )
            }),
            l if l.starts_with("## ") || l.starts_with("### ") => None,
            _ => wrap,
        };
        let (Some(wrap), Some(row)) = (wrap, line.strip_prefix("| `")) else {
            continue;
        };
        let example = row
            .trim_end_matches(" |")
            .rsplit(" | ")
            .next()
            .unwrap()
            .trim_matches('`')
            .replace("\\|", "|");
        builds(
            &format!("spec reference example `{example}`"),
            vec![("example.kdl".into(), wrap(&example))],
        );
        count += 1;
    }
    assert!(count > 40, "only {count} examples found");
}

fn zkc_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_zkc"))
        .parent()
        .unwrap()
        .to_owned()
}

/// `sh -c` (bash with `-e` for workflow steps) in `dir`, with the binary under test first on
/// PATH, as an installed `zkc` would be.
fn shell(dir: &Path, script: &str) -> Output {
    let path = format!(
        "{}:{}",
        zkc_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .args(["-e", "-c", script])
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .unwrap()
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The `zkc` commands of the README's `sh` blocks, in order; `&&` chains split, comments and
/// pipes' right-hand sides left out.
fn readme_commands() -> Vec<String> {
    let mut commands = Vec::new();
    for (_, block) in blocks(&read("README.md"), "sh") {
        for line in block.lines() {
            let line = line.split(" #").next().unwrap();
            for part in line.split("&&") {
                let part = part.split('|').next().unwrap().trim();
                if part.starts_with("zkc ") {
                    commands.push(part.to_owned());
                }
            }
        }
    }
    commands
}

#[test]
fn every_zkc_command_of_the_readme_runs() {
    let dir = tempfile::tempdir().unwrap();
    let commands = readme_commands();
    assert!(
        commands.first().is_some_and(|c| c == "zkc init specs"),
        "the README starts from an empty directory: {commands:?}"
    );
    assert!(commands.len() >= 6, "{commands:?}");
    for command in &commands {
        let out = shell(dir.path(), command);
        assert!(out.status.success(), "`{command}` failed: {}", show(&out));
    }
    // `zkc init` wrote the repository's example specs, so the commands ran on a copy of them.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("specs/staging.kdl")).unwrap(),
        read("specs/staging.kdl")
    );
}

/// A project as a user's repository holds it: the example specs and their output.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = shell(
        dir.path(),
        "zkc --quiet init specs && zkc --quiet build specs",
    );
    assert!(out.status.success(), "{}", show(&out));
    dir
}

fn yaml(text: &str) -> serde_yaml::Value {
    serde_yaml::from_str(text).unwrap()
}

#[test]
fn pre_commit_hooks_run_their_commands() {
    let hooks = yaml(&read(".pre-commit-hooks.yaml"));
    let hooks = hooks.as_sequence().unwrap();
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["zkc-fmt", "zkc-check"]);
    let p = project();
    let run = |hook: &serde_yaml::Value| {
        let entry = hook["entry"].as_str().unwrap();
        let mut command = entry.to_owned();
        if hook["pass_filenames"].as_bool() != Some(false) {
            // pre-commit passes the staged files its `files` pattern matches.
            assert_eq!(
                hook["files"].as_str(),
                Some(r"\.kdl$"),
                "pattern this test knows"
            );
            for f in ["specs/staging.kdl", "specs/lib/base.kdl"] {
                command.push(' ');
                command.push_str(f);
            }
        }
        shell(p.path(), &command)
    };
    for hook in hooks {
        let out = run(hook);
        assert!(out.status.success(), "{:?}: {}", hook["id"], show(&out));
    }
    // Each hook stops a commit of what it guards against.
    let staging = p.path().join("specs/staging.kdl");
    let text = std::fs::read_to_string(&staging).unwrap();
    std::fs::write(&staging, text.replace("    namespace", "  namespace")).unwrap();
    assert_eq!(run(&hooks[0]).status.code(), Some(3), "unformatted spec");
    std::fs::write(&staging, text.replace("tick-time 2000", "tick-time 3000")).unwrap();
    assert_eq!(run(&hooks[1]).status.code(), Some(3), "stale out/");
}

#[test]
fn the_github_workflow_of_the_gitops_guide_runs() {
    let page = read("docs/gitops.md");
    let (_, workflow) = blocks(&page, "yaml")
        .into_iter()
        .find(|(_, b)| b.contains("jobs:"))
        .expect("a workflow in docs/gitops.md");
    let workflow = yaml(&workflow);
    let steps = workflow["jobs"]["check"]["steps"].as_sequence().unwrap();
    let p = project();
    let mut ran = 0;
    for step in steps {
        let Some(run) = step["run"].as_str() else {
            // `uses: actions/checkout`: the project directory is the checkout.
            continue;
        };
        let name = step["name"].as_str().unwrap_or(run);
        if name.starts_with("Install") {
            continue; // the binary under test is first on PATH instead
        }
        if run.contains("kubectl") && shell(p.path(), "command -v kubectl").status.code() != Some(0)
        {
            eprintln!("skipped (no kubectl on this machine): {name}");
            continue;
        }
        let out = shell(p.path(), run);
        assert!(out.status.success(), "step `{name}` failed: {}", show(&out));
        ran += 1;
    }
    assert!(ran >= 2, "the zkc steps ran");
    // The gate fails a pull request whose out/ is stale.
    let staging = p.path().join("specs/staging.kdl");
    let text = std::fs::read_to_string(&staging).unwrap();
    std::fs::write(&staging, text.replace("tick-time 2000", "tick-time 3000")).unwrap();
    let check = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.contains(" check "))
        .unwrap();
    let out = shell(p.path(), check);
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("::error file=out/staging/"));
}

/// flake.nix evaluated offline against a stub of nixpkgs (`.ci/flake-eval.nix`); building it
/// needs the real nixpkgs and the network and is not verified. Needs `nix-instantiate`
/// (Debian `nix-bin`); CI sets ZKC_REQUIRE_NIX=1 so a missing one fails there.
#[test]
fn the_flake_evaluates() {
    let have_nix = Command::new("nix-instantiate")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_nix {
        assert!(
            std::env::var_os("ZKC_REQUIRE_NIX").is_none(),
            "nix-instantiate is required (apt-get install nix-bin)"
        );
        eprintln!("skipped: no nix-instantiate on this machine");
        return;
    }
    let parse = Command::new("nix-instantiate")
        .args(["--parse", "flake.nix"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(parse.status.success(), "{}", show(&parse));
    let eval = Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json", ".ci/flake-eval.nix"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(eval.status.success(), "{}", show(&eval));
    let v: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(v["pname"], "zkc");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["lockFileExists"], true);
    assert_eq!(v["check"], "zkc-out-up-to-date");
    assert_eq!(v["systems"].as_array().unwrap().len(), 4);
}

#[test]
fn license_matches_the_manifest() {
    let manifest = read("Cargo.toml");
    assert!(manifest.contains("license = \"Apache-2.0\""));
    let license = read("LICENSE");
    assert!(
        license.contains("Apache License\n                           Version 2.0, January 2004")
    );
    assert!(license.contains("END OF TERMS AND CONDITIONS"));
    assert!(license.contains("APPENDIX: How to apply the Apache License to your work."));
}

#[test]
fn the_docs_name_no_file_outside_the_repository() {
    let mut pages = vec!["README.md".to_owned(), "CHANGELOG.md".to_owned()];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        pages.push(format!(
            "docs/{}",
            entry.unwrap().file_name().to_str().unwrap()
        ));
    }
    for page in pages {
        let text = read(&page);
        for outside in ["DESIGN.md", "../shared", "the origin's"] {
            assert!(!text.contains(outside), "{page} mentions {outside}");
        }
    }
    assert!(root().join("docs/design.md").is_file());
}
