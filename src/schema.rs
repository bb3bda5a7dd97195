//! The spec language's settings: one table that says, for every setting, its shape, value type,
//! built-in default and documentation. The resolver parses with it, the model reads built-in
//! defaults from it, "did you mean" suggests from it and `docs/spec-reference.md` is generated
//! from it, so the four can never disagree.

/// The type of a single value.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Int {
        min: i64,
        max: i64,
    },
    Str,
    Bool,
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    /// A CPU amount as a Kubernetes quantity: cores (`2`) or millicores (`500m`).
    Cpu,
    /// A size in bytes as a Kubernetes quantity with a unit (`512Mi`, `10Gi`, `1G`), at least
    /// `min_mib` mebibytes. A bare number would be bytes: `heap 512` meant 512 MiB.
    Bytes {
        min_mib: u64,
    },
}

/// How a setting is written and how it merges across layers.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// `node VALUE`.
    Value(Kind),
    /// `node [VALUE] prop=VALUE …`: the argument and every property are separate leaves, so a
    /// higher layer can override `memory` and keep `cpu`.
    Props {
        arg: Option<(&'static str, Kind)>,
        props: &'static [Prop],
    },
    /// `node VALUE VALUE …`: a list, replaced as a whole by a higher layer.
    List(Kind),
    /// `node "key"="value" …`: a string map, merged key by key across layers.
    Map,
    /// `node { … }`: nested settings.
    Block(&'static [Setting]),
    /// `node { item prop=… ; item prop=… }`: a list of records, replaced as a whole.
    Records {
        item: &'static str,
        props: &'static [Prop],
    },
    /// `node { item "name" setting=… { setting … } }`: a list of named items, replaced as a
    /// whole. Each item's settings come from `settings`; a single-value setting may also be
    /// written as a property of the item's node. Every leaf keeps its own location.
    Items {
        item: &'static str,
        settings: &'static [Setting],
    },
}

#[derive(Debug, Clone, Copy)]
pub enum Default {
    /// Not set unless the spec sets it.
    Unset,
    Int(i64),
    Str(&'static str),
    Bool(bool),
    List(&'static [&'static str]),
    /// Computed from other settings; the text says how.
    Derived(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Prop {
    pub name: &'static str,
    pub kind: Kind,
    pub default: Default,
    pub doc: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub name: &'static str,
    pub shape: Shape,
    pub default: Default,
    pub doc: &'static str,
    pub example: &'static str,
}

/// A setting whose value is one of a fixed set of words: the enum the later stages match on
/// and the words the spec writes, defined together so a choice cannot be added to the schema
/// without a variant every `match` must handle.
macro_rules! choice {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// The words a spec may write, in the schema's order.
            pub const WORDS: &'static [&'static str] = &[$($word),+];

            /// The variant for a word the resolver has already checked against [`Self::WORDS`].
            pub fn from_word(word: &str) -> Option<$name> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The word as written in specs (and, where Kubernetes uses it, in the output).
            pub fn word(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }
        }
    };
}

choice!(
    /// `spread` and `zone-spread`.
    SpreadMode { Required = "required", Preferred = "preferred", Off = "none" }
);
choice!(
    /// `image pull-policy=`, the container's imagePullPolicy.
    PullPolicy { IfNotPresent = "IfNotPresent", Always = "Always", Never = "Never" }
);
choice!(
    /// `peer-discovery`.
    PeerDiscovery { Headless = "headless", PerServerServices = "per-server-services" }
);
choice!(
    /// `client-service`, the Service type.
    ClientServiceType { ClusterIp = "ClusterIP", NodePort = "NodePort", LoadBalancer = "LoadBalancer" }
);
choice!(
    /// `pod-management`, the StatefulSet's podManagementPolicy.
    PodManagement { Parallel = "Parallel", OrderedReady = "OrderedReady" }
);
choice!(
    /// `argocd sync=`: whether Argo CD syncs each commit by itself.
    ArgoSync { Automated = "automated", Manual = "manual" }
);
choice!(
    /// `prometheus-operator { monitor … }`: which Prometheus Operator object makes Prometheus
    /// scrape the servers.
    Monitor { Off = "none", ServiceMonitor = "service-monitor", PodMonitor = "pod-monitor" }
);
choice!(
    /// `admin-server`: bound to 127.0.0.1 in the pod with snapshot and restore off, or off.
    AdminServer { Local = "local", Disabled = "disabled" }
);
choice!(
    /// `tls { quorum }`: the phases of the admin guide's "Upgrading existing non-TLS cluster
    /// with no downtime" (zookeeperAdmin.md, release-3.9.4), in order. A running ensemble moves
    /// one phase per commit (ZK0084).
    QuorumTls { Off = "off", AcceptTls = "accept-tls", SendTls = "send-tls", On = "on" }
);
choice!(
    /// `tls { client-auth }`: ssl.clientAuth of the secure client port.
    ClientAuth { None = "none", Want = "want", Need = "need" }
);
choice!(
    /// `tls { issuer kind= }`: the cert-manager issuer kind.
    IssuerKind { Issuer = "Issuer", ClusterIssuer = "ClusterIssuer" }
);
choice!(
    /// `sasl { quorum }`: quorum.auth.enableSasl alone (learners authenticate, servers still
    /// accept peers that do not), then both `*RequireSasl`. A running ensemble moves one
    /// phase per commit (ZK0084).
    QuorumSasl { Off = "off", Enabled = "enabled", Required = "required" }
);
choice!(
    /// `flux decryption=`: the kustomize-controller's decryption provider (its CRD allows
    /// only `sops`).
    FluxDecryption { Sops = "sops" }
);

