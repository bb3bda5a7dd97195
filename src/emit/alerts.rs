//! The alerts of `prometheus-operator { rules #true }`. Every metric name is one ZooKeeper
//! 3.9.4's PrometheusMetricsProvider exports, as scraped from a real ensemble into
//! `tests/metrics/names-3.9.4.txt` (tests/metrics/scrape.py); `tests/metrics.rs` fails when an
//! expression selects any other name, and `.ci/promql-check` parses every expression with
//! Prometheus's own parser. Source references are to apache/zookeeper at release-3.9.4.
//!
//! The rules select an ensemble's series by the `namespace` and `pod` target labels, which the
//! Prometheus Operator's PodMonitor and ServiceMonitor set (and the usual annotation-based
//! `kubernetes-pods` scrape job too); servers are the pods `<ensemble>-<id>`.

use std::collections::BTreeMap;

use super::prometheus::AlertRule;
use crate::model::{Ensemble, Environment};

/// The label selector of one ensemble's servers.
fn servers_of(env: &Environment, e: &Ensemble) -> String {
    format!(
        "namespace=\"{}\",pod=~\"{}-[0-9]+\"",
        env.namespace.value, e.name
    )
}

struct Alert {
    name: &'static str,
    critical: bool,
    for_: &'static str,
    expr: String,
    summary: String,
    description: &'static str,
}

