//! Stage 4: resolved leaves → the typed model every later stage works with. Derived defaults
//! (limits from requests, heap from the memory limit, names from the ensemble) are computed
//! here, once. Each field keeps its [`Origin`] so checks can point at the definition.

use std::collections::BTreeMap;

use crate::check::JVM_OVERHEAD_MIB;
use crate::quantity::Quantity;
use crate::resolve::{self, LeafKey, Leaves, Origin, Resolved, Value};
pub use crate::schema::{
    AdminServer, ArgoSync, ClientAuth, ClientServiceType, FluxDecryption, IssuerKind, Monitor,
    PeerDiscovery, PodManagement, PullPolicy, QuorumSasl, QuorumTls, SpreadMode,
};
use crate::source::Loc;

mod extras;
pub use extras::{At, ContainerRole, ExtraContainer, ExtraMount, ExtraVolume, VolumeSource};

/// A value with the place that decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sp<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sp<T> {
    /// Where to point a diagnostic about this value: its definition, or `fallback` (the
    /// ensemble's name) for built-in defaults.
    pub fn loc_or(&self, fallback: Loc) -> Loc {
        match &self.origin {
            Origin::Spec { loc, .. } => *loc,
            Origin::Builtin => fallback,
        }
    }
}

pub type Map = BTreeMap<String, Sp<String>>;

#[derive(Debug, Clone)]
pub struct Volume {
    pub size: Sp<Quantity>,
    pub class: Option<Sp<String>>,
}

#[derive(Debug, Clone)]
pub struct Ports {
    pub client: Sp<i64>,
    pub quorum: Sp<i64>,
    pub election: Sp<i64>,
    pub admin: Sp<i64>,
    pub metrics: Sp<i64>,
    pub secure_client: Sp<i64>,
}

impl Ports {
    pub fn named(&self) -> [(&'static str, &Sp<i64>); 6] {
        [
            ("client", &self.client),
            ("quorum", &self.quorum),
            ("election", &self.election),
            ("admin", &self.admin),
            ("metrics", &self.metrics),
            ("secure-client", &self.secure_client),
        ]
    }
}

/// `tls { issuer … }`: cert-manager signs the certificate.
#[derive(Debug, Clone)]
pub struct Issuer {
    pub name: Sp<String>,
    pub kind: IssuerKind,
    pub cluster_domain: Sp<String>,
}

#[derive(Debug, Clone)]
pub struct Tls {
    pub client: Sp<bool>,
    pub client_auth: Sp<ClientAuth>,
    pub quorum: Sp<QuorumTls>,
    pub issuer: Option<Issuer>,
    pub secret: Option<Sp<String>>,
}

impl Tls {
    /// Whether any server needs the certificate: the client port, or any quorum phase but off
    /// (phase 1 already accepts TLS connections, so it loads the key store).
    pub fn enabled(&self) -> bool {
        self.client.value || self.quorum.value != QuorumTls::Off
    }

