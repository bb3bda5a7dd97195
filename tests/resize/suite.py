#!/usr/bin/python3
"""Issue #13 ("change safety"): resizing and reconfiguring a running ensemble the way a user does
it, on the REAL control plane of tests/k8s with the REAL ZooKeeper of tests/pod, joined by the
bridge (tests/resize/bridge.py). See tests/resize/README.md.

    /usr/bin/python3 tests/resize/suite.py --bin-dir DIR      # as root; .ci/resize-suite does the set-up

Each step: edit the spec -> `zkc build` (again until it writes nothing) -> `kubectl apply
--server-side -k out/<ns>` -> wait for the rollout. A writer (one kazoo session through the client
Service's ready endpoints) creates a znode every ~5 ms the whole time and records every
acknowledged write; a monitor asks `srvr` of every running pod every 150 ms. Prints the figures
per sequence, PASS/FAIL lines, and last `N passed, M failed`; exit 1 on any failure.

Sequences (--only): config (a rolling restart, the baseline), 3-5-3, 1-3, tls-migration (issue
#14: quorum TLS off -> accept-tls -> send-tls -> on, one commit each, on a running ensemble),
and the negative controls one-step and wipe.
"""

import argparse
import atexit
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bridge as br  # noqa: E402  (puts tests/pod and tests/k8s on sys.path)
import image as image_mod  # noqa: E402
import kubelet as kl  # noqa: E402
from k8sharness import (ApiError, ControlPlane, FakeNodes, apply_dir, ensure_namespace,  # noqa: E402
                        ensure_storage_class, list_pods, log, pod_ready)

WORKLOAD = os.path.join(HERE, "workload.py")
PY = "/usr/bin/python3"
STS = "zookeeper"  # the ensemble's name; also the StatefulSet, the client Service and the pod prefix
CLIENT_PORT = 2181

# The acknowledgement of a resize in the spec. The FIRST form the zkc binary accepts is used (the
# syntax is changing from `acknowledge-resize=#true` to `acknowledge-resize-from=<old count>`):
# to force one, leave only that line.
ACK_FORMS = [
    "acknowledge-resize-from={old}",
    "acknowledge-resize=#true",
]

SPEC = """environment "{env}" {{
  namespace "{ns}"
  ensemble "{name}" {{
    servers {servers}
    resources cpu="250m" memory="512Mi"
    storage "1Gi"
{extra}    zoo-cfg {{
      four-letter-words "ruok" "srvr" "mntr" "conf"
    }}
  }}
}}
"""


