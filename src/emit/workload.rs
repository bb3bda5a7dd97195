//! The StatefulSet and what it needs: ServiceAccount, ConfigMap, PodDisruptionBudget.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    StatefulSet, StatefulSetOrdinals, StatefulSetPersistentVolumeClaimRetentionPolicy,
    StatefulSetSpec, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, ConfigMap, ConfigMapVolumeSource, Container, ContainerPort,
    EmptyDirVolumeSource, EnvVar, EnvVarSource, ExecAction, KeyToPath, LocalObjectReference,
    ObjectFieldSelector, PersistentVolumeClaim, PersistentVolumeClaimSpec, PodAffinityTerm,
    PodAntiAffinity, PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements,
    SeccompProfile, SecurityContext, ServiceAccount, Toleration, TopologySpreadConstraint, Volume,
    VolumeMount, VolumeResourceRequirements, WeightedPodAffinityTerm,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use sha2::{Digest, Sha256};

use super::zoo_cfg::{DATA_DIR, DATALOG_DIR};
use super::{extras, meta, names, security};
use crate::model::{self, Ensemble, Environment, SpreadMode};
use crate::resolve::Value;

/// The pod label the StatefulSet controller sets to the pod's ordinal (Kubernetes 1.28+,
/// PodIndexLabel; GA in 1.32). With `ordinals.start: 1` it is the ZooKeeper server id.
const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

/// Pod template annotation holding the zoo.cfg digest: a config change changes the template,
/// so the StatefulSet rolls the servers one by one.
pub const CONFIG_CHECKSUM: &str = "zkc.dev/config-checksum";

/// The official image's configuration directory (`ZOO_CONF_DIR=/conf`). Only `zoo.cfg` is
/// mounted into it, so the logging configuration the image ships there stays visible.
const CONF_DIR: &str = "/conf";
/// The official image's `ZOO_LOG_DIR`; zkServer.sh writes there.
const LOG_DIR: &str = "/logs";

pub fn service_account(env: &Environment, e: &Ensemble) -> ServiceAccount {
    ServiceAccount {
        metadata: meta(env, e, e.name.clone()),
        // ZooKeeper never talks to the Kubernetes API.
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    }
}

pub fn config_map(env: &Environment, e: &Ensemble, zoo_cfg: &str) -> ConfigMap {
    ConfigMap {
        metadata: meta(env, e, names::config_map(e)),
        data: Some(BTreeMap::from([("zoo.cfg".to_owned(), zoo_cfg.to_owned())])),
        ..ConfigMap::default()
    }
}

pub fn disruption_budget(env: &Environment, e: &Ensemble) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: meta(env, e, e.name.clone()),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(e.max_unavailable.value as i32)),
            selector: Some(selector(e)),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    }
}

pub fn selector(e: &Ensemble) -> LabelSelector {
    LabelSelector {
        match_labels: Some(names::selector(e)),
        ..LabelSelector::default()
    }
}

pub fn stateful_set(env: &Environment, e: &Ensemble, zoo_cfg: &str) -> StatefulSet {
    let mut volume_claims = vec![volume_claim(e, "data", &e.storage)];
    if let Some(datalog) = &e.datalog {
        volume_claims.push(volume_claim(e, "datalog", datalog));
    }
    let retention = if e.retain_storage.value {
        "Retain"
    } else {
        "Delete"
    };
    StatefulSet {
        metadata: meta(env, e, e.name.clone()),
        spec: Some(StatefulSetSpec {
            replicas: Some(e.servers.value as i32),
            ordinals: Some(StatefulSetOrdinals { start: Some(1) }),
            selector: selector(e),
            // Always named, also with per-server Services: Kubernetes before 1.33 requires it
            // (kubernetes PR #130233 made it optional), and it gives each pod its stable DNS name.
            service_name: Some(names::headless_service(e)),
            pod_management_policy: Some(e.pod_management.value.word().to_owned()),
            update_strategy: Some(StatefulSetUpdateStrategy {
                type_: Some("RollingUpdate".into()),
                ..Default::default()
            }),
            persistent_volume_claim_retention_policy: Some(
                StatefulSetPersistentVolumeClaimRetentionPolicy {
                    when_deleted: Some(retention.into()),
                    when_scaled: Some(retention.into()),
                },
            ),
            template: pod_template(env, e, zoo_cfg),
            volume_claim_templates: Some(volume_claims),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

fn volume_claim(e: &Ensemble, name: &str, volume: &model::Volume) -> PersistentVolumeClaim {
    // Only the ensemble's selector labels: the API server refuses any change to a running
    // StatefulSet's volumeClaimTemplates (ZK0068), so a label edited in the spec must not reach
    // them. The claim's namespace is the StatefulSet's.
    let metadata = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        name: Some(name.to_owned()),
        labels: Some(names::selector(e)),
        ..Default::default()
    };
    PersistentVolumeClaim {
        metadata,
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            storage_class_name: volume.class.as_ref().map(|c| c.value.clone()),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_owned(),
                    Quantity(volume.size.value.text.clone()),
                )])),
                ..Default::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}

