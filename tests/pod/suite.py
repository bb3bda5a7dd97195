#!/usr/bin/python3
"""Pod-runner scenarios: every emitted pod of every StatefulSet run as the kubelet would run the
official zookeeper image (tests/pod/kubelet.py, tests/pod/image.py), on the example out/ and on
the golden trees, with the real ZooKeeper (3.9.x from Maven Central, or Debian's 3.8).

Scenarios, per namespace directory: every pod Ready (time to ready printed); quorum (writes through
every server, read back through every other); /data/myid = pod index; every probe command run
--probe-runs times against the serving ensemble with zero failures; read-only root (a write
fails, and the root's listing is unchanged at the end); AdminServer not reachable from a peer
pod's namespace; metrics on metricsProvider.httpPort when configured; RSS vs memory limit with
20,000 znodes; readiness fails on the survivors of a lost quorum while liveness keeps passing;
a pod without the apps.kubernetes.io/pod-index label fails loudly at start and persists no wrong
myid; a `security uid=` change on existing volumes (first 3-server ensemble of each tree: written
as the emitted uid, every pod stopped, recreated with uid + 1 on the same volumes: Ready, a quorum,
the znodes readable). Negative controls (first namespace only): the old `echo … | nc` probes must
show false failures; a tampered copy of the old output (ZOO_MY_ID from the label, no check) must be
judged "silently wrong" by the missing-label scenario; the uid change with fsGroupChangePolicy
OnRootMismatch must crash-loop ("Cannot write to data directory", first uid-change scenario).

Run as root: /usr/bin/python3 tests/pod/suite.py --zk-version 3.9.4 [NAMESPACE_DIR …]
Prints PASS/FAIL/SKIP lines, the figures, and last `N passed, M failed`; exit 1 on any failure.
"""

import argparse
import atexit
import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import image as image_mod  # noqa: E402
import kubelet as kl  # noqa: E402
from kubelet import log  # noqa: E402

CLIENT = os.path.join(HERE, "client.py")
OLD_PROBES = {
    "old ruok probe": ["sh", "-c", "echo ruok | nc -w 5 127.0.0.1 2181 | grep -q '^imok'"],
    "old srvr probe": ["sh", "-c", "echo srvr | nc -w 5 127.0.0.1 2181 | grep -q '^Mode: '"],
}
RESULTS = {"pass": 0, "fail": 0, "skip": 0}
FIGURES = []


def check(name, ok, detail=""):
    word = "PASS" if ok else "FAIL"
    RESULTS["pass" if ok else "fail"] += 1
    print(f"{word} {name}{': ' + detail if detail else ''}", flush=True)
    return ok


def skip(name, why):
    RESULTS["skip"] += 1
    print(f"SKIP {name}: {why}", flush=True)


def figure(text):
    FIGURES.append(text)
    print(f"  figure: {text}", flush=True)