/// Properties earlier versions of zkc read, with what replaced them: the help of ZK0003 says
/// how to rewrite them instead of guessing a spelling.
pub const RETIRED_PROPS: &[(&str, &str, &str)] = &[(
    "servers",
    "acknowledge-resize",
    "`acknowledge-resize=#true` was replaced by `acknowledge-resize-from=N`, the server count in out/ this step resizes from (one server per step; see `zkc explain ZK0046`)",
)];

const fn int(min: i64, max: i64) -> Kind {
    Kind::Int { min, max }
}

const PORT: Kind = int(1, 65535);
/// A container's memory; ZK0034 checks it against the heap.
const MEMORY: Kind = Kind::Bytes { min_mib: 64 };
/// A volume: ZooKeeper keeps snapshots and transaction logs of 64 MiB preallocated each.
const VOLUME: Kind = Kind::Bytes { min_mib: 256 };
const SPREAD: Kind = Kind::Choice(SpreadMode::WORDS);

const fn prop(name: &'static str, kind: Kind, default: Default, doc: &'static str) -> Prop {
    Prop {
        name,
        kind,
        default,
        doc,
    }
}

/// `image … pull-policy=`, of the server's image and of every added container's.
const PULL_POLICY: Prop = prop(
    "pull-policy",
    Kind::Choice(PullPolicy::WORDS),
    Default::Str("IfNotPresent"),
    "when the kubelet pulls the image",
);

/// The properties of `storage` and `datalog`.
const VOLUME_PROPS: &[Prop] = &[prop(
    "class",
    Kind::Str,
    Default::Unset,
    "StorageClass name (it must exist in the cluster); the cluster default when unset",
)];

