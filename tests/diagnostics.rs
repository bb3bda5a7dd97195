//! One test per bad input: each snapshot holds the code, primary location (file:line:col), message
//! and help of every diagnostic, then the miette rendering the user sees. Review snapshot
//! changes like code (`INSTA_UPDATE=always cargo test --test diagnostics`, then `git diff`).

use zkc::check::Deployed;
use zkc::compile::{NothingDeployed, compile};
use zkc::diag::render::{MessageFormat, render};
use zkc::source::{FileKind, SourceMap};

fn sources(files: &[(&str, &str)]) -> SourceMap {
    let mut map = SourceMap::default();
    let mut files = files.to_vec();
    // Spec files first, as `source::load_dir` orders them.
    files.sort_by_key(|(rel, _)| (rel.ends_with(".yaml"), *rel));
    for (rel, text) in files {
        let kind = match rel.ends_with(".yaml") {
            true => FileKind::Manifest,
            false => FileKind::Spec,
        };
        map.add_kind(
            rel.to_owned(),
            format!("specs/{rel}"),
            text.to_owned(),
            kind,
        );
    }
    map
}

fn report(files: &[(&str, &str)], deployed: &dyn Deployed) -> String {
    let c = compile(sources(files), deployed);
    assert!(!c.diagnostics.is_empty(), "expected diagnostics");
    let mut out = String::new();
    for d in &c.diagnostics {
        let loc = d.primary().expect("every diagnostic points into a spec");
        let (line, col) = c.sources.line_col(loc.file, loc.span.offset);
        out.push_str(&format!(
            "{} {:?} at {}:{line}:{col}\nmessage: {}\nhelp: {}\n",
            d.code.as_str(),
            d.severity(),
            c.sources.get(loc.file).name,
            d.message,
            d.help.as_deref().unwrap_or("-")
        ));
    }
    out.push_str("---\n");
    for d in &c.diagnostics {
        out.push_str(&render(d, &c.sources, MessageFormat::Human, false));
    }
    out
}

macro_rules! bad {
    ($($name:ident: [$(($file:literal, $text:expr)),+ $(,)?];)*) => {$(
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), report(&[$(($file, $text)),+], &NothingDeployed));
        }
    )*};
}

fn env(body: &str) -> String {
    format!("environment \"staging\" {{\n    ensemble \"zk\" {{\n        {body}\n    }}\n}}\n")
}