def scenario(description, prefix):
    """The start of the scenario scripts beside this suite (tls_sasl.py, extras.py): their
    options, the root check, the image, a work directory, the runner's network and kubelet,
    torn down at exit (the work directory kept with --keep).
    Returns (args, image, work directory, network, kubelet, start time)."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zkc", default=os.path.join(REPO, "target/debug/zkc"))
    ap.add_argument("--zk-version", default="3.9.4")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--summary", help="append 'passed failed skipped' to this file (.ci/pod-runner)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (network namespaces, bubblewrap, setpriv)")
    started = time.time()
    img = image_mod.build(args.zk_version)
    work = tempfile.mkdtemp(prefix=prefix)
    net = kl.Network(os.getpid())
    k = kl.Kubelet(img, work, net)

    def cleanup():
        k.shutdown()
        net.cleanup()
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    return args, img, work, net, k, started


def finish(args, started):
    """The figures, `N passed, M failed`, the summary line for .ci/pod-runner (args.summary),
    the exit status: the end of the scenario scripts beside this suite."""
    print(f"\n==== figures ({time.time() - started:.0f}s)")
    for f in FIGURES:
        print(f"  {f}")
    print(f"{RESULTS['pass']} passed, {RESULTS['fail']} failed", flush=True)
    if args.summary:
        with open(args.summary, "a") as f:
            f.write(f"{RESULTS['pass']} {RESULTS['fail']} 0\n")
    sys.exit(1 if RESULTS["fail"] else 0)


def client(ns, *args, timeout=300):
    p = subprocess.run(kl.in_netns(ns, ["/usr/bin/python3", CLIENT] + [str(a) for a in args]),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        return {"error": f"client.py {args[0]} exited {p.returncode}: {p.stderr.strip()[-400:]}"}
    return json.loads(lines[-1])


def zoo_cfg_of(k, ns, sts):
    for v in sts["spec"]["template"]["spec"].get("volumes", []):
        if "configMap" in v:
            cm = k.configmap(ns, v["configMap"]["name"])
            if "zoo.cfg" in cm.get("data", {}):
                return cm["data"]["zoo.cfg"]
    raise RuntimeError(f"{sts['metadata']['name']}: no ConfigMap volume with zoo.cfg")


def by_sts(pods):
    out = {}
    for p in pods:
        out.setdefault(p.sts["metadata"]["name"], []).append(p)
    return out


# The volumes zkc gives a pod (emit/workload.rs and emit/security.rs); any other is the user's.
ZKC_VOLUMES = {"config", "logs", "tmp", "data", "datalog", "tls-secret", "tls", "sasl-secret", "jaas"}


def without_user_additions(label, sts):
    """The StatefulSet with only zkc's own containers and volumes: the user's (`volumes`,
    `init-containers`, `sidecars`) name images and Secrets this runner does not have, and are
    run by tests/pod/extras.py with ones it has. Differs: the scenarios here see the server
    without its neighbours."""
    spec = sts["spec"]["template"]["spec"]
    user_volumes = [v["name"] for v in spec.get("volumes", []) if v["name"] not in ZKC_VOLUMES]
    user_containers = [c["name"] for c in spec["containers"][1:] + spec.get("initContainers", [])]
    if not user_volumes and not user_containers:
        return sts
    skip(f"{label}/{sts['metadata']['name']}: the user's containers and volumes {sorted(user_containers + user_volumes)}",
         "their images and Secrets are the user's: tests/pod/extras.py runs the same settings with ones it has")
    server = dict(spec["containers"][0])
    server["volumeMounts"] = [m for m in server.get("volumeMounts", []) if m["name"] not in user_volumes]
    spec = {k: v for k, v in spec.items() if k != "initContainers"}
    spec["containers"] = [server]
    spec["volumes"] = [v for v in spec.get("volumes", []) if v["name"] in ZKC_VOLUMES]
    template = {**sts["spec"]["template"], "spec": spec}
    return {**sts, "spec": {**sts["spec"], "template": template}}


def main_container(p):
    return p.containers[0]


def container_rss_kib(c):
    """Sum of VmRSS over every process in the container's PID namespace."""
    try:
        target = os.readlink(f"/proc/{c.pid}/ns/pid")
    except OSError:
        return None, None
    total, comms = 0, []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{d}/ns/pid") != target:
                continue
            with open(f"/proc/{d}/status") as f:
                st = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
            if "VmRSS" in st:
                total += int(st["VmRSS"].split()[0])
                comms.append(st["Name"].strip())
        except OSError:
            continue
    return total, comms


def serving_after(c):
    """When the server logged that it serves in a quorum (3.9's logback lines carry a timestamp;
    Debian's slf4j-simple lines do not)."""
    try:
        with open(c.log_path) as f:
            for line in f:
                if "Peer state changed:" in line and "broadcast" in line and line[:4].isdigit():
                    ts = time.mktime(time.strptime(line[:19], "%Y-%m-%d %H:%M:%S")) + int(line[20:23]) / 1000.0
                    return f"serving in the quorum {ts - c.started_at:.1f}s after start, by its log"
    except (OSError, ValueError):
        pass
    return "serving time not in the log"


