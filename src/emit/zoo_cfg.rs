//! zoo.cfg, as the ZooKeeper admin guide names its keys.

use std::fmt::Write;

use super::names;
use crate::model::{AdminServer, Ensemble, Environment};

/// Where the image keeps its data; the official image's Dockerfile creates these directories
/// (`ZOO_DATA_DIR=/data`, `ZOO_DATA_LOG_DIR=/datalog`) and zkc mounts its volumes there.
pub const DATA_DIR: &str = "/data";
pub const DATALOG_DIR: &str = "/datalog";

/// The Prometheus provider class shipped with ZooKeeper 3.6 and later (admin guide,
/// "Metrics Providers").
const PROMETHEUS_PROVIDER: &str =
    "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";

pub fn render(env: &Environment, e: &Ensemble) -> String {
    let cfg = &e.zoo_cfg;
    let mut out = String::new();
    let mut line = |k: &str, v: &dyn std::fmt::Display| {
        let _ = writeln!(out, "{k}={v}");
    };
    line("tickTime", &cfg.tick_time.value);
    line("initLimit", &cfg.init_limit.value);
    line("syncLimit", &cfg.sync_limit.value);
    line("dataDir", &DATA_DIR);
    // Without a separate volume the log stays in dataDir (ZooKeeper's default); pointing
    // dataLogDir at a path without a volume would lose acknowledged writes on a restart.
    if e.datalog.is_some() {
        line("dataLogDir", &DATALOG_DIR);
    }
    line("clientPort", &e.ports.client.value);
    line("maxClientCnxns", &cfg.max_client_cnxns.value);
    line("autopurge.snapRetainCount", &cfg.snap_retain_count.value);
    line("autopurge.purgeInterval", &cfg.purge_interval.value);
    line(
        "4lw.commands.whitelist",
        &cfg.four_letter_words.value.join(","),
    );
    match e.admin_server.value {
        // The AdminServer answers anyone who reaches it (its `ip` auth scheme accepts every
        // client) and 3.9 enables snapshot and restore of the whole data tree by default
        // (admin guide; CVE-2025-58457): bind it to the pod's loopback and turn both off.
        AdminServer::Local => {
            line("admin.serverAddress", &"127.0.0.1");
            line("admin.serverPort", &e.ports.admin.value);
            line("admin.snapshot.enabled", &false);
            line("admin.restore.enabled", &false);
        }
        AdminServer::Disabled => line("admin.enableServer", &false),
    }
    // Peers reach each other through Service names whose address (the pod IP, or a Service IP
    // in per-server mode) is not what the server would bind to by name: bind on all addresses.
    line("quorumListenOnAllIPs", &true);
    if e.metrics.value {
        line("metricsProvider.className", &PROMETHEUS_PROVIDER);
        line("metricsProvider.httpPort", &e.ports.metrics.value);
    }
    for (key, value) in super::security::zoo_cfg_lines(e) {
        line(key, &value);
    }
    for (key, value) in &cfg.extra {
        line(key, &value.value);
    }
    for id in 1..=e.servers.value {
        line(
            &format!("server.{id}"),
            &format!(
                "{}:{}:{}",
                names::peer_host(env, e, id),
                e.ports.quorum.value,
                e.ports.election.value
            ),
        );
    }
    out
}