pub const ENSEMBLE_SETTINGS: &[Setting] = &[
    Setting {
        name: "servers",
        shape: Shape::Props {
            arg: Some(("servers", int(1, 255))),
            props: &[
                prop(
                    "acknowledge-resize-from",
                    int(1, 255),
                    Default::Unset,
                    "the server count in `out/` this resize step starts from, one server away (see ZK0046 and docs/changing.md)",
                ),
                prop(
                    "cold-restart",
                    Kind::Bool,
                    Default::Bool(false),
                    "acknowledge that this resize step is applied with every server stopped (ZK0069: 1 → 2 and 3 → 4 cannot be rolled)",
                ),
            ],
        },
        default: Default::Int(3),
        doc: "number of ZooKeeper servers; each gets the id (myid) of its pod index, 1..N",
        example: "servers 5",
    },
    Setting {
        name: "image",
        shape: Shape::Props {
            arg: Some(("image", Kind::Str)),
            props: &[PULL_POLICY],
        },
        default: Default::Str("docker.io/library/zookeeper:3.9.4"),
        doc: "the official `zookeeper` image or one built like it (user 1000, /conf, /data, /datalog)",
        example: "image \"docker.io/library/zookeeper:3.9.4\" pull-policy=\"IfNotPresent\"",
    },
    Setting {
        name: "image-pull-secrets",
        shape: Shape::List(Kind::Str),
        default: Default::List(&[]),
        doc: "names of Secrets used to pull the image; they must exist in the namespace (zkc never writes secrets)",
        example: "image-pull-secrets \"registry-credentials\"",
    },
    Setting {
        name: "resources",
        shape: Shape::Props {
            arg: None,
            props: &[
                prop("cpu", Kind::Cpu, Default::Str("500m"), "CPU request"),
                prop("memory", MEMORY, Default::Str("1Gi"), "memory request"),
                prop(
                    "cpu-limit",
                    Kind::Cpu,
                    Default::Derived("the CPU request"),
                    "CPU limit",
                ),
                prop(
                    "memory-limit",
                    MEMORY,
                    Default::Derived("the memory request"),
                    "memory limit",
                ),
            ],
        },
        default: Default::Unset,
        doc: "container requests and limits; limits default to the requests (Guaranteed QoS)",
        example: "resources cpu=\"1\" memory=\"2Gi\"",
    },
    Setting {
        name: "heap",
        shape: Shape::Value(Kind::Bytes {
            min_mib: crate::check::MIN_HEAP_MIB,
        }),
        default: Default::Derived("the memory limit less a quarter, and at least 192Mi less"),
        doc: "JVM maximum heap (-Xmx, through the image's ZK_SERVER_HEAP); must be below the memory limit",
        example: "heap \"768Mi\"",
    },
    Setting {
        name: "storage",
        shape: Shape::Props {
            arg: Some(("size", VOLUME)),
            props: VOLUME_PROPS,
        },
        default: Default::Str("10Gi"),
        doc: "the data volume (snapshots, and the transaction log unless `datalog` is set)",
        example: "storage \"20Gi\" class=\"fast-ssd\"",
    },
    Setting {
        name: "datalog",
        shape: Shape::Props {
            arg: Some(("size", VOLUME)),
            props: VOLUME_PROPS,
        },
        default: Default::Unset,
        doc: "a separate volume for the transaction log (dataLogDir), as the admin guide recommends for write-heavy ensembles",
        example: "datalog \"5Gi\" class=\"fast-ssd\"",
    },
    Setting {
        name: "retain-storage",
        shape: Shape::Value(Kind::Bool),
        default: Default::Bool(true),
        doc: "keep the volumes when the StatefulSet is deleted or scaled down (persistentVolumeClaimRetentionPolicy)",
        example: "retain-storage #false",
    },
    Setting {
        name: "ports",
        shape: Shape::Props {
            arg: None,
            props: &[
                prop("client", PORT, Default::Int(2181), "client connections"),
                prop(
                    "quorum",
                    PORT,
                    Default::Int(2888),
                    "followers to the leader",
                ),
                prop("election", PORT, Default::Int(3888), "leader election"),
                prop("admin", PORT, Default::Int(8080), "the AdminServer (HTTP)"),
                prop(
                    "metrics",
                    PORT,
                    Default::Int(7000),
                    "the Prometheus metrics provider, when `metrics` is on",
                ),
                prop(
                    "secure-client",
                    PORT,
                    Default::Int(2281),
                    "TLS client connections (secureClientPort), when `tls { client #true }`",
                ),
            ],
        },
        default: Default::Unset,
        doc: "container ports",
        example: "ports client=2181 admin=8081",
    },
    Setting {
        name: "admin-server",
        shape: Shape::Value(Kind::Choice(AdminServer::WORDS)),
        default: Default::Str("local"),
        doc: "the AdminServer (HTTP on `ports admin=`): `local` binds it to 127.0.0.1 inside the pod (reach it with `kubectl port-forward`) with its snapshot and restore commands off; `disabled` turns it off",
        example: "admin-server \"disabled\"",
    },
    Setting {
        name: "peer-discovery",
        shape: Shape::Value(Kind::Choice(PeerDiscovery::WORDS)),
        default: Default::Str("headless"),
        doc: "how servers find each other: one headless Service publishing not-ready addresses, or one Service per server (the legacy deployment's layout)",
        example: "peer-discovery \"per-server-services\"",
    },
    Setting {
        name: "client-service",
        shape: Shape::Props {
            arg: Some(("type", Kind::Choice(ClientServiceType::WORDS))),
            props: &[prop(
                "name",
                Kind::Str,
                Default::Derived("the ensemble name"),
                "Service name clients connect to",
            )],
        },
        default: Default::Str("ClusterIP"),
        doc: "the Service that balances clients over all ready servers",
        example: "client-service \"LoadBalancer\" name=\"zk-client\"",
    },
    Setting {
        name: "spread",
        shape: Shape::Props {
            arg: Some(("spread", SPREAD)),
            props: &[prop(
                "topology-key",
                Kind::Str,
                Default::Str("kubernetes.io/hostname"),
                "node label that must differ between servers",
            )],
        },
        default: Default::Str("required"),
        doc: "pod anti-affinity between servers: required (never two on one node), preferred, or none",
        example: "spread \"preferred\"",
    },
    Setting {
        name: "zone-spread",
        shape: Shape::Props {
            arg: Some(("zone-spread", SPREAD)),
            props: &[
                prop(
                    "topology-key",
                    Kind::Str,
                    Default::Str("topology.kubernetes.io/zone"),
                    "node label of the failure domain",
                ),
                prop(
                    "max-skew",
                    int(1, 255),
                    Default::Int(1),
                    "largest allowed difference of servers between zones",
                ),
            ],
        },
        default: Default::Str("preferred"),
        doc: "topology spread constraint over zones: required (DoNotSchedule), preferred (ScheduleAnyway) or none",
        example: "zone-spread \"required\" max-skew=1",
    },
    Setting {
        name: "disruption",
        shape: Shape::Props {
            arg: None,
            props: &[prop(
                "max-unavailable",
                int(1, 127),
                Default::Int(1),
                "servers that may be evicted at once",
            )],
        },
        default: Default::Unset,
        doc: "the PodDisruptionBudget",
        example: "disruption max-unavailable=1",
    },
    Setting {
        name: "zoo-cfg",
        shape: Shape::Block(ZOO_CFG_SETTINGS),
        default: Default::Unset,
        doc: "zoo.cfg settings",
        example: "zoo-cfg { tick-time 2000; autopurge snap-retain-count=5 purge-interval=12 }",
    },
    Setting {
        name: "metrics",
        shape: Shape::Props {
            arg: Some(("metrics", Kind::Bool)),
            props: &[],
        },
        default: Default::Bool(false),
        doc: "the Prometheus metrics provider on the `metrics` port, with prometheus.io scrape annotations; `network-policy { metrics-from-namespaces … }` lets Prometheus in, `prometheus-operator { … }` adds its objects",
        example: "metrics #true",
    },
    Setting {
        name: "tls",
        shape: Shape::Block(TLS_SETTINGS),
        default: Default::Unset,
        doc: "TLS for clients (secureClientPort) and for the quorum, each on its own, with certificates from cert-manager or an existing Secret (docs/security.md)",
        example: "tls { client #true; quorum \"on\"; issuer \"zk-ca\" kind=\"ClusterIssuer\" }",
    },
    Setting {
        name: "sasl",
        shape: Shape::Block(SASL_SETTINGS),
        default: Default::Unset,
        doc: "SASL DIGEST-MD5 authentication of clients and quorum peers, with credentials from a Secret (docs/security.md)",
        example: "sasl { secret \"zk-sasl\"; client #true; quorum \"required\"; enforce #true }",
    },
    Setting {
        name: "prometheus-operator",
        shape: Shape::Block(PROMETHEUS_OPERATOR_SETTINGS),
        default: Default::Unset,
        doc: "objects for the Prometheus Operator (CRDs of monitoring.coreos.com/v1); needs `metrics #true`",
        example: "prometheus-operator { monitor \"pod-monitor\"; rules #true; labels release=\"kube-prometheus-stack\" }",
    },
    Setting {
        name: "network-policy",
        shape: Shape::Block(NETWORK_POLICY_SETTINGS),
        default: Default::Unset,
        doc: "who may reach the servers: peers only for quorum and election, the namespace for clients",
        example: "network-policy { allow-namespaces \"kafka\"; allow-pods app=\"kafka\" }",
    },
    Setting {
        name: "security",
        shape: Shape::Props {
            arg: None,
            props: &[
                prop(
                    "uid",
                    int(10_000, 2_147_483_647),
                    Default::Int(10000),
                    "runAsUser; not root, and 10000 or more to avoid host users",
                ),
                prop(
                    "gid",
                    int(1, 2_147_483_647),
                    Default::Int(1000),
                    "runAsGroup and fsGroup; 1000 is the image's zookeeper group",
                ),
            ],
        },
        default: Default::Unset,
        doc: "the user and group the server runs as",
        example: "security uid=10001 gid=1000",
    },
    Setting {
        name: "node-selector",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "node labels the servers must run on; servers stay Pending until enough nodes carry them",
        example: "node-selector \"node-role.example.com/zookeeper\"=\"true\"",
    },
    Setting {
        name: "tolerations",
        shape: Shape::Records {
            item: "toleration",
            props: &[
                prop("key", Kind::Str, Default::Unset, "taint key"),
                prop(
                    "operator",
                    Kind::Choice(&["Equal", "Exists"]),
                    Default::Str("Equal"),
                    "how the value is matched",
                ),
                prop("value", Kind::Str, Default::Unset, "taint value"),
                prop(
                    "effect",
                    Kind::Choice(&["NoSchedule", "PreferNoSchedule", "NoExecute"]),
                    Default::Unset,
                    "taint effect",
                ),
                prop(
                    "toleration-seconds",
                    int(0, 31_536_000),
                    Default::Unset,
                    "with effect NoExecute: how long the server stays on a tainted node (tolerationSeconds)",
                ),
            ],
        },
        default: Default::Unset,
        doc: "taints the servers tolerate",
        example: "tolerations { toleration key=\"dedicated\" value=\"zookeeper\" effect=\"NoSchedule\" }",
    },
    Setting {
        name: "priority-class",
        shape: Shape::Value(Kind::Str),
        default: Default::Unset,
        doc: "priorityClassName of the pods; the PriorityClass must exist in the cluster, or the StatefulSet cannot create a single pod",
        example: "priority-class \"platform-critical\"",
    },
    Setting {
        name: "labels",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "labels on every object of the ensemble",
        example: "labels team=\"platform\"",
    },
    Setting {
        name: "annotations",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "annotations on every object of the ensemble",
        example: "annotations \"example.com/owner\"=\"platform\"",
    },
    Setting {
        name: "client-service-annotations",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "annotations on the client Service only, e.g. what a cloud's load balancer or external-dns reads",
        example: "client-service-annotations \"service.beta.kubernetes.io/aws-load-balancer-internal\"=\"true\"",
    },
    Setting {
        name: "pod-labels",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "labels on the pods only (not on the StatefulSet, its Services or volumes); the selector labels are zkc's",
        example: "pod-labels \"sidecar.istio.io/inject\"=\"false\"",
    },
    Setting {
        name: "volumes",
        shape: Shape::Items {
            item: "volume",
            settings: EXTRA_VOLUME_SETTINGS,
        },
        default: Default::Unset,
        doc: "extra volumes of the pods, from a Secret, a ConfigMap, an existing claim or an emptyDir; `mount=` mounts one into the server container, sidecars and init containers name it in their `mounts`",
        example: "volumes { volume \"backup-credentials\" secret=\"s3-backup\" }",
    },
    Setting {
        name: "init-containers",
        shape: Shape::Items {
            item: "init-container",
            settings: EXTRA_CONTAINER_SETTINGS,
        },
        default: Default::Unset,
        doc: "containers that run to completion, in order, before the server starts, as the server's user with its restricted security context; one that never ends keeps its server from starting and stalls every rolling update, so bound what it waits for",
        example: "init-containers { init-container \"wait-for-dns\" image=\"busybox:1.37\" { command \"timeout\" \"300\" \"sh\" \"-c\" \"until nslookup kubernetes.default; do sleep 1; done\"; resources cpu=\"10m\" memory=\"16Mi\" } }",
    },
    Setting {
        name: "sidecars",
        shape: Shape::Items {
            item: "sidecar",
            settings: EXTRA_CONTAINER_SETTINGS,
        },
        default: Default::Unset,
        doc: "containers that run beside the server for the pod's life, as the server's user with its restricted security context; no port of theirs is reachable through zkc's network policy, and one that crashes makes its pod not ready (the server leaves the client Service and a rolling update waits)",
        example: "sidecars { sidecar \"backup\" image=\"registry.example.com/zk-backup:1.4\" { resources cpu=\"50m\" memory=\"64Mi\"; mounts { mount \"data\" path=\"/data\" } } }",
    },
    Setting {
        name: "pod-annotations",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "annotations on the pods only",
        example: "pod-annotations \"example.com/scrape\"=\"true\"",
    },
    Setting {
        name: "env",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "extra environment variables of the server container",
        example: "env TZ=\"Europe/Berlin\"",
    },
    Setting {
        name: "jvm-flags",
        shape: Shape::List(Kind::Str),
        default: Default::List(&[]),
        doc: "extra JVM flags (JVMFLAGS); the heap is set with `heap`",
        example: "jvm-flags \"-XX:+UseG1GC\" \"-XX:MaxGCPauseMillis=50\"",
    },
    Setting {
        name: "probes",
        shape: Shape::Props {
            arg: None,
            props: &[
                prop(
                    "initial-delay",
                    int(0, 3600),
                    Default::Int(0),
                    "seconds before the first readiness and liveness probe; both wait for the startup probe anyway, so a delay only postpones Ready (the pod runner measured Ready 10 s after the server served with 10)",
                ),
                prop(
                    "period",
                    int(1, 3600),
                    Default::Int(10),
                    "seconds between probes",
                ),
                prop(
                    "timeout",
                    int(1, 3600),
                    Default::Int(5),
                    "seconds a probe may take",
                ),
                prop(
                    "failure-threshold",
                    int(1, 100),
                    Default::Int(6),
                    "failed liveness probes before a restart",
                ),
                prop(
                    "startup-timeout",
                    int(10, 86400),
                    Default::Int(600),
                    "seconds a server may take to load its data and open the client port before liveness counts (the startup probe)",
                ),
            ],
        },
        default: Default::Unset,
        doc: "startup (`ruok` until the data is loaded), readiness (`srvr`: the server is serving in a quorum) and liveness (`ruok`) probes",
        example: "probes period=5 failure-threshold=3",
    },
    Setting {
        name: "pod-management",
        shape: Shape::Value(Kind::Choice(PodManagement::WORDS)),
        default: Default::Str("Parallel"),
        doc: "StatefulSet podManagementPolicy; Parallel lets all servers start together so a quorum can form",
        example: "pod-management \"Parallel\"",
    },
];