def wait_ready(pods, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(main_container(p).ready for p in pods):
            return True
        time.sleep(0.5)
    return False


def ready_budget(pods):
    c = main_container(pods[0]).spec
    b = 60
    for kind in ["startupProbe", "readinessProbe"]:
        if kind in c:
            pr = c[kind]
            b += pr.get("initialDelaySeconds", 0) + pr.get("periodSeconds", 10) * 3
    return min(b, 300)


# ---------------------------------------------------------------------------------- scenarios

def probe_loop(pods, argv, runs, timeout):
    """Run argv `runs` times round-robin over the pods' main containers; return failures."""
    failures, worst = [], 0.0
    for i in range(runs):
        c = main_container(pods[i % len(pods)])
        rc, out, secs = c.exec(argv, timeout)
        worst = max(worst, secs)
        if rc != 0:
            failures.append((c.pod.name, rc, out.strip()[-120:]))
    return failures, worst


def missing_label_verdict(k, pods, observe=45):
    """Run pods (already created without the pod-index label) and judge what happened:
    'loud' = every container exited non-zero and no /data/myid with a wrong id was persisted;
    'silently wrong' = a server kept running with a persisted myid that is not its pod index."""
    k.run(pods)
    deadline = time.time() + observe
    while time.time() < deadline:
        if all(main_container(p).exit_codes for p in pods):
            break
        time.sleep(0.5)
    rows, loud, wrong_running = [], True, False
    for p in pods:
        c = main_container(p)
        claim = [t["metadata"]["name"] for t in p.sts["spec"].get("volumeClaimTemplates", [])]
        myid_file = None
        for v in c.spec.get("volumeMounts", []):
            if v["mountPath"] == "/data" and v["name"] in claim:
                myid_file = os.path.join(k.pvc(p.namespace, f"{v['name']}-{p.name}"), "myid")
        persisted = open(myid_file).read().strip() if myid_file and os.path.exists(myid_file) else None
        first_exit = c.exit_codes[0] if c.exit_codes else None
        wrong = persisted is not None and persisted != str(p.ordinal)
        if first_exit in (None, 0) or wrong:
            loud = False
        if wrong and (c.running() or first_exit in (None, 0)):
            wrong_running = True
        log_tail = ""
        try:
            with open(c.log_path) as f:
                log_tail = [l for l in f.read().splitlines() if l.strip() and not l.startswith("====")][:2]
        except OSError:
            pass
        rows.append(f"{p.name}: exit={first_exit} running={c.running()} persisted myid={persisted} first log={log_tail}")
    k.stop_pods(pods)
    verdict = "loud" if loud else ("silently wrong" if wrong_running else "unclear")
    return verdict, rows


UID_CHANGE = {"trees": set(), "control_done": False}
DATADIR_DENIED = ("Cannot write to data directory", "Unable to access datadir", "Permission denied", "AccessDenied")


def claim_dir_of(k, pod, path):
    """Host directory of the PVC mounted at `path` in the pod's main container, or None."""
    claims = {t["metadata"]["name"] for t in pod.sts["spec"].get("volumeClaimTemplates", [])}
    for m in main_container(pod).spec.get("volumeMounts", []):
        if m["mountPath"].rstrip("/") == path.rstrip("/") and m["name"] in claims and not m.get("subPath"):
            return k.pvc(pod.namespace, f"{m['name']}-{pod.name}")
    return None


def with_uid(sts, uid, policy=None):
    """A copy of the StatefulSet with runAsUser = uid wherever the pod or a container sets it (on the
    pod when nothing does): what a `security uid=` change in the spec emits; `policy` overrides
    fsGroupChangePolicy (the negative control)."""
    out = copy.deepcopy(sts)
    spec = out["spec"]["template"]["spec"]
    psc = spec.setdefault("securityContext", {})
    containers = spec["containers"] + spec.get("initContainers", [])
    if "runAsUser" in psc or not any("runAsUser" in c.get("securityContext", {}) for c in containers):
        psc["runAsUser"] = uid
    for c in containers:
        if "runAsUser" in c.get("securityContext", {}):
            c["securityContext"]["runAsUser"] = uid
    if policy:
        psc["fsGroupChangePolicy"] = policy
    return out


def ownership_misses(d, fs_group):
    """Entries under d (d included, symlinks left out) that the kubelet's SetVolumeOwnership should
    have made group fsGroup and group-writable (directories also setgid and group-searchable)."""
    seen, bad = 0, []
    for base, dirs, files in os.walk(d):
        for p in [base] + [os.path.join(base, n) for n in files]:
            if os.path.islink(p):
                continue
            st = os.lstat(p)
            want = 0o2770 if os.path.isdir(p) else 0o660
            seen += 1
            if st.st_gid != fs_group or st.st_mode & want != want:
                bad.append(f"{p[len(d):] or '/'} {st.st_uid}:{st.st_gid} {oct(st.st_mode & 0o7777)}")
    return seen, bad


def uid_change_scenario(k, client_ns, label, ns, objs, sts, control):
    """Issue #11 item 4: `security uid=` changed on an existing ensemble. Start it as emitted, write
    znodes, wait for snapshot and transaction log files, stop every pod (volumes kept), then create
    the pods again from a copy with runAsUser = uid + 1 on the same volumes: every server Ready, a
    quorum, the znodes readable. Negative control (`control`): the same change with
    fsGroupChangePolicy OnRootMismatch (the kubelet leaves version-2 to the old uid) must keep the
    servers from starting, before the emitted policy brings the same volumes back."""
    name = sts["metadata"]["name"]
    what = f"{label}/{name}: security uid change on existing volumes"
    pods = k.create_pods(ns, {**objs, "StatefulSet": [sts]})
    k.run(pods)
    if not wait_ready(pods, ready_budget(pods)):
        check(f"{what}: ensemble Ready as emitted", False, ", ".join(f"{p.name}: exits {main_container(p).exit_codes}" for p in pods))
        k.stop_pods(pods)
        k.delete_pvcs(ns)
        return
    zoo_cfg = zoo_cfg_of(k, ns, sts)
    port = int(kl.zoo_cfg_value(zoo_cfg, "clientPort", "2181"))
    servers = [f"{p.ip}:{port}" for p in pods]
    path = f"/zkc-pod-runner-uid-{name}"
    r = client(client_ns, "quorum", ",".join(servers), path)
    wrote = not r.get("error") and not r.get("errors") and r.get("writes") == len(pods)
    expected = {f"w{i}": f"via {s}" for i, s in enumerate(servers)}
    # ZooKeeper's files: snapshot.* under dataDir/version-2, log.* under dataLogDir (or dataDir)/version-2
    data_dir = kl.zoo_cfg_value(zoo_cfg, "dataDir", "/data")
    log_dir = kl.zoo_cfg_value(zoo_cfg, "dataLogDir") or data_dir
    old_uid = main_container(pods[0]).uid
    fs_group = sts["spec"]["template"]["spec"].get("securityContext", {}).get("fsGroup")
    deadline, files = time.time() + 30, {}
    while time.time() < deadline:
        files = {}
        for p in pods:
            snap, txn = claim_dir_of(k, p, data_dir), claim_dir_of(k, p, log_dir)
            v2 = [os.path.join(d, "version-2") if d else None for d in (snap, txn)]
            files[p.name] = [sorted(f for f in (os.listdir(v) if v and os.path.isdir(v) else []) if f.startswith(pre))
                             for v, pre in zip(v2, ("snapshot.", "log."))]
        if all(s and t for s, t in files.values()):
            break
        time.sleep(0.5)
    v2 = os.path.join(claim_dir_of(k, pods[0], data_dir) or "/nonexistent", "version-2")
    st = os.stat(v2) if os.path.isdir(v2) else None
    before = f"{pods[0].name} {data_dir}/version-2 {st.st_uid}:{st.st_gid} {oct(st.st_mode & 0o7777)}" if st else "no version-2"
    if not check(f"{what}: znodes written and ZooKeeper's files on the volumes as uid {old_uid}",
                 wrote and all(s and t for s, t in files.values()) and st is not None and st.st_uid == old_uid,
                 f"{json.dumps(r)[:200]}; files {files}; {before}"):
        k.stop_pods(pods)
        k.delete_pvcs(ns)
        return
    new_uid = old_uid + 1
    if control:
        UID_CHANGE["control_done"] = True
        neg = k.replace_pods(pods, with_uid(sts, new_uid, policy="OnRootMismatch"))
        t = time.time()
        k.run(neg)
        deadline = time.time() + 60
        while time.time() < deadline and not all(main_container(p).exit_codes for p in neg):
            time.sleep(0.5)
        exited_in = time.time() - t
        time.sleep(1)
        line = None
        for p in neg:
            with open(main_container(p).log_path, errors="replace") as f:
                hits = [l.strip() for l in f if any(w in l for w in DATADIR_DENIED)]
            line = line or next((h for h in hits if DATADIR_DENIED[0] in h), hits[0] if hits else None)
        exits = {p.name: main_container(p).exit_codes for p in neg}
        never_ready = all(main_container(p).ready_at is None for p in neg)
        figure(f"negative control {label}/{name} uid {old_uid}→{new_uid} with OnRootMismatch: every server had exited "
               f"{exited_in:.1f}s after the start (polled), exits {exits}, volume ownership {neg[0].ownership}")
        check(f"negative control: {label}/{name} uid {old_uid}→{new_uid} with fsGroupChangePolicy OnRootMismatch crash-loops "
              "(no server Ready, every one exits non-zero, data directory not writable) (must)",
              never_ready and all(e and e[0] != 0 for e in exits.values()) and line is not None,
              f"{before}; exits {exits}; log: {line}")
        pods = neg
    news = k.replace_pods(pods, with_uid(sts, new_uid))
    owned = {}
    for p in news:
        for d in {claim_dir_of(k, p, data_dir), claim_dir_of(k, p, log_dir)} - {None}:
            owned[d] = ownership_misses(d, fs_group)
    check(f"{label}/{name}: fsGroupChangePolicy {sts['spec']['template']['spec'].get('securityContext', {}).get('fsGroupChangePolicy', '(unset: Always)')} "
          f"made every file on the data volumes group {fs_group} and group-writable before the uid {new_uid} start",
          fs_group is not None and all(not bad for _, bad in owned.values()),
          f"{sum(n for n, _ in owned.values())} entries checked; misses {[b for _, bad in owned.values() for b in bad][:5]}")
    t = time.time()
    k.run(news)
    ok = wait_ready(news, ready_budget(news))
    for p in news:
        c = main_container(p)
        if c.ready_at:
            figure(f"time to ready after the uid change {label}/{p.name} (uid {old_uid}→{new_uid}, existing volumes): "
                   f"{c.ready_at - c.started_at:.1f}s after container start ({serving_after(c)})")
    if ok:
        figure(f"uid change {label}/{name}: all {len(news)} servers Ready {time.time() - t:.1f}s after the start")
    q = client(client_ns, "quorum", ",".join(servers), f"{path}-after") if ok else {"error": "not Ready"}
    rd = client(client_ns, "read", ",".join(servers), path) if ok else {"error": "not Ready"}
    modes = sorted(q.get("modes", {}).values())
    reads = rd.get("reads", {})
    if not check(f"{what}: uid {old_uid}→{new_uid}, every server Ready, a quorum, the znodes written before readable through every server",
                 ok and not q.get("errors") and not q.get("error") and modes.count("leader") == 1 and q.get("reads_ok") == len(news) ** 2
                 and not rd.get("errors") and not rd.get("error") and len(reads) == len(news) and all(v == expected for v in reads.values()),
                 f"ready={ok}, exits {[main_container(p).exit_codes for p in news]}, modes {modes}, "
                 f"quorum {json.dumps(q)[:160]}, read {json.dumps(rd)[:240]}"):
        for p in news:
            print(f"  --- {p.name} log tail:\n" + "".join(open(main_container(p).log_path).readlines()[-10:]), flush=True)
    k.stop_pods(news)
    k.delete_pvcs(ns)


def run_namespace(k, net, client_ns, nsdir, args, controls):
    objs = kl.load_namespace(nsdir)
    ns = objs["StatefulSet"][0]["metadata"]["namespace"] if objs.get("StatefulSet") else None
    if not ns:
        skip(nsdir, "no StatefulSet")
        return
    label = os.path.relpath(nsdir, REPO)
    print(f"\n==== {label} (namespace {ns}) with ZooKeeper {k.image.version} [{k.image.source}]", flush=True)
    for sts in objs["StatefulSet"]:
        c = sts["spec"]["template"]["spec"]["containers"][0]
        log(f"{sts['metadata']['name']}: image {c.get('image')} (emulated by {k.image.version}); command={'set' if c.get('command') else 'image ENTRYPOINT'}")
    k.objects[ns] = objs
    if k.image.source == "debian":
        # Debian's 3.8 package has no Prometheus provider: a zoo.cfg that names it makes the
        # server exit ("metrics provider class was not found"), so those ensembles are 3.9-only
        keep = []
        for sts in objs["StatefulSet"]:
            if "prometheus" in (kl.zoo_cfg_value(zoo_cfg_of(k, ns, sts), "metricsProvider.className") or "").lower():
                skip(f"{label}/{sts['metadata']['name']}: every scenario", "zoo.cfg names the Prometheus metrics provider, "
                     "which Debian's ZooKeeper 3.8 does not ship (covered by --zk-version 3.9.4)")
            else:
                keep.append(sts)
        if not keep:
            return
        objs = {**objs, "StatefulSet": keep}
    # Ensembles with TLS or SASL need their Secrets and TLS clients: tests/pod/tls_sasl.py
    keep = []
    for sts in objs["StatefulSet"]:
        names = {v["name"] for v in sts["spec"]["template"]["spec"].get("volumes", [])}
        if names & {"tls-secret", "sasl-secret"}:
            skip(f"{label}/{sts['metadata']['name']}: every scenario", "mounts Secrets (TLS or SASL): covered by tests/pod/tls_sasl.py")
        else:
            keep.append(without_user_additions(label, sts))
    if not keep:
        return
    objs = {**objs, "StatefulSet": keep}
    pods = k.create_pods(ns, objs, drop_index_label=args.drop_pod_index_label)
    before = {p.name: p.snapshot_root() for p in pods}
    t0 = time.time()
    k.run(pods)
    ok = wait_ready(pods, ready_budget(pods))
    states = ", ".join(f"{p.name}:{'Ready' if main_container(p).ready else 'NotReady'}(exits {main_container(p).exit_codes})" for p in pods)
    if not check(f"{label}: every pod Ready", ok, states):
        for p in pods:
            c = main_container(p)
            print(f"  --- {p.name} log tail:\n" + "".join(open(c.log_path).readlines()[-15:]), flush=True)
            print(f"  --- {p.name} probes: {c.probe_log[-3:]}", flush=True)
        k.stop_pods(pods)
        k.delete_pvcs(ns)
        return
    for p in pods:
        c = main_container(p)
        figure(f"time to ready {label} {p.name}: {c.ready_at - c.started_at:.1f}s after container start "
               f"(ensemble all Ready {time.time() - t0:.1f}s after start; {serving_after(c)})")
    groups = by_sts(pods)
    for name, gp in groups.items():
        zoo_cfg = zoo_cfg_of(k, ns, gp[0].sts)
        port = int(kl.zoo_cfg_value(zoo_cfg, "clientPort", "2181"))
        servers = [f"{p.ip}:{port}" for p in gp]
        # every peer name zoo.cfg uses resolves (emulated cluster DNS from the emitted Services)
        named = {}
        for line in zoo_cfg.splitlines():
            if line.startswith("server.") and "=" in line:
                named[line.split("=", 1)[0]] = line.split("=", 1)[1].split(":")[0]
        want = {p.ordinal: p.ip for p in gp}
        got = {key: gp[0].dns.get(host) for key, host in named.items()}
        check(f"{label}/{name}: every zoo.cfg server name resolves to its pod through an emitted Service",
              got and all(got.get(f"server.{o}") == ip for o, ip in want.items()) and len(got) == len(want),
              f"{named} → {got}")
        # quorum
        r = client(client_ns, "quorum", ",".join(servers), f"/zkc-pod-runner-{name}")
        modes = sorted(r.get("modes", {}).values())
        n = len(gp)
        check(f"{label}/{name}: quorum of {n} (one leader, writes through every server read back everywhere)",
              not r.get("error") and not r.get("errors") and modes.count("leader") == 1 and modes.count("follower") == n - 1
              and r.get("writes") == n and r.get("reads_ok") == n * n, json.dumps(r)[:400])
        # myid = pod index
        ids = {}
        for p in gp:
            try:
                ids[p.name] = main_container(p).exec(["cat", "/data/myid"], 5)[1].strip()
            except Exception as e:
                ids[p.name] = str(e)
        check(f"{label}/{name}: /data/myid is the pod index", all(ids[p.name] == str(p.ordinal) for p in gp), str(ids))
        # probes
        cspec = main_container(gp[0]).spec
        kinds = [kd for kd in ["startupProbe", "readinessProbe", "livenessProbe"] if kd in cspec]
        if not kinds:
            check(f"{label}/{name}: probes exist", False, "no probe in the container spec")
        for kd in kinds:
            pr = cspec[kd]
            if "exec" not in pr:
                check(f"{label}/{name}: {kd}", False, f"not an exec probe ({sorted(pr)}): not emulated")
                continue
            t = time.time()
            fails, worst = probe_loop(gp, pr["exec"]["command"], args.probe_runs, pr.get("timeoutSeconds", 1))
            figure(f"{label}/{name} {kd} {pr['exec']['command'][-1]!r}: {args.probe_runs} runs, {len(fails)} false failures, "
                   f"slowest {worst:.2f}s (timeout {pr.get('timeoutSeconds', 1)}s), {time.time() - t:.0f}s")
            check(f"{label}/{name}: {kd} passes {args.probe_runs}/{args.probe_runs} on a serving ensemble", not fails, str(fails[:3]))
        if controls:
            for cname, argv in OLD_PROBES.items():
                fails, _ = probe_loop(gp, argv, args.control_runs, 5)
                figure(f"negative control {cname} {argv[-1]!r}: {args.control_runs} runs, {len(fails)} false failures "
                       f"({100.0 * len(fails) / args.control_runs:.1f}%)")
                check(f"negative control: {cname} shows false failures on a serving ensemble (must)", len(fails) > 0,
                      f"{len(fails)}/{args.control_runs}")
        # AdminServer from a peer pod's network namespace
        admin_on = kl.zoo_cfg_value(zoo_cfg, "admin.enableServer", "true").lower() != "false"
        aport = int(kl.zoo_cfg_value(zoo_cfg, "admin.serverPort", "8080"))
        if n >= 2:
            target, peer = gp[0], gp[1]
            r = client(peer.netns, "tcp", target.ip, aport, timeout=30)
            local = client(target.netns, "http", f"http://127.0.0.1:{aport}/commands/ruok", timeout=30)
            check(f"{label}/{name}: AdminServer :{aport} not reachable from peer {peer.name} (enabled={admin_on})",
                  r.get("state") in ("refused", "timeout"),
                  f"peer → {target.ip}:{aport} {r.get('state')}; inside the pod 127.0.0.1:{aport} → {local.get('status') or local.get('error')}")
        # metrics
        mport = kl.zoo_cfg_value(zoo_cfg, "metricsProvider.httpPort")
        if mport:
            if k.image.source == "debian":
                skip(f"{label}/{name}: metrics on :{mport}", "Debian's 3.8 has no Prometheus metrics provider jar")
            else:
                r = client(client_ns, "http", f"http://{gp[0].ip}:{mport}/metrics", timeout=30)
                body = r.get("body", "")
                check(f"{label}/{name}: Prometheus text on metricsProvider.httpPort {mport}",
                      r.get("status") == 200 and "# TYPE" in body and "znode_count" in body,
                      f"status {r.get('status')} {r.get('error', '')} {len(body)} bytes, e.g. "
                      f"{next((l for l in body.splitlines() if l.startswith('znode_count')), '-')}")
        # RSS with 20,000 znodes
        r = client(client_ns, "fill", ",".join(servers), f"/zkc-pod-runner-fill-{name}", args.znodes, args.znode_bytes, timeout=600)
        check(f"{label}/{name}: {args.znodes} znodes of {args.znode_bytes} bytes created", r.get("children") == args.znodes, json.dumps(r)[:300])
        limit = cspec.get("resources", {}).get("limits", {}).get("memory")
        heap = next((e.get("value") for e in cspec.get("env", []) if e["name"] == "ZK_SERVER_HEAP"), None)
        time.sleep(2)
        for p in gp:
            rss, comms = container_rss_kib(main_container(p))
            if rss is None:
                check(f"{label}/{p.name}: RSS measured", False, "container gone")
                continue
            lim = kl.parse_quantity(limit) / 1024 if limit else None
            figure(f"RSS {label}/{p.name} with {args.znodes} znodes: {rss / 1024:.0f} MiB vs limit {limit} "
                   f"({(lim or 0) / 1024:.0f} MiB), ZK_SERVER_HEAP={heap} MB, processes {comms}")
            if lim is None:
                check(f"{label}/{p.name}: memory limit set", False, "no resources.limits.memory")
            else:
                check(f"{label}/{p.name}: RSS below the memory limit", rss < lim, f"{rss / 1024:.0f} MiB < {lim / 1024:.0f} MiB")
        # delete and recreate one pod on its volumes: same id, rejoins, volume ownership re-applied
        old = gp[-1]
        t = time.time()
        new = k.recreate(old)
        gp[gp.index(old)] = new
        pods[pods.index(old)] = new
        before[new.name] = new.snapshot_root()
        ok = wait_ready([new], ready_budget([new]))
        t_ready = time.time()
        # The restarted server is Ready once it serves; the others may still be finishing the
        # election its leaving started (seen once in CI: a 5-server ensemble whose leader was
        # the recreated pod answered "not currently serving requests" on 3 servers right after
        # it was Ready). The ensemble must serve with every server within 60 s of that.
        while True:
            r = client(client_ns, "quorum", ",".join(servers), f"/zkc-pod-runner-{name}-recreated")
            serving = not r.get("error") and not r.get("errors") and r.get("reads_ok") == n * n
            if serving or not ok or time.time() - t_ready > 60:
                break
            time.sleep(2)
        own = new.ownership
        check(f"{label}/{new.name}: deleted and recreated on its volumes, Ready again and in the quorum",
              ok and serving,
              f"ready={ok} after {t_ready - t:.1f}s, every server serving {time.time() - t_ready:.1f}s later, "
              f"exits {main_container(new).exit_codes}, volume ownership {own}, quorum {json.dumps(r)[:200]}")
        # read-only root
        for p in gp:
            rc, out, _ = main_container(p).exec(["sh", "-c", "echo x > /zkc-write-test; echo x > /conf/zkc-write-test; echo x > /apache-zookeeper-" + k.image.version + "-bin/x"], 10)
            check(f"{label}/{p.name}: writes outside the volumes are refused", rc != 0 and "Read-only file system" in out, out.strip()[:200])
    # quorum loss: stop a majority, readiness must fail on the survivors, liveness must not
    for name, gp in groups.items():
        n = len(gp)
        if n < 3:
            skip(f"{label}/{name}: quorum loss", f"{n} servers")
            continue
        cspec = main_container(gp[0]).spec
        stop = gp[n // 2:]  # leaves n//2 servers: one fewer than a quorum
        survivors = [p for p in gp if p not in stop]
        log(f"{name}: SIGKILL {[p.name for p in stop]}, survivors {[p.name for p in survivors]}")
        k.stop_pods(stop)
        rp = cspec.get("readinessProbe")
        if not rp or "exec" not in rp:
            check(f"{label}/{name}: readiness fails out of quorum", False, "no exec readinessProbe")
            continue
        deadline, failed_streak, t = time.time() + 90, 0, time.time()
        while time.time() < deadline and failed_streak < 5:
            oks = [main_container(p).exec(rp["exec"]["command"], rp.get("timeoutSeconds", 1))[0] == 0 for p in survivors]
            failed_streak = failed_streak + 1 if not any(oks) else 0
            time.sleep(0.5)
        check(f"{label}/{name}: readiness fails on every survivor out of quorum", failed_streak >= 5,
              f"{len(survivors)} survivors, failing 5 runs in a row after {time.time() - t:.1f}s")
        lp = cspec.get("livenessProbe")
        if lp and "exec" in lp:
            res = [main_container(p).exec(lp["exec"]["command"], lp.get("timeoutSeconds", 1)) for p in survivors for _ in range(5)]
            check(f"{label}/{name}: liveness keeps passing on survivors out of quorum (no restart storm)",
                  all(r[0] == 0 for r in res), str([(r[0], r[1][-80:]) for r in res if r[0] != 0][:3]))
    # nothing written outside the volumes
    for p in pods:
        after = p.snapshot_root()
        diff = sorted(set(before[p.name].items()) ^ set(after.items()))
        check(f"{label}/{p.name}: container root unchanged (only the volumes were written)", not diff, str(diff[:5]))
    k.stop_pods(pods)
    k.delete_pvcs(ns)
    # missing pod-index label (Kubernetes < 1.28), fresh volumes
    pods = k.create_pods(ns, objs, drop_index_label=True)
    verdict, rows = missing_label_verdict(k, pods)
    check(f"{label}: without the pod-index label every server fails loudly at start, no wrong myid persisted",
          verdict == "loud", f"verdict {verdict}; " + " | ".join(rows))
    k.delete_pvcs(ns)
    # a volume whose myid is another server's (a PVC bound to the wrong pod, a restore gone wrong):
    # the server must refuse to start rather than join as the other server
    sts = objs["StatefulSet"][0]
    pods = k.create_pods(ns, {**objs, "StatefulSet": [sts]})
    victim = pods[0]
    claim = next((m["name"] for m in main_container(victim).spec.get("volumeMounts", [])
                  if m["mountPath"] == "/data" and m["name"] in {t["metadata"]["name"] for t in sts["spec"].get("volumeClaimTemplates", [])}), None)
    if claim and len(pods) > 1:
        d = k.pvc(ns, f"{claim}-{victim.name}")
        with open(os.path.join(d, "myid"), "w") as f:
            f.write(f"{pods[1].ordinal}\n")
        main_container(victim).resolve()
        os.chown(os.path.join(d, "myid"), main_container(victim).uid, -1)
        k.run([victim])
        deadline = time.time() + 40
        while time.time() < deadline and not main_container(victim).exit_codes:
            time.sleep(0.5)
        c = main_container(victim)
        check(f"{label}/{victim.name}: a data volume holding another server's myid ({pods[1].ordinal}) makes the container fail at start",
              bool(c.exit_codes) and c.exit_codes[0] != 0 and not c.ready,
              f"exits {c.exit_codes}, running={c.running()}, log {[l.strip() for l in open(c.log_path).readlines() if l.strip() and not l.startswith('====')][:1]}")
    else:
        skip(f"{label}: wrong myid on the data volume", "no /data claim template or a single server")
    k.stop_pods(pods)
    k.delete_pvcs(ns)
    # a `security uid=` change on existing volumes: the first 3-server ensemble of each tree
    tree = os.path.dirname(os.path.abspath(nsdir))
    three = [s for s in objs["StatefulSet"] if s["spec"].get("replicas", 1) == 3]
    if tree not in UID_CHANGE["trees"] and three:
        UID_CHANGE["trees"].add(tree)
        uid_change_scenario(k, client_ns, label, ns, objs, three[0], control=not args.no_controls and not UID_CHANGE["control_done"])
    if controls:
        tampered = copy.deepcopy(objs)
        for sts in tampered["StatefulSet"]:
            for c in sts["spec"]["template"]["spec"]["containers"]:
                c.pop("command", None)
                c.pop("args", None)
                env = [e for e in c.get("env", []) if e["name"] != "ZOO_MY_ID"]
                c["env"] = [{"name": "ZOO_MY_ID", "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{kl.POD_INDEX}']"}}}] + env
        pods = k.create_pods(ns, tampered, drop_index_label=True)
        verdict, rows = missing_label_verdict(k, pods, observe=30)
        all_one = all("persisted myid=1 " in r for r in rows)
        check("negative control: tampered old output (ZOO_MY_ID from the label, image entrypoint, no check) without the label "
              "is judged silently wrong, every server myid 1", verdict == "silently wrong" and all_one,
              f"verdict {verdict}; " + " | ".join(rows))
        k.delete_pvcs(ns)