pub fn alerts(env: &Environment, e: &Ensemble) -> Vec<AlertRule> {
    let sel = servers_of(env, e);
    let n = e.servers.value;
    let who = format!("ZooKeeper {}/{}", env.namespace.value, e.name);
    [
        // `up` is Prometheus's own series per target: 1 when the scrape succeeded. Counting the
        // servers that answer (rather than `up == 0`) also catches a server whose pod is gone,
        // which has no target and so no `up` series at all; counting pods, not targets, keeps
        // a pod scraped by two jobs (a monitor and the prometheus.io annotations) from
        // hiding a server that is down.
        Alert {
            name: "ZooKeeperServerDown",
            critical: false,
            for_: "5m",
            expr: format!("(count(count by (pod) (up{{{sel}}} == 1)) or vector(0)) < {n}"),
            summary: format!("{who}: {{{{ $value }}}} of {n} servers answer Prometheus"),
            description: "A server is not running or its metrics port cannot be reached (the NetworkPolicy must let Prometheus in: network-policy metrics-from-namespaces). The ensemble tolerates losing fewer than half of its servers.",
        },
        // leader_uptime is registered by the leader only (LeaderZooKeeperServer.registerMetrics)
        // and unregistered when it stops leading, e.g. on losing its quorum (unregisterMetrics):
        // no server exporting it means no leader, and no quorum, so no writes and no reads.
        // Measured by tests/metrics/scrape.py: with both followers of a 3-server ensemble
        // killed, the leader stopped exporting it within 2.4 s while /metrics kept answering.
        Alert {
            name: "ZooKeeperNoLeader",
            critical: true,
            for_: "2m",
            expr: format!("count(up{{{sel}}} == 1) > 0 unless count(leader_uptime{{{sel}}})"),
            summary: format!("{who} has no leader: it has lost its quorum"),
            description: "No server is leading. Clients cannot read or write until a majority of the servers can reach each other and elect a leader.",
        },
        // election_time is a summary the leader (Leader.lead) and each follower
        // (Follower.followLeader) add to once per election they complete; a rolling restart
        // of N servers completes about 2N - 1 (each restarted server rejoins, and the leader's
        // restart makes every other server elect again).
        Alert {
            name: "ZooKeeperFrequentElections",
            critical: false,
            for_: "5m",
            expr: format!("sum(increase(election_time_count{{{sel}}}[1h])) > {}", 2 * n),
            summary: format!("{who}: {{{{ $value }}}} leader elections in the last hour"),
            description: "More elections than a rolling restart of every server causes: the leader keeps changing (servers restarting, or followers losing the leader for longer than syncLimit ticks). Every election stops all requests until it ends.",
        },
        // outstanding_requests: requests received and not yet answered
        // (ZooKeeperServer.registerMetrics, ServerStats.getOutstandingRequests); near zero on a
        // healthy server, growing when it cannot keep up.
        Alert {
            name: "ZooKeeperOutstandingRequests",
            critical: false,
            for_: "5m",
            expr: format!("outstanding_requests{{{sel}}} > 10"),
            summary: format!(
                "{who}: {{{{ $labels.pod }}}} has {{{{ $value }}}} outstanding requests"
            ),
            description: "The server queues requests faster than it answers them: it is overloaded, or waiting on a slow disk (see ZooKeeperSlowFsync).",
        },
        // fsynctime: milliseconds of each fsync of the transaction log (FileTxnLog.commit adds
        // syncElapsedMS); ZooKeeper itself logs a warning above fsync.warningthresholdms,
        // 1000 ms. Every write waits for a quorum of these fsyncs.
        Alert {
            name: "ZooKeeperSlowFsync",
            critical: false,
            for_: "10m",
            expr: format!(
                "rate(fsynctime_sum{{{sel}}}[5m]) / rate(fsynctime_count{{{sel}}}[5m]) > 100"
            ),
            summary: format!(
                "{who}: {{{{ $labels.pod }}}} takes {{{{ $value }}}} ms per transaction-log fsync"
            ),
            description: "Writes wait for the transaction log to reach the disk on a quorum of servers. Give the log a faster volume (datalog with a faster storage class).",
        },
        // open_file_descriptor_count and max_file_descriptor_count: the JVM's
        // UnixOperatingSystemMXBean (ZooKeeperServer.registerMetrics). Every client
        // connection, peer connection and log file holds one.
        Alert {
            name: "ZooKeeperFileDescriptorsNearLimit",
            critical: false,
            for_: "10m",
            expr: format!(
                "open_file_descriptor_count{{{sel}}} / max_file_descriptor_count{{{sel}}} > 0.8"
            ),
            summary: format!(
                "{who}: {{{{ $labels.pod }}}} uses {{{{ $value | humanizePercentage }}}} of its file descriptors"
            ),
            description: "At the limit the server refuses new client and peer connections.",
        },
        // znode_count: DataTree.getNodeCount (ZooKeeperServer.registerMetrics). Every znode
        // lives in every server's heap; the ZooKeeper monitoring guide's example alert fires
        // at 1,000,000 znodes (zookeeperMonitor.md, "Alerting with Prometheus").
        Alert {
            name: "ZooKeeperZnodeCountGrowing",
            critical: false,
            for_: "30m",
            expr: format!("predict_linear(znode_count{{{sel}}}[6h], 86400) > 1000000"),
            summary: format!(
                "{who}: {{{{ $labels.pod }}}} will hold {{{{ $value }}}} znodes within a day at this rate"
            ),
            description: "The znode count grows towards 1,000,000 within a day; each znode takes heap on every server. Look for a client that creates znodes without deleting them.",
        },
    ]
    .into_iter()
    .map(|a| rule(env, e, a))
    .collect()
}

fn rule(env: &Environment, e: &Ensemble, a: Alert) -> AlertRule {
    // The aggregated expressions keep no labels of their own: these say which ensemble it is.
    let labels = BTreeMap::from([
        (
            "severity".to_owned(),
            if a.critical { "critical" } else { "warning" }.to_owned(),
        ),
        ("namespace".to_owned(), env.namespace.value.clone()),
        ("zookeeper_ensemble".to_owned(), e.name.clone()),
    ]);
    let annotations = BTreeMap::from([
        ("summary".to_owned(), a.summary),
        ("description".to_owned(), a.description.to_owned()),
    ]);
    AlertRule {
        alert: a.name,
        expr: a.expr,
        for_: a.for_,
        labels,
        annotations,
    }
}