/// One entry of `volumes`: exactly one source (ZK0074).
pub const EXTRA_VOLUME_SETTINGS: &[Setting] = &[
    Setting {
        name: "secret",
        shape: Shape::Value(Kind::Str),
        default: Default::Unset,
        doc: "the Secret's name (in the namespace; zkc never writes Secrets)",
        example: "secret \"s3-backup\"",
    },
    Setting {
        name: "config-map",
        shape: Shape::Value(Kind::Str),
        default: Default::Unset,
        doc: "the ConfigMap's name (in the namespace)",
        example: "config-map \"logback\"",
    },
    Setting {
        name: "claim",
        shape: Shape::Value(Kind::Str),
        default: Default::Unset,
        doc: "an existing PersistentVolumeClaim; every server mounts the same claim, so it must allow that (ReadWriteMany or ReadOnlyMany)",
        example: "claim \"shared-archive\"",
    },
    Setting {
        name: "empty-dir",
        shape: Shape::Value(Kind::Bool),
        default: Default::Bool(false),
        doc: "an empty directory that lives as long as the pod, shared by its containers",
        example: "empty-dir #true",
    },
    Setting {
        name: "size-limit",
        shape: Shape::Value(Kind::Bytes { min_mib: 1 }),
        default: Default::Unset,
        doc: "with `empty-dir`: the most it may hold before the kubelet evicts the pod",
        example: "size-limit \"256Mi\"",
    },
    Setting {
        name: "mount",
        shape: Shape::Value(Kind::Str),
        default: Default::Unset,
        doc: "an absolute path in the server container to mount the volume at; not over zkc's own paths (ZK0075)",
        example: "mount \"/etc/zookeeper-extra\"",
    },
    Setting {
        name: "read-only",
        shape: Shape::Value(Kind::Bool),
        default: Default::Bool(true),
        doc: "whether `mount`, the server container's, is read-only; Secret and ConfigMap volumes always are, and a sidecar's mount has its own `read-only`",
        example: "read-only #false",
    },
];