fn pod_template(env: &Environment, e: &Ensemble, zoo_cfg: &str) -> PodTemplateSpec {
    let mut metadata = meta(env, e, String::new());
    metadata.name = None;
    metadata.namespace = None;
    if let Some(labels) = metadata.labels.as_mut() {
        labels.extend(
            e.pod_labels
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone())),
        );
    }
    let mut annotations: BTreeMap<String, String> = metadata.annotations.take().unwrap_or_default();
    annotations.extend(
        e.pod_annotations
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone())),
    );
    annotations.insert(
        CONFIG_CHECKSUM.into(),
        format!("sha256:{:x}", Sha256::digest(zoo_cfg.as_bytes())),
    );
    if e.metrics.value {
        annotations.insert("prometheus.io/scrape".into(), "true".into());
        annotations.insert(
            "prometheus.io/port".into(),
            e.ports.metrics.value.to_string(),
        );
        annotations.insert("prometheus.io/path".into(), "/metrics".into());
    }
    metadata.annotations = Some(annotations);

    let gid = e.gid.value;
    PodTemplateSpec {
        metadata: Some(metadata),
        spec: Some(PodSpec {
            service_account_name: Some(e.name.clone()),
            automount_service_account_token: Some(false),
            // Service links would add ZOOKEEPER_* variables for every Service of the namespace.
            enable_service_links: Some(false),
            security_context: Some(PodSecurityContext {
                run_as_non_root: Some(true),
                run_as_user: Some(e.uid.value),
                run_as_group: Some(gid),
                // The volumes become group-owned by the image's zookeeper group and writable by it.
                fs_group: Some(gid),
                // `Always`, not `OnRootMismatch`: the kubelet then makes every file group-owned
                // and group-writable at each mount (SetVolumeOwnership in
                // pkg/volume/volume_linux.go), so files written under an earlier `security uid=`
                // stay writable. `OnRootMismatch` checks only the volume's root directory, and a
                // changed uid crash-loops on `/data/version-2` (seen by the pod runner).
                fs_group_change_policy: Some("Always".into()),
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    ..Default::default()
                }),
                ..PodSecurityContext::default()
            }),
            affinity: affinity(e),
            topology_spread_constraints: topology_spread(e),
            node_selector: (!e.node_selector.is_empty()).then(|| {
                e.node_selector
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value.clone()))
                    .collect()
            }),
            tolerations: (!e.tolerations.value.is_empty())
                .then(|| e.tolerations.value.iter().map(toleration).collect()),
            priority_class_name: e.priority_class.as_ref().map(|p| p.value.clone()),
            image_pull_secrets: (!e.pull_secrets.value.is_empty()).then(|| {
                e.pull_secrets
                    .value
                    .iter()
                    .map(|s| LocalObjectReference { name: s.clone() })
                    .collect()
            }),
            init_containers: (!e.init_containers.is_empty()).then(|| {
                e.init_containers
                    .iter()
                    .map(|c| extras::container(e, c))
                    .collect()
            }),
            containers: std::iter::once(container(e))
                .chain(e.sidecars.iter().map(|c| extras::container(e, c)))
                .collect(),
            volumes: Some(
                pod_volumes(e)
                    .into_iter()
                    .chain(e.extra_volumes.iter().map(extras::volume))
                    .collect(),
            ),
            ..PodSpec::default()
        }),
    }
}