bad! {
    // Parse errors.
    syntax_unclosed_block: [("a.kdl", "environment \"a\" {\n    ensemble \"zk\" {\n")];
    syntax_bad_number: [("a.kdl", &env("servers 3."))];
    syntax_v1_boolean: [("a.kdl", &env("retain-storage true"))];
    syntax_v1_boolean_property: [("a.kdl", &env("servers 5 acknowledge-resize=false"))];
    syntax_v1_null: [("a.kdl", &env("priority-class null"))];
    syntax_v1_raw_string: [("a.kdl", &env("jvm-flags r\"-Dzk.path=C:\\zk\""))];
    syntax_v1_raw_string_with_hashes: [("a.kdl", &env("image r#\"zookeeper:3.9.4\"#"))];
    syntax_unquoted_image_reference: [("a.kdl", &env("image docker.io/library/zookeeper:3.9.4"))];
    syntax_unquoted_version: [("a.kdl", &env("labels version=3.9.4"))];
    syntax_v1_one_diagnostic_per_mistake: [("a.kdl", &env("retain-storage false\n        image r\"zookeeper:3.9.4\"\n        storage 10Gi class=fast-ssd"))];
    syntax_too_deep: [("a.kdl", &"a {".repeat(40))];
    // Unknown names.
    unknown_setting_did_you_mean: [("a.kdl", &env("sever 5"))];
    unknown_property_did_you_mean: [("a.kdl", &env("resources cpu=\"1\" mem=\"1Gi\""))];
    unknown_top_level_node: [("a.kdl", "enviroment \"a\" {}\n")];
    unknown_environment_setting: [("a.kdl", "environment \"a\" {\n    namspace \"x\"\n}\n")];
    unknown_zoo_cfg_key: [("a.kdl", &env("zoo-cfg { tick-tim 2000 }"))];
    unknown_annotation: [("a.kdl", &env("servers (fnal)3"))];
    unknown_toleration_property: [("a.kdl", &env("tolerations { toleration key=\"a\" efect=\"NoSchedule\" }"))];
    unknown_record_node: [("a.kdl", &env("tolerations { tolerate key=\"a\" }"))];
    // Wrong types and shapes.
    wrong_type_string_for_int: [("a.kdl", &env("servers \"three\""))];
    wrong_type_int_for_string: [("a.kdl", &env("image 3"))];
    wrong_type_bool: [("a.kdl", &env("retain-storage \"yes\""))];
    wrong_arity_two_values: [("a.kdl", &env("servers 3 5"))];
    wrong_arity_block_on_value: [("a.kdl", &env("servers { three }"))];
    zoo_cfg_without_block: [("a.kdl", &env("zoo-cfg"))];
    missing_environment_name: [("a.kdl", "environment { ensemble \"zk\" }\n")];
    missing_ensemble_name: [("a.kdl", "environment \"a\" { ensemble { servers 3 } }\n")];
    bad_choice_did_you_mean: [("a.kdl", &env("peer-discovery \"per-server-service\""))];
    bad_spread_choice: [("a.kdl", &env("spread \"always\""))];
    // Ranges and quantities.
    servers_out_of_range: [("a.kdl", &env("servers 300"))];
    servers_zero: [("a.kdl", &env("servers 0"))];
    port_out_of_range: [("a.kdl", &env("ports client=70000"))];
    bad_quantity: [("a.kdl", &env("storage \"10 GB\""))];
    bad_memory_quantity: [("a.kdl", &env("resources memory=\"1GB\""))];
    // Semantic checks.
    even_servers_warning: [("a.kdl", &env("servers 4"))];
    single_server_warning: [("a.kdl", &env("servers 1"))];
    port_clash: [("a.kdl", &env("ports client=2181 admin=2181"))];
    metrics_port_clash: [("a.kdl", &env("metrics #true\n        ports metrics=2888"))];
    heap_not_below_limit: [("a.kdl", &env("resources memory=\"1Gi\"\n        heap \"1Gi\""))];
    request_above_limit: [("a.kdl", &env("resources memory=\"2Gi\" memory-limit=\"1Gi\""))];
    bad_image_reference: [("a.kdl", &env("image \"Zookeeper 3.9\""))];
    latest_tag_warning: [("a.kdl", &env("image \"zookeeper:latest\""))];
    untagged_image_warning: [("a.kdl", &env("image \"zookeeper\""))];
    owned_zoo_cfg_key: [("a.kdl", &env("zoo-cfg { set \"clientPort\" \"2182\" }"))];
    owned_server_key: [("a.kdl", &env("zoo-cfg { set \"server.4\" \"x:2888:3888\" }"))];
    sync_limit_above_init_limit: [("a.kdl", &env("zoo-cfg { init-limit 2; sync-limit 10 }"))];
    probe_words_missing: [("a.kdl", &env("zoo-cfg { four-letter-words \"mntr\" }"))];
    invalid_ensemble_name: [("a.kdl", "environment \"a\" { ensemble \"ZooKeeper_Main\" }\n")];
    ensemble_name_too_long: [("a.kdl", &format!("environment \"a\" {{ ensemble \"{}\" }}\n", "z".repeat(53)))];
    invalid_namespace: [("a.kdl", "environment \"a\" { namespace \"Team_A\"; ensemble \"zk\" }\n")];
    duplicate_ensemble: [("a.kdl", "environment \"a\" {\n    ensemble \"zk\"\n    ensemble \"zk\" { servers 5 }\n}\n")];
    namespace_clash: [("a.kdl", "environment \"a\" { namespace \"shared\"; ensemble \"zk\" }\n"), ("b.kdl", "environment \"b\" { namespace \"shared\"; ensemble \"zk\" }\n")];
    spread_impossible: [("a.kdl", &env("node-selector \"kubernetes.io/hostname\"=\"node-1\""))];
    ordered_ready_deadlock: [("a.kdl", &env("pod-management \"OrderedReady\""))];
    disruption_breaks_quorum: [("a.kdl", &env("disruption max-unavailable=2"))];
    argocd_without_repo: [("a.kdl", "environment \"a\" {\n    ensemble \"zk\"\n    argocd revision=\"main\"\n}\n")];
    flux_without_source: [("a.kdl", "environment \"a\" {\n    ensemble \"zk\"\n    flux interval=\"1m\"\n}\n")];
    // Imports.
    import_missing: [("a.kdl", "environment \"a\" {\n    import \"lib/bse.kdl\"\n    ensemble \"zk\"\n}\n"), ("lib/base.kdl", "defaults { servers 3 }\n")];
    import_cycle: [("a.kdl", "environment \"a\" { import \"lib/x.kdl\"; ensemble \"zk\" }\n"), ("lib/x.kdl", "import \"lib/y.kdl\"\n"), ("lib/y.kdl", "import \"lib/x.kdl\"\n")];
    import_escapes: [("a.kdl", "environment \"a\" {\n    import \"../../etc/zk.kdl\"\n    ensemble \"zk\"\n}\n")];
    import_absolute: [("a.kdl", "environment \"a\" {\n    import \"/etc/zk.kdl\"\n    ensemble \"zk\"\n}\n")];
    import_environment_file: [("a.kdl", "environment \"a\" {\n    import \"b.kdl\"\n    ensemble \"zk\"\n}\n"), ("b.kdl", "environment \"b\" { ensemble \"zk\" }\n")];
    import_at_top_of_environment_file: [("a.kdl", "import \"lib/base.kdl\"\nenvironment \"a\" { ensemble \"zk\" }\n"), ("lib/base.kdl", "defaults { servers 3 }\n")];
    ensemble_in_library: [("lib/base.kdl", "ensemble \"zk\" { servers 3 }\n")];
    // Templates.
    unknown_template_did_you_mean: [("a.kdl", "template \"small\" { servers 1 }\nenvironment \"a\" { ensemble \"zk\" extends=\"smal\" }\n")];
    template_cycle: [("a.kdl", "template \"x\" extends=\"y\" { servers 3 }\ntemplate \"y\" extends=\"x\" { servers 5 }\nenvironment \"a\" { ensemble \"zk\" extends=\"x\" }\n")];
    duplicate_template: [("a.kdl", "template \"small\" { servers 1 }\ntemplate \"small\" { servers 3 }\nenvironment \"a\" { ensemble \"zk\" }\n")];
    // Composition.
    conflict_between_libraries: [
        ("a.kdl", "environment \"a\" {\n    import \"lib/one.kdl\"\n    import \"lib/two.kdl\"\n    ensemble \"zk\"\n}\n"),
        ("lib/one.kdl", "defaults { image \"zookeeper:3.9.3\" }\n"),
        ("lib/two.kdl", "defaults { image \"zookeeper:3.8.4\" }\n"),
    ];
    conflict_in_one_block: [("a.kdl", &env("servers 3\n        servers 5"))];
    final_override: [
        ("a.kdl", "environment \"a\" {\n    import \"lib/policy.kdl\"\n    ensemble \"zk\" { spread \"preferred\" }\n}\n"),
        ("lib/policy.kdl", "defaults { spread (final)\"required\" }\n"),
    ];
    final_override_through_template: [
        ("a.kdl", "template \"loose\" { spread \"none\" }\nenvironment \"a\" {\n    import \"lib/policy.kdl\"\n    ensemble \"zk\" extends=\"loose\"\n}\n"),
        ("lib/policy.kdl", "defaults { spread (final)\"required\" }\n"),
    ];
    // Issue #12: each class of spec that used to build broken output at exit 0.
    object_name_clash_across_ensembles: [("a.kdl", "environment \"a\" {\n    ensemble \"zk\"\n    ensemble \"zk-headless\"\n}\n")];
    object_name_clash_within_ensemble: [("a.kdl", &env("peer-discovery \"per-server-services\"\n        client-service \"ClusterIP\" name=\"zk-2\""))];
    environment_declared_twice: [("qa.kdl", "environment \"staging\" { namespace \"qa\"; ensemble \"zk\" }\n"), ("staging.kdl", "environment \"staging\" { ensemble \"zk\" }\n")];
    environment_declared_twice_same_namespace: [("qa.kdl", "environment \"staging\" { ensemble \"zk\" }\n"), ("staging.kdl", "environment \"staging\" { ensemble \"zk\" }\n")];
    heap_without_unit: [("a.kdl", &env("heap 512"))];
    storage_without_unit: [("a.kdl", &env("storage 10"))];
    storage_zero: [("a.kdl", &env("storage \"0\""))];
    memory_absurd: [("a.kdl", &env("resources memory=\"99999999999Ei\""))];
    heap_below_minimum: [("a.kdl", &env("heap \"64Mi\""))];
    datalog_class_without_size: [("a.kdl", &env("datalog class=\"fast-ssd\""))];
    owned_env_my_id: [("a.kdl", &env("env ZOO_MY_ID=\"1\" ZK_SERVER_HEAP=\"512\" JVMFLAGS=\"-Xmx1g\""))];
    owned_env_log4j: [("a.kdl", &env("env ZOO_LOG4J_PROP=\"INFO,CONSOLE\""))];
    invalid_env_name: [("a.kdl", &env("env \"MY VAR\"=\"x\""))];
    owned_jvm_heap_flag: [("a.kdl", &env("jvm-flags \"-Xmx8g\""))];
    owned_label: [("a.kdl", &env("labels \"app.kubernetes.io/name\"=\"other\""))];
    owned_pod_annotation: [("a.kdl", &env("pod-annotations \"zkc.dev/config-checksum\"=\"x\""))];
    zoo_cfg_key_with_newline: [("a.kdl", &env("zoo-cfg { set \"snapCount\\nserver.9\" \"x\" }"))];
    zoo_cfg_key_with_blank: [("a.kdl", &env("zoo-cfg { set \" snapCount\" \"100\" }"))];
    zoo_cfg_value_line_continuation: [("a.kdl", &env("zoo-cfg { set \"snapCount\" \"100\\\\\" }"))];
    zoo_cfg_value_carriage_return: [("a.kdl", &env("zoo-cfg { set \"snapCount\" \"100\\r\" }"))];
    zoo_cfg_four_letter_word_newline: [("a.kdl", &env("zoo-cfg { four-letter-words \"ruok\" \"srvr\" \"mntr\\nserver.9=x\" }"))];
    zoo_cfg_unknown_key_did_you_mean: [("a.kdl", &env("zoo-cfg { set \"snapcount\" \"50000\" }"))];
    final_pins_properties: [
        ("a.kdl", "environment \"a\" {\n    import \"lib/policy.kdl\"\n    ensemble \"zk\" { spread \"required\" topology-key=\"topology.kubernetes.io/zone\" }\n}\n"),
        ("lib/policy.kdl", "defaults { spread (final)\"required\" }\n"),
    ];
    argocd_server_and_cluster: [("a.kdl", "environment \"a\" {\n    ensemble \"zk\"\n    argocd repo=\"https://git.example.com/zk.git\" server=\"https://k8s.example.com\" cluster=\"prod\"\n}\n")];
    flux_without_namespace_object: [("a.kdl", "environment \"a\" {\n    ensemble \"zk\"\n    flux source=\"platform\"\n}\n")];
    invalid_environment_name: [("a.kdl", "environment \"stag\\\")\\n---\\nkind: Pod\" { namespace \"staging\"; ensemble \"zk\" }\n")];
    label_key_yaml11_ambiguous: [("a.kdl", &env("labels \"on\"=\"x\" \"team\"=\"a b\""))];
    annotation_key_invalid: [("a.kdl", &env("annotations \"<<\"=\"x\""))];
    ensemble_setting_in_environment: [("a.kdl", "environment \"a\" {\n    servers 5\n    ensemble \"zk\"\n}\n")];
    zoo_cfg_setting_outside_zoo_cfg: [("a.kdl", &env("four-letter-words \"ruok\" \"srvr\""))];
    metrics_port_without_metrics: [("a.kdl", &env("ports metrics=7001"))];
    // Issue #14: the metrics settings.
    monitor_without_metrics: [("a.kdl", &env("prometheus-operator { monitor \"pod-monitor\"; rules #true }"))];
    metrics_from_namespaces_without_metrics: [("a.kdl", &env("network-policy { metrics-from-namespaces \"monitoring\"; metrics-from-pods app=\"prometheus\" }"))];
    monitor_blocked_by_the_network_policy: [("a.kdl", &env("metrics #true\n        prometheus-operator { monitor \"service-monitor\" }"))];
    metrics_namespace_not_a_dns_label: [("a.kdl", &env("metrics #true\n        network-policy { allow-namespaces \"Kafka\"; metrics-from-namespaces \"monitoring.svc\" }"))];
    prometheus_labels_without_objects: [("a.kdl", &env("metrics #true\n        prometheus-operator { labels release=\"prom\" }"))];
    metrics_from_without_network_policy: [("a.kdl", &env("metrics #true\n        network-policy { enabled #false; metrics-from-namespaces \"monitoring\" }"))];
    prometheus_label_owned_by_zkc: [("a.kdl", &env("metrics #true\n        network-policy { metrics-from-namespaces \"monitoring\" }\n        prometheus-operator { monitor \"pod-monitor\"; labels \"app.kubernetes.io/name\"=\"x\" }"))];
    monitor_setting_outside_its_block: [("a.kdl", &env("monitor \"pod-monitor\""))];
    toleration_seconds_without_no_execute: [("a.kdl", &env("tolerations { toleration key=\"a\" operator=\"Exists\" toleration-seconds=30 }"))];
    // A value that failed to parse is not judged again: no ZK0045 about the default of 3
    // servers the user replaced with an invalid 300, no conflict or final error on top.
    no_cascade_from_an_invalid_value: [("a.kdl", &env("servers 300\n        disruption max-unavailable=2"))];
    argocd_manual_sync_with_prune: [("a.kdl", "environment \"a\" {\n    ensemble \"zk\"\n    argocd repo=\"https://git.example.com/zk.git\" sync=\"manual\" prune=#false\n}\n")];
    annotation_on_an_environment: [("a.kdl", "(final)environment \"a\" { ensemble (final)\"zk\" }\n")];
    annotation_on_a_template_name: [("a.kdl", "template (x)\"t\" { servers 3 }\nenvironment \"a\" { ensemble \"zk\" extends=\"t\" }\n")];
    // TLS and SASL (issue #14).
    tls_without_certificate: [("a.kdl", &env("tls { client #true }"))];
    tls_two_certificate_sources: [("a.kdl", &env("tls { quorum \"on\"; issuer \"zk-ca\"; secret \"zk-tls\" }"))];
    tls_secret_not_a_dns_name: [("a.kdl", &env("tls { client #true; secret \"ZK_TLS\" }"))];
    tls_issuer_not_a_dns_name: [("a.kdl", &env("tls { client #true; issuer \"zk ca\" kind=\"ClusterIssuer\" }"))];
    tls_settings_while_off: [("a.kdl", &env("tls { client-auth \"want\"; issuer \"zk-ca\" }\n        ports secure-client=2282"))];
    tls_secure_port_clash: [("a.kdl", &env("tls { client #true; secret \"zk-tls\" }\n        ports secure-client=2888"))];
    sasl_without_secret: [("a.kdl", &env("sasl { client #true }"))];
    sasl_enforce_without_client: [("a.kdl", &env("sasl { secret \"zk-sasl\"; quorum \"required\"; enforce #true }"))];
    sasl_secret_not_a_dns_name: [("a.kdl", &env("sasl { secret \"zk/sasl\"; client #true }"))];
    zoo_cfg_keys_owned_by_tls_and_sasl: [("a.kdl", &env("zoo-cfg { set \"secureClientPort\" \"2281\"; set \"sslQuorum\" \"true\"; set \"ssl.keyStore.location\" \"/x.pem\"; set \"authProvider.1\" \"x\"; set \"quorum.auth.enableSasl\" \"true\"; set \"sessionRequireClientSASLAuth\" \"true\" }"))];
    jvm_flags_owned_by_tls_and_sasl: [("a.kdl", &env("jvm-flags \"-Djava.security.auth.login.config=/x\" \"-Dzookeeper.sslQuorum=true\""))];
    flux_decryption_secret_without_decryption: [("a.kdl", "environment \"a\" {\n    namespace-object #true\n    ensemble \"zk\"\n    flux source=\"platform\" decryption-secret=\"sops-age\" secrets-component=\"../secrets\"\n}\n")];
    // Escape hatches (issue #15): what a hurried user writes into `volumes`, `sidecars`, ….
    extra_volume_two_sources: [("a.kdl", &env("volumes { volume \"creds\" secret=\"s3\" config-map=\"s3\" mount=\"/etc/creds\" }"))];
    extra_volume_no_source: [("a.kdl", &env("volumes { volume \"creds\" mount=\"/etc/creds\" }"))];
    extra_volume_size_limit_on_a_secret: [("a.kdl", &env("volumes { volume \"creds\" secret=\"s3\" size-limit=\"1Gi\" mount=\"/etc/creds\" }"))];
    extra_volume_over_zoo_cfg: [("a.kdl", &env("volumes { volume \"extra\" config-map=\"zk-extra\" mount=\"/conf\" }"))];
    extra_volume_inside_data: [("a.kdl", &env("volumes { volume \"tx\" empty-dir=#true mount=\"/data/version-2\" read-only=#false }"))];
    extra_volume_relative_path: [("a.kdl", &env("volumes { volume \"extra\" config-map=\"zk-extra\" mount=\"etc/extra\" }"))];
    extra_volume_named_like_zkc: [("a.kdl", &env("volumes { volume \"config\" config-map=\"mine\" mount=\"/etc/mine\" }"))];
    extra_volume_mounted_nowhere: [("a.kdl", &env("volumes { volume \"creds\" secret=\"s3\" }"))];
    sidecar_without_image_or_resources: [("a.kdl", &env("sidecars { sidecar \"backup\" }"))];
    sidecar_named_zookeeper: [("a.kdl", &env("sidecars { sidecar \"zookeeper\" image=\"example.com/agent:1.0\" { resources cpu=\"10m\" memory=\"16Mi\" } }"))];
    sidecar_writes_the_data: [("a.kdl", &env("sidecars { sidecar \"backup\" image=\"example.com/backup:1.0\" { resources cpu=\"10m\" memory=\"16Mi\"; mounts { mount \"data\" path=\"/data\" read-only=#false } } }"))];
    sidecar_mounts_a_missing_volume: [("a.kdl", &env("volumes { volume \"credentials\" secret=\"s3\" }\n        sidecars { sidecar \"backup\" image=\"example.com/backup:1.0\" { resources cpu=\"10m\" memory=\"16Mi\"; mounts { mount \"credential\" path=\"/creds\" } } }"))];
    sidecar_mount_without_path_and_twice: [("a.kdl", &env("sidecars { sidecar \"backup\" image=\"example.com/backup:1.0\" { resources cpu=\"10m\" memory=\"16Mi\"; mounts { mount \"logs\"; mount \"data\" path=\"/d\"; mount \"logs\" path=\"/d\" } } }"))];
    sidecar_floating_image: [("a.kdl", &env("sidecars { sidecar \"backup\" image=\"example.com/backup:latest\" { resources cpu=\"10m\" memory=\"16Mi\" } }"))];
    sidecar_image_set_twice: [("a.kdl", &env("sidecars { sidecar \"backup\" image=\"example.com/backup:1.0\" { image \"example.com/backup:1.1\"; resources cpu=\"10m\" memory=\"16Mi\" } }"))];
    two_init_containers_one_name: [("a.kdl", &env("init-containers {\n            init-container \"seed\" image=\"example.com/seed:1.0\" { resources cpu=\"10m\" memory=\"16Mi\" }\n            init-container \"seed\" image=\"example.com/seed:1.0\" { resources cpu=\"10m\" memory=\"16Mi\" }\n        }"))];
    sidecar_server_setting_inside: [("a.kdl", &env("sidecars { sidecar \"backup\" image=\"example.com/backup:1.0\" { resources cpu=\"10m\" memory=\"16Mi\"; storage \"1Gi\" } }"))];
    extra_volume_over_the_system: [("a.kdl", &env("volumes { volume \"tools\" empty-dir=#true mount=\"/usr\" }\n        sidecars { sidecar \"agent\" image=\"example.com/agent:1.0\" { resources cpu=\"10m\" memory=\"16Mi\"; mounts { mount \"tools\" path=\"/proc/x\" } } }"))];
    extra_volume_of_the_ensembles_own_claim: [("a.kdl", &env("volumes { volume \"peer\" claim=\"data-zk-2\" mount=\"/peer\" read-only=#false }"))];
    extra_volume_read_only_without_effect: [("a.kdl", &env("volumes {\n            volume \"creds\" secret=\"s3\" mount=\"/etc/creds\" read-only=#false\n            volume \"scratch\" empty-dir=#true read-only=#false\n        }\n        sidecars { sidecar \"agent\" image=\"example.com/agent:1.0\" { resources cpu=\"10m\" memory=\"16Mi\"; mounts { mount \"scratch\" path=\"/scratch\" } } }"))];
    extra_volume_source_names_invalid: [("a.kdl", &env("volumes { volume \"creds\" secret=\"S3_Creds\" mount=\"/etc/creds\" }"))];
    sidecar_environment_mistakes: [("a.kdl", &env("sidecars { sidecar \"agent\" image=\"example.com/agent:1.0\" { resources cpu=\"500m\" memory=\"16Mi\" cpu-limit=\"100m\"; env \"MY VAR\"=\"x\"; env-from-secrets \"Agent_Creds\" } }"))];
    pod_label_the_controller_sets: [("a.kdl", &env("pod-labels \"apps.kubernetes.io/pod-index\"=\"1\" \"app.kubernetes.io/instance\"=\"other\""))];
    several_mistakes_at_once: [
        ("a.kdl", "environment \"a\" {\n    ensemble \"zk\" {\n        sever 3\n        storage \"10 GB\"\n        ports client=2181 admin=2181\n    }\n}\n"),
        ("b.kdl", "environment \"b\" { ensemble \"zk\" { servers 300 } }\n"),
    ];
}

