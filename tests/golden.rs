//! Golden tests: each directory under tests/golden/ holds `specs/` and the expected `out/`.
//! The compiled tree must equal `out/` file for file, byte for byte. After an intended change,
//! regenerate with `ZKC_BLESS=1 cargo test --test golden` and review the diff like code.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use zkc::compile::{NothingDeployed, compile_dir};

fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.expect("readable golden tree"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, fs::read_to_string(e.path()).unwrap())
        })
        .collect()
}

fn golden(case: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(case);
    let compilation = compile_dir(&root.join("specs"), &NothingDeployed).expect("specs load");
    let errors: Vec<_> = compilation
        .diagnostics
        .iter()
        .filter(|d| d.severity() == zkc::diag::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "golden specs must compile: {errors:#?}");
    let tree = compilation.tree.expect("a tree");
    let out = root.join("out");
    if std::env::var_os("ZKC_BLESS").is_some() {
        let _ = fs::remove_dir_all(&out);
        for (rel, text) in &tree {
            let path = out.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    }
    let expected = read_tree(&out);
    let expected_files: Vec<&String> = expected.keys().collect();
    let actual_files: Vec<&String> = tree.keys().collect();
    assert_eq!(actual_files, expected_files, "file set of {case}");
    for (rel, text) in &tree {
        similar_asserts_eq(case, rel, &expected[rel], text);
    }
}

fn similar_asserts_eq(case: &str, rel: &str, expected: &str, actual: &str) {
    if expected != actual {
        let diff = similar::TextDiff::from_lines(expected, actual)
            .unified_diff()
            .header("expected", "actual")
            .to_string();
        panic!("{case}/out/{rel} differs (ZKC_BLESS=1 to accept):\n{diff}");
    }
}

#[test]
fn full() {
    golden("full");
}

#[test]
fn minimal() {
    golden("minimal");
}

/// The example specs of the repository are a golden case too: `out/` is committed.
#[test]
fn repository_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let compilation = compile_dir(&root.join("specs"), &NothingDeployed).expect("specs load");
    assert!(
        compilation.diagnostics.is_empty(),
        "the example specs are clean: {:#?}",
        compilation.diagnostics
    );
    let tree = compilation.tree.unwrap();
    assert_eq!(
        tree,
        read_tree(&root.join("out")),
        "out/ is stale: run `cargo run -- build specs`"
    );
}