/// One entry of `init-containers` or `sidecars`.
pub const EXTRA_CONTAINER_SETTINGS: &[Setting] = &[
    Setting {
        name: "image",
        shape: Shape::Props {
            arg: Some(("image", Kind::Str)),
            props: &[PULL_POLICY],
        },
        default: Default::Unset,
        doc: "the container's image (required), pinned by tag or digest",
        example: "image \"registry.example.com/zk-backup:1.4\"",
    },
    Setting {
        name: "command",
        shape: Shape::List(Kind::Str),
        default: Default::List(&[]),
        doc: "the command, replacing the image's entrypoint; empty keeps it",
        example: "command \"sh\" \"-c\" \"exec backup --every 1h\"",
    },
    Setting {
        name: "args",
        shape: Shape::List(Kind::Str),
        default: Default::List(&[]),
        doc: "the arguments, replacing the image's command",
        example: "args \"--every\" \"1h\"",
    },
    Setting {
        name: "env",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "environment variables",
        example: "env BUCKET=\"zk-backups\"",
    },
    Setting {
        name: "env-from-secrets",
        shape: Shape::List(Kind::Str),
        default: Default::List(&[]),
        doc: "Secrets whose keys become environment variables (envFrom); a `secret` volume keeps them out of the process environment (and of crash dumps) and is preferred; the server container takes none, its environment is what the image's entrypoint reads",
        example: "env-from-secrets \"s3-backup\"",
    },
    Setting {
        name: "env-from-config-maps",
        shape: Shape::List(Kind::Str),
        default: Default::List(&[]),
        doc: "ConfigMaps whose keys become environment variables (envFrom)",
        example: "env-from-config-maps \"backup-settings\"",
    },
    Setting {
        name: "resources",
        shape: Shape::Props {
            arg: None,
            props: &[
                prop("cpu", Kind::Cpu, Default::Unset, "CPU request (required)"),
                prop(
                    "memory",
                    Kind::Bytes { min_mib: 4 },
                    Default::Unset,
                    "memory request and limit (required)",
                ),
                prop(
                    "cpu-limit",
                    Kind::Cpu,
                    Default::Derived("the CPU request, as for the server"),
                    "CPU limit",
                ),
            ],
        },
        default: Default::Unset,
        doc: "requests and limits; a container without them could starve the server of its memory",
        example: "resources cpu=\"50m\" memory=\"64Mi\"",
    },
    Setting {
        name: "mounts",
        shape: Shape::Items {
            item: "mount",
            settings: EXTRA_MOUNT_SETTINGS,
        },
        default: Default::Unset,
        doc: "volumes mounted into the container: one of `volumes`, or zkc's `data`, `datalog` (read-only) and `logs`",
        example: "mounts { mount \"data\" path=\"/data\" }",
    },
];

