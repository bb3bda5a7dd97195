//! A mutation fuzzer for the whole pipeline on the stable toolchain (issue #17). `cargo fuzz`
//! needs a nightly compiler for its sanitizer coverage, which this project's machines cannot
//! download, so this driver takes the seed corpus in `tests/fuzz-corpus/` (one seed for each
//! class of attack found so far), mutates it with a seeded generator for a bounded time
//! (`ZKC_FUZZ_SECONDS`, default 10; `ZKC_FUZZ_SEED` to replay) and checks the invariants on
//! every input. What it lacks against libFuzzer: coverage guidance (mutations are blind) and
//! corpus growth; what it keeps: the same invariants on every run, in CI, without nightly.
//!
//! Invariants, for every input:
//! - compiling, rendering every diagnostic in every format, `explain` of every ensemble and
//!   `fmt` never panic; every diagnostic points into a spec;
//! - every generated file is exactly one YAML document behind zkc's header;
//! - every zoo.cfg, read the way `java.util.Properties` reads it (ZooKeeper's
//!   `QuorumPeerConfig.parse`), holds exactly its lines and exactly the StatefulSet's servers
//!   (the Java oracle in `tests/zkcfg` checks the same on the golden trees with ZooKeeper's own
//!   parser; this Rust reading of the properties format is an emulation of it);
//! - `fmt` is idempotent and meaning-preserving: the formatted specs compile to the same tree.

use std::time::{Duration, Instant};

use zkc::compile::{Compilation, NothingDeployed, compile};
use zkc::diag::render::{MessageFormat, render};
use zkc::source::SourceMap;

fn corpus() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-corpus");
    let mut seeds: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    seeds.sort();
    seeds
}

/// xorshift64*: a small seeded generator, so a failure replays with its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens that matter to KDL, YAML, zoo.cfg and terminals.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "\"",
    "=",
    ";",
    "\n",
    "\r",
    "\\",
    "/-",
    "/*",
    "*/",
    "//",
    "(final)",
    "#true",
    "#null",
    "\u{85}",
    "\u{2028}",
    "\u{1b}[2J",
    "---",
    "server.1",
    ":",
    "Gi",
    "0",
    "99999999999999999999",
    "ensemble \"zk-headless\"",
    "environment \"x\" { ensemble \"zk\" }",
    "servers 5",
    "set \"a\" \"b\"",
];

