//! Generates a spec tree for benchmarks: ENVIRONMENTS environments of ENSEMBLES ensembles each,
//! sharing two libraries (defaults, templates and a `(final)` policy), with varied settings so
//! every stage does real work.
//!
//! Usage: cargo run --release --example gen_specs -- DIR ENVIRONMENTS [ENSEMBLES]

use std::fmt::Write;

pub fn generate(environments: usize, ensembles: usize) -> Vec<(String, String)> {
    let mut files = vec![
        (
            "lib/base.kdl".to_owned(),
            r#"import "lib/policy.kdl"
defaults {
    image "docker.io/library/zookeeper:3.9.4"
    resources cpu="500m" memory="1Gi"
    storage "10Gi"
    labels "app.kubernetes.io/part-of"="platform-zookeeper"
}
template "small" { servers 3; resources cpu="250m" memory="512Mi"; storage "2Gi" }
template "large" { servers 5; resources cpu="1" memory="4Gi"; heap "3Gi"; datalog "20Gi" }
template "write-heavy" extends="large" { zoo-cfg { set "snapCount" "50000"; autopurge snap-retain-count=5 purge-interval=6 } }
"#
            .to_owned(),
        ),
        ("lib/policy.kdl".to_owned(), "defaults { spread (final)\"required\"; zone-spread \"preferred\" }\n".to_owned()),
    ];
    let templates = ["small", "large", "write-heavy"];
    for env in 0..environments {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "environment \"env-{env:04}\" {{\n    import \"lib/base.kdl\"\n    namespace \"team-{env:04}\""
        );
        let _ = writeln!(text, "    labels team=\"team-{env:04}\"");
        for e in 0..ensembles {
            let template = templates[(env + e) % templates.len()];
            let _ = writeln!(text, "    ensemble \"zk-{e:02}\" extends=\"{template}\" {{");
            if e % 2 == 0 {
                let _ = writeln!(
                    text,
                    "        zoo-cfg {{ tick-time {}; max-client-cnxns {} }}",
                    2000 + e * 100,
                    60 + e
                );
            }
            if e % 3 == 0 {
                let _ = writeln!(text, "        peer-discovery \"per-server-services\"");
            }
            if e % 4 == 0 {
                let _ = writeln!(
                    text,
                    "        metrics #true\n        network-policy {{ allow-namespaces \"monitoring\" }}"
                );
            }
            let _ = writeln!(text, "        labels service=\"svc-{e}\"\n    }}");
        }
        let _ = writeln!(
            text,
            "    argocd repo=\"https://git.example.com/platform/zk.git\" revision=\"main\"\n}}"
        );
        files.push((format!("env-{env:04}.kdl"), text));
    }
    files
}

#[allow(dead_code)] // the benchmarks include this file for `generate` only
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(envs)) = (args.get(1), args.get(2).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: gen_specs DIR ENVIRONMENTS [ENSEMBLES]");
        std::process::exit(2);
    };
    let ensembles = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(10);
    for (rel, text) in generate(envs, ensembles) {
        let path = std::path::Path::new(dir).join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}
