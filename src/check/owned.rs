//! Values zkc derives itself (ZK0039, ZK0053) and user text that reaches zoo.cfg (ZK0054,
//! ZK0055): what may not be set from the side, and what cannot be written safely.

use super::check_metadata;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Ensemble, Sp};
use crate::source::Loc;

/// ZK0053: values zkc derives itself cannot be set from the side, where they would either
/// override the derived value (`env ZOO_MY_ID`) or be silently dropped (a selector label).
pub(super) fn check_owned_values(e: &Ensemble, diags: &mut Diagnostics) {
    let owned = |what: &str, key: &str, value: &Sp<String>, instead: &str| {
        Diagnostic::new(Code::OwnedValue, format!("{what} `{key}` is set by zkc"))
            .at_loc(value.loc_or(e.loc), "owned by zkc")
            .help(instead.to_owned())
    };
    for (name, value) in &e.env {
        if let Some(instead) = owned_env_var(name) {
            diags.push(owned("environment variable", name, value, instead));
        } else if !is_env_var_name(name) {
            diags.push(invalid_key(
                e,
                "environment variable",
                name,
                value,
                "letters, digits and `_`, not starting with a digit",
            ));
        }
    }
    for flag in &e.jvm_flags.value {
        if let Some(instead) = owned_jvm_flag(flag) {
            diags.push(owned(
                "JVM flag",
                flag,
                &Sp {
                    value: flag.clone(),
                    origin: e.jvm_flags.origin.clone(),
                },
                &instead,
            ));
        }
    }
    for (map, what) in [
        (&e.labels, "label"),
        (&e.pod_labels, "label"),
        (&e.node_selector, "label"),
        (&e.network_policy.allow_pods, "label"),
        (&e.network_policy.metrics_from_pods, "label"),
        (&e.prometheus_operator.labels, "label"),
        (&e.annotations, "annotation"),
        (&e.pod_annotations, "annotation"),
        (&e.client_service_annotations, "annotation"),
    ] {
        check_metadata(map, what, e.loc, diags);
    }
    for (map, what) in [
        (&e.labels, "label"),
        (&e.pod_labels, "pod label"),
        (&e.prometheus_operator.labels, "label"),
        (&e.annotations, "annotation"),
        (&e.pod_annotations, "pod annotation"),
        (&e.client_service_annotations, "annotation"),
    ] {
        for (key, value) in map {
            if let Some(instead) = owned_metadata_key(key, what, e.metrics.value) {
                diags.push(owned(what, key, value, instead));
            }
        }
    }
}

fn invalid_key(e: &Ensemble, what: &str, key: &str, value: &Sp<String>, rule: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidName,
        format!("{what} name {key:?} is not valid"),
    )
    .at_loc(value.loc_or(e.loc), "invalid name")
    .help(format!("use {rule}"))
}

pub(super) fn is_env_var_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Environment variables the image or the JVM reads for what zkc sets, and why.
fn owned_env_var(name: &str) -> Option<&'static str> {
    Some(match name {
        "ZOO_MY_ID" => "the server id is the pod index; it cannot be set",
        "ZK_SERVER_HEAP" => "use `heap`",
        "JVMFLAGS" | "SERVER_JVMFLAGS" => "use `jvm-flags`",
        // Read by every JVM: they would bypass the heap check.
        "JAVA_TOOL_OPTIONS" | "JDK_JAVA_OPTIONS" | "_JAVA_OPTIONS" => "use `jvm-flags`",
        "ZOO_LOG4J_PROP" => {
            "ZooKeeper 3.9 logs through logback and never reads ZOO_LOG4J_PROP; remove it"
        }
        "ZOOCFGDIR" | "ZOOCFG" | "ZOO_CONF_DIR" => {
            "zkc mounts zoo.cfg at /conf/zoo.cfg; use `zoo-cfg`"
        }
        "ZOO_DATA_DIR" | "ZOO_DATA_LOG_DIR" | "ZOO_LOG_DIR" => {
            "zkc mounts the volumes at /data, /datalog and /logs; use `storage` and `datalog`"
        }
        // The entrypoint builds zoo.cfg from ZOO_* variables only when none is mounted.
        n if n.starts_with("ZOO_") => {
            "the image reads ZOO_* variables only to write a zoo.cfg, and zkc mounts its own; use `zoo-cfg`"
        }
        _ => return None,
    })
}