/// One entry of a container's `mounts`; the item's name is the volume's.
pub const EXTRA_MOUNT_SETTINGS: &[Setting] = &[
    Setting {
        name: "path",
        shape: Shape::Value(Kind::Str),
        default: Default::Unset,
        doc: "the absolute path in the container (required)",
        example: "path \"/backup/credentials\"",
    },
    Setting {
        name: "read-only",
        shape: Shape::Value(Kind::Bool),
        default: Default::Bool(true),
        doc: "whether the mount is read-only; `data` and `datalog` are always",
        example: "read-only #false",
    },
];

pub const ZOO_CFG_SETTINGS: &[Setting] = &[
    Setting {
        name: "tick-time",
        shape: Shape::Value(int(100, 60_000)),
        default: Default::Int(2000),
        doc: "tickTime: the basic time unit in milliseconds",
        example: "tick-time 2000",
    },
    Setting {
        name: "init-limit",
        shape: Shape::Value(int(1, 1000)),
        default: Default::Int(10),
        doc: "initLimit: ticks a follower may take to connect and sync to the leader",
        example: "init-limit 10",
    },
    Setting {
        name: "sync-limit",
        shape: Shape::Value(int(1, 1000)),
        default: Default::Int(5),
        doc: "syncLimit: ticks a follower may fall behind the leader",
        example: "sync-limit 5",
    },
    Setting {
        name: "max-client-cnxns",
        shape: Shape::Value(int(0, 100_000)),
        default: Default::Int(60),
        doc: "maxClientCnxns: concurrent connections from one client IP (0 = unlimited)",
        example: "max-client-cnxns 100",
    },
    Setting {
        name: "autopurge",
        shape: Shape::Props {
            arg: None,
            props: &[
                prop(
                    "snap-retain-count",
                    int(3, 1000),
                    Default::Int(3),
                    "autopurge.snapRetainCount: snapshots kept",
                ),
                prop(
                    "purge-interval",
                    int(0, 8760),
                    Default::Int(1),
                    "autopurge.purgeInterval: hours between purges (0 = off); hourly, as the Bitnami chart and the pravega operator do, keeps a busy ensemble's volume from filling between purges",
                ),
            ],
        },
        default: Default::Unset,
        doc: "automatic purge of old snapshots and transaction logs",
        example: "autopurge snap-retain-count=5 purge-interval=12",
    },
    Setting {
        name: "four-letter-words",
        shape: Shape::List(Kind::Str),
        default: Default::List(&["ruok", "srvr", "mntr"]),
        doc: "4lw.commands.whitelist; the probes need `ruok` and `srvr`",
        example: "four-letter-words \"ruok\" \"srvr\" \"mntr\" \"stat\"",
    },
    Setting {
        name: "jute-max-buffer",
        shape: Shape::Value(int(1024, 1 << 30)),
        default: Default::Unset,
        doc: "jute.maxbuffer in bytes (a JVM system property, not a zoo.cfg key); clients need the same value",
        example: "jute-max-buffer 4194304",
    },
    Setting {
        name: "set",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "any other zoo.cfg key, as `set \"key\" \"value\"`; keys zkc owns are refused",
        example: "set \"snapCount\" \"50000\"",
    },
];

pub const TLS_SETTINGS: &[Setting] = &[
    Setting {
        name: "client",
        shape: Shape::Value(Kind::Bool),
        default: Default::Bool(false),
        doc: "TLS on `ports secure-client=`; the plain client port then listens on the pod's 127.0.0.1 only, for the probes",
        example: "client #true",
    },
    Setting {
        name: "client-auth",
        shape: Shape::Value(Kind::Choice(ClientAuth::WORDS)),
        default: Default::Str("need"),
        doc: "ssl.clientAuth: whether TLS clients must present a certificate signed by the trusted CA",
        example: "client-auth \"want\"",
    },
    Setting {
        name: "quorum",
        shape: Shape::Value(Kind::Choice(QuorumTls::WORDS)),
        default: Default::Str("off"),
        doc: "quorum and election TLS (sslQuorum); a running ensemble moves one phase per commit: off → accept-tls (portUnification) → send-tls (sslQuorum + portUnification) → on",
        example: "quorum \"on\"",
    },
    Setting {
        name: "issuer",
        shape: Shape::Props {
            arg: Some(("issuer", Kind::Str)),
            props: &[
                prop(
                    "kind",
                    Kind::Choice(IssuerKind::WORDS),
                    Default::Str("Issuer"),
                    "Issuer (in the namespace) or ClusterIssuer",
                ),
                prop(
                    "cluster-domain",
                    Kind::Str,
                    Default::Str("cluster.local"),
                    "the cluster's DNS domain, for the fully qualified peer names in the certificate",
                ),
            ],
        },
        default: Default::Unset,
        doc: "certificates from cert-manager: zkc emits a Certificate `<ensemble>-tls` with every peer and client Service name, signed by this issuer; it must fill `ca.crt` (a CA or Vault issuer)",
        example: "issuer \"zk-ca\" kind=\"ClusterIssuer\"",
    },
    Setting {
        name: "secret",
        shape: Shape::Value(Kind::Str),
        default: Default::Unset,
        doc: "certificates from an existing Secret with `tls-combined.pem` (the key, then the certificate chain) and `ca.crt`, the layout cert-manager writes",
        example: "secret \"zk-tls\"",
    },
];