class Report:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, name, detail=""):
        print(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok


R = Report()


def indent(text, n=6):
    return "\n".join(" " * n + l for l in text.rstrip().splitlines())


# --------------------------------------------------------------------------------- the project

class Project:
    """A spec directory and its out/, edited and built as a user does."""

    def __init__(self, root, zkc):
        self.root = root
        self.zkc = zkc
        self.specs = os.path.join(root, "specs")
        self.out = os.path.join(root, "out")
        os.makedirs(self.specs, exist_ok=True)
        self.ack_form = None

    def reset(self):
        """A new history: no spec, no out/ (a fresh ensemble is not a resize)."""
        shutil.rmtree(self.specs, ignore_errors=True)
        shutil.rmtree(self.out, ignore_errors=True)
        os.makedirs(self.specs)

    def path(self, env):
        return os.path.join(self.specs, f"{env}.kdl")

    def write(self, env, ns, servers, extra=""):
        """extra: more lines of the ensemble block (indented, each ending with a newline)."""
        with open(self.path(env), "w") as f:
            f.write(SPEC.format(env=env, ns=ns, name=STS, servers=servers, extra=extra))

    def read(self, env):
        with open(self.path(env)) as f:
            return f.read()

    def edit(self, env, fn):
        text = self.read(env)
        new = fn(text)
        with open(self.path(env), "w") as f:
            f.write(new)
        return new

    def set_servers(self, env, new, old=None):
        """`servers <new>`, with the acknowledgement of the resize from <old> when old is given."""
        line = f"servers {new}" + (" " + self.ack_form.format(old=old) if old is not None else "")
        return self.edit(env, lambda t: re.sub(r"(?m)^(\s*)servers \d+.*$", lambda m: m.group(1) + line, t, count=1))

    def has_ack(self, env):
        return bool(re.search(r"(?m)^\s*servers \d+ acknowledge", self.read(env)))

    def drop_ack(self, env):
        """Back to a bare `servers N` (the acknowledgement and its companions such as cold-restart=)."""
        return self.edit(env, lambda t: re.sub(r"(?m)^(\s*servers \d+) .*$", r"\1", t))

    def add_to_servers(self, env, prop):
        return self.edit(env, lambda t: re.sub(r"(?m)^(\s*servers \d+.*)$", lambda m: m.group(1) + " " + prop, t, count=1))

    def build(self):
        """(exit code, files written, output)."""
        p = subprocess.run([self.zkc, "--color", "never", "build", self.specs], cwd=self.root,
                           capture_output=True, text=True, timeout=120)
        out = (p.stdout + p.stderr).strip()
        m = re.search(r"(\d+) written", out)
        return p.returncode, int(m.group(1)) if m else None, out


def detect_ack_form(zkc, workdir):
    """The first form of ACK_FORMS this zkc binary accepts, tried on 4 -> 5 (a step every zkc so
    far builds as one rolling commit)."""
    for form in ACK_FORMS:
        d = tempfile.mkdtemp(dir=workdir, prefix="ackprobe-")
        p = Project(d, zkc)
        p.ack_form = form
        p.write("probe", "probe", 4)
        rc, _, out = p.build()
        if rc != 0:
            raise RuntimeError(f"zkc cannot build a 4-server spec:\n{out}")
        p.set_servers("probe", 5, 4)
        rc, written, out = p.build()
        shutil.rmtree(d, ignore_errors=True)
        if rc == 0 and written:
            return form
        log(f"zkc refuses `{form.format(old=4)}` (exit {rc}); trying the next form")
    raise RuntimeError("zkc accepts none of the acknowledgement forms " + ", ".join(ACK_FORMS))


# --------------------------------------------------------------------------------- the cluster

class Env:
    def __init__(self, args):
        self.args = args
        self.workdir = tempfile.mkdtemp(prefix="zkc-resize-suite-")
        self.zkc = os.path.join(self.workdir, "zkc")
        shutil.copy(args.zkc, self.zkc)  # a stable copy: the one at $ZKC may be rebuilt meanwhile
        self.plane = self.nodes = self.bridge = self.net = None
        self.procs = []

    def start(self):
        a = self.args
        self.image = image_mod.build(a.zk_version)
        self.net = kl.Network(os.getpid())
        self.client_ns, self.client_ip = self.net.add("client")
        self.plane = ControlPlane(a.bin_dir)
        if os.environ.get("ZKC_RESIZE_TMPDIRS") and not a.keep:  # removed by .ci/resize-suite if we die
            with open(os.environ["ZKC_RESIZE_TMPDIRS"], "a") as f:
                f.write(f"{self.workdir}\n{self.plane.dir}\n")
        self.plane.start()
        self.api = self.plane.api
        self.nodes = FakeNodes(self.api).start()
        ensure_storage_class(self.api, self.nodes, "zkc-ci-local", default=True)
        self.bridge = br.RealKubelet(self.api, self.image, os.path.join(self.workdir, "kubelet"), self.net, set(),
                                     readiness_period_max=a.readiness_period_max,
                                     stable_ips=a.pod_ips == "stable").start()
        return self

    def spawn(self, argv, log_path):
        """A client process inside the client network namespace (killed by its pid at the end)."""
        logf = open(log_path, "ab")
        p = subprocess.Popen(kl.in_netns(self.client_ns, argv), stdout=logf, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        logf.close()
        self.procs.append(p)
        if os.environ.get("ZKC_RESIZE_PIDFILE"):  # .ci/resize-suite kills these groups if we die
            with open(os.environ["ZKC_RESIZE_PIDFILE"], "a") as f:
                f.write(f"{p.pid}\n")
        return p

    def client(self, *args, timeout=180):
        p = subprocess.run(kl.in_netns(self.client_ns, [PY, WORKLOAD] + [str(a) for a in args]),
                           capture_output=True, text=True, timeout=timeout)
        lines = p.stdout.strip().splitlines()
        if p.returncode != 0 or not lines:
            return {"error": f"workload.py {args[0]} exited {p.returncode}: {p.stderr.strip()[-600:]}"}
        return json.loads(lines[-1])

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if self.bridge:
            self.bridge.stop()
        if self.nodes:
            self.nodes.stop()
        if self.plane:
            self.plane.stop()
        if self.net:
            self.net.cleanup()
        if self.args.keep:
            print(f"work directory kept: {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def sts_of(env, ns):
    return env.api.get_or_none(f"/apis/apps/v1/namespaces/{ns}/statefulsets/{STS}")


def rollout_done(sts):
    if not sts:
        return False
    st, n = sts.get("status", {}), sts["spec"]["replicas"]
    return (st.get("observedGeneration") == sts["metadata"]["generation"] and st.get("replicas") == n
            and st.get("updatedReplicas") == n and st.get("readyReplicas") == n
            and st.get("currentRevision") == st.get("updateRevision"))


def wait_rollout(env, ns, timeout, stall=None):
    """Until the rollout is complete (True), or `timeout` seconds, or `stall` seconds without any
    progress (no pod created, deleted or turning Ready: the controller is waiting for a pod that
    does not become Ready), whichever comes first. Returns (done, seconds)."""
    stall = stall or env.args.stall_timeout
    t0 = last_change = time.time()
    last = None
    while time.time() - t0 < timeout and time.time() - last_change < stall:
        try:
            sts = sts_of(env, ns)
            if rollout_done(sts):
                return True, time.time() - t0
            state = (json.dumps(sts.get("status", {}), sort_keys=True),
                     tuple(sorted((p["metadata"]["uid"], pod_ready(p)) for p in list_pods(env.api, ns))))
            if state != last:
                last, last_change = state, time.time()
        except (OSError, ApiError):
            pass
        time.sleep(0.5)
    return False, time.time() - t0


def pod_table(env, ns):
    rows = []
    for p in sorted(list_pods(env.api, ns), key=lambda p: p["metadata"]["name"]):
        md = p["metadata"]
        cs = (p.get("status", {}).get("containerStatuses") or [{}])[0]
        run = env.bridge.pods.get(md["uid"])
        rows.append(f"{md['name']} rev={md.get('labels', {}).get('controller-revision-hash', '')} "
                    f"phase={p.get('status', {}).get('phase')} ready={pod_ready(p)} restarts={cs.get('restartCount')} "
                    f"zoo.cfg servers={br.RealKubelet._server_ids(run.zoo_cfg) if run else '?'}"
                    + (" DELETING" if md.get("deletionTimestamp") else ""))
    return rows


def apply_ns(env, project, ns):
    """kubectl apply --server-side -k out/<ns>. A field conflict (spec.replicas set by `kubectl
    scale` in a cold step) is reported and the apply repeated with --force-conflicts, as Argo CD
    and Flux apply (both force their server-side applies)."""
    rc, out, err = apply_dir(env.plane, os.path.join(project.out, ns))
    if rc != 0 and "conflict" in err.lower():
        print(indent(f"kubectl apply: field conflict, applied again with --force-conflicts (as a GitOps controller does):\n"
                     + indent(err.strip(), 2)))
        rc, out, err = apply_dir(env.plane, os.path.join(project.out, ns), extra=("--force-conflicts",))
    if rc != 0:
        print(indent(f"kubectl apply exited {rc}:\n{err.strip()}"))
    return rc == 0


def start_ensemble(env, project, envname, ns, servers, extra="", before_apply=None):
    """A fresh ensemble, applied and rolled out before any measurement. extra: more lines of the
    ensemble block; before_apply(): called once the namespace exists (e.g. to create Secrets).
    Returns zkc's output of the first build."""
    env.bridge.add_namespace(ns)
    project.reset()
    project.write(envname, ns, servers, extra)
    rc, written, out = project.build()
    if rc != 0:
        raise RuntimeError(f"zkc build of the starting spec exited {rc}:\n{out}")
    ensure_namespace(env.api, ns)
    if before_apply:
        before_apply()
    if not apply_ns(env, project, ns):
        raise RuntimeError("kubectl apply of the starting spec failed")
    ok, secs = wait_rollout(env, ns, 180)
    if not ok:
        raise RuntimeError(f"the starting ensemble of {servers} in {ns} never rolled out:\n" + "\n".join(pod_table(env, ns)))
    log(f"{ns}: {servers} server(s) rolled out in {secs:.1f}s")
    return out


def delete_namespace(env, ns, timeout=120):
    """Deletes the namespace and waits until its pods are stopped and gone (not for the namespace
    object itself, which the namespace controller removes later)."""
    try:
        env.api.delete(f"/api/v1/namespaces/{ns}")
    except ApiError as e:
        if e.status != 404:
            raise
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            if not env.bridge.running_pods(ns) and not list_pods(env.api, ns):
                break
        except (OSError, ApiError):
            pass
        time.sleep(0.5)


# ------------------------------------------------------------------------------- the workload

class Workload:
    """The writer and the monitor of one sequence, and what feeds them (ready endpoints, pods)."""

    def __init__(self, env, ns, label):
        self.env, self.ns, self.label = env, ns, label
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        self.dir = os.path.join(env.workdir, "seq", slug)
        os.makedirs(self.dir)
        self.f = {k: os.path.join(self.dir, k) for k in ["endpoints.json", "targets.json", "acks.txt", "monitor.jsonl", "stop"]}
        self.root = f"/zkc-resize/{slug}"
        self.stop_ev = threading.Event()
        self.t_start = self.t_end = None
        self.windows = []  # (step label, start, end)

    @staticmethod
    def _write_json(path, obj):
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(obj, f)
        os.rename(tmp, path)

    def _feed(self):
        last_ep = last_tg = None
        while not self.stop_ev.is_set():
            try:
                slices = self.env.api.get(f"/apis/discovery.k8s.io/v1/namespaces/{self.ns}/endpointslices",
                                          labelSelector=f"kubernetes.io/service-name={STS}")["items"]
                ep = sorted({f"{a}:{CLIENT_PORT}" for s in slices for e in s.get("endpoints") or []
                             if (e.get("conditions") or {}).get("ready") for a in e.get("addresses", [])})
                if ep != last_ep:
                    self._write_json(self.f["endpoints.json"], ep)
                    last_ep = ep
            except (OSError, ApiError, ValueError):
                pass
            tg = {n: r.ip for n, r in self.env.bridge.running_pods(self.ns).items()}
            if tg != last_tg:
                self._write_json(self.f["targets.json"], tg)
                last_tg = tg
            self.stop_ev.wait(0.3)

    def start(self, interval):
        self._write_json(self.f["endpoints.json"], [])
        self._write_json(self.f["targets.json"], {})
        threading.Thread(target=self._feed, daemon=True).start()
        self.monitor = self.env.spawn([PY, WORKLOAD, "monitor", self.f["targets.json"], self.f["monitor.jsonl"], "0.15",
                                       str(CLIENT_PORT)], os.path.join(self.dir, "monitor.log"))
        self.writer = self.env.spawn([PY, WORKLOAD, "writer", self.f["endpoints.json"], self.f["acks.txt"], self.root,
                                      str(interval), self.f["stop"]], os.path.join(self.dir, "writer.log"))
        # the measurement starts with the first acknowledged write
        t0 = time.time()
        while time.time() - t0 < 60 and not self._acks(1):
            time.sleep(0.2)
        self.t_start = time.time()
        time.sleep(2)  # a few seconds of steady state before the first change

    def _acks(self, limit=None):
        out = []
        try:
            with open(self.f["acks.txt"]) as f:
                for line in f:
                    p = line.split()
                    if p and p[0] != "E":
                        out.append((int(p[0]), float(p[1]), float(p[2])))
                        if limit and len(out) >= limit:
                            break
        except OSError:
            pass
        return out

    def stop(self):
        time.sleep(2)  # a few seconds of steady state after the last change
        self.t_end = time.time()
        open(self.f["stop"], "w").close()
        for p in (self.writer, self.monitor):
            try:
                if p is self.monitor:
                    p.terminate()
                p.wait(40)
            except subprocess.TimeoutExpired:
                p.kill()
        self.stop_ev.set()

    def figures(self, members_expected):
        """Everything measured, as a dict."""
        acks = self._acks()
        errors = 0
        try:
            with open(self.f["acks.txt"]) as f:
                errors = sum(1 for l in f if l.startswith("E "))
        except OSError:
            pass
        times = sorted(t for _, _, t in acks)
        gap, gap_at = 0.0, None
        for a, b in zip([self.t_start] + times, times + [self.t_end]):
            if b - a > gap:
                gap, gap_at = b - a, a
        rounds = []
        try:
            with open(self.f["monitor.jsonl"]) as f:
                rounds = [json.loads(l) for l in f if l.strip()]
        except (OSError, ValueError):
            pass
        rounds = [r for r in rounds if self.t_start <= r["t"] <= self.t_end]
        max_leaders, two = 0, []
        no_q, no_q_at, since = 0.0, None, None
        for r in rounds:
            leaders = [n for n, (m, _) in r["m"].items() if m == "leader"]
            max_leaders = max(max_leaders, len(leaders))
            if len(leaders) >= 2:
                two.append((r["t"], {n: r["m"][n][1] for n in leaders}))
            serving = any(m in ("leader", "standalone") for m, _ in r["m"].values())
            if not serving and since is None:
                since = r["t"]
            elif serving and since is not None:
                if r["t"] - since > no_q:
                    no_q, no_q_at = r["t"] - since, since
                since = None
        if since is not None and self.t_end - since > no_q:
            no_q, no_q_at = self.t_end - since, since
        # read back through every server that serves at the end (the last monitor round says which)
        last = rounds[-1]["m"] if rounds else {}
        running = self.env.bridge.running_pods(self.ns)
        serving = [r for n, r in running.items() if last.get(n, ["x"])[0] in ("leader", "follower", "standalone")]
        servers = ",".join(f"{r.ip}:{CLIENT_PORT}" for r in serving)
        rb = self.env.client("readback", servers, self.root, self.f["acks.txt"]) if servers else {"error": "no serving server"}
        rb["not_serving"] = sorted(set(running) - {r.name for r in serving})
        lost = max((s["missing"] for s in rb.get("servers", {}).values()), default=None)
        per_step = []
        for label, a, b in self.windows:
            ts = [t for t in times if a <= t <= b]
            g = max((y - x for x, y in zip([a] + ts, ts + [b])), default=b - a)
            nq, since = 0.0, None
            for r in rounds:
                if not a <= r["t"] <= b:
                    continue
                serving = any(m in ("leader", "standalone") for m, _ in r["m"].values())
                if not serving and since is None:
                    since = r["t"]
                elif serving and since is not None:
                    nq, since = max(nq, r["t"] - since), None
            if since is not None:
                nq = max(nq, b - since)
            per_step.append((label, g, nq))
        return {"per_step": per_step, "duration": self.t_end - self.t_start, "acked": len(acks), "errors": errors, "gap": gap,
                "gap_at": gap_at, "lost": lost, "readback": rb, "max_leaders": max_leaders, "two_leader_rounds": two,
                "rounds": len(rounds), "no_quorum": no_q, "no_quorum_at": no_q_at}


def when(t, t0):
    return f"+{t - t0:.1f}s" if t is not None and t0 is not None else "-"


# -------------------------------------------------------------------------------- the steps

def converge(env, project, envname, ns, label, timeout):
    """`zkc build` until it writes nothing, applying and waiting for the rollout after every build
    that wrote something. Removes the acknowledgement when zkc rejects or flags it. Returns
    (ok, [phase records])."""
    phases = []
    for attempt in range(8):
        rc, written, out = project.build()
        ack = project.has_ack(envname)
        flagged = ack and re.search(r"ZK005[89]|acknowledge", out) and (rc != 0 or written == 0)
        if rc != 0 and "ZK0069" in out and ack and "cold-restart" not in project.read(envname):
            # a step ZooKeeper cannot roll through: the documented cold procedure (docs/changing.md)
            print(indent(f"{label}: zkc build exited {rc}:\n{out}"))
            t_cold = time.time()
            r = env.plane.kubectl("-n", ns, "scale", "statefulset", STS, "--replicas=0")
            if r.returncode != 0:
                print(indent(f"kubectl scale exited {r.returncode}: {r.stderr.strip()}"))
                return False, phases
            deadline = time.time() + 120
            while time.time() < deadline and (list_pods(env.api, ns) or env.bridge.running_pods(ns)):
                time.sleep(0.3)
            left = [p["metadata"]["name"] for p in list_pods(env.api, ns)]
            phases.append({"written": 0, "seconds": time.time() - t_cold, "ok": not left, "replicas": 0, "revision": "cold stop"})
            log(f"{label}: cold step: scaled to 0, no server pod left after {time.time() - t_cold:.1f}s")
            if left:
                print(indent(f"{label}: pods still there after the scale to 0: {left}"))
                return False, phases
            project.add_to_servers(envname, "cold-restart=#true")
            print(indent(f"{label}: every server stopped; `cold-restart=#true` added, building again"))
            continue
        if rc != 0:
            print(indent(f"{label}: zkc build exited {rc}:\n{out}"))
            if ack:
                project.drop_ack(envname)
                print(indent(f"{label}: acknowledgement removed from the spec, building again"))
                continue
            return False, phases
        if written == 0:
            if flagged:
                print(indent(f"{label}: zkc flags the acknowledgement:\n{out}"))
                project.drop_ack(envname)
                print(indent(f"{label}: acknowledgement removed from the spec, building again"))
                continue
            return True, phases
        sts_before = sts_of(env, ns)
        log(f"{label}: build {attempt + 1} wrote {written} file(s); applying")
        if not apply_ns(env, project, ns):
            return False, phases
        ok, secs = wait_rollout(env, ns, timeout)
        sts = sts_of(env, ns)
        phases.append({"written": written, "seconds": secs, "ok": ok, "replicas": sts["spec"]["replicas"],
                       "revision": sts.get("status", {}).get("updateRevision")})
        log(f"{label}: phase {len(phases)}: replicas {sts_before['spec']['replicas']} -> {sts['spec']['replicas']}, "
            f"rollout {'complete' if ok else 'NOT complete'} after {secs:.1f}s")
        if not ok:
            print(indent(f"{label}: the rollout did not complete (no progress for {env.args.stall_timeout}s, or "
                         f"{timeout}s in all):\n" + "\n".join(pod_table(env, ns))))
            return False, phases
    print(indent(f"{label}: zkc still writes files after 8 builds"))
    return False, phases


def members_check(env, ns, n, name):
    """The final ensemble: n pods running, one leader, the others followers (standalone for one),
    every server's `conf` and /zookeeper/config listing exactly servers 1..n at their pod names."""
    running = env.bridge.running_pods(ns)
    want = {f"server.{i}={STS}-{i}.{STS}-headless.{ns}.svc:2888:3888" for i in range(1, n + 1)}
    problems, notes = [], []
    if sorted(running) != sorted(f"{STS}-{i}" for i in range(1, n + 1)):
        problems.append(f"running pods {sorted(running)}")
    res = env.client("members", ",".join(f"{r.ip}:{CLIENT_PORT}" for r in running.values())) if running else {}
    by_ip = {r.ip: name_ for name_, r in running.items()}
    modes = {}
    for srv, r in (res.items() if isinstance(res, dict) and "error" not in res else []):
        pod = by_ip.get(srv.rsplit(":", 1)[0], srv)
        modes[pod] = r.get("mode")
        conf = r.get("conf")
        conf_set = {c.split(";")[0].replace(":participant", "") for c in conf} if isinstance(conf, list) else conf
        if conf_set != want:
            problems.append(f"{pod} conf {conf}")
        cfg = r.get("config")
        cfg_set = {c.split(";")[0].replace(":participant", "") for c in cfg} if isinstance(cfg, list) else cfg
        if n > 1 and cfg_set != want:
            notes.append(f"{pod} /zookeeper/config lists {sorted(cfg_set) if isinstance(cfg_set, set) else cfg_set}")
    if "error" in res:
        problems.append(res["error"])
    ms = sorted(modes.values(), key=str)
    expect = ["standalone"] if n == 1 else ["follower"] * (n - 1) + ["leader"]
    if ms != sorted(expect):
        problems.append(f"modes {modes}")
    cfgs = {nm: br.RealKubelet._server_ids(r.zoo_cfg) for nm, r in running.items()}
    if any(v != list(range(1, n + 1)) for v in cfgs.values()):
        problems.append(f"zoo.cfg servers per pod {cfgs}")
    ok = R.check(not problems, f"{name}: the final ensemble has servers 1..{n} (srvr modes, conf, zoo.cfg)",
                 "; ".join(problems) if problems else f"modes {dict(sorted(modes.items()))}")
    # With reconfigEnabled=false no server acts on /zookeeper/config, but clients that follow it
    # (Curator's EnsembleTracker) would: a server whose copy lists other members is reported.
    for note in notes:
        print(f"NOTE {name}: {note} (its `conf` lists servers 1..{n})", flush=True)
    return ok


SUMMARY = []


def report(name, steps, fig, rollouts_ok, env, ns, n_expected, control=False):
    print(f"\n---- {name}")
    print(f"  steps: {' ; '.join(steps)}")
    if len(fig.get("per_step", [])) > 1:
        print("  per step, longest write gap / longest time without a serving quorum: "
              + ", ".join(f"{l} {g * 1000:.0f} ms / {q:.1f} s" for l, g, q in fig["per_step"]))
    print(f"  duration {fig['duration']:.1f}s; writes acknowledged {fig['acked']} (failed/unacknowledged {fig['errors']}); "
          f"longest write gap {fig['gap'] * 1000:.0f} ms (at {when(fig['gap_at'], fig.get('t0'))})")
    rb = fig["readback"]
    print(f"  acknowledged writes lost: {fig['lost']} (read back through {len(rb.get('servers', {}))} serving server(s)"
          + (f"; not serving, not read: {rb['not_serving']}" if rb.get("not_serving") else "")
          + (f"; errors {rb.get('errors') or rb.get('error')}" if rb.get("errors") or rb.get("error") else "") + ")")
    for s, r in rb.get("servers", {}).items():
        if r["missing"]:
            print(f"    {s}: {r['missing']} missing, e.g. {r['missing_sample'][:8]}")
    print(f"  max simultaneous leaders {fig['max_leaders']} ({len(fig['two_leader_rounds'])} of {fig['rounds']} monitor rounds with two or more)"
          + "".join(f"\n    {when(t, fig.get('t0'))}: leaders {l}" for t, l in fig["two_leader_rounds"][:6]))
    print(f"  longest time without a serving quorum (no server in Mode leader/standalone) {fig['no_quorum']:.1f}s "
          f"(from {when(fig['no_quorum_at'], fig.get('t0'))})")
    if env.bridge.config_skew:
        print(f"  pods that started with another revision's zoo.cfg: {env.bridge.config_skew}")
    SUMMARY.append((name, len(steps), fig))
    lost_ok = fig["lost"] == 0 and not rb.get("errors") and not rb.get("error")
    checks = [(lost_ok, "no acknowledged write lost", f"{fig['lost']} of {fig['acked']} lost" + (f"; read-back errors {rb.get('errors') or rb.get('error')}" if not lost_ok and fig["lost"] == 0 else "")),
              (fig["max_leaders"] <= 1, "never two leaders", f"max {fig['max_leaders']} in one round"),
              (rollouts_ok, "every step's rollout completes", "")]
    if control:
        return checks
    for ok, what, detail in checks:
        R.check(ok, f"{name}: {what}", detail)
    members_check(env, ns, n_expected, name)
    return checks


def sequence(env, project, name, envname, ns, start, steps, interval, fresh=True):
    """steps: list of ("servers", new) or ("config", fn). fresh: start a new ensemble of `start`
    servers first; otherwise measure the one an earlier sequence left running."""
    if fresh:
        start_ensemble(env, project, envname, ns, start)
    wl = Workload(env, ns, name)
    wl.start(interval)
    t0 = wl.t_start
    labels, ok_all, cur = [], True, start
    try:
        for kind, arg in steps:
            t_step = time.time()
            if kind == "servers":
                project.set_servers(envname, arg, cur)
                label = f"{cur}->{arg}"
            else:
                project.edit(envname, arg)
                label = "config change"
            log(f"{name}: step {label}")
            ok, phases = converge(env, project, envname, ns, f"{name} {label}", timeout=env.args.rollout_timeout)
            wl.windows.append((label, t_step, time.time()))
            labels.append(f"{label} ({len(phases)} phase(s): " + ", ".join(
                (f"cold stop {p['seconds']:.0f}s" if p["revision"] == "cold stop" else f"{p['replicas']} replicas {p['seconds']:.0f}s")
                for p in phases)
                          + f"; {time.time() - t_step:.0f}s; at {when(t_step, t0)})")
            if not ok:
                ok_all = False
                target = arg if kind == "servers" else cur
                break
            if kind == "servers":
                cur = arg
    finally:
        wl.stop()
    fig = wl.figures(cur)
    fig["t0"] = t0
    report(name, labels, fig, ok_all, env, ns, cur if ok_all else target)
    return cur


# ------------------------------------------------------------------- quorum TLS, phase by phase

HANDSHAKE = os.path.join(REPO, "tests", "pod", "tls_handshake.py")
TLS_SECRET = "zk-tls"
TLS_PHASES = ["off", "accept-tls", "send-tls", "on"]
TLS_LINE = '    tls {{ secret "' + TLS_SECRET + '"; quorum "{phase}" }}\n'
# What each phase must look like on every server once its rollout is complete (zoo.cfg per phase
# in docs/security.md). ZooKeeper 3.9.4's own log lines: QuorumPeer logs "Using TLS encrypted
# quorum communication" or "Using insecure (non-TLS) quorum communication"; QuorumCnxManager's
# listener "Creating TLS-enabled quorum server socket" (portUnification: TLS and plain) or
# "Creating TLS-only quorum server socket" (sslQuorum alone), and "SSL handshake complete with
# <peer>" for every election connection it opens over TLS; UnifiedServerSocket "Blocked insecure
# connection attempt" when a plain peer meets a TLS-only socket.
TLS_EXPECT = {
    #             (sends TLS, listener socket, accepts a TLS handshake, TLS-only: blocks plain)
    "off":        (False, "plain", False, False),
    "accept-tls": (False, "TLS-enabled", True, False),
    "send-tls":   (True, "TLS-enabled", True, False),
    "on":         (True, "TLS-only", True, True),
}
# a plain election-port greeting that is no protocol version ZooKeeper knows (-1): a server that
# takes it as plain closes the connection at once ("unrecognized protocol version")
PLAIN_GREETING = "\\377" * 16


def _openssl(*argv):
    p = subprocess.run(["openssl", *argv], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"openssl {argv[0]} exited {p.returncode}: {p.stderr.strip()[-400:]}")
    return p.stdout


def make_pki(d, server_sans, client_ip):
    """A CA; the servers' certificate (one for all, as cert-manager's Certificate) with a PKCS#8
    key and `server_sans`; a client certificate with the client namespace's address (the
    accepting server checks the caller's certificate against its address, fips-mode=false).
    Returns the servers' certificate serial (`serial=…`)."""
    os.makedirs(d)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=zkc-resize-ca",
             "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.crt")
    for name, sans in [("server", server_sans), ("client", [f"IP:{client_ip}", "DNS:client"])]:
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", f"{d}/{name}.key")
        _openssl("req", "-new", "-key", f"{d}/{name}.key", "-subj", f"/CN={name}", "-out", f"{d}/{name}.csr")
        with open(f"{d}/{name}.ext", "w") as f:
            f.write("subjectAltName=" + ",".join(sans) + "\nextendedKeyUsage=serverAuth,clientAuth\n")
        _openssl("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.crt", "-CAkey", f"{d}/ca.key",
                 "-CAcreateserial", "-days", "2", "-extfile", f"{d}/{name}.ext", "-out", f"{d}/{name}.crt")
    return _openssl("x509", "-noout", "-serial", "-in", f"{d}/server.crt").strip()


def certificate_names(env, envname, ns, servers):
    """The DNS names of the Certificate zkc emits for the same ensemble with a cert-manager issuer
    (what cert-manager would put in the Secret's certificate), from a throw-away build."""
    d = tempfile.mkdtemp(dir=env.workdir, prefix="certnames-")
    try:
        p = Project(d, env.zkc)
        p.write(envname, ns, servers, '    tls { issuer "zk-ca" kind="ClusterIssuer"; quorum "on" }\n')
        rc, _, out = p.build()
        if rc != 0:
            raise RuntimeError(f"zkc build with a tls issuer exited {rc}:\n{out}")
        certs = kl.load_namespace(os.path.join(p.out, ns)).get("Certificate", [])
        if not certs:
            raise RuntimeError("zkc emitted no Certificate for `tls { issuer … }`")
        return certs[0]["spec"]["dnsNames"]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def create_tls_secret(env, ns, d):
    """The Secret `zk-tls` in the layout docs/security.md asks for with `tls { secret }`:
    tls-combined.pem (the PKCS#8 key, then the certificate) and ca.crt."""
    def read(path):
        with open(path, "rb") as f:
            return f.read()
    data = {"tls-combined.pem": read(f"{d}/server.key") + read(f"{d}/server.crt"), "ca.crt": read(f"{d}/ca.crt")}
    env.api.post(f"/api/v1/namespaces/{ns}/secrets",
                 {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                  "metadata": {"name": TLS_SECRET, "namespace": ns},
                  "data": {k: base64.b64encode(v).decode() for k, v in data.items()}})


def set_tls_phase(project, envname, phase):
    return project.edit(envname, lambda t: re.sub(r'quorum "[a-z-]+"', f'quorum "{phase}"', t, count=1))


def _log_size(r):
    try:
        return os.path.getsize(r.main().log_path)
    except OSError:
        return 0


def _log_text(r, since=0):
    try:
        with open(r.main().log_path, errors="replace") as f:
            f.seek(since)
            return f.read()
    except OSError:
        return ""


def quorum_tls_state(env, ns, pki, serial):
    """Per running server: the election port 3888 probed from the client namespace (a TLS
    handshake with the client certificate; then a plain greeting), and what the server's own log
    says about its quorum TLS since it started. Probes run in parallel (~4 s in all)."""
    running = env.bridge.running_pods(ns)
    state = {}

    def handshake(ip, port):
        argv = [PY, HANDSHAKE, ip, str(port), f"{pki}/ca.crt", f"{pki}/client.crt", f"{pki}/client.key"]
        try:
            p = subprocess.run(kl.in_netns(env.client_ns, argv), capture_output=True, text=True, timeout=30)
            return json.loads(p.stdout.strip().splitlines()[-1])
        except (subprocess.TimeoutExpired, IndexError, ValueError) as e:
            return {"handshake": False, "serial": "", "refused": f"{type(e).__name__}"}

    def probe(name, r):
        hs = handshake(r.ip, 3888)
        # the quorum port: only the leader listens on it (its learners connect there)
        hs2 = handshake(r.ip, 2888)
        mark = _log_size(r)
        subprocess.run(kl.in_netns(env.client_ns, ["sh", "-c", f"printf '{PLAIN_GREETING}' | nc -w 2 {r.ip} 3888"]),
                       capture_output=True, timeout=20)
        time.sleep(1)
        blocked = "Blocked insecure connection attempt" in _log_text(r, mark)
        text = _log_text(r)
        state[name] = {
            "tls_handshake": bool(hs["handshake"] and not hs["refused"]),
            "cert": hs.get("serial") == serial,
            "refused": hs.get("refused", ""),
            "listens_2888": "Connection refused" not in hs2.get("refused", ""),
            "tls_2888": bool(hs2["handshake"] and not hs2["refused"]) and hs2.get("serial") == serial,
            "sends_tls": "Using TLS encrypted quorum communication" in text,
            "insecure": "Using insecure (non-TLS) quorum communication" in text,
            "socket": ("TLS-only" if "Creating TLS-only quorum server socket" in text else
                       "TLS-enabled" if "Creating TLS-enabled quorum server socket" in text else "plain"),
            "tls_out": text.count("SSL handshake complete with"),
            "blocked_plain": blocked,
            "sample": next((l.strip()[l.strip().index("SSL handshake complete"):][:150]
                            for l in text.splitlines() if "SSL handshake complete with" in l), ""),
        }
    threads = [threading.Thread(target=probe, args=(n, r), daemon=True) for n, r in sorted(running.items())]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return state


def tls_phase_check(name, phase, state, n):
    """Every server must be in the phase's mode (TLS_EXPECT)."""
    sends, socket_kind, accepts, blocks = TLS_EXPECT[phase]
    bad = []
    for pod, s in sorted(state.items()):
        why = []
        if s["sends_tls"] != sends or s["insecure"] == sends:
            why.append("logs " + ("TLS" if s["sends_tls"] else "insecure" if s["insecure"] else "no") + " quorum communication")
        if (s["tls_out"] > 0) != sends:
            why.append(f"{s['tls_out']} outgoing TLS handshakes logged")
        if s["socket"] != socket_kind:
            why.append(f"{s['socket']} listener")
        if s["tls_handshake"] != accepts or (accepts and not s["cert"]):
            why.append("3888 " + (f"TLS handshake accepted (our certificate: {s['cert']})" if s["tls_handshake"]
                                  else f"no TLS handshake ({s['refused'][:60]})"))
        if s["blocked_plain"] != blocks:
            why.append("a plain greeting " + ("blocked" if s["blocked_plain"] else "not blocked"))
        if why:
            bad.append(f"{pod}: " + ", ".join(why))
    if len(state) != n:
        bad.append(f"{len(state)} servers running, not {n}")
    leaders = [p for p, s in sorted(state.items()) if s["listens_2888"]]
    if len(leaders) != 1:
        bad.append(f"servers listening on 2888: {leaders}")
    elif state[leaders[0]]["tls_2888"] != accepts:
        bad.append(f"{leaders[0]} (leader) 2888 " + ("accepts" if state[leaders[0]]["tls_2888"] else "refuses") + " a TLS handshake")
    summary = (f"every server: {'sends TLS' if sends else 'sends plain'}, {socket_kind} listener on 3888, "
               f"TLS handshake {'accepted' if accepts else 'refused'} on 3888 and the leader's 2888, "
               f"plain {'blocked' if blocks else 'accepted'} on 3888")
    what = "before the migration (negative control): no quorum TLS" if phase == "off" else f"after `quorum \"{phase}\"`"
    return R.check(not bad, f"{name}: {what}: {summary}", "; ".join(bad) if bad else
                   ", ".join(f"{p} {s['tls_out']} TLS handshake(s) logged" for p, s in sorted(state.items())))


def control_tls_skip(env, project, envname):
    """zkc must refuse quorum TLS off -> on in one commit (ZK0084, exit 1) and write nothing: the
    built project (spec and out/ with quorum off) copied, the copy's spec set to "on", built."""
    d = tempfile.mkdtemp(dir=env.workdir, prefix="tls-skip-")
    other = Project(d, env.zkc)
    shutil.copytree(project.specs, other.specs, dirs_exist_ok=True)
    shutil.copytree(project.out, other.out)

    def snapshot():
        out = {}
        for base, _, files in os.walk(other.out):
            for f in files:
                with open(os.path.join(base, f), "rb") as fh:
                    out[os.path.relpath(os.path.join(base, f), other.out)] = fh.read()
        return out
    before = snapshot()
    set_tls_phase(other, envname, "on")
    rc, written, out = other.build()
    unchanged = snapshot() == before
    print(indent(f"negative control: `quorum \"on\"` over out/ with quorum off: zkc build exited {rc}:\n{out}"))
    R.check(rc == 1 and "ZK0084" in out and unchanged,
            "negative control: zkc refuses quorum TLS off -> on in one commit (ZK0084, exit 1, out/ unchanged)",
            f"exit {rc}, ZK0084 {'in' if 'ZK0084' in out else 'NOT in'} the output, out/ {'unchanged' if unchanged else 'CHANGED'}")
    shutil.rmtree(d, ignore_errors=True)


def tls_migration(env, project, interval):
    """A running 3-server ensemble moved to quorum TLS with no downtime, the admin guide's
    procedure in zkc's phases: off -> accept-tls -> send-tls -> on, one commit and one rolling
    restart each, the writer running throughout. The Secret is made with openssl (the names of
    the Certificate zkc would emit) and created in the API server before the first apply; the
    bridge mounts it from there."""
    envname = ns = "tlsmig"
    name = "quorum TLS off->accept-tls->send-tls->on"
    pki = os.path.join(env.workdir, "pki-tlsmig")
    sans = certificate_names(env, envname, ns, 3)
    serial = make_pki(pki, [f"DNS:{n}" for n in sans], env.client_ip)
    log(f"{name}: server certificate {serial} for {len(sans)} names ({sans[0]}, …), client certificate for {env.client_ip}")
    out = start_ensemble(env, project, envname, ns, 3, extra=TLS_LINE.format(phase="off"),
                         before_apply=lambda: create_tls_secret(env, ns, pki))
    if "warning" in out and not re.search(r"\b0 warning", out):  # ZK0057: the secret has no effect yet
        print(indent(f"zkc build of the starting spec (quorum off) exited 0 with warnings:\n{out}"))
    control_tls_skip(env, project, envname)
    tls_phase_check(name, "off", quorum_tls_state(env, ns, pki, serial), 3)
    wl = Workload(env, ns, name)
    wl.start(interval)
    t0 = wl.t_start
    labels, ok_all, states = [], True, {}
    try:
        for prev, phase in zip(TLS_PHASES, TLS_PHASES[1:]):
            t_step = time.time()
            set_tls_phase(project, envname, phase)
            label = f"{prev}->{phase}"
            log(f"{name}: step {label}")
            ok, phases = converge(env, project, envname, ns, f"{name} {label}", timeout=env.args.rollout_timeout)
            wl.windows.append((label, t_step, time.time()))
            labels.append(f"{label} ({len(phases)} phase(s): "
                          + ", ".join(f"{p['replicas']} replicas {p['seconds']:.0f}s" for p in phases)
                          + f"; {time.time() - t_step:.0f}s; at {when(t_step, t0)})")
            if not ok:
                ok_all = False
                break
            states[phase] = quorum_tls_state(env, ns, pki, serial)
    finally:
        wl.stop()
    fig = wl.figures(3)
    fig["t0"] = t0
    report(name, labels, fig, ok_all, env, ns, 3)
    for phase, state in states.items():
        tls_phase_check(name, phase, state, 3)
    if "on" in states:
        sample = next((s["sample"] for s in states["on"].values() if s["sample"]), "")
        if sample:
            print(f"  quorum after the migration: {sample}")
    delete_namespace(env, ns)


# ------------------------------------------------------------------------- negative controls

def modes_of(env, ns):
    """{pod name: srvr Mode} of the running pods of ns."""
    running = env.bridge.running_pods(ns)
    res = env.client("members", ",".join(f"{r.ip}:{CLIENT_PORT}" for r in running.values())) if running else {}
    by_ip = {r.ip: name for name, r in running.items()}
    if not isinstance(res, dict) or "error" in res:
        return {}
    return {by_ip.get(srv.rsplit(":", 1)[0], srv): r.get("mode") for srv, r in res.items()}


def lead_with(env, ns, pod, tries=4):
    """Deletes whichever pod leads until `pod` does (with equal data the election prefers the
    highest id, so one deletion usually suffices). Returns the modes seen last."""
    for _ in range(tries):
        modes = modes_of(env, ns)
        leaders = [p for p, m in modes.items() if m == "leader"]
        if leaders == [pod]:
            return modes
        if len(leaders) == 1:
            old_uid = env.api.get(f"/api/v1/namespaces/{ns}/pods/{leaders[0]}")["metadata"]["uid"]
            log(f"{ns}: {leaders[0]} leads; deleting it so that {pod} leads")
            env.api.delete(f"/api/v1/namespaces/{ns}/pods/{leaders[0]}")
            t = time.time()
            while time.time() - t < 120:
                p = env.api.get_or_none(f"/api/v1/namespaces/{ns}/pods/{leaders[0]}")
                if p and p["metadata"]["uid"] != old_uid and pod_ready(p):
                    break
                time.sleep(0.3)
        time.sleep(2)
    return modes_of(env, ns)


def control_one_step(env, project, interval, attempts=2):
    """3 -> 5 in ONE commit (a build of `servers 5` with no out/ to compare against: replicas 5 and
    a 5-server zoo.cfg, what skipping the step rule emits) applied over a running 3-server
    ensemble. PASSes when at least one of the suite's checks catches it.

    The danger is a race with one precondition: server 3, the first the StatefulSet controller
    restarts, leads (as it usually does after a parallel start: the election prefers the highest
    id). Servers 4 and 5 follow it; when it stops, 1 and 2 elect a leader on the 3-server list
    while 3, 4 and 5 are a majority of the 5-server list and elect another. When 1 or 2 leads
    instead, 3, 4 and 5 follow it and the rollout ends without a second leader (seen in CI). So
    the control makes server 3 lead first and has `attempts` runs to show the danger."""
    name = "negative control: 3->5 in one step"
    caught = []
    for attempt in range(1, attempts + 1):
        # a namespace per attempt: the previous one is still terminating
        envname = ns = "resize-neg" if attempt == 1 else f"resize-neg-{attempt}"
        start_ensemble(env, project, envname, ns, 3)
        modes = lead_with(env, ns, f"{STS}-3")
        log(f"{name}: attempt {attempt}, modes before the commit {dict(sorted(modes.items()))}")
        other = Project(os.path.join(env.workdir, "one-step"), env.zkc)
        other.write(envname, ns, 5)
        rc, written, out = other.build()
        if rc != 0:
            return R.check(False, f"{name}: build", out)
        wl = Workload(env, ns, f"{name} attempt {attempt}")
        wl.start(interval)
        t0 = wl.t_start
        try:
            apply_ns(env, other, ns)
            ok, secs = wait_rollout(env, ns, env.args.rollout_timeout)
            log(f"{name}: rollout {'complete' if ok else 'NOT complete'} after {secs:.1f}s")
            if not ok:
                print(indent("\n".join(pod_table(env, ns))))
            time.sleep(5)
        finally:
            wl.stop()
        fig = wl.figures(5)
        fig["t0"] = t0
        leaders = sorted(p for p, m in modes.items() if m == "leader")
        steps = [f"attempt {attempt} of {attempts}: 3->5 applied at once, leading before: {', '.join(leaders) or 'none'} "
                 f"(rollout {secs:.0f}s)"]
        checks = report(name, steps, fig, ok, env, ns, 5, control=True)
        caught = [what for good, what, _ in checks if not good]
        delete_namespace(env, ns)
        if caught:
            break
    R.check(bool(caught), f"{name}: the suite's checks catch it (must)",
            f"caught by: {', '.join(caught)} (attempt {attempt} of {attempts})" if caught
            else f"no check failed in {attempts} attempts: these runs did not show the danger")


def control_wipe(env, project, interval):
    """One server's data lost: a 1-server ensemble whose volume is wiped between its pod's deletion
    and the replacement's start (a replaced disk). The lost-write check must fire."""
    envname, ns = "resize-wipe", "resize-wipe"
    name = "negative control: one server's data wiped"
    start_ensemble(env, project, envname, ns, 1)
    wl = Workload(env, ns, name)
    wl.start(interval)
    t0 = wl.t_start
    try:
        time.sleep(3)
        env.bridge.wipe_volume_before_next_start(ns, f"data-{STS}-1")
        old_uid = env.api.get(f"/api/v1/namespaces/{ns}/pods/{STS}-1")["metadata"]["uid"]
        env.api.delete(f"/api/v1/namespaces/{ns}/pods/{STS}-1")
        t_del, ok = time.time(), False
        while time.time() - t_del < 120 and not ok:
            p = env.api.get_or_none(f"/api/v1/namespaces/{ns}/pods/{STS}-1")
            ok = bool(p) and p["metadata"]["uid"] != old_uid and pod_ready(p)
            time.sleep(0.3)
        secs = time.time() - t_del
        time.sleep(3)
    finally:
        wl.stop()
    fig = wl.figures(1)
    fig["t0"] = t0
    checks = report(name, [f"pod deleted, volume wiped, pod recreated (Ready {secs:.0f}s after the delete)"], fig, ok, env, ns, 1, control=True)
    lost_check = checks[0]
    R.check(not lost_check[0], f"{name}: the lost-write check fires (must)", lost_check[2])
    delete_namespace(env, ns)


# ------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", required=True, help="etcd and the Kubernetes binaries (.ci/k8s/build-k8s prints it)")
    ap.add_argument("--zkc", default=os.environ.get("ZKC", "/work/main/target/debug/zkc"))
    ap.add_argument("--zk-version", default="3.9.4", choices=sorted(image_mod.VERSIONS))
    ap.add_argument("--interval", type=float, default=0.005, help="seconds between writes (after each acknowledgement)")
    ap.add_argument("--readiness-period-max", type=int, default=None,
                    help="run readiness probes at most this many seconds apart (default: the period as emitted)")
    ap.add_argument("--pod-ips", choices=["stable", "new"], default="stable",
                    help="stable: a recreated pod keeps its predecessor's address (default; fits the time budget); "
                         "new: every pod gets a new address, as on a real cluster (peers' JVMs then keep the old "
                         "address cached for up to 30 s: each restarted server takes ~25 s longer to rejoin)")
    ap.add_argument("--rollout-timeout", type=int, default=300, help="seconds a rollout may take in all")
    ap.add_argument("--stall-timeout", type=int, default=100,
                    help="seconds without any progress after which a rollout counts as deadlocked")
    ap.add_argument("--only", default="config,3-5-3,1-3,tls-migration,one-step,wipe",
                    help="comma-separated: config, 3-5-3, 1-3, tls-migration, one-step, wipe")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (pod logs, volumes, acks)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the resize suite needs root (network namespaces, bubblewrap, setpriv)")
    for tool in ["bwrap", "nsenter", "setpriv", "ip", "nc", "kubectl"]:
        if not shutil.which(tool):
            sys.exit(f"missing {tool}: run .ci/pod-runner and .ci/k8s/run-suite first")
    only = set(args.only.split(","))
    started = time.time()
    env = Env(args)
    atexit.register(env.stop)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    env.start()
    project = Project(os.path.join(env.workdir, "project"), env.zkc)
    project.ack_form = detect_ack_form(env.zkc, env.workdir)
    log(f"zkc {subprocess.run([env.zkc, '--version'], capture_output=True, text=True).stdout.strip()}; "
        f"resize acknowledged as `servers N {project.ack_form}`; readiness period "
        + (f"capped at {args.readiness_period_max}s" if args.readiness_period_max else "as emitted")
        + f"; pod addresses {args.pod_ips}")
    bump = lambda t: t.replace("four-letter-words", "max-client-cnxns 100\n      four-letter-words", 1)  # noqa: E731
    left = None  # servers of the ensemble the config sequence left running in namespace resize
    if "config" in only:
        try:
            left = sequence(env, project, "plain config change (rolling restart)", "resize", "resize", 3,
                            [("config", bump)], args.interval)
        except Exception as e:
            R.check(False, "plain config change: ran to the end", f"{type(e).__name__}: {e}")
            traceback.print_exc()
    if "3-5-3" in only:
        try:
            if left != 3:
                delete_namespace(env, "resize")
            sequence(env, project, "3->5->3, one server per commit", "resize", "resize", 3,
                     [("servers", 4), ("servers", 5), ("servers", 4), ("servers", 3)], args.interval, fresh=left != 3)
        except Exception as e:
            R.check(False, "3->5->3: ran to the end", f"{type(e).__name__}: {e}")
            traceback.print_exc()
    delete_namespace(env, "resize")
    if "1-3" in only:
        try:
            sequence(env, project, "1->3, one server per commit", "resize-one", "resize-one", 1,
                     [("servers", 2), ("servers", 3)], args.interval)
        except Exception as e:
            R.check(False, "1->3: ran to the end", f"{type(e).__name__}: {e}")
            traceback.print_exc()
        delete_namespace(env, "resize-one")
    if "tls-migration" in only:
        try:
            tls_migration(env, project, args.interval)
        except Exception as e:
            R.check(False, "tls-migration: ran to the end", f"{type(e).__name__}: {e}")
            traceback.print_exc()
            delete_namespace(env, "tlsmig")
    for key, fn in [("one-step", control_one_step), ("wipe", control_wipe)]:
        if key in only:
            try:
                fn(env, project, args.interval)
            except Exception as e:
                R.check(False, f"{key} control: ran to the end", f"{type(e).__name__}: {e}")
                traceback.print_exc()
    print(f"\n==== summary ({time.time() - started:.0f}s)")
    print(f"  {'sequence':45} {'steps':>5} {'secs':>6} {'acked':>7} {'lost':>5} {'gap ms':>7} {'leaders':>7} {'no-quorum s':>11}")
    for name, nsteps, f in SUMMARY:
        print(f"  {name[:45]:45} {nsteps:>5} {f['duration']:>6.0f} {f['acked']:>7} {str(f['lost']):>5} {f['gap'] * 1000:>7.0f} "
              f"{f['max_leaders']:>7} {f['no_quorum']:>11.1f}")
    if env.bridge.errors:
        print(f"  bridge API errors ({len(env.bridge.errors)}): {env.bridge.errors[:5]}")
    print(f"{R.passed} passed, {R.failed} failed", flush=True)
    sys.exit(1 if R.failed else 0)


if __name__ == "__main__":
    main()