/// JVM flags that would override or break what zkc derives, including the system properties
/// `zookeeper.<key>` that stand for zoo.cfg keys zkc owns (QuorumPeerConfig turns zoo.cfg keys
/// it does not parse itself into such properties, and ZooKeeper reads them back).
fn owned_jvm_flag(flag: &str) -> Option<String> {
    if let Some(instead) = flag
        .strip_prefix("-Dzookeeper.")
        .and_then(|p| owned_zoo_cfg_key(p.split('=').next().unwrap_or(p)))
    {
        return Some(format!("use {instead} instead"));
    }
    owned_jvm_flag_text(flag).map(str::to_owned)
}

fn owned_jvm_flag_text(flag: &str) -> Option<&'static str> {
    let starts = |prefix: &str| flag.starts_with(prefix);
    Some(
        if starts("-Xmx")
            || starts("-Xms")
            || starts("-XX:MaxHeapSize")
            || starts("-XX:InitialHeapSize")
            || starts("-XX:MaxRAM")
            || starts("-XX:InitialRAMPercentage")
            || starts("-XX:MinRAMPercentage")
        {
            "use `heap`: zkc sets the heap and checks it against the memory limit"
        } else if starts("-Djute.maxbuffer") {
            "use `zoo-cfg { jute-max-buffer }`"
        } else if starts("-XX:HeapDumpPath") {
            "zkc points heap dumps at the /logs volume"
        } else if starts("-Djava.security.auth.login.config") {
            "use `sasl`: zkc writes the JAAS file from the Secret at each start"
        } else if flag.is_empty() || flag.contains(char::is_whitespace) {
            "one flag per string: zkServer.sh splits JVMFLAGS at white space"
        } else {
            return None;
        },
    )
}

/// Label and annotation keys zkc sets on its objects.
fn owned_metadata_key(key: &str, what: &str, metrics: bool) -> Option<&'static str> {
    let zkc_label = matches!(
        key,
        "app.kubernetes.io/name"
            | "app.kubernetes.io/instance"
            | "app.kubernetes.io/managed-by"
            | "app.kubernetes.io/component"
    );
    // The StatefulSet controller sets these on every pod it creates, over the template's
    // (pkg/controller/statefulset/stateful_set_utils.go: updateIdentity sets pod-name and
    // pod-index, setPodRevision the controller-revision-hash).
    let controller_label = matches!(
        key,
        "apps.kubernetes.io/pod-index"
            | "statefulset.kubernetes.io/pod-name"
            | "controller-revision-hash"
    );
    Some(if what.ends_with("label") && zkc_label {
        "zkc sets it to select and identify the ensemble's objects; use another key"
    } else if what == "pod label" && controller_label {
        "the StatefulSet controller sets it on every pod, over the template's; use another key"
    } else if key.starts_with("zkc.dev/") {
        "keys under zkc.dev/ are zkc's own"
    } else if what == "pod annotation" && metrics && key.starts_with("prometheus.io/") {
        "`metrics #true` sets the prometheus.io scrape annotations"
    } else {
        return None;
    })
}

/// The zoo.cfg keys ZooKeeper 3.9 acts on, derived from its source and admin guide by
/// `tests/zkcfg/derive_zoo_cfg_keys.py` (the file's header says how).
const KNOWN_ZOO_CFG_KEYS: &str = include_str!("../zoo_cfg_keys.txt");

fn known_zoo_cfg_keys() -> impl Iterator<Item = &'static str> {
    KNOWN_ZOO_CFG_KEYS
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// ZK0054, ZK0055: every user text that reaches zoo.cfg must read back as exactly one
/// `key=value` line. zoo.cfg is a Java `.properties` file read as ISO-8859-1: a line break,
/// a `\` (escape, or line continuation at the end), blanks around a key, `:` or `=` in a key
/// and non-ASCII text all change what ZooKeeper sees; `tests/zkcfg` proves the emitted files
/// with ZooKeeper's own parser.
pub(super) fn check_zoo_cfg_text(e: &Ensemble, diags: &mut Diagnostics) {
    let bad = |what: &str, text: &str, at: Loc, rule: &str| {
        Diagnostic::new(
            Code::ZooCfgInjection,
            format!("{what} {text:?} cannot be written to zoo.cfg safely"),
        )
        .at_loc(at, "would change other zoo.cfg lines")
        .help(rule.to_owned())
    };
    for (key, value) in &e.zoo_cfg.extra {
        let at = value.loc_or(e.loc);
        if !is_zoo_cfg_key(key) {
            diags.push(bad(
                "key",
                key,
                at,
                "a zoo.cfg key is ASCII letters, digits, `.`, `_` and `-`",
            ));
        } else if !is_zoo_cfg_value(&value.value) {
            diags.push(bad(
                "value",
                &value.value,
                at,
                "a zoo.cfg value is printable ASCII without `\\` and without blanks at either end",
            ));
        } else if owned_zoo_cfg_key(key).is_none() && !known_zoo_cfg_keys().any(|k| k == key) {
            let mut d = Diagnostic::new(
                Code::UnknownZooCfgKey,
                format!("ZooKeeper 3.9 does not know the zoo.cfg key `{key}`"),
            )
            .at_loc(at, "unknown key");
            d = match crate::diag::did_you_mean(key, known_zoo_cfg_keys()) {
                Some(k) => d.help(format!("did you mean `{k}`? ZooKeeper would turn `{key}` into an unused system property")),
                None => d.help("ZooKeeper turns keys it does not know into system properties and ignores them; check the admin guide's spelling"),
            };
            diags.push(d);
        }
    }
    let words = &e.zoo_cfg.four_letter_words;
    for word in &words.value {
        if word != "*" && !(word.len() == 4 && word.chars().all(|c| c.is_ascii_lowercase())) {
            diags.push(bad(
                "four-letter word",
                word,
                words.loc_or(e.loc),
                "a four-letter word is four lower-case letters, such as \"mntr\", or \"*\" for all",
            ));
        }
    }
}