pub const SASL_SETTINGS: &[Setting] = &[
    Setting {
        name: "secret",
        shape: Shape::Value(Kind::Str),
        default: Default::Unset,
        doc: "the Secret with `client-user`, `client-password` (with `client`) and `quorum-user`, `quorum-password` (with `quorum`); mounted, never copied into out/",
        example: "secret \"zk-sasl\"",
    },
    Setting {
        name: "client",
        shape: Shape::Value(Kind::Bool),
        default: Default::Bool(false),
        doc: "clients may authenticate with SASL DIGEST-MD5 (authProvider.sasl) as the Secret's client user",
        example: "client #true",
    },
    Setting {
        name: "quorum",
        shape: Shape::Value(Kind::Choice(QuorumSasl::WORDS)),
        default: Default::Str("off"),
        doc: "quorum peers authenticate each other with SASL DIGEST-MD5; a running ensemble moves one phase per commit: off → enabled → required",
        example: "quorum \"required\"",
    },
    Setting {
        name: "enforce",
        shape: Shape::Value(Kind::Bool),
        default: Default::Bool(false),
        doc: "refuse every client session that has not authenticated with SASL (enforce.auth.enabled, enforce.auth.schemes=sasl); needs `client #true`",
        example: "enforce #true",
    },
];

pub const NETWORK_POLICY_SETTINGS: &[Setting] = &[
    Setting {
        name: "enabled",
        shape: Shape::Value(Kind::Bool),
        default: Default::Bool(true),
        doc: "emit the NetworkPolicy",
        example: "enabled #true",
    },
    Setting {
        name: "allow-namespaces",
        shape: Shape::List(Kind::Str),
        default: Default::List(&[]),
        doc: "other namespaces whose pods may reach the client port, and the metrics port when `metrics` is on (the same figures as `mntr` on the client port)",
        example: "allow-namespaces \"kafka\"",
    },
    Setting {
        name: "allow-pods",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "labels of the pods of the ensemble's namespace that may reach the client port; all pods of the namespace when unset",
        example: "allow-pods app=\"kafka\"",
    },
    Setting {
        name: "metrics-from-namespaces",
        shape: Shape::List(Kind::Str),
        default: Default::List(&[]),
        doc: "namespaces whose pods may reach the metrics port and nothing else (where Prometheus runs); needs `metrics #true`",
        example: "metrics-from-namespaces \"monitoring\"",
    },
    Setting {
        name: "metrics-from-pods",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "labels of the pods that may reach the metrics port: in `metrics-from-namespaces`, or in the ensemble's namespace when none is listed; all pods of those namespaces when unset; needs `metrics #true`",
        example: "metrics-from-pods \"app.kubernetes.io/name\"=\"prometheus\"",
    },
];

pub const PROMETHEUS_OPERATOR_SETTINGS: &[Setting] = &[
    Setting {
        name: "monitor",
        shape: Shape::Value(Kind::Choice(Monitor::WORDS)),
        default: Default::Str("none"),
        doc: "`pod-monitor`: a PodMonitor scraping every server; `service-monitor`: a ServiceMonitor and the headless Service `<name>-metrics` it selects (not-ready servers are scraped too)",
        example: "monitor \"pod-monitor\"",
    },
    Setting {
        name: "rules",
        shape: Shape::Value(Kind::Bool),
        default: Default::Bool(false),
        doc: "a PrometheusRule with alerts: servers down, no leader, elections, outstanding requests, fsync time, file descriptors, znode count",
        example: "rules #true",
    },
    Setting {
        name: "labels",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "labels on the monitor and the rule, besides the ensemble's: the ones your Prometheus selects them by (its serviceMonitorSelector, podMonitorSelector, ruleSelector)",
        example: "labels release=\"kube-prometheus-stack\"",
    },
];

/// Where `out/` sits in the repository, for `argocd` and `flux`.
const PATH_PREFIX: Prop = prop(
    "path-prefix",
    Kind::Str,
    Default::Str("out"),
    "where the output directory sits in the repository",
);

