// The diagnostic catalogue: code, severity, title and long explanation of every diagnostic.
// `docs/diagnostics.md` and `zkc explain CODE` are generated from this table.
codes! {
    Syntax = "ZK0001", Error, "the file is not valid KDL",
"The spec file could not be parsed as a KDL v2 document, so nothing in it was read.

Example:
    ensemble \"zk\" { servers 3

Fix: close every `{` with `}`, quote strings that contain spaces or start with a digit, and
write booleans as `#true` / `#false` (KDL v2).";

    UnknownNode = "ZK0002", Error, "unknown setting",
"A node name is not a setting zkc knows in this place. zkc refuses unknown settings instead of
ignoring them, because a misspelt setting silently falls back to its default.

Example:
    ensemble \"zk\" { sever 5 }

Fix: use one of the names listed in the help (`servers` here). `docs/spec-reference.md` lists
every setting and where it is valid.";

    UnknownProperty = "ZK0003", Error, "unknown property",
"A `name=value` property is not one this setting takes.

Example:
    resources cpu=\"500m\" mem=\"1Gi\"

Fix: use one of the properties listed in the help (`memory` here).";

    WrongType = "ZK0004", Error, "value of the wrong type",
"The value has the wrong type for this setting: a string where a number is expected, a number
where a string is expected, and so on.

Example:
    servers \"three\"

Fix: write the value as the type the help names (`servers 3`).";

    WrongArity = "ZK0005", Error, "wrong number of values",
"The setting takes a different number of arguments, or a block where none is allowed.

Example:
    servers 3 5

Fix: give exactly the values the help describes (`servers 5`).";

    OutOfRange = "ZK0006", Error, "value out of range",
"A number is outside the range zkc accepts for this setting.

Example:
    servers 300

Fix: choose a value inside the range given in the help. ZooKeeper server ids (myid) are
1..255, so an ensemble has at most 255 servers.";

    BadChoice = "ZK0007", Error, "not one of the allowed values",
"The setting takes one of a fixed set of values.

Example:
    peer-discovery \"dns\"

Fix: use one of the listed values (`headless` or `per-server-services`).";

    MissingValue = "ZK0008", Error, "required value missing",
"A node needs a value that was not given, such as the name of an environment or ensemble.

Example:
    ensemble { servers 3 }

Fix: give the value: `ensemble \"zookeeper\" { servers 3 }`.";

    ImportMissing = "ZK0010", Error, "imported file does not exist",
"An `import` names a file that is not among the spec files.

Example:
    import \"lib/bse.kdl\"

Fix: import a path relative to the specs directory that exists (`lib/base.kdl`).";

    ImportCycle = "ZK0011", Error, "import cycle",
"Libraries import each other in a cycle, so there is no order in which to read them.

Example:
    // a.kdl
    import \"b.kdl\"
    // b.kdl
    import \"a.kdl\"

Fix: move what both need into a third library that both import.";

    ImportEscapes = "ZK0012", Error, "import outside the specs directory",
"An import path is absolute or climbs out of the specs directory with `..`. Specs must be
self-contained so the same tree builds the same output on every machine.

Example:
    import \"../../etc/zk.kdl\"

Fix: copy the library into the specs directory and import it by its relative path.";

    ImportNotLibrary = "ZK0013", Error, "imported file is not a library",
"An imported file declares an environment. Only libraries (files without `environment`) can be
imported, otherwise one environment would silently contain another.

Example:
    import \"staging.kdl\"

Fix: move the shared settings of `staging.kdl` into a library such as `lib/base.kdl` and import
that from both environments.";

    UnknownTemplate = "ZK0014", Error, "unknown template",
"An ensemble or template `extends` a template that is not defined in its file or its imports.

Example:
    ensemble \"zk\" extends=\"smal\"

Fix: extend a template that exists (`small`), or import the library that defines it.";

    TemplateCycle = "ZK0015", Error, "template extends itself",
"A chain of `extends` comes back to where it started.

Example:
    template \"a\" extends=\"b\"
    template \"b\" extends=\"a\"

Fix: break the chain: one of the templates must not extend the other.";

    DuplicateDefinition = "ZK0016", Error, "defined twice",
"An environment, template or ensemble name is defined twice where names must be unique.

Example:
    template \"small\" { servers 1 }
    template \"small\" { servers 3 }

Fix: rename or remove one of the two definitions.";

    Conflict = "ZK0020", Error, "conflicting definitions",
"Two definitions of the same setting in the same layer disagree, for example two imported
libraries that both set `image`. Neither can win without an arbitrary rule, so zkc asks you to
decide (as NixOS does for conflicting option definitions).

Example:
    // lib/a.kdl
    defaults { image \"zookeeper:3.9.4\" }
    // lib/b.kdl
    defaults { image \"zookeeper:3.8.4\" }

Fix: remove one of the definitions, or set the value in a higher layer (the environment's
`defaults`, a template or the ensemble) where it overrides both.";

    FinalOverride = "ZK0021", Error, "overrides a final value",
"A library marked a value `(final)`, which pins it for every environment that imports it
(a policy), and a higher layer sets a different value.

Example:
    // lib/policy.kdl
    defaults { spread (final)\"required\" }
    // staging.kdl
    ensemble \"zk\" { spread \"preferred\" }

Fix: keep the pinned value, or change the policy library if the policy itself is wrong.";

    InvalidName = "ZK0030", Error, "invalid Kubernetes name",
"Names become Kubernetes object names and DNS labels: lower-case letters, digits and `-`,
starting with a letter, ending with a letter or digit, short enough that every derived name
(`<ensemble>-headless`, pod `<ensemble>-255`, the StatefulSet revision label) stays within
Kubernetes' 63-character limit.

Example:
    ensemble \"ZooKeeper_Main\"

Fix: use a DNS-1035 label such as `zookeeper-main`.";

    DuplicateEnsemble = "ZK0031", Error, "two ensembles with one name in a namespace",
"Two ensembles of one namespace have the same name, so their objects would overwrite each other.

Example:
    ensemble \"zookeeper\"
    ensemble \"zookeeper\" extends=\"small\"

Fix: give each ensemble its own name.";

    NamespaceClash = "ZK0032", Error, "two environments target one namespace",
"Two environments write to the same namespace. Each namespace gets one output directory owned
by one environment; two would overwrite each other's files and fight in Argo CD or Flux.

Example:
    environment \"staging\" { namespace \"shared\" }
    environment \"qa\" { namespace \"shared\" }

Fix: give each environment its own namespace, or put both ensembles into one environment.";

    PortClash = "ZK0033", Error, "two ports share a number",
"Two of the ensemble's ports (client, quorum, election, admin, metrics) have the same number,
so the server would fail to bind one of them.

Example:
    ports client=2181 admin=2181

Fix: give every port its own number.";

    HeapTooLarge = "ZK0034", Error, "JVM heap leaves too little of the memory limit",
"The JVM needs memory outside its heap: metaspace, thread stacks, the code cache, direct
buffers, and the page cache ZooKeeper's transaction log depends on. Measured with the real
ZooKeeper 3.9 and 20,000 znodes, the server's resident size exceeds a pre-touched heap by about
100 MiB, so zkc requires the memory limit to be at least the heap plus 192 MiB; closer to the
limit the kernel OOM-kills the server under load. The heap itself must be at least 128 MiB.

Example:
    resources memory=\"1Gi\"
    heap \"1Gi\"

Fix: lower `heap` (zkc's default is the memory limit less a quarter, and at least 192 MiB
less) or raise `resources memory-limit=`.";

    RequestAboveLimit = "ZK0035", Error, "resource request above its limit",
"A request (cpu or memory) is larger than its limit; Kubernetes rejects such a pod.

Example:
    resources memory=\"2Gi\" memory-limit=\"1Gi\"

Fix: make the limit at least as large as the request.";

    BadQuantity = "ZK0036", Error, "not a Kubernetes quantity",
"The value is not a valid Kubernetes resource quantity.

Example:
    storage \"10 GB\"

Fix: use a number with an optional suffix: `500m`, `2`, `512Mi`, `10Gi`, `1G`.";

    SizeWithoutUnit = "ZK0051", Error, "a size without a unit",
"Heap, memory and volume sizes are Kubernetes quantities, where a number without a unit counts
bytes: `heap 512` is 512 bytes (the JVM would get `-Xmx0m` and not start), `storage 10` a
ten-byte volume. zkc requires a unit for every size.

Example:
    heap 512

Fix: write the unit: `heap \"512Mi\"`, `storage \"10Gi\"`.";

    ObjectNameClash = "ZK0052", Error, "two objects with one name in a namespace",
"Every ensemble produces a StatefulSet, a ConfigMap `<name>-config`, a headless Service
`<name>-headless`, a client Service (the ensemble's name or `client-service name=`), and with
`peer-discovery \"per-server-services\"` one Service `<name>-N` per server. Two of these with one
kind and name in a namespace would silently replace each other in the cluster: the quorum could
never form.

Example:
    ensemble \"zk\"
    ensemble \"zk-headless\"

Fix: rename one ensemble, or give its client Service another name.";

    OwnedValue = "ZK0053", Error, "value owned by zkc",
"zkc derives some values itself: the server id, the heap and the JVM flags it needs, the labels
that select an ensemble's pods, and its own annotations. Set from the side, through `env`,
`jvm-flags`, `labels` or annotations, such a value would either override what zkc derived and
checked (`env ZOO_MY_ID \"1\"` gives every server id 1; `jvm-flags \"-Xmx8g\"` bypasses the heap
check) or be silently replaced by zkc's. Variables the image or ZooKeeper 3.9 never reads for a
running server (`ZOO_LOG4J_PROP`, the entrypoint's `ZOO_*` config variables) are refused too:
they would do nothing.

Example:
    env ZOO_MY_ID=\"1\"
    jvm-flags \"-Xmx8g\"

Fix: use the setting the help names (`heap \"8Gi\"` with a matching memory limit).";

    ZooCfgInjection = "ZK0054", Error, "text that ZooKeeper would read as other zoo.cfg lines",
"zoo.cfg is a Java properties file, read as ISO-8859-1. A line break starts a new entry, a
trailing `\\` continues the line onto the next one (swallowing, say, `server.1`), `\\` starts
an escape, blanks around a key and `:` or `=` inside it move where the key ends, and non-ASCII
text is garbled. Any of these in a `set` key or value, or in a four-letter word, would let a
spec change the voting members, `dataDir` or the command whitelist behind zkc's checks.

Example:
    zoo-cfg { set \"snapCount\" \"100\\\\\" }

Fix: write keys from ASCII letters, digits, `.`, `_` and `-`, values as printable ASCII
without `\\`, and four-letter words as four lower-case letters.";

    UnknownZooCfgKey = "ZK0055", Warning, "zoo.cfg key ZooKeeper does not know",
"ZooKeeper turns every zoo.cfg key it does not recognise into a Java system property named
`zookeeper.<key>` and carries on, so a misspelt key (`snapcount`) does nothing at all. zkc
compares each `set` key with the keys ZooKeeper 3.9 acts on (from its source and admin guide).

Example:
    zoo-cfg { set \"snapcount\" \"50000\" }

Fix: use the spelling the help suggests (`snapCount`).";

    FluxWithoutNamespace = "ZK0056", Warning, "Flux environment without its Namespace",
"Argo CD can create the target namespace (zkc asks it to), but a Flux Kustomization applies
into a namespace that must already exist: the first sync fails with \"namespaces not found\".

Example:
    environment \"develop\" { flux source=\"platform\"; ensemble \"zk\" }

Fix: add `namespace-object #true`, so out/<namespace>/ carries the Namespace (labelled for Pod
Security \"restricted\" and protected from pruning), or create the namespace another way.";

    IgnoredSetting = "ZK0057", Warning, "a setting without effect",
"The setting is valid, but another setting turns off what it configures, so it changes nothing
in the output. It is a warning rather than an error because a shared library may set it for
ensembles that turn the feature on.

Example:
    ports metrics=7001
    // metrics is off by default

Fix: turn the feature on (`metrics #true`) or remove the setting.";

    NothingToAcknowledge = "ZK0058", Warning, "acknowledge-resize-from with nothing to resize",
"`acknowledge-resize-from=N` acknowledges a change of the server count against `out/`, but the
ensemble is not in `out/` yet: there is nothing to acknowledge.

Example:
    servers 3 acknowledge-resize-from=1   // a new ensemble

Fix: remove `acknowledge-resize-from`.";

    StaleAcknowledgement = "ZK0059", Warning, "acknowledge-resize-from after the resize",
"`out/` already has the server count the spec asks for, so the resize step it acknowledged has
been built. The acknowledgement names the count it resizes from, so it cannot authorise a later
step (5 → 7 fails with ZK0065), but it no longer means anything. `zkc check` does not report it:
there `out/` is the build's result, and the acknowledgement is expected on the commit that
resizes.

Example:
    servers 4 acknowledge-resize-from=3   // out/ already has 4

Fix: remove `acknowledge-resize-from` in the next commit; write a new one for the next step.";

    UnreadableSpec = "ZK0060", Error, "a spec file cannot be read",
"A `*.kdl` file under the specs directory could not be read as a spec: it is larger than 1 MiB,
not valid UTF-8 (the diagnostic points at the first invalid byte), or unreadable (permissions).
Every such file is reported together with the other problems of the run, and nothing is
written.

Example:
    specs/staging.kdl saved as Latin-1: labels team=\"m\u{fc}ller\"

Fix: save the file as UTF-8 text of at most 1 MiB, readable by the user running zkc, or move
it out of the specs directory.";

    BadImage = "ZK0037", Error, "invalid image reference",
"The image reference cannot be pulled as written.

Example:
    image \"zookeeper 3.9\"

Fix: write `[registry/]repository[:tag][@sha256:digest]`, e.g.
`docker.io/library/zookeeper:3.9.4`.";

    LatestTag = "ZK0038", Warning, "image without a pinned version",
"The image has no tag or the tag `latest`: every node may run a different ZooKeeper version and
a rescheduled pod can start a newer release than its peers.

Example:
    image \"zookeeper:latest\"

Fix: pin a version (`zookeeper:3.9.4`) or a digest.";

    OwnedZooCfgKey = "ZK0039", Error, "zoo.cfg key owned by zkc",
"`zoo-cfg set` may not set keys that zkc derives from other settings (`server.N`, `dataDir`,
`clientPort`, …): the StatefulSet, Services and probes depend on them, and a hand-set value
would silently disagree.

Example:
    zoo-cfg { set \"clientPort\" \"2182\" }

Fix: use the typed setting named in the help (`ports client=2182`).";

    LimitRange = "ZK0040", Error, "initLimit/syncLimit out of range",
"`init-limit` and `sync-limit` are counted in ticks. `sync-limit` must be at least 1 and not
above `init-limit`: followers get `init-limit` ticks to catch up with the leader and
`sync-limit` ticks to stay in sync.

Example:
    zoo-cfg { init-limit 2; sync-limit 10 }

Fix: keep 1 <= sync-limit <= init-limit (defaults: 10 and 5).";

    EvenServers = "ZK0041", Warning, "even number of servers",
"A quorum is a strict majority: 4 servers tolerate one failure, as 3 do, but need more
servers to agree on every write.

Example:
    servers 4

Fix: use an odd number (3 or 5).";

    SingleServer = "ZK0042", Warning, "a single server has no fault tolerance",
"With one server, any restart (node drain, upgrade, crash) makes the ensemble unavailable.

Example:
    servers 1

Fix: use 3 servers for production; 1 is fine for a throw-away development namespace.";

    SpreadImpossible = "ZK0043", Error, "required anti-affinity cannot be satisfied",
"Servers must run on distinct nodes (`spread \"required\"`), but the spec pins them to a single
node (`node-selector` on `kubernetes.io/hostname`), or declares fewer nodes than servers, so
all but one server would stay Pending.

Example:
    spread \"required\"
    node-selector \"kubernetes.io/hostname\"=\"node-1\"

Fix: use `spread \"preferred\"`, or drop the node pin.";

    OrderedReadyDeadlock = "ZK0044", Error, "OrderedReady pod management cannot form a quorum",
"With `pod-management \"OrderedReady\"` the StatefulSet starts server 2 only after server 1 is
Ready, but a server is Ready only once it is part of a quorum, which needs server 2: the
ensemble never starts.

Example:
    servers 3
    pod-management \"OrderedReady\"

Fix: keep the default `Parallel`.";

    DisruptionBreaksQuorum = "ZK0045", Error, "disruption budget allows losing the quorum",
"The PodDisruptionBudget lets more servers be evicted at once than the ensemble can lose while
keeping a majority, so a node drain can take ZooKeeper down.

Example:
    servers 3
    disruption max-unavailable=2

Fix: allow at most (servers - 1) / 2 voluntary disruptions (1 for 3 servers, 2 for 5).";

    ServerCountChange = "ZK0046", Error, "server count of a deployed ensemble changed",
"The spec changes the number of servers of an ensemble that already has output in `out/`.
ZooKeeper's static configuration lists every server, and the StatefulSet controller rolls the
new list through the running ensemble one pod at a time, so for a while servers with the old
list and servers with the new one run side by side. That is safe only one server at a time,
and only when the change is meant: zkc asks for an acknowledgement that names the count it
resizes from.

Example:
    servers 5   // out/ has 3

Fix: one server per commit, each acknowledged with the count in `out/`:
`servers 4 acknowledge-resize-from=3`, build, commit, wait until the rollout has finished,
then `servers 5 acknowledge-resize-from=4`. `docs/changing.md` has the whole procedure.";

    ProbeWordsMissing = "ZK0047", Error, "four-letter words needed by the probes are not allowed",
"The readiness probe asks each server `srvr` (is it serving in a quorum?) and the liveness probe
asks `ruok`. If `four-letter-words` leaves either out, ZooKeeper refuses the command, every
probe fails and Kubernetes restarts healthy servers forever.

Example:
    zoo-cfg { four-letter-words \"mntr\" }

Fix: keep `ruok` and `srvr` in the list: `four-letter-words \"ruok\" \"srvr\" \"mntr\"`.";

    NotAnEnvironmentItem = "ZK0050", Error, "setting not valid at this level",
"The node is a valid zkc node but not in this place, for example `ensemble` at the top level of a
library, or `defaults` inside an ensemble.

Example:
    // lib/base.kdl
    ensemble \"zk\" { servers 3 }

Fix: move it where the help says it belongs.";

    V1Keyword = "ZK0061", Error, "KDL v1 keyword",
"zkc reads KDL v2, where the keywords `true`, `false` and `null` of KDL v1 are written with a
`#`. A bare `true` is neither a keyword nor a string in KDL v2, so the file does not parse.

Example:
    retain-storage true

Fix: write `retain-storage #true` (and `#false`, `#null`).";

    V1RawString = "ZK0062", Error, "KDL v1 raw string",
"KDL v1 wrote raw strings (no escapes) as `r\"…\"` or `r#\"…\"#`; KDL v2 drops the `r` and
needs at least one `#` on each side.

Example:
    jvm-flags r\"-Dpath=C:\\zk\"

Fix: write `#\"-Dpath=C:\\zk\"#`.";

    UnquotedString = "ZK0063", Error, "string value without quotes",
"A value that is neither a number nor a valid KDL identifier must be quoted. Bare words are
strings in KDL v2 only when they contain none of `\\ / ( ) { } ; [ ] \" # =` and do not start
with a digit; an image reference with a registry (`docker.io/library/zookeeper:3.9.4`) or a
version (`3.9.4`) is not one.

Example:
    image docker.io/library/zookeeper:3.9.4

Fix: quote it: `image \"docker.io/library/zookeeper:3.9.4\"`. Quoting every string value is
the house style of the example specs.";

    PathPrefixMismatch = "ZK0064", Warning, "path-prefix does not match the repository",
"The Argo CD Application and the Flux Kustomization tell the controller where the output
directory is in the git repository. By default zkc derives `path-prefix` from where the output
directory really sits (it looks for the repository's `.git` above it); a `path-prefix` set in
the spec that says something else makes the controller sync a directory that does not exist or
belongs to someone else.

Example:
    argocd repo=\"https://git.example.com/platform.git\" path-prefix=\"out\"
    // but the output directory is deploy/zookeeper/out in the repository

Fix: remove `path-prefix` (the derived value is used), or set the path the warning names.";

    AcknowledgementMismatch = "ZK0065", Error, "acknowledge-resize-from does not match out/",
"The acknowledgement names the server count the ensemble resizes from, and `out/` has another
one. It is usually an acknowledgement left from an earlier step: `servers 5
acknowledge-resize-from=4` stays in the spec, and a later edit to `servers 7` would otherwise
pass unchecked.

Example:
    servers 6 acknowledge-resize-from=4   // out/ has 5

Fix: write the count `out/` has (`zkc explain ENV/ENSEMBLE` and the help show it), and change it
by one server per commit.";

    ResizeStep = "ZK0066", Error, "more than one server per resize step",
"A ZooKeeper server with the static configuration zkc writes counts a quorum among the servers
of its own list. While the StatefulSet controller moves from N to N+2 servers (or N-2), servers
with the old list and servers with the new one run side by side, and their majorities need not
overlap: 3 → 5 lets servers 1-2 (a majority of 3) and servers 3-5 (a majority of 5) elect two
leaders and accept different writes. One server per step keeps every old majority and every new
majority overlapping (`docs/changing.md` has the proof and the measured figures).

Example:
    servers 5 acknowledge-resize-from=3

Fix: resize one server per commit: `servers 4 acknowledge-resize-from=3`, build, commit, let the
rollout finish, then `servers 5 acknowledge-resize-from=4`.";

    EnsembleRemoved = "ZK0067", Error, "a deployed ensemble would be removed",
"`out/` has a StatefulSet this build no longer produces: its environment or ensemble was
removed from the specs, or renamed. Argo CD and Flux prune what leaves the directory, so the sync
deletes the servers. A renamed ensemble is a new, empty one; the data of the old one stays in its
PersistentVolumeClaims (`data-<ensemble>-<id>`) only while the retention policy keeps them
(`retain-storage #true`, the default).

Example:
    // specs/staging.kdl deleted, or `ensemble \"zookeeper\"` renamed to `\"zk\"`

Fix: if it is a mistake, restore the spec. To tear the ensemble down on purpose, build with
`zkc build --allow-removal staging/zookeeper` (or `--allow-removal staging` for every ensemble
of a removed environment) and commit; the volumes stay and can be deleted by hand.";

    ImmutableChange = "ZK0068", Error, "a StatefulSet field that cannot change in place",
"The API server refuses to update `volumeClaimTemplates` (volume size, class, adding or removing
`datalog`), `podManagementPolicy`, `serviceName` and `selector` of an existing StatefulSet
(kubernetes `ValidateStatefulSetUpdate`). The GitOps sync would fail on every attempt while the
rest of the directory is applied.

Example:
    storage size=20Gi   // out/ has 10Gi

Fix: replace the StatefulSet without touching its pods or volumes:
1. Larger volumes only: if the StorageClass has `allowVolumeExpansion: true`, patch each claim,
   `kubectl -n NS patch pvc data-ENSEMBLE-1 -p '{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"20Gi\"}}}}'`,
   for every server; a class change or a smaller size needs a data migration instead.
2. Stop the GitOps controller from syncing the ensemble (Argo CD: disable auto-sync; Flux:
   `flux suspend kustomization NAME`).
3. `kubectl -n NS delete statefulset ENSEMBLE --cascade=orphan`: the pods and claims stay and
   keep serving.
4. `zkc build --allow-recreate NS/ENSEMBLE`, commit, resume the sync: the new StatefulSet adopts
   the running pods, and only a pod template change restarts them, one at a time.";

    ColdResizeStep = "ZK0069", Error, "a resize step ZooKeeper cannot roll through",
"A rolling update of this step stalls: the StatefulSet controller waits for a server that never
becomes Ready, while the others keep serving on the old list. tests/e2e/resize_orders.py shows
it on ZooKeeper 3.9.4 for 1 → 2 (a two-server list needs both servers, and server 1 keeps
serving alone on its list) and 3 → 4 (when server 3, usually the leader, restarts, servers 1 and
2 re-elect on the old list, and servers 3 and 4 follow only a leader that 3 of their 4 servers
report). Growing 3 → 5 or 1 → 3 therefore passes through a step done with every server stopped.

Example:
    servers 4 acknowledge-resize-from=3

Fix: a cold step, with a short outage of the whole ensemble:
1. Stop the GitOps controller from syncing the environment (Argo CD: turn off automated sync;
   Flux: `flux suspend kustomization zookeeper-ENV`).
2. `kubectl -n NS scale statefulset ENSEMBLE --replicas=0` and wait until no server pod is left.
3. Write `servers 4 acknowledge-resize-from=3 cold-restart=#true`, build, commit, resume the
   sync: every server starts at once with the new list. The one new server cannot form a
   majority without the old ones, and the election prefers the newest data, so nothing
   acknowledged is lost.";
    MetricsOff = "ZK0070", Error, "Prometheus settings while metrics is off",
"`prometheus-operator { monitor … }`, `prometheus-operator { rules #true }` and
`network-policy { metrics-from-namespaces … }` / `metrics-from-pods` are about the servers'
Prometheus metrics, which exist only with `metrics #true`: without it a monitor would scrape a
port nothing listens on, every alert would fire or stay silent on missing series, and the
network rule would open a closed port.

Example:
    prometheus-operator { monitor \"pod-monitor\" }
    // metrics is off by default

Fix: add `metrics #true` to the ensemble (or to the template or defaults that set these), or
remove the setting.";

    PrometheusBlocked = "ZK0071", Warning, "Prometheus cannot reach the metrics port",
"A monitor makes a Prometheus scrape the servers, but the ensemble's NetworkPolicy lets only the
pods of its own namespace reach the metrics port, and Prometheus usually runs in a namespace of
its own (`monitoring`): its scrapes would time out and every server would look down.

Example:
    metrics #true
    prometheus-operator { monitor \"pod-monitor\" }

Fix: name where Prometheus runs, which opens the metrics port and nothing else:
`network-policy { metrics-from-namespaces \"monitoring\" }` (and `metrics-from-pods` for its
pods' labels). If Prometheus runs in the ensemble's namespace, say so with
`metrics-from-pods \"app.kubernetes.io/name\"=\"prometheus\"`.";

    ManifestNotFound = "ZK0072", Error, "a manifest or patch file that cannot be used",
"`manifests` and `patches` name YAML files under the specs directory, relative to the spec file
that names them. The file does not exist there, is a symbolic link (zkc never reads through
links), leaves the specs directory, or is named twice.

Example:
    manifests \"extra/client-config.yaml\"   // specs/extra/client-config.yml exists

Fix: write the path of the file as it is under the specs directory.";

    ManifestInvalid = "ZK0073", Error, "a manifest zkc cannot ship",
"A document of a hand-written manifest breaks a rule zkc's own output keeps: it is not YAML,
lacks apiVersion, kind or metadata.name, names another namespace than the environment's, is a
Secret (its value would be in git), is a Namespace (that object is `namespace-object`'s), has
the kind and name of an object zkc generates, or has a field its built-in kind does not have
(the API server would drop it, so the setting would silently do nothing).

Example:
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: client-config}
    dta: {connect: zookeeper:2181}

Fix: correct the document as the message says.";

    PatchInvalid = "ZK0086", Error, "a patch that does not apply",
"A document of a `patches` file is `target: {kind: …, name: …}` and `patch:`, a list of RFC 6902
operations (add, remove, replace, test), applied at build time to the object zkc emits. This
one is not valid YAML of that shape, has an operation that does not apply (a `replace` or
`remove` of a field the object lacks, an index past the end of a list), or leaves the object
with a field its kind does not have (the API server would drop it, so the patch would
silently do nothing).

Example:
    target: {kind: StatefulSet, name: zookeeper}
    patch:
      - {op: add, path: /spec/template/spec/hostAlias, value: []}

Fix: correct the operation; `kubectl explain statefulset.spec.template.spec` lists the fields,
and out/ shows the object the patch applies to.";

    PatchOwnedField = "ZK0087", Error, "a patch on a field zkc owns",
"Patches reach only fields zkc leaves unset and that cannot break what it guarantees: on a
StatefulSet annotation keys, minReadySeconds, revisionHistoryLimit, node affinity, DNS options
(`dnsConfig`; not `dnsPolicy`, without which the peers' names do not resolve), host aliases of
names outside the cluster, runtime class, scheduler and termination grace period; on the
client Service (never the quorum's or the metrics' Services) annotation keys and its traffic,
IP family, session and, for its type, load balancer settings; on a ServiceAccount annotation
keys; on a PodDisruptionBudget annotation keys and the unhealthy pod eviction policy. The
selector, the server container, volumes, security context, zoo.cfg, ports and the network
policy stay zkc's: each has a setting, checked with the rest. A map (annotations) takes single
keys, never one zkc writes and each a valid key; `move` and `copy` are not supported.

Example:
    target: {kind: StatefulSet, name: zookeeper}
    patch:
      - {op: add, path: /spec/template/spec/hostNetwork, value: true}

Fix: use the setting (docs/spec-reference.md), or `sidecars`, `volumes` and `manifests` for
what zkc does not model.";

    PatchTargetMissing = "ZK0088", Error, "a patch without its object",
"A patch names the kind and name of an object zkc emits for the environment (see out/). None
has that kind and name: the patch would never apply.

Example:
    target: {kind: StatefulSet, name: zk}   # the ensemble is `zookeeper`

Fix: name an object of out/<namespace>/ of a kind patches apply to.";

    ExtraVolumeSource = "ZK0074", Error, "an extra volume without exactly one source",
"An entry of `volumes` names where its files come from: exactly one of `secret`, `config-map`,
`claim` or `empty-dir #true`. With none the pod could not start (the API server refuses a volume
without a source); with two, one would be dropped. `size-limit` bounds an emptyDir and means
nothing for the others.

Example:
    volumes { volume \"credentials\" secret=\"s3-backup\" config-map=\"backup-settings\" }

Fix: one volume per source:
    volumes {
      volume \"credentials\" secret=\"s3-backup\"
      volume \"settings\" config-map=\"backup-settings\"
    }";

    MountOverZkc = "ZK0075", Error, "a mount over zkc's own paths",
"A mount path must be absolute and plain (no `..`, no trailing `/`), appear once per container,
and, in the server container, stay clear of zkc's own mounts: `/data`, `/datalog`,
`/conf/zoo.cfg`, `/logs`, `/tmp` and the TLS and SASL directories, including their parents
(`/conf` would hide zoo.cfg, `/` everything) and anything inside them (a volume over
`/data/version-2` would replace the transaction log the server writes).

Example:
    volumes { volume \"extra-config\" config-map=\"zk-extra\" mount=\"/conf\" }

Fix: mount somewhere zkc does not use, e.g. `mount=\"/etc/zookeeper-extra\"`.";

    MountNotAllowed = "ZK0076", Error, "a mount of a volume that cannot be mounted there",
"A container's `mounts` name volumes: one of the ensemble's `volumes`, or zkc's own `data`,
`datalog` (with `datalog` set) and `logs`. The server's data and transaction log are mounted
read-only into other containers: a second writer would corrupt them, and ZooKeeper does not
notice.

Example:
    sidecars { sidecar \"backup\" image=\"…\" { mounts { mount \"data\" path=\"/data\" read-only=#false } } }

Fix: name an existing volume; mount `data` and `datalog` read-only (the default).";

    ExtraNameClash = "ZK0077", Error, "an extra volume or container name that is taken",
"Names of `volumes`, `init-containers` and `sidecars` are Kubernetes names within the pod
(lowercase letters, digits and `-`, at most 63), unique per kind, and not zkc's own: the
container `zookeeper`, the volumes `data`, `datalog`, `config`, `logs`, `tmp` and the TLS and
SASL volumes. Two with one name would be one object after the API server's merge, and the
pod would not be what the spec says.

Example:
    volumes { volume \"config\" config-map=\"my-settings\" }

Fix: rename it, e.g. `volume \"my-settings\"`.";

    ContainerIncomplete = "ZK0078", Error, "an init container or sidecar without what it needs",
"Every init container and sidecar needs an `image`, `resources cpu=… memory=…` (a container
without a memory limit could take the memory the server's page cache and heap rely on, and
the pod would lose its QoS class), and a `path` for every mount.

Example:
    sidecars { sidecar \"backup\" image=\"registry.example.com/zk-backup:1.4\" }

Fix:
    sidecars {
      sidecar \"backup\" image=\"registry.example.com/zk-backup:1.4\" {
        resources cpu=\"50m\" memory=\"64Mi\"
      }
    }";

    VolumeUnused = "ZK0079", Warning, "an extra volume no container mounts",
"An entry of `volumes` that neither has `mount` (the server container) nor appears in a
container's `mounts` is in the pod but in no container: the setting does nothing.

Example:
    volumes { volume \"credentials\" secret=\"s3-backup\" }

Fix: mount it (`mount=\"/etc/credentials\"`, or `mounts { mount \"credentials\" path=… }` in a
sidecar), or remove it.";

    TlsWithoutCertificate = "ZK0080", Error, "TLS without a certificate source",
"TLS for clients or for the quorum needs a certificate on every server. zkc either asks
cert-manager for it (`issuer`: it emits a Certificate with every name peers and clients use) or
mounts a Secret you manage (`secret`); with neither, the servers would not start.

Example:
    tls { client #true }

Fix: name the source: `tls { client #true; issuer \"zk-ca\" kind=\"ClusterIssuer\" }`, or
`secret \"zk-tls\"` for a Secret holding `tls-combined.pem` (the key, then the certificate chain)
and `ca.crt` (docs/security.md).";

    TwoCertificateSources = "ZK0081", Error, "two certificate sources",
"`issuer` makes cert-manager write the Secret `<ensemble>-tls`; `secret` names a Secret you
manage. With both, it would be unclear which certificate the servers present, and renewing one
would not renew the other.

Example:
    tls { client #true; issuer \"zk-ca\"; secret \"zk-tls\" }

Fix: keep one of the two.";

    SaslWithoutSecret = "ZK0082", Error, "SASL without its Secret",
"SASL DIGEST-MD5 needs user names and passwords. zkc never writes them into `out/` (a Git
repository): the servers read them at start from a Secret you create in the namespace, with the
keys `client-user`, `client-password` (for `client #true`) and `quorum-user`, `quorum-password`
(for `quorum`).

Example:
    sasl { client #true }

Fix: `sasl { secret \"zk-sasl\"; client #true }`; docs/security.md shows how to keep the Secret
in Git safely (External Secrets, Sealed Secrets, SOPS).";

    EnforceWithoutClientSasl = "ZK0083", Error, "SASL enforcement without client SASL",
"`enforce #true` makes the servers refuse every session that has not authenticated with SASL
(enforce.auth.enabled with enforce.auth.schemes=sasl). Without `client #true` the servers have
no SASL users and no SASL authentication provider, so every client would be refused.

Example:
    sasl { secret \"zk-sasl\"; enforce #true }

Fix: add `client #true`, or remove `enforce`.";

    QuorumSecurityStep = "ZK0084", Error, "quorum TLS or SASL changes more than one phase",
"The servers of a running ensemble are restarted one at a time, so old and new configurations
talk to each other during the rollout. ZooKeeper's admin guide (\"Upgrading existing non-TLS
cluster with no downtime\") moves quorum TLS through three rolling restarts: port unification
first (`accept-tls`: servers accept TLS and plain peers, but still connect in plain), then
`sslQuorum` (`send-tls`: they connect with TLS and still accept plain), then port unification off
(`on`). A server that only speaks TLS cannot talk to one that only speaks plain, so skipping a
phase splits the ensemble for the rollout. Quorum SASL is the same with `enabled` (learners
authenticate, servers do not yet require it) before `required`. zkc compares with the zoo.cfg in
`out/`; a new ensemble may start in any phase.

Example:
    tls { quorum \"on\" }   // out/ has no quorum TLS

Fix: one phase per commit, and let each rollout finish (every server Ready) before the next:
`quorum \"accept-tls\"`, then `\"send-tls\"`, then `\"on\"` (and back the same way).";

    QuorumSecurityWithResize = "ZK0085", Error, "quorum TLS or SASL changed with the server count",
"A resize step already runs servers with two configurations side by side (ZK0066); a quorum TLS
or SASL phase change in the same commit adds a second difference, and the new server may be
unable to talk to the majority it must join.

Example:
    servers 5 acknowledge-resize-from=4
    tls { quorum \"accept-tls\" }   // out/ has quorum TLS off

Fix: two commits: the resize step, then the TLS or SASL phase (or the other way round).";
}