fn is_zoo_cfg_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn is_zoo_cfg_value(value: &str) -> bool {
    value.chars().all(|c| (' '..='~').contains(&c) && c != '\\') && value.trim() == value
}

/// zkc derives these keys; the text says which setting sets them.
pub(super) fn owned_zoo_cfg_key(key: &str) -> Option<&'static str> {
    Some(match key {
        "dataDir" | "dataLogDir" => "`storage` and `datalog`",
        "clientPort" => "`ports client=`",
        "clientPortAddress" => {
            "`ports client=` (with `tls { client #true }` zkc binds the plain port to 127.0.0.1)"
        }
        "secureClientPort" | "secureClientPortAddress" | "client.portUnification" => {
            "`tls { client #true }` and `ports secure-client=`"
        }
        "serverCnxnFactory" => "`tls` (zkc sets NettyServerCnxnFactory, which TLS needs)",
        "ssl.clientAuth" => "`tls { client-auth }`",
        "client.certReload" | "sslQuorumReloadCertFiles" => {
            "`tls` (zkc turns certificate reloading on)"
        }
        "sslQuorum" | "portUnification" | "ssl.quorum.clientAuth" => "`tls { quorum }`",
        "fips-mode" => {
            "`tls { quorum }` and `sasl { quorum }` (zkc turns FIPS mode off for them: DIGEST-MD5 and the peers' host name checks need it off)"
        }
        k if k.starts_with("ssl.keyStore.")
            || k.starts_with("ssl.trustStore.")
            || k.starts_with("ssl.quorum.keyStore.")
            || k.starts_with("ssl.quorum.trustStore.") =>
        {
            "`tls { issuer }` or `tls { secret }` (zkc mounts the PEM files)"
        }
        k if k.starts_with("authProvider.") => "`sasl { client #true }`",
        "enforce.auth.enabled" | "enforce.auth.schemes" | "sessionRequireClientSASLAuth" => {
            "`sasl { enforce #true }`"
        }
        k if k.starts_with("quorum.auth.") => "`sasl { quorum }`",
        "admin.serverPort" => "`ports admin=`",
        "admin.enableServer"
        | "admin.serverAddress"
        | "admin.snapshot.enabled"
        | "admin.restore.enabled" => "`admin-server`",
        "tickTime" => "`zoo-cfg { tick-time }`",
        "initLimit" => "`zoo-cfg { init-limit }`",
        "syncLimit" => "`zoo-cfg { sync-limit }`",
        "maxClientCnxns" => "`zoo-cfg { max-client-cnxns }`",
        "autopurge.snapRetainCount" | "autopurge.purgeInterval" => "`zoo-cfg { autopurge }`",
        "4lw.commands.whitelist" => "`zoo-cfg { four-letter-words }`",
        "jute.maxbuffer" => "`zoo-cfg { jute-max-buffer }`",
        "quorumListenOnAllIPs" | "standaloneEnabled" | "reconfigEnabled" | "dynamicConfigFile" => {
            "`servers` and `peer-discovery` (zkc needs its own value)"
        }
        k if k.starts_with("metricsProvider.") => "`metrics` and `ports metrics=`",
        k if k.starts_with("server.") || k.starts_with("group.") || k.starts_with("weight.") => {
            "`servers` (zkc writes the server list)"
        }
        _ => return None,
    })
}
