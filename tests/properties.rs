//! Property tests over the whole pipeline (parse → resolve → check → emit → render, and every
//! diagnostic rendered in each format): no input may panic, and every diagnostic must point
//! inside the text it came from. A bounded number of cases runs in CI (`PROPTEST_CASES`
//! raises it locally).

use proptest::prelude::*;
use zkc::compile::{NothingDeployed, compile};
use zkc::diag::render::{MessageFormat, render};
use zkc::schema::{ENSEMBLE_SETTINGS, ENVIRONMENT_SETTINGS, Setting, Shape};
use zkc::source::SourceMap;

fn run(files: Vec<(String, String)>) -> zkc::compile::Compilation {
    let mut sources = SourceMap::default();
    for (_, text) in &files {
        if let Ok(formatted) = zkc::fmt::format(text) {
            assert_eq!(
                zkc::fmt::format(&formatted).ok().as_deref(),
                Some(formatted.as_str()),
                "fmt is idempotent and keeps the text valid"
            );
        }
    }
    for (rel, text) in files {
        sources.add(rel.clone(), format!("specs/{rel}"), text);
    }
    let c = compile(sources, &NothingDeployed);
    for d in &c.diagnostics {
        // Only an internal error (e.g. render refusing two objects on one path) has no place.
        assert!(
            d.primary().is_some(),
            "a diagnostic with no place in the specs: {d:?}"
        );
        for label in &d.labels {
            let text = &c.sources.get(label.loc.file).text;
            assert!(
                label.loc.span.offset + label.loc.span.len <= text.len(),
                "label outside its file: {d:?}"
            );
        }
        for format in [
            MessageFormat::Human,
            MessageFormat::Json,
            MessageFormat::Github,
        ] {
            let _ = render(d, &c.sources, format, false);
        }
    }
    if let Some(tree) = &c.tree {
        assert!(
            !c.diagnostics
                .iter()
                .any(|d| d.severity() == zkc::diag::Severity::Error),
            "a tree was rendered despite errors"
        );
        for (path, text) in tree {
            assert_one_document(path, text);
        }
        assert_nothing_overwritten(&c, tree);
    }
    c
}

/// Every emitted object has a file of its own, and no two GitOps objects share a name in their
/// namespace: a clash would make one silently replace the other (issue #12, items 1 and 2).
fn assert_nothing_overwritten(c: &zkc::compile::Compilation, tree: &zkc::render::Tree) {
    let mut gitops = std::collections::BTreeSet::new();
    for env in &c.environments {
        let objects = zkc::emit::environment(env);
        let ns = &env.namespace.value;
        let files = tree
            .keys()
            .filter(|k| k.starts_with(&format!("{ns}/")))
            .count();
        assert_eq!(
            files,
            objects.namespaced.len() + 1,
            "{ns}: objects share a file"
        );
        for object in objects.argocd.iter().chain(&objects.flux) {
            let yaml = serde_yaml::to_value(object).unwrap();
            let key = (
                object.kind(),
                yaml["metadata"]["namespace"].as_str().map(str::to_owned),
                object.name().to_owned(),
            );
            assert!(
                gitops.insert(key.clone()),
                "two GitOps objects named {key:?}"
            );
        }
    }
}

/// Every generated file is exactly one YAML document after zkc's header: nothing a spec says
/// can add objects to the output.
fn assert_one_document(path: &str, text: &str) {
    assert!(
        text.starts_with(zkc::render::HEADER_MARK),
        "{path}: no header"
    );
    let documents = serde_yaml::Deserializer::from_str(text).count();
    assert_eq!(
        documents, 1,
        "{path} holds {documents} YAML documents:\n{text}"
    );
}