def default_targets():
    out = []
    for base in [os.path.join(REPO, "out")] + sorted(os.path.join(REPO, "tests/golden", g, "out") for g in os.listdir(os.path.join(REPO, "tests/golden"))):
        if not os.path.isdir(base):
            continue
        for d in sorted(os.listdir(base)):
            if not d.startswith("_") and os.path.isdir(os.path.join(base, d)):
                out.append(os.path.join(base, d))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*", help="emitted namespace directories (default: out/* and tests/golden/*/out/*)")
    ap.add_argument("--zk-version", default="3.9.4", choices=sorted(image_mod.VERSIONS))
    ap.add_argument("--probe-runs", type=int, default=500)
    ap.add_argument("--control-runs", type=int, default=600)
    ap.add_argument("--znodes", type=int, default=20000)
    ap.add_argument("--znode-bytes", type=int, default=512)
    ap.add_argument("--no-controls", action="store_true", help="skip the negative controls")
    ap.add_argument("--drop-pod-index-label", action="store_true",
                    help="run the main scenarios as on Kubernetes < 1.28: pods without apps.kubernetes.io/pod-index")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, volumes)")
    ap.add_argument("--summary", help="append 'passed failed skipped' to this file")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the pod runner needs root (network namespaces, bubblewrap as a privileged user, setpriv)")
    for tool in ["bwrap", "nsenter", "setpriv", "ip", "nc"]:
        if not shutil.which(tool):
            sys.exit(f"missing {tool}: run .ci/pod-runner, which installs what the suite needs")
    targets = args.dirs or default_targets()
    started = time.time()
    img = image_mod.build(args.zk_version)
    log(f"image root {img.rootfs} (ZooKeeper {img.version} from {img.source}) ready in {time.time() - started:.0f}s")
    workdir = tempfile.mkdtemp(prefix="zkc-pod-runner-")
    net = kl.Network(os.getpid())
    k = kl.Kubelet(img, workdir, net)

    def cleanup():
        k.shutdown()
        net.cleanup()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"work directory kept: {workdir}")
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    client_ns, client_ip = net.add("client")
    log(f"client namespace {client_ns} at {client_ip}; work directory {workdir}")
    for i, d in enumerate(targets):
        try:
            run_namespace(k, net, client_ns, d, args, controls=(i == 0 and not args.no_controls))
        except Exception as e:
            check(f"{os.path.relpath(d, REPO)}: scenario run", False, f"{type(e).__name__}: {e}")
            traceback.print_exc()
            for p in list(k.pods):
                k.stop_pods([p])
    print(f"\n==== figures (ZooKeeper {img.version}, {time.time() - started:.0f}s)")
    for f in FIGURES:
        print(f"  {f}")
    if RESULTS["skip"]:
        print(f"{RESULTS['skip']} skipped")
    if args.summary:
        with open(args.summary, "a") as f:
            f.write(f"{RESULTS['pass']} {RESULTS['fail']} {RESULTS['skip']}\n")
    print(f"{RESULTS['pass']} passed, {RESULTS['fail']} failed", flush=True)
    sys.exit(1 if RESULTS["fail"] else 0)


if __name__ == "__main__":
    main()