    /// The Secret the certificate files come from: cert-manager's target or the user's own.
    pub fn secret_name(&self, ensemble: &str) -> Option<String> {
        match (&self.secret, &self.issuer) {
            (Some(s), _) => Some(s.value.clone()),
            (None, Some(_)) => Some(format!("{ensemble}-tls")),
            (None, None) => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sasl {
    pub secret: Option<Sp<String>>,
    pub client: Sp<bool>,
    pub quorum: Sp<QuorumSasl>,
    pub enforce: Sp<bool>,
}

impl Sasl {
    pub fn enabled(&self) -> bool {
        self.client.value || self.quorum.value != QuorumSasl::Off
    }
}

#[derive(Debug, Clone)]
pub struct Spread {
    pub mode: Sp<SpreadMode>,
    pub topology_key: Sp<String>,
}

#[derive(Debug, Clone)]
pub struct ZooCfg {
    pub tick_time: Sp<i64>,
    pub init_limit: Sp<i64>,
    pub sync_limit: Sp<i64>,
    pub max_client_cnxns: Sp<i64>,
    pub snap_retain_count: Sp<i64>,
    pub purge_interval: Sp<i64>,
    pub four_letter_words: Sp<Vec<String>>,
    pub jute_max_buffer: Option<Sp<i64>>,
    pub extra: Map,
}

#[derive(Debug, Clone)]
pub struct Probes {
    pub initial_delay: Sp<i64>,
    pub period: Sp<i64>,
    pub timeout: Sp<i64>,
    pub failure_threshold: Sp<i64>,
    pub startup_timeout: Sp<i64>,
}

impl Probes {
    /// Seconds between startup probes: short, because a server counts as Ready only after the
    /// first startup probe that passes (the pod runner measured Ready a whole 10 s period after
    /// the server was serving), and cheap, because it only runs while the server starts.
    pub const STARTUP_PERIOD: i64 = 2;

    /// Startup probe attempts that cover `startup-timeout`.
    pub fn startup_threshold(&self) -> i64 {
        (self.startup_timeout.value + Self::STARTUP_PERIOD - 1) / Self::STARTUP_PERIOD
    }
}

#[derive(Debug, Clone)]
pub struct NetworkPolicy {
    pub enabled: Sp<bool>,
    pub allow_namespaces: Sp<Vec<String>>,
    pub allow_pods: Map,
    /// Peers that may reach the metrics port only (Prometheus).
    pub metrics_from_namespaces: Sp<Vec<String>>,
    pub metrics_from_pods: Map,
}

impl NetworkPolicy {
    /// Whether the spec names anyone who may reach the metrics port only.
    pub fn has_metrics_peers(&self) -> bool {
        !self.metrics_from_namespaces.value.is_empty() || !self.metrics_from_pods.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct PrometheusOperator {
    pub monitor: Sp<Monitor>,
    pub rules: Sp<bool>,
    pub labels: Map,
}

impl PrometheusOperator {
    /// Whether any Prometheus Operator object is asked for.
    pub fn wanted(&self) -> bool {
        self.monitor.value != Monitor::Off || self.rules.value
    }
}

#[derive(Debug, Clone)]
pub struct Ensemble {
    pub name: String,
    pub loc: Loc,
    pub servers: Sp<i64>,
    /// `servers N acknowledge-resize-from=M`: the count in `out/` this step resizes from.
    pub resize_from: Option<Sp<i64>>,
    /// `servers N … cold-restart=#true`: the step is applied with every server stopped.
    pub cold_restart: Sp<bool>,
    pub image: Sp<String>,
    pub pull_policy: Sp<PullPolicy>,
    pub pull_secrets: Sp<Vec<String>>,
    pub cpu: Sp<Quantity>,
    pub memory: Sp<Quantity>,
    pub cpu_limit: Sp<Quantity>,
    pub memory_limit: Sp<Quantity>,
    pub heap: Sp<Quantity>,
    pub storage: Volume,
    pub datalog: Option<Volume>,
    pub retain_storage: Sp<bool>,
    pub ports: Ports,
    pub admin_server: Sp<AdminServer>,
    pub peer_discovery: Sp<PeerDiscovery>,
    pub client_service_type: Sp<ClientServiceType>,
    pub client_service_name: Sp<String>,
    pub spread: Spread,
    pub zone_spread: Spread,
    pub zone_max_skew: Sp<i64>,
    pub max_unavailable: Sp<i64>,
    pub zoo_cfg: ZooCfg,
    pub metrics: Sp<bool>,
    pub tls: Tls,
    pub sasl: Sasl,
    pub network_policy: NetworkPolicy,
    pub prometheus_operator: PrometheusOperator,
    pub uid: Sp<i64>,
    pub gid: Sp<i64>,
    pub node_selector: Map,
    pub tolerations: Sp<Vec<BTreeMap<String, Value>>>,
    pub priority_class: Option<Sp<String>>,
    pub labels: Map,
    pub annotations: Map,
    pub pod_annotations: Map,
    pub pod_labels: Map,
    pub client_service_annotations: Map,
    /// `volumes`, `init-containers`, `sidecars`.
    pub extra_volumes: Vec<ExtraVolume>,
    pub init_containers: Vec<ExtraContainer>,
    pub sidecars: Vec<ExtraContainer>,
    pub env: Map,
    pub jvm_flags: Sp<Vec<String>>,
    pub probes: Probes,
    pub pod_management: Sp<PodManagement>,
    /// Leaves whose value failed to parse (see [`resolve::Ensemble::invalid`]).
    pub invalid: std::collections::BTreeSet<String>,
    /// Every leaf as resolved, for `zkc explain`.
    pub leaves: Leaves,
}

#[derive(Debug, Clone)]
pub struct ArgoCd {
    pub repo: Option<Sp<String>>,
    pub revision: String,
    pub path_prefix: Sp<String>,
    pub project: String,
    pub server: Option<String>,
    pub cluster: Option<String>,
    pub app_namespace: String,
    pub sync: ArgoSync,
    pub prune: Sp<bool>,
    pub self_heal: Sp<bool>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Flux {
    pub source: Option<Sp<String>>,
    pub source_namespace: Option<String>,
    pub path_prefix: Sp<String>,
    pub app_namespace: String,
    pub interval: String,
    pub prune: bool,
    pub decryption: Option<Sp<FluxDecryption>>,
    pub decryption_secret: Option<Sp<String>>,
    pub secrets_component: Option<Sp<String>>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub loc: Loc,
    /// The spec file, relative to the specs directory (named in generated files' headers).
    pub file: String,
    pub namespace: Sp<String>,
    pub labels: Map,
    pub annotations: Map,
    pub namespace_object: bool,
    /// `manifests`, as written; [`crate::manifests::load`] reads them into `manifests`.
    pub manifest_paths: Sp<Vec<String>>,
    pub manifests: Vec<crate::manifests::Manifest>,
    /// `patches`, as written; [`crate::patches::load`] reads them into `patches`.
    pub patch_paths: Sp<Vec<String>>,
    pub patches: Vec<crate::patches::Patch>,
    pub argocd: Option<ArgoCd>,
    pub flux: Option<Flux>,
    pub ensembles: Vec<Ensemble>,
}

/// Typed access to resolved leaves. Leaves with a built-in default are always present (the
/// resolver starts from them), so the plain getters cannot miss; the resolver has already
/// checked every value's type.
struct Get<'a>(&'a Leaves);

impl<'a> Get<'a> {
    fn leaf(&self, path: &str) -> Option<&'a Resolved> {
        self.0.get(&LeafKey::new(path))
    }

    fn value(&self, path: &str) -> Option<&'a Value> {
        self.leaf(path).map(|r| &r.value)
    }

    fn sp<T>(&self, path: &str, f: impl Fn(&Value) -> Option<T>) -> Option<Sp<T>> {
        let r = self.leaf(path)?;
        Some(Sp {
            value: f(&r.value)?,
            origin: r.origin.clone(),
        })
    }

    fn int(&self, path: &str) -> Sp<i64> {
        self.opt_int(path).unwrap_or_else(|| missing(path))
    }

    fn opt_int(&self, path: &str) -> Option<Sp<i64>> {
        self.sp(path, |v| {
            if let Value::Int(i) = v {
                Some(*i)
            } else {
                None
            }
        })
    }

    fn bool(&self, path: &str) -> Sp<bool> {
        self.sp(path, |v| {
            if let Value::Bool(b) = v {
                Some(*b)
            } else {
                None
            }
        })
        .unwrap_or_else(|| missing(path))
    }

    fn str(&self, path: &str) -> Sp<String> {
        self.opt_str(path).unwrap_or_else(|| missing(path))
    }

    fn opt_str(&self, path: &str) -> Option<Sp<String>> {
        self.sp(path, |v| {
            if let Value::Str(s) = v {
                Some(s.clone())
            } else {
                None
            }
        })
    }

    fn quantity(&self, path: &str) -> Option<Sp<Quantity>> {
        self.sp(path, |v| {
            if let Value::Quantity(q) = v {
                Some(q.clone())
            } else {
                None
            }
        })
    }

    fn list(&self, path: &str) -> Sp<Vec<String>> {
        self.sp(path, |v| {
            if let Value::List(l) = v {
                Some(l.clone())
            } else {
                None
            }
        })
        .unwrap_or_else(|| missing(path))
    }

    fn map(&self, path: &str) -> Map {
        self.0
            .iter()
            .filter(|(k, _)| k.path == path)
            .filter_map(|(k, r)| match &r.value {
                Value::Str(s) => Some((
                    k.entry.clone()?,
                    Sp {
                        value: s.clone(),
                        origin: r.origin.clone(),
                    },
                )),
                _ => None,
            })
            .collect()
    }

    fn volume(&self, path: &str) -> Option<Volume> {
        Some(Volume {
            size: self.quantity(path)?,
            class: self.opt_str(&format!("{path}.class")),
        })
    }

    /// An optional choice setting as its enum.
    fn opt_choice<T>(&self, path: &str, from_word: fn(&str) -> Option<T>) -> Option<Sp<T>> {
        let word = self.opt_str(path)?;
        Some(Sp {
            value: from_word(&word.value)?,
            origin: word.origin,
        })
    }

    fn tls(&self) -> Tls {
        Tls {
            client: self.bool("tls.client"),
            client_auth: self.choice("tls.client-auth", ClientAuth::from_word),
            quorum: self.choice("tls.quorum", QuorumTls::from_word),
            issuer: self.opt_str("tls.issuer").map(|name| Issuer {
                name,
                kind: self.choice("tls.issuer.kind", IssuerKind::from_word).value,
                cluster_domain: self.str("tls.issuer.cluster-domain"),
            }),
            secret: self.opt_str("tls.secret"),
        }
    }

    fn sasl(&self) -> Sasl {
        Sasl {
            secret: self.opt_str("sasl.secret"),
            client: self.bool("sasl.client"),
            quorum: self.choice("sasl.quorum", QuorumSasl::from_word),
            enforce: self.bool("sasl.enforce"),
        }
    }

    /// A choice setting as its enum; the resolver admitted only the schema's words.
    fn choice<T>(&self, path: &str, from_word: fn(&str) -> Option<T>) -> Sp<T> {
        let word = self.str(path);
        Sp {
            value: from_word(&word.value).unwrap_or_else(|| missing(path)),
            origin: word.origin,
        }
    }

    fn spread(&self, path: &str) -> Spread {
        Spread {
            mode: self.choice(path, SpreadMode::from_word),
            topology_key: self.str(&format!("{path}.topology-key")),
        }
    }
}

impl Ensemble {
    /// One Service per server instead of DNS names under the headless Service.
    pub fn per_server_services(&self) -> bool {
        self.peer_discovery.value == PeerDiscovery::PerServerServices
    }
}

fn missing(path: &str) -> ! {
    unreachable!("the schema gives `{path}` a built-in default")
}

pub fn build(
    sources: &crate::source::SourceMap,
    environments: Vec<resolve::Environment>,
) -> Vec<Environment> {
    environments
        .into_iter()
        .map(|env| {
            let get = Get(&env.leaves);
            let namespace = get.opt_str("namespace").unwrap_or(Sp {
                value: env.name.clone(),
                origin: Origin::Spec {
                    loc: env.loc,
                    layer: resolve::Layer::Environment,
                },
            });
            let argocd = leaf_loc(&env.leaves, "argocd.").map(|loc| ArgoCd {
                repo: get.opt_str("argocd.repo"),
                revision: get.str("argocd.revision").value,
                path_prefix: get.str("argocd.path-prefix"),
                project: get.str("argocd.project").value,
                server: get.opt_str("argocd.server").map(|s| s.value),
                cluster: get.opt_str("argocd.cluster").map(|s| s.value),
                app_namespace: get.str("argocd.app-namespace").value,
                sync: get.choice("argocd.sync", ArgoSync::from_word).value,
                prune: get.bool("argocd.prune"),
                self_heal: get.bool("argocd.self-heal"),
                loc,
            });
            let flux = leaf_loc(&env.leaves, "flux.").map(|loc| Flux {
                source: get.opt_str("flux.source"),
                source_namespace: get.opt_str("flux.source-namespace").map(|s| s.value),
                path_prefix: get.str("flux.path-prefix"),
                app_namespace: get.str("flux.app-namespace").value,
                interval: get.str("flux.interval").value,
                prune: get.bool("flux.prune").value,
                decryption: get.opt_choice("flux.decryption", FluxDecryption::from_word),
                decryption_secret: get.opt_str("flux.decryption-secret"),
                secrets_component: get.opt_str("flux.secrets-component"),
                loc,
            });
            Environment {
                file: sources.get(env.loc.file).rel.clone(),
                namespace,
                labels: get.map("labels"),
                annotations: get.map("annotations"),
                namespace_object: get.bool("namespace-object").value,
                manifest_paths: get.list("manifests"),
                manifests: Vec::new(),
                patch_paths: get.list("patches"),
                patches: Vec::new(),
                argocd,
                flux,
                ensembles: env.ensembles.into_iter().map(ensemble).collect(),
                name: env.name,
                loc: env.loc,
            }
        })
        .collect()
}

/// The location of the first user-set leaf under `prefix` (a block such as `argocd`); `None`
/// when the spec does not use the block at all.
fn leaf_loc(leaves: &Leaves, prefix: &str) -> Option<Loc> {
    leaves
        .iter()
        .filter(|(k, _)| k.path.starts_with(prefix))
        .find_map(|(_, r)| match &r.origin {
            Origin::Spec { loc, .. } => Some(*loc),
            Origin::Builtin => None,
        })
}

fn ensemble(e: resolve::Ensemble) -> Ensemble {
    let get = Get(&e.leaves);
    let cpu = get
        .quantity("resources.cpu")
        .unwrap_or_else(|| missing("resources.cpu"));
    let memory = get
        .quantity("resources.memory")
        .unwrap_or_else(|| missing("resources.memory"));
    let cpu_limit = get
        .quantity("resources.cpu-limit")
        .unwrap_or_else(|| cpu.clone());
    let memory_limit = get
        .quantity("resources.memory-limit")
        .unwrap_or_else(|| memory.clone());
    let heap = get
        .quantity("heap")
        .unwrap_or_else(|| default_heap(&memory_limit));
    let name_sp = Sp {
        value: e.name.clone(),
        origin: Origin::Builtin,
    };
    Ensemble {
        servers: get.int("servers"),
        resize_from: get.opt_int("servers.acknowledge-resize-from"),
        cold_restart: get.bool("servers.cold-restart"),
        image: get.str("image"),
        pull_policy: get.choice("image.pull-policy", PullPolicy::from_word),
        pull_secrets: get.list("image-pull-secrets"),
        cpu,
        memory,
        cpu_limit,
        memory_limit,
        heap,
        storage: get.volume("storage").unwrap_or_else(|| missing("storage")),
        datalog: get.volume("datalog"),
        retain_storage: get.bool("retain-storage"),
        ports: Ports {
            client: get.int("ports.client"),
            quorum: get.int("ports.quorum"),
            election: get.int("ports.election"),
            admin: get.int("ports.admin"),
            metrics: get.int("ports.metrics"),
            secure_client: get.int("ports.secure-client"),
        },
        admin_server: get.choice("admin-server", AdminServer::from_word),
        peer_discovery: get.choice("peer-discovery", PeerDiscovery::from_word),
        client_service_type: get.choice("client-service", ClientServiceType::from_word),
        client_service_name: get.opt_str("client-service.name").unwrap_or(name_sp),
        spread: get.spread("spread"),
        zone_spread: get.spread("zone-spread"),
        zone_max_skew: get.int("zone-spread.max-skew"),
        max_unavailable: get.int("disruption.max-unavailable"),
        zoo_cfg: ZooCfg {
            tick_time: get.int("zoo-cfg.tick-time"),
            init_limit: get.int("zoo-cfg.init-limit"),
            sync_limit: get.int("zoo-cfg.sync-limit"),
            max_client_cnxns: get.int("zoo-cfg.max-client-cnxns"),
            snap_retain_count: get.int("zoo-cfg.autopurge.snap-retain-count"),
            purge_interval: get.int("zoo-cfg.autopurge.purge-interval"),
            four_letter_words: get.list("zoo-cfg.four-letter-words"),
            jute_max_buffer: get.opt_int("zoo-cfg.jute-max-buffer"),
            extra: get.map("zoo-cfg.set"),
        },
        metrics: get.bool("metrics"),
        tls: get.tls(),
        sasl: get.sasl(),
        network_policy: NetworkPolicy {
            enabled: get.bool("network-policy.enabled"),
            allow_namespaces: get.list("network-policy.allow-namespaces"),
            allow_pods: get.map("network-policy.allow-pods"),
            metrics_from_namespaces: get.list("network-policy.metrics-from-namespaces"),
            metrics_from_pods: get.map("network-policy.metrics-from-pods"),
        },
        prometheus_operator: PrometheusOperator {
            monitor: get.choice("prometheus-operator.monitor", Monitor::from_word),
            rules: get.bool("prometheus-operator.rules"),
            labels: get.map("prometheus-operator.labels"),
        },
        uid: get.int("security.uid"),
        gid: get.int("security.gid"),
        node_selector: get.map("node-selector"),
        tolerations: get
            .sp("tolerations", |v| {
                if let Value::Records(r) = v {
                    Some(r.clone())
                } else {
                    None
                }
            })
            .unwrap_or(Sp {
                value: Vec::new(),
                origin: Origin::Builtin,
            }),
        priority_class: get.opt_str("priority-class"),
        labels: get.map("labels"),
        annotations: get.map("annotations"),
        pod_annotations: get.map("pod-annotations"),
        pod_labels: get.map("pod-labels"),
        client_service_annotations: get.map("client-service-annotations"),
        extra_volumes: extras::volumes(get.value("volumes")),
        init_containers: extras::containers(ContainerRole::Init, get.value("init-containers")),
        sidecars: extras::containers(ContainerRole::Sidecar, get.value("sidecars")),
        env: get.map("env"),
        jvm_flags: get.list("jvm-flags"),
        probes: Probes {
            initial_delay: get.int("probes.initial-delay"),
            period: get.int("probes.period"),
            timeout: get.int("probes.timeout"),
            failure_threshold: get.int("probes.failure-threshold"),
            startup_timeout: get.int("probes.startup-timeout"),
        },
        pod_management: get.choice("pod-management", PodManagement::from_word),
        name: e.name,
        loc: e.loc,
        invalid: e.invalid,
        leaves: e.leaves,
    }
}

/// The memory limit less a quarter, and at least [`JVM_OVERHEAD_MIB`] less, in whole mebibytes:
/// the rest is for metaspace, thread stacks, direct buffers and the page cache the transaction
/// log relies on (ZK0034).
fn default_heap(limit: &Sp<Quantity>) -> Sp<Quantity> {
    let limit_mib = limit.value.mebibytes();
    let mib = (limit_mib * 3 / 4).min(limit_mib.saturating_sub(JVM_OVERHEAD_MIB));
    Sp {
        value: Quantity::parse(&format!("{mib}Mi")).expect("a plain Mi quantity parses"),
        origin: limit.origin.clone(),
    }
}