/// The server-count check compares with what `out/` holds.
struct ThreeDeployed;

impl Deployed for ThreeDeployed {
    fn servers(&self, _: &str, _: &str) -> Option<i64> {
        Some(3)
    }
}

#[test]
fn server_count_change_needs_acknowledgement() {
    insta::assert_snapshot!(
        "server_count_change",
        report(&[("a.kdl", &env("servers 5"))], &ThreeDeployed)
    );
}

#[test]
fn acknowledged_resize_steps_pass_without_the_even_count_warning() {
    for step in [
        "servers 4 acknowledge-resize-from=3 cold-restart=#true",
        "servers 2 acknowledge-resize-from=3",
    ] {
        let c = compile(sources(&[("a.kdl", &env(step))]), &ThreeDeployed);
        assert!(c.diagnostics.is_empty(), "{step}: {:#?}", c.diagnostics);
    }
}

#[test]
fn resize_acknowledgements_that_do_not_fit_out() {
    insta::assert_snapshot!(
        "resize_two_servers_at_once",
        report(
            &[("a.kdl", &env("servers 5 acknowledge-resize-from=3"))],
            &ThreeDeployed
        )
    );
    insta::assert_snapshot!(
        "resize_acknowledgement_left_from_an_earlier_step",
        report(
            &[("a.kdl", &env("servers 2 acknowledge-resize-from=1"))],
            &ThreeDeployed
        )
    );
    insta::assert_snapshot!(
        "resize_acknowledgement_already_built",
        report(
            &[("a.kdl", &env("servers 3 acknowledge-resize-from=2"))],
            &ThreeDeployed
        )
    );
    insta::assert_snapshot!(
        "resize_acknowledgement_of_no_resize",
        report(
            &[("a.kdl", &env("servers 3 acknowledge-resize-from=3"))],
            &ThreeDeployed
        )
    );
    insta::assert_snapshot!(
        "resize_step_that_cannot_be_rolled",
        report(
            &[("a.kdl", &env("servers 4 acknowledge-resize-from=3"))],
            &ThreeDeployed
        )
    );
    insta::assert_snapshot!(
        "cold_restart_where_a_rolling_update_finishes",
        report(
            &[(
                "a.kdl",
                &env("servers 2 acknowledge-resize-from=3 cold-restart=#true")
            )],
            &ThreeDeployed
        )
    );
    insta::assert_snapshot!(
        "resize_acknowledgement_of_the_retired_form",
        report(
            &[("a.kdl", &env("servers 4 acknowledge-resize=#true"))],
            &ThreeDeployed
        )
    );
}