fn names(settings: &'static [Setting]) -> Vec<&'static str> {
    let mut names = Vec::new();
    for s in settings {
        names.push(s.name);
        match s.shape {
            Shape::Block(inner) => names.extend(inner.iter().map(|s| s.name)),
            Shape::Props { props, .. } | Shape::Records { props, .. } => {
                names.extend(props.iter().map(|p| p.name))
            }
            _ => {}
        }
    }
    names
}

fn word() -> impl Strategy<Value = String> {
    let mut known = names(ENSEMBLE_SETTINGS);
    known.extend(names(ENVIRONMENT_SETTINGS));
    known.extend([
        "environment",
        "ensemble",
        "template",
        "defaults",
        "import",
        "extends",
        "final",
        "toleration",
        "set",
    ]);
    prop_oneof![
        4 => proptest::sample::select(known).prop_map(str::to_owned),
        1 => "[a-z][a-z0-9-]{0,12}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (-5i64..400).prop_map(|i| i.to_string()),
        "[a-zA-Z0-9 ./:@_-]{0,20}".prop_map(|s| format!("{s:?}")),
        proptest::sample::select(vec![
            "#true",
            "#false",
            "#null",
            "\"1Gi\"",
            "\"500m\"",
            "\"lib/base.kdl\"",
            "\"../x.kdl\"",
            "(final)\"required\"",
            "1.5",
            // sizes without units, zero and absurd quantities (issue #12, item 3)
            "512",
            "\"0\"",
            "\"99999999999Ei\"",
            "\"1e18\""
        ])
        .prop_map(str::to_owned),
    ]
}

fn node(depth: u32) -> BoxedStrategy<String> {
    let leaf = (
        word(),
        proptest::collection::vec(value(), 0..3),
        proptest::collection::vec((word(), value()), 0..3),
    )
        .prop_map(|(name, args, props)| {
            let props: Vec<String> = props.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{name} {} {}", args.join(" "), props.join(" "))
        });
    if depth == 0 {
        return leaf.boxed();
    }
    (
        leaf,
        proptest::option::of(proptest::collection::vec(node(depth - 1), 0..4)),
    )
        .prop_map(|(head, children)| match children {
            Some(c) => format!("{head} {{\n{}\n}}", c.join("\n")),
            None => head,
        })
        .boxed()
}

fn document() -> impl Strategy<Value = String> {
    proptest::collection::vec(node(3), 0..5).prop_map(|nodes| nodes.join("\n"))
}

/// The repository's own example specs, as `zkc build specs` reads them.
const EXAMPLE: &[(&str, &str)] = &[
    ("lib/base.kdl", include_str!("../specs/lib/base.kdl")),
    ("default.kdl", include_str!("../specs/default.kdl")),
    ("staging.kdl", include_str!("../specs/staging.kdl")),
    ("develop.kdl", include_str!("../specs/develop.kdl")),
];

/// Ensemble and client Service names built to derive into each other's object names.
fn related_name() -> impl Strategy<Value = String> {
    proptest::sample::select(vec![
        "zk",
        "zk-headless",
        "zk-config",
        "zk-1",
        "zk-2",
        "locks",
        "locks-headless",
    ])
    .prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn structured_specs_never_panic(lib in document(), env in document(), name in "[a-z]{1,8}") {
        let _ = run(vec![
            ("lib/base.kdl".into(), lib),
            (format!("{name}.kdl"), format!("environment \"{name}\" {{\nimport \"lib/base.kdl\"\n{env}\n}}")),
        ]);
    }

    #[test]
    fn related_names_never_overwrite_each_other(
        ensembles in proptest::collection::vec((related_name(), proptest::option::of(related_name()), any::<bool>()), 1..4),
        environments in proptest::collection::vec((proptest::sample::select(vec!["a", "b"]), proptest::sample::select(vec!["ns1", "ns2", "ns3"])), 1..4),
    ) {
        let body: Vec<String> = ensembles
            .iter()
            .map(|(name, client, per_server)| {
                let client = client.as_ref().map(|c| format!("client-service \"ClusterIP\" name=\"{c}\"")).unwrap_or_default();
                let peers = if *per_server { "peer-discovery \"per-server-services\"" } else { "" };
                format!("ensemble \"{name}\" {{ {client}\n {peers} }}")
            })
            .collect();
        let files: Vec<(String, String)> = environments
            .iter()
            .enumerate()
            .map(|(i, (env, ns))| {
                (format!("f{i}.kdl"), format!("environment \"{env}\" {{ namespace \"{ns}\"\n argocd repo=\"https://g/x.git\"\n {} }}", body.join("\n")))
            })
            .collect();
        let _ = run(files);
    }

    #[test]
    fn mutated_real_specs_never_panic(
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), 0usize..4, "[{}\"=()#a-z0-9 \n/\\\\.-]{0,3}"), 1..6)
    ) {
        let mut files: Vec<(String, String)> = EXAMPLE.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect();
        for (i, (at, delete, insert)) in edits.into_iter().enumerate() {
            let text = &mut files[i % EXAMPLE.len()].1;
            let mut pos = at.index(text.len() + 1);
            while !text.is_char_boundary(pos) { pos -= 1; }
            let mut end = (pos + delete).min(text.len());
            while !text.is_char_boundary(end) { end += 1; }
            text.replace_range(pos..end, &insert);
        }
        let _ = run(files);
    }
}

#[test]
fn the_example_specs_compile_cleanly() {
    let c = run(EXAMPLE
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect());
    assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
    assert!(c.tree.is_some_and(|t| !t.is_empty()));
}