fn mutate(rng: &mut Rng, text: &str, other: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(4) {
            0 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                bytes.splice(at..at, token.bytes());
            }
            1 => {
                let end = (at + rng.below(8)).min(bytes.len());
                bytes.drain(at..end);
            }
            2 if !other.is_empty() => {
                let from = rng.below(other.len());
                let to = (from + rng.below(64)).min(other.len());
                bytes.splice(at..at, other.as_bytes()[from..to].iter().copied());
            }
            _ => {
                if at < bytes.len() {
                    bytes[at] = rng.next() as u8;
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn compiled(files: &[(String, String)]) -> Compilation {
    let mut sources = SourceMap::default();
    for (name, text) in files {
        sources.add(name.clone(), format!("specs/{name}"), text.clone());
    }
    compile(sources, &NothingDeployed)
}

/// Every invariant of the module's doc on one input.
fn check(files: &[(String, String)]) {
    let c = compiled(files);
    for d in &c.diagnostics {
        assert!(d.primary().is_some(), "a diagnostic with no place: {d:?}");
        for format in [
            MessageFormat::Human,
            MessageFormat::Json,
            MessageFormat::Github,
        ] {
            let _ = render(d, &c.sources, format, true);
        }
    }
    for env in &c.environments {
        for e in &env.ensembles {
            let _ = zkc::explain::ensemble(&c.sources, env, e);
        }
    }
    if let Some(tree) = &c.tree {
        for (path, text) in tree {
            assert!(
                text.starts_with(zkc::render::HEADER_MARK),
                "{path}: no header"
            );
            assert_eq!(
                serde_yaml::Deserializer::from_str(text).count(),
                1,
                "{path}:\n{text}"
            );
            if path.contains("/configmap-") {
                check_zoo_cfg(path, text, tree);
            }
        }
        check_fmt_preserves_meaning(files, tree);
    }
}

fn check_zoo_cfg(path: &str, text: &str, tree: &zkc::render::Tree) {
    let map: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    let cfg = map["data"]["zoo.cfg"].as_str().unwrap();
    let naive: Vec<(String, String)> = cfg
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    assert_eq!(
        properties(cfg),
        naive,
        "{path}: zoo.cfg reads differently as properties"
    );
    let sts_path = path
        .replace("/configmap-", "/statefulset-")
        .replace("-config.yaml", ".yaml");
    let sts: serde_yaml::Value = serde_yaml::from_str(&tree[&sts_path]).unwrap();
    let replicas = sts["spec"]["replicas"].as_u64().unwrap() as usize;
    let servers: Vec<&String> = naive
        .iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("server."))
        .collect();
    let expected: Vec<String> = (1..=replicas).map(|i| format!("server.{i}")).collect();
    assert_eq!(
        servers,
        expected.iter().collect::<Vec<_>>(),
        "{path}: servers"
    );
}

/// The key/value pairs of a `.properties` text as `java.util.Properties.load` reads them:
/// comment lines, leading blanks, `\` line continuations, escapes, and `=`, `:` or a blank
/// ending the key (an emulation of the JDK's LineReader and loadConvert).
fn properties(text: &str) -> Vec<(String, String)> {
    let mut logical = Vec::new();
    let mut pending = String::new();
    for raw in text.split(['\n', '\r']) {
        let line = if pending.is_empty() {
            raw.trim_start_matches([' ', '\t', '\u{c}'])
        } else {
            raw.trim_start()
        };
        if pending.is_empty() && (line.is_empty() || line.starts_with(['#', '!'])) {
            continue;
        }
        let trailing = line.len() - line.trim_end_matches('\\').len();
        if trailing % 2 == 1 {
            pending.push_str(&line[..line.len() - 1]);
            continue;
        }
        pending.push_str(line);
        logical.push(std::mem::take(&mut pending));
    }
    if !pending.is_empty() {
        logical.push(pending);
    }
    logical.iter().map(|l| split_property(l)).collect()
}

fn split_property(line: &str) -> (String, String) {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() && !matches!(chars[i], '=' | ':' | ' ' | '\t' | '\u{c}') {
        i += if chars[i] == '\\' { 2 } else { 1 };
    }
    let key: String = chars[..i.min(chars.len())].iter().collect();
    let mut j = i;
    while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\u{c}') {
        j += 1;
    }
    if j < chars.len() && matches!(chars[j], '=' | ':') {
        j += 1;
    }
    while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\u{c}') {
        j += 1;
    }
    let value: String = chars[j.min(chars.len())..].iter().collect();
    (unescape(&key), unescape(&value))
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                out.push(
                    u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .unwrap_or('?'),
                );
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn check_fmt_preserves_meaning(files: &[(String, String)], tree: &zkc::render::Tree) {
    let mut formatted = Vec::new();
    for (name, text) in files {
        let Ok(once) = zkc::fmt::format(text) else {
            return;
        };
        let twice = zkc::fmt::format(&once).expect("formatted text parses");
        assert_eq!(once, twice, "{name}: fmt is not idempotent");
        formatted.push((name.clone(), once));
    }
    let again = compiled(&formatted);
    assert_eq!(
        again.tree.as_ref(),
        Some(tree),
        "fmt changed what the specs mean"
    );
}

#[test]
fn the_properties_emulation_reads_what_java_reads() {
    let read = |t: &str| properties(t);
    assert_eq!(
        read("a=1\nb=2\\\nserver.1=x\n"),
        vec![("a".into(), "1".into()), ("b".into(), "2server.1=x".into())]
    );
    assert_eq!(read("\tdataDir=/x"), vec![("dataDir".into(), "/x".into())]);
    assert_eq!(
        read("\\u0073erver.4=x"),
        vec![("server.4".into(), "x".into())]
    );
    assert_eq!(read("k v"), vec![("k".into(), "v".into())]);
}

#[test]
fn the_seed_corpus_holds_the_invariants() {
    let seeds = corpus();
    assert!(seeds.len() >= 10, "the corpus lost its seeds");
    let mut with_output = 0;
    for seed in &seeds {
        check(std::slice::from_ref(seed));
        with_output += usize::from(compiled(std::slice::from_ref(seed)).tree.is_some());
    }
    // Mutations of valid specs reach the emitters and the zoo.cfg and fmt invariants.
    assert!(with_output >= 2, "only {with_output} seeds compile");
}

#[test]
fn mutated_seeds_hold_the_invariants() {
    let seconds = std::env::var("ZKC_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let seed = std::env::var("ZKC_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_u64);
    let seeds = corpus();
    let mut rng = Rng(seed | 1);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let (name, text) = &seeds[rng.below(seeds.len())];
        let other = &seeds[rng.below(seeds.len())].1;
        let input = mutate(&mut rng, text, other);
        let state = rng.0;
        let outcome = std::panic::catch_unwind(|| check(&[(name.clone(), input.clone())]));
        if outcome.is_err() {
            panic!(
                "fuzz input from {name} (generator state {state}) broke an invariant:\n{input:?}"
            );
        }
        runs += 1;
    }
    eprintln!("fuzz: {runs} inputs in {seconds} s");
    assert!(runs > 0);
}