/// zkc's own volumes of the pod (the claims' come from the volume claim templates).
fn pod_volumes(e: &Ensemble) -> Vec<Volume> {
    vec![
        Volume {
            name: "config".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: names::config_map(e),
                items: Some(vec![KeyToPath {
                    key: "zoo.cfg".into(),
                    path: "zoo.cfg".into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Volume::default()
        },
        empty_dir("logs"),
        empty_dir("tmp"),
    ]
    .into_iter()
    .chain(security::volumes(e))
    .collect()
}

/// The names of every volume zkc may give the pod, claims included, whatever is switched on
/// today: `volumes` may not use them, so turning TLS or SASL on later cannot clash.
pub const RESERVED_VOLUME_NAMES: &[&str] = &[
    "data",
    "datalog",
    "config",
    "logs",
    "tmp",
    "tls-secret",
    "tls",
    "sasl-secret",
    "jaas",
];

fn empty_dir(name: &str) -> Volume {
    Volume {
        name: name.into(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Volume::default()
    }
}

fn toleration(t: &BTreeMap<String, Value>) -> Toleration {
    let text = |name: &str| match t.get(name) {
        Some(Value::Str(s)) => Some(s.clone()),
        _ => None,
    };
    Toleration {
        key: text("key"),
        operator: text("operator"),
        value: text("value"),
        effect: text("effect"),
        toleration_seconds: match t.get("toleration-seconds") {
            Some(Value::Int(seconds)) => Some(*seconds),
            _ => None,
        },
    }
}

fn affinity(e: &Ensemble) -> Option<Affinity> {
    let term = PodAffinityTerm {
        label_selector: Some(selector(e)),
        topology_key: e.spread.topology_key.value.clone(),
        ..PodAffinityTerm::default()
    };
    let anti = match e.spread.mode.value {
        SpreadMode::Required => PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: Some(vec![term]),
            ..Default::default()
        },
        SpreadMode::Preferred => PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                WeightedPodAffinityTerm {
                    weight: 100,
                    pod_affinity_term: term,
                },
            ]),
            ..Default::default()
        },
        SpreadMode::Off => return None,
    };
    Some(Affinity {
        pod_anti_affinity: Some(anti),
        ..Affinity::default()
    })
}

fn topology_spread(e: &Ensemble) -> Option<Vec<TopologySpreadConstraint>> {
    let when = match e.zone_spread.mode.value {
        SpreadMode::Required => "DoNotSchedule",
        SpreadMode::Preferred => "ScheduleAnyway",
        SpreadMode::Off => return None,
    };
    Some(vec![TopologySpreadConstraint {
        max_skew: e.zone_max_skew.value as i32,
        topology_key: e.zone_spread.topology_key.value.clone(),
        when_unsatisfiable: when.into(),
        label_selector: Some(selector(e)),
        ..TopologySpreadConstraint::default()
    }])
}

fn container(e: &Ensemble) -> Container {
    let ports = &e.ports;
    let (client_name, client_port) = security::client_port(e);
    let mut container_ports = vec![
        port(client_name, client_port),
        port("quorum", ports.quorum.value),
        port("election", ports.election.value),
    ];
    if e.metrics.value {
        container_ports.push(port("metrics", ports.metrics.value));
    }
    let mut mounts = server_mounts(e);
    mounts.extend(e.extra_volumes.iter().filter_map(extras::server_mount));
    let resources = |cpu: &model::Sp<crate::quantity::Quantity>,
                     memory: &model::Sp<crate::quantity::Quantity>| {
        BTreeMap::from([
            ("cpu".to_owned(), Quantity(cpu.value.text.clone())),
            ("memory".to_owned(), Quantity(memory.value.text.clone())),
        ])
    };
    Container {
        name: "zookeeper".into(),
        image: Some(e.image.value.clone()),
        command: Some(vec!["sh".into(), "-c".into(), start_script(e)]),
        image_pull_policy: Some(e.pull_policy.value.word().to_owned()),
        ports: Some(container_ports),
        env: Some(env_vars(e)),
        resources: Some(ResourceRequirements {
            requests: Some(resources(&e.cpu, &e.memory)),
            limits: Some(resources(&e.cpu_limit, &e.memory_limit)),
            ..ResourceRequirements::default()
        }),
        startup_probe: Some(startup_probe(e)),
        readiness_probe: Some(probe(e, "srvr", "^Mode: ", 3)),
        liveness_probe: Some(probe(
            e,
            "ruok",
            "^imok",
            e.probes.failure_threshold.value as i32,
        )),
        security_context: Some(restricted(e)),
        volume_mounts: Some(mounts),
        ..Container::default()
    }
}