/// An ensemble in out/ with 3 servers whose zoo.cfg has the given lines.
struct DeployedCfg(i64, &'static str);

impl Deployed for DeployedCfg {
    fn servers(&self, _: &str, _: &str) -> Option<i64> {
        Some(self.0)
    }

    fn file(&self, rel: &str) -> Option<&str> {
        (rel == "staging/configmap-zk-config.yaml").then_some(self.1)
    }
}

const TLS: &str = "tls { secret \"zk-tls\"; quorum";
const PLAIN_CFG: &str = "data:\n  zoo.cfg: |\n    tickTime=2000\n";
const ACCEPT_CFG: &str = "data:\n  zoo.cfg: |\n    sslQuorum=false\n    portUnification=true\n";

#[test]
fn quorum_tls_moves_one_phase_per_commit() {
    insta::assert_snapshot!(
        "quorum_tls_off_to_on_in_one_commit",
        report(
            &[("a.kdl", &env(&format!("{TLS} \"on\" }}")))],
            &DeployedCfg(3, PLAIN_CFG)
        )
    );
    insta::assert_snapshot!(
        "quorum_tls_phase_with_resize",
        report(
            &[(
                "a.kdl",
                &env(&format!(
                    "servers 5 acknowledge-resize-from=4\n        {TLS} \"send-tls\" }}"
                ))
            )],
            // 4 → 5 rolls (3 → 4 would be a cold step, ZK0069, which is not the point here).
            &DeployedCfg(4, ACCEPT_CFG)
        )
    );
    insta::assert_snapshot!(
        "quorum_sasl_off_to_required_in_one_commit",
        report(
            &[(
                "a.kdl",
                &env("sasl { secret \"zk-sasl\"; quorum \"required\" }")
            )],
            &DeployedCfg(3, PLAIN_CFG)
        )
    );
    // Each step of the admin guide's procedure, forwards and back, passes; so does a new
    // ensemble that starts with quorum TLS on.
    let phases = [
        (PLAIN_CFG, "accept-tls"),
        (ACCEPT_CFG, "send-tls"),
        (ACCEPT_CFG, "off"),
        ("    sslQuorum=true\n    portUnification=true\n", "on"),
        (
            "    sslQuorum=true\n    portUnification=false\n",
            "send-tls",
        ),
    ];
    for (cfg, next) in phases {
        // Back to off, the Secret would have no effect (ZK0057).
        let spec = if next == "off" {
            "tls { quorum \"off\" }".to_owned()
        } else {
            format!("{TLS} \"{next}\" }}")
        };
        let c = compile(sources(&[("a.kdl", &env(&spec))]), &DeployedCfg(3, cfg));
        assert!(c.diagnostics.is_empty(), "{next}: {:#?}", c.diagnostics);
    }
    let c = compile(
        sources(&[("a.kdl", &env(&format!("{TLS} \"on\" }}")))]),
        &NothingDeployed,
    );
    assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
}

#[test]
fn client_service_annotations_are_checked_like_every_annotation() {
    insta::assert_snapshot!(
        "client_service_annotation_key",
        report(
            &[(
                "a.kdl",
                &env("client-service-annotations \"bad key\"=\"x\"")
            )],
            &NothingDeployed
        )
    );
}

#[test]
fn manifests_that_zkc_cannot_ship() {
    let spec = "environment \"a\" {\n    manifests \"extra/a.yaml\" \"extra/b.yml\"\n    ensemble \"zk\"\n}\n";
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: zk-config\n  namespace: other\ndta:\n  k: v\n";
    insta::assert_snapshot!(
        "manifests",
        report(
            &[("a.kdl", spec), ("extra/a.yaml", manifest)],
            &NothingDeployed
        )
    );
}

/// Patches (issue #15) as a hurried user writes them: a typo in the target, a field zkc owns,
/// a whole annotation map, a misspelt field, an operation that cannot apply, `move`, YAML that
/// is not a patch. Every problem of every document at once, each at its line.
#[test]
fn patches_that_zkc_refuses() {
    let spec = "environment \"a\" {\n    patches \"extra/p.yaml\" \"extra/missing.yaml\"\n    ensemble \"zk\"\n}\n";
    let patch = "\
target: {kind: StatefulSet, name: zk}
patch:
  - {op: add, path: /spec/template/spec/hostNetwork, value: true}
  - {op: replace, path: /spec/template/metadata/annotations, value: {}}
  - {op: add, path: /spec/template/spec/dnsConfig, value: {nameserverz: [10.0.0.2]}}
  - {op: move, from: /spec/template/spec/dnsPolicy, path: /spec/template/spec/schedulerName}
---
target: {kind: StatefulSet, name: zk}
patch:
  - {op: replace, path: /spec/template/spec/runtimeClassName, value: gvisor}
---
target: {kind: Service, name: zk-client}
patch:
  - {op: add, path: /spec/externalTrafficPolicy, value: Local}
---
target: {kind: StatefulSet, name: zk}
patch:
  - {op: add, path: /spec/template/metadata/annotations/zkc.dev~1config-checksum, value: x}
---
# a typo alone in its document, found after the patch is applied
target: {kind: StatefulSet, name: zk}
patch:
  - {op: add, path: /spec/template/spec/dnsConfig, value: {nameserverz: [10.0.0.2]}}
---
target: {kind: StatefulSet, name: zk}
patch:
  - {op: add, path: /spec/template/spec/hostAliases, value: [{ip: 10.9.9.9, hostnames: [zk-2.zk-headless.a.svc]}]}
  - {op: add, path: /spec/template/spec/terminationGracePeriodSeconds, value: 0}
  - {op: add, path: /spec/template/metadata/annotations/on, value: x}
---
target: {kind: Service, name: zk}
patch:
  - {op: add, path: /spec/loadBalancerSourceRanges, value: [10.0.0.0/8]}
---
target: {kind: Service, name: zk-headless}
patch:
  - {op: add, path: /metadata/annotations/example.com~1team, value: a}
---
target: {kind: PodDisruptionBudget, name: zk}
patch: []
---
target: {kind: ServiceAccount, name: zk}
patch:
  - {op: add, path: /metadata/annotations/example.com~1n, value: 5}
---
targets: {kind: StatefulSet}
";
    insta::assert_snapshot!(
        "patches",
        report(
            &[("a.kdl", spec), ("extra/p.yaml", patch)],
            &NothingDeployed
        )
    );
}

#[test]
fn json_and_github_formats() {
    let c = compile(sources(&[("a.kdl", &env("servers 300"))]), &NothingDeployed);
    let json: serde_json::Value = serde_json::from_str(&render(
        &c.diagnostics[0],
        &c.sources,
        MessageFormat::Json,
        false,
    ))
    .unwrap();
    assert_eq!(json["code"], "ZK0006");
    assert_eq!(json["severity"], "error");
    assert_eq!(json["file"], "specs/a.kdl");
    assert_eq!(
        (json["line"].as_u64(), json["column"].as_u64()),
        (Some(3), Some(17))
    );
    assert_eq!(
        (json["end_line"].as_u64(), json["end_column"].as_u64()),
        (Some(3), Some(20))
    );
    assert!(json["help"].as_str().unwrap().contains("1 to 255"));
    let github = render(&c.diagnostics[0], &c.sources, MessageFormat::Github, false);
    assert!(github.starts_with("::error file=specs/a.kdl,line=3,col=17,endLine=3,endColumn=20,title=ZK0006 value out of range::"), "{github}");
}