/// Settings of an `environment` block other than `import`, `defaults` and `ensemble`, which
/// the resolver handles itself.
pub const ENVIRONMENT_SETTINGS: &[Setting] = &[
    Setting {
        name: "namespace",
        shape: Shape::Value(Kind::Str),
        default: Default::Derived("the environment's name"),
        doc: "the Kubernetes namespace; one output directory `out/<namespace>/`",
        example: "namespace \"staging\"",
    },
    Setting {
        name: "labels",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "labels on every object of the environment",
        example: "labels environment=\"staging\"",
    },
    Setting {
        name: "annotations",
        shape: Shape::Map,
        default: Default::Unset,
        doc: "annotations on every object of the environment",
        example: "annotations \"example.com/cost-center\"=\"1234\"",
    },
    Setting {
        name: "manifests",
        shape: Shape::List(Kind::Str),
        default: Default::List(&[]),
        doc: "hand-written manifests shipped with the environment: YAML files under the specs directory, relative to this spec file, checked and written into out/<namespace>/ and its kustomization.yaml",
        example: "manifests \"extra/client-config.yaml\"",
    },
    Setting {
        name: "patches",
        shape: Shape::List(Kind::Str),
        default: Default::List(&[]),
        doc: "RFC 6902 JSON patches on the objects zkc emits, for fields it does not model (host aliases, DNS options, runtime class, the client Service's traffic policy, annotations…; ZK0087 lists them): YAML files under the specs directory, relative to this spec file, applied at build time and checked against the object's kind",
        example: "patches \"extra/host-aliases.yaml\"",
    },
    Setting {
        name: "namespace-object",
        shape: Shape::Value(Kind::Bool),
        default: Default::Bool(false),
        doc: "emit the Namespace with Pod Security \"restricted\" labels and prune protection for Argo CD and Flux",
        example: "namespace-object #true",
    },
    Setting {
        name: "argocd",
        shape: Shape::Props {
            arg: None,
            props: &[
                prop(
                    "repo",
                    Kind::Str,
                    Default::Unset,
                    "Git repository holding `out/` (required)",
                ),
                prop(
                    "revision",
                    Kind::Str,
                    Default::Str("HEAD"),
                    "branch, tag or commit to sync",
                ),
                PATH_PREFIX,
                prop(
                    "project",
                    Kind::Str,
                    Default::Str("default"),
                    "Argo CD project",
                ),
                prop(
                    "server",
                    Kind::Str,
                    Default::Derived("https://kubernetes.default.svc unless `cluster` is set"),
                    "destination API server",
                ),
                prop(
                    "cluster",
                    Kind::Str,
                    Default::Unset,
                    "destination cluster by name (instead of `server`)",
                ),
                prop(
                    "app-namespace",
                    Kind::Str,
                    Default::Str("argocd"),
                    "namespace of the Application object",
                ),
                prop(
                    "prune",
                    Kind::Bool,
                    Default::Bool(true),
                    "automated sync prunes what the spec no longer produces",
                ),
                prop(
                    "sync",
                    Kind::Choice(ArgoSync::WORDS),
                    Default::Str("automated"),
                    "`automated`: every commit of out/ is synced; `manual`: someone presses Sync (prune= and self-heal= then do not apply)",
                ),
                prop(
                    "self-heal",
                    Kind::Bool,
                    Default::Bool(true),
                    "automated sync reverts changes made in the cluster",
                ),
            ],
        },
        default: Default::Unset,
        doc: "emit `out/_argocd/<namespace>.yaml`, an Argo CD Application syncing `out/<namespace>`",
        example: "argocd repo=\"https://git.example.com/platform/zk.git\" revision=\"main\"",
    },
    Setting {
        name: "flux",
        shape: Shape::Props {
            arg: None,
            props: &[
                prop(
                    "source",
                    Kind::Str,
                    Default::Unset,
                    "name of the GitRepository holding `out/` (required)",
                ),
                prop(
                    "source-namespace",
                    Kind::Str,
                    Default::Derived("the Kustomization's namespace"),
                    "namespace of the GitRepository",
                ),
                PATH_PREFIX,
                prop(
                    "app-namespace",
                    Kind::Str,
                    Default::Str("flux-system"),
                    "namespace of the Kustomization object",
                ),
                prop(
                    "interval",
                    Kind::Str,
                    Default::Str("10m"),
                    "how often Flux reconciles",
                ),
                prop(
                    "prune",
                    Kind::Bool,
                    Default::Bool(true),
                    "garbage-collect what the spec no longer produces",
                ),
                prop(
                    "decryption",
                    Kind::Choice(FluxDecryption::WORDS),
                    Default::Unset,
                    "decrypt SOPS-encrypted Secrets the Kustomization applies (spec.decryption; docs/security.md)",
                ),
                prop(
                    "decryption-secret",
                    Kind::Str,
                    Default::Unset,
                    "the Secret in the Kustomization's namespace holding the SOPS key (spec.decryption.secretRef)",
                ),
                prop(
                    "secrets-component",
                    Kind::Str,
                    Default::Unset,
                    "a kustomize Component directory, relative to the repository root, holding the environment's encrypted Secrets (spec.components)",
                ),
            ],
        },
        default: Default::Unset,
        doc: "emit `out/_flux/<namespace>.yaml`, a Flux Kustomization applying `out/<namespace>`",
        example: "flux source=\"platform-zk\" interval=\"5m\"",
    },
];

/// Nodes valid at the top level of a file.
/// Where a setting written at the wrong level belongs, for the help line of ZK0002 (`servers`
/// in an environment, `four-letter-words` outside `zoo-cfg`).
pub fn home_of(name: &str) -> Option<&'static str> {
    let named = |table: &[Setting]| table.iter().any(|s| s.name == name);
    Some(if named(ENSEMBLE_SETTINGS) {
        "it is an ensemble setting: write it in `ensemble \"NAME\" { … }`, a `template`, or `defaults { … }`"
    } else if named(ZOO_CFG_SETTINGS) {
        "it belongs in the ensemble's `zoo-cfg { … }` block"
    } else if named(NETWORK_POLICY_SETTINGS) {
        "it belongs in the ensemble's `network-policy { … }` block"
    } else if named(TLS_SETTINGS) {
        "it belongs in the ensemble's `tls { … }` block"
    } else if named(SASL_SETTINGS) {
        "it belongs in the ensemble's `sasl { … }` block"
    } else if named(PROMETHEUS_OPERATOR_SETTINGS) {
        "it belongs in the ensemble's `prometheus-operator { … }` block"
    } else if named(ENVIRONMENT_SETTINGS) {
        "it is an environment setting: write it directly in `environment \"NAME\" { … }`"
    } else {
        return None;
    })
}

pub const TOP_LEVEL_NODES: &[&str] = &["environment", "import", "defaults", "template"];

impl Kind {
    pub fn describe(&self) -> String {
        match self {
            Kind::Int { min, max } => format!("an integer from {min} to {max}"),
            Kind::Str => "a string".into(),
            Kind::Bool => "#true or #false".into(),
            Kind::Choice(c) => format!(
                "one of {}",
                c.iter()
                    .map(|s| format!("\"{s}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Kind::Cpu => "a CPU quantity string such as \"500m\" or \"2\"".into(),
            Kind::Bytes { min_mib } => {
                format!("a size with a unit such as \"512Mi\" or \"10Gi\", at least {min_mib}Mi")
            }
        }
    }
}