/// The security context of every container of the pod, the server's and the user's alike:
/// the pod security standard "restricted", as the server's user, on a read-only root.
pub(super) fn restricted(e: &Ensemble) -> SecurityContext {
    SecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(e.uid.value),
        run_as_group: Some(e.gid.value),
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        read_only_root_filesystem: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Capabilities::default()
        }),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..Default::default()
        }),
        ..SecurityContext::default()
    }
}

/// zkc's own mounts in the server container: extra volumes may not be mounted over them.
pub(crate) fn server_mounts(e: &Ensemble) -> Vec<VolumeMount> {
    let mut mounts = vec![
        mount("data", DATA_DIR),
        VolumeMount {
            name: "config".into(),
            mount_path: format!("{CONF_DIR}/zoo.cfg"),
            sub_path: Some("zoo.cfg".into()),
            read_only: Some(true),
            ..VolumeMount::default()
        },
        mount("logs", LOG_DIR),
        // The JVM writes its perf data and temporary files here; the root filesystem is read-only.
        mount("tmp", "/tmp"),
    ];
    if e.datalog.is_some() {
        mounts.insert(1, mount("datalog", DATALOG_DIR));
    }
    mounts.extend(security::mounts(e));
    mounts
}

fn env_vars(e: &Ensemble) -> Vec<EnvVar> {
    let mut vars = vec![
        // The official image's entrypoint writes /data/myid from ZOO_MY_ID when the file does
        // not exist yet (docker-entrypoint.sh); the pod index is the server id.
        EnvVar {
            name: "ZOO_MY_ID".into(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: format!("metadata.labels['{POD_INDEX_LABEL}']"),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..EnvVar::default()
        },
        // zkEnv.sh turns ZK_SERVER_HEAP (MiB) into -Xmx for the server.
        value("ZK_SERVER_HEAP", e.heap.value.mebibytes().to_string()),
    ];
    // zkServer.sh adds -XX:+HeapDumpOnOutOfMemoryError without a path, so the JVM would dump
    // into its working directory on the read-only root and fail; /logs is a volume that
    // survives the container's restart (the JVM names the dump java_pid<pid>.hprof and never
    // overwrites one, so repeated OOMs cannot fill it).
    // The garbage collector is left to the JVM's ergonomics: below 2 CPUs or 1792 MiB it picks
    // Serial, which suits the small heaps of such pods (no concurrent GC threads competing with
    // the server for its one core); larger pods get G1. `jvm-flags "-XX:+UseG1GC"` overrides.
    let mut flags = vec![format!("-XX:HeapDumpPath={LOG_DIR}")];
    flags.extend(security::jvm_flags(e));
    flags.extend(e.jvm_flags.value.iter().cloned());
    if let Some(max) = &e.zoo_cfg.jute_max_buffer {
        // jute.maxbuffer is only read as a JVM system property (admin guide).
        flags.push(format!("-Djute.maxbuffer={}", max.value));
    }
    vars.push(value("JVMFLAGS", flags.join(" ")));
    vars.extend(e.env.iter().map(|(k, v)| value(k, v.value.clone())));
    vars
}

fn value(name: &str, value: String) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value),
        ..EnvVar::default()
    }
}

fn port(name: &str, number: i64) -> ContainerPort {
    ContainerPort {
        name: Some(name.into()),
        container_port: number as i32,
        protocol: Some("TCP".into()),
        ..ContainerPort::default()
    }
}

fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        ..VolumeMount::default()
    }
}

/// The container's start: refuse to start without a valid server id, then hand over to the
/// official image's own entrypoint and command (its Dockerfile: `ENTRYPOINT
/// ["/docker-entrypoint.sh"]`, `CMD ["zkServer.sh", "start-foreground"]`).
///
/// The entrypoint writes `/data/myid` from `${ZOO_MY_ID:-1}` when the file is missing
/// (31z4/zookeeper-docker, docker-entrypoint.sh): without the `apps.kubernetes.io/pod-index`
/// label (Kubernetes before 1.28, or the PodIndexLabel gate off) every server would silently
/// become server 1 and persist that on its volume. A `myid` left on the volume by an earlier
/// run that disagrees with the pod index is refused for the same reason. With TLS or SASL, the
/// certificate copy and the JAAS file come before the hand-over ([`security::start_lines`]).
fn start_script(e: &Ensemble) -> String {
    format!(
        r#"id="${{ZOO_MY_ID:-}}"
case "$id" in
  ''|*[!0-9]*) echo "zkc: no server id: the pod label {POD_INDEX_LABEL} is missing or not a number ('$id'); it needs Kubernetes 1.28 or later" >&2; exit 64 ;;
esac
if [ "$id" -lt 1 ] || [ "$id" -gt 255 ]; then echo "zkc: server id $id is outside 1..255" >&2; exit 64; fi
if [ -f {DATA_DIR}/myid ] && [ "$(cat {DATA_DIR}/myid)" != "$id" ]; then echo "zkc: {DATA_DIR}/myid says $(cat {DATA_DIR}/myid), but this pod is server $id" >&2; exit 65; fi
{}exec /docker-entrypoint.sh zkServer.sh start-foreground
"#,
        security::start_lines(e)
    )
}

/// `printf`, not `echo`: ZooKeeper reads the four bytes of the word, answers and closes; an
/// unread trailing newline makes the kernel reset the connection, and OpenBSD netcat (the
/// image's `nc`) then drops the answer it already received (11–25% of probes failed on healthy
/// servers with `echo`; none of 600 with `printf`).
fn four_letter_word(e: &Ensemble, word: &str, expect: &str) -> ExecAction {
    ExecAction {
        command: Some(vec![
            "sh".into(),
            "-c".into(),
            format!(
                "printf {word} | nc -w {} 127.0.0.1 {} | grep -q '{expect}'",
                e.probes.timeout.value, e.ports.client.value
            ),
        ]),
    }
}

/// A four-letter-word probe through the image's `nc`. `srvr` answers "Mode: …" only while the
/// server serves as part of a quorum (otherwise "This ZooKeeper instance is not currently
/// serving requests"), which is exactly when clients should be sent to it.
fn probe(e: &Ensemble, word: &str, expect: &str, failure_threshold: i32) -> Probe {
    let p = &e.probes;
    Probe {
        exec: Some(four_letter_word(e, word, expect)),
        // The API server omits a zero delay from the live object; emitting none keeps a
        // client-side diff of the live object clean (the control-plane suite compares them).
        initial_delay_seconds: (p.initial_delay.value > 0).then_some(p.initial_delay.value as i32),
        period_seconds: Some(p.period.value as i32),
        timeout_seconds: Some(p.timeout.value as i32),
        failure_threshold: Some(failure_threshold),
        ..Probe::default()
    }
}

/// Holds the liveness probe back until the server answers at all. ZooKeeper opens its client
/// port only after loading its snapshot and transaction log (`QuorumPeer.start`:
/// `loadDataBase()` before `startServerCnxnFactory()`), which can take minutes on a large data
/// tree; the liveness budget no longer has to cover that.
fn startup_probe(e: &Ensemble) -> Probe {
    let p = &e.probes;
    Probe {
        exec: Some(four_letter_word(e, "ruok", "^imok")),
        period_seconds: Some(model::Probes::STARTUP_PERIOD as i32),
        timeout_seconds: Some(p.timeout.value as i32),
        failure_threshold: Some(p.startup_threshold() as i32),
        ..Probe::default()
    }
}
