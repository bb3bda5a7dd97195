#!/usr/bin/env python3
"""Which server-count changes of a static-config ZooKeeper ensemble are safe when the
StatefulSet controller carries them out — measured on the real ZooKeeper 3.9.4.

zkc emits static zoo.cfg files (server.1..N, reconfigEnabled=false) and a StatefulSet with
podManagementPolicy=Parallel and RollingUpdate. When one commit changes replicas and the config
(the pod template's checksum) together, kube-controller-manager v1.37 was measured to act so:

  grow N→M    create pods N+1..M (new config) at once; then restart N, N-1, .., 1, each only
              after every higher ordinal is Ready (so it first waits for the new pods).
  shrink N→M  delete pods M+1..N and restart pod M in the same second; then M-1, .., 1, each
              after the previous one is Ready.
  same size   restart N, .., 1, each after the previous one is Ready.

This script emulates exactly that order with real server processes (QuorumPeerMain, one JVM
per pod, on 127.0.0.1 with ports 21N1 client / 28N8 quorum / 38N8 election, myid = ordinal) and
"Ready" = `srvr` answers with a `Mode:` line (zkc's readiness probe). While it runs:

  * writers create a znode every few ms and record every ACKNOWLEDGED create; after each step
    every serving server is read back (after `sync`) and acknowledged creates it lacks are lost;
  * a poller asks every live server `srvr` every 100 ms and records its Mode; two servers that
    say `leader` (or `standalone`) in the same round are two majorities;
  * time with no server serving as leader is "seconds without a serving quorum".

Why some orders are unsafe (the arithmetic behind the scenarios): while the roll is under way
some servers hold the old list (majority m(N) = N//2+1) and some the new one (m(M)). Two
disjoint majorities can exist iff m(N) + m(M) <= max(N, M): 1→3, 3→5, 3→6, 5→3 ... are
unsafe; +1 (and −1) steps are not. Availability is a second matter: a server whose list does
not include the leader's majority cannot join it (FastLeaderElection only follows a leader
when a quorum of ITS OWN list reports that leader), and a leader only counts acks from servers
in its own list (Leader.isParticipant).

What it established (the PASS lines assert each point, so a ZooKeeper upgrade that changes one
fails here). Pods restart highest first and equal zxids elect the highest id, so the pod being
restarted is usually the leader; the scenarios start with pod N leading (the worst case):

  safe, finishes:  N→N+1 from even N (2→3, 4→5), N→N-1 from odd N (5→4); 4→3 only in two
                   commits (4 replicas with weight.4=0, then 3 replicas), which keeps a quorum.
  outage:          2→3 (a 2-list needs both), 4→5 (while pod 3 restarts), 4→3 and 5→3 in one
                   commit (while pod 3 restarts), any change at 1 replica.
  deadlock:        1→2 (with or without standaloneEnabled=false: pod 2 never Ready), 3→4 (pod 3
                   never Ready: 1,2 elect 2 on the old list, 3,4 cannot join on the new one).
  split brain:     3→5 and 1→3 in one commit: two leaders, acknowledged writes lost.
  1→3:             standaloneEnabled=false (a restart), then 2 replicas with weight.2=0, then 3.

Run:   /usr/bin/python3 tests/e2e/resize_orders.py          (needs java 17, mvn, python3-kazoo)
       --only NAME[,NAME]  run some scenarios; --keep  keep the servers' logs; --list
Jars:  tests/pod/pom.xml resolved once by Maven into ~/.cache/zkc-ci/resize-orders-3.9.4/lib
       (ZKC_RESIZE_CACHE overrides); nothing is written into the repository.
"""

import argparse
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

try:
    from kazoo.client import KazooClient
    from kazoo.retry import KazooRetry
except ImportError:
    sys.exit("needs kazoo: apt-get install python3-kazoo (run with /usr/bin/python3), or pip install kazoo")

ZK_VERSION = "3.9.4"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get("ZKC_RESIZE_CACHE", os.path.expanduser(f"~/.cache/zkc-ci/resize-orders-{ZK_VERSION}"))
POLL = 0.1            # srvr poll period, s
WRITE_PAUSE = 0.004   # pause between creates, s
READY_TIMEOUT = 7.0  # a pod not Ready after this long: the controller is stuck (it would wait forever)
RESTART_DELAY = 2.0   # pod deleted → process gone → new pod's container starts: emulated pause, s
#                       (on a cluster it is longer: zkc's BENCHMARKS measured 4.6 s to serving)
MAX_OUTAGE = 3.0      # an "available" step may have no leader for at most this long in total, s:
#                       elections alone measured 0.5-2.1 s per step here; an outage that lasts until a
#                       restarted pod is back is > RESTART_DELAY + JVM start (> 3 s)
# zkc's defaults (tests/golden): tickTime 2000, initLimit 10, syncLimit 5.
BASE_CFG = ["tickTime=2000", "initLimit=10", "syncLimit=5", "admin.enableServer=false",
            "4lw.commands.whitelist=srvr,ruok", "quorumListenOnAllIPs=true"]

T0 = time.monotonic()


def log(msg):
    print(f"[{time.monotonic() - T0:7.2f}] {msg}", flush=True)


def jars():
    lib = os.path.join(CACHE, "lib")
    if not os.path.exists(os.path.join(lib, f"zookeeper-{ZK_VERSION}.jar")):
        log(f"resolving ZooKeeper {ZK_VERSION} jars into {lib}")
        os.makedirs(lib, exist_ok=True)
        subprocess.run(["mvn", "-q", "-f", os.path.join(REPO, "tests/pod/pom.xml"), f"-Dzk.version={ZK_VERSION}",
                        "dependency:copy-dependencies", f"-DoutputDirectory={lib}"], check=True)
    logback = os.path.join(CACHE, "logback.xml")
    with open(logback, "w") as f:
        f.write('<configuration><appender name="C" class="ch.qos.logback.core.ConsoleAppender">'
                '<encoder><pattern>%d{HH:mm:ss.SSS} [%thread] %-5level %logger{0} - %msg%n</pattern></encoder>'
                '</appender><root level="INFO"><appender-ref ref="C"/></root></configuration>\n')
    return os.path.join(lib, "*"), logback


def ports(sid):
    return 2101 + 10 * sid, 2808 + 10 * sid, 3808 + 10 * sid


def srvr(sid, timeout=0.3):
    """(mode, zxid) as the readiness probe sees it; mode None when not serving."""
    try:
        with socket.create_connection(("127.0.0.1", ports(sid)[0]), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"srvr")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None, None
    mode = zxid = None
    for line in data.decode(errors="replace").splitlines():
        if line.startswith("Mode: "):
            mode = line[6:].strip()
        elif line.startswith("Zxid: "):
            zxid = int(line[6:].strip(), 16)
    return mode, zxid


def zoo_cfg(view, standalone=None, weights=None):
    """The lines of one zoo.cfg. view: the server ids listed; weights: {sid: weight} makes it
    hierarchical with a single group (QuorumHierarchical: a quorum is more than half of the
    group's total weight, integer division; a weight-0 server never counts towards a quorum and
    FastLeaderElection.totalOrderPredicate never votes for it)."""
    lines = list(BASE_CFG)
    if standalone is not None:
        lines.append(f"standaloneEnabled={'true' if standalone else 'false'}")
    for sid in view:
        _, q, e = ports(sid)
        lines.append(f"server.{sid}=127.0.0.1:{q}:{e}")
    if weights:
        lines.append("group.1=" + ":".join(str(s) for s in view))
        lines += [f"weight.{s}={weights.get(s, 1)}" for s in view]
    return lines


class Cluster:
    def __init__(self, root, classpath, logback):
        self.root, self.classpath, self.logback = root, classpath, logback
        self.procs = {}
        self.cfgs = {}
        self.lock = threading.Lock()

    def running(self):
        with self.lock:
            return sorted(s for s, p in self.procs.items() if p.poll() is None)

    def start(self, sid, cfg):
        d = os.path.join(self.root, f"zookeeper-{sid}")
        os.makedirs(os.path.join(d, "data"), exist_ok=True)
        with open(os.path.join(d, "data", "myid"), "w") as f:
            f.write(f"{sid}\n")
        path = os.path.join(d, "zoo.cfg")
        with open(path, "w") as f:
            f.write("\n".join(cfg + [f"dataDir={d}/data", f"clientPort={ports(sid)[0]}"]) + "\n")
        out = open(os.path.join(d, "server.log"), "a")
        out.write(f"==== start {time.monotonic() - T0:.2f}\n")
        out.flush()
        p = subprocess.Popen(["java", "-Xms24m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                              "-XX:-UsePerfData", f"-Dlogback.configurationFile={self.logback}",
                              "-cp", self.classpath, "org.apache.zookeeper.server.quorum.QuorumPeerMain", path],
                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        with self.lock:
            self.procs[sid] = p
            self.cfgs[sid] = cfg

    def stop(self, sid):
        """Pod deletion: SIGTERM, SIGKILL after 5 s."""
        with self.lock:
            p = self.procs.get(sid)
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def wipe(self, sid):
        shutil.rmtree(os.path.join(self.root, f"zookeeper-{sid}", "data"), ignore_errors=True)

    def stop_all(self):
        with self.lock:
            procs = list(self.procs.values())
        for p in procs:
            if p.poll() is None:
                p.kill()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass


class Poller(threading.Thread):
    def __init__(self, cluster):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.rounds = []  # (t, {sid: mode})
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            t = time.monotonic()
            modes = {sid: srvr(sid)[0] for sid in self.cluster.running()}
            self.rounds.append((t, modes))
            self.stopping.wait(max(0.0, POLL - (time.monotonic() - t)))


class Writer(threading.Thread):
    """Creates /w/<name>-<n> in a loop; records the creates the ensemble acknowledged."""

    def __init__(self, name, sids):
        super().__init__(daemon=True)
        self.name_, self.sids = name, sids
        self.acked = []  # (t, path)
        self.stopping = threading.Event()
        self.zk = KazooClient(hosts=",".join(f"127.0.0.1:{ports(s)[0]}" for s in sids), timeout=6.0,
                              connection_retry=KazooRetry(max_tries=-1, delay=0.05, backoff=1, max_delay=0.2))

    def run(self):
        self.zk.start_async()
        n = 0
        while not self.stopping.is_set():
            n += 1
            path = f"/w/{self.name_}-{n:07d}"
            try:
                self.zk.create_async(path, b"x").get(timeout=4)
                self.acked.append((time.monotonic(), path))
                time.sleep(WRITE_PAUSE)
            except Exception:
                time.sleep(0.02)

    def close(self):
        self.stopping.set()
        self.join(10)
        try:
            self.zk.stop()
            self.zk.close()
        except Exception:
            pass


def read_back(sid):
    """Children of /w as server `sid` serves them after a sync, or None."""
    zk = KazooClient(hosts=f"127.0.0.1:{ports(sid)[0]}", timeout=6.0,
                     connection_retry=KazooRetry(max_tries=3, delay=0.1))
    try:
        zk.start(timeout=5)
        zk.sync("/w")
        return set(zk.get_children("/w")) if zk.exists("/w") else set()
    except Exception:
        return None
    finally:
        try:
            zk.stop()
            zk.close()
        except Exception:
            pass


class Result:
    def __init__(self, name, steps):
        self.name, self.steps = name, steps
        self.gap_ms = self.acked = self.lost = self.leaders = 0
        self.no_quorum = 0.0
        self.stuck = []        # (pod, what): the controller would wait forever here
        self.notes = []
        self.two_leaders = []  # (t, leaders)
        self.gaps = []         # [from, to]: no server says leader

    def row(self):
        s = (f"{self.name}, {self.steps}, gap {self.gap_ms} ms, acked {self.acked}, lost {self.lost}, "
             f"max leaders {self.leaders}, no quorum {self.no_quorum:.1f} s")
        if self.stuck:
            s += ", STUCK " + "; ".join(f"pod {p} {w}" for p, w in self.stuck)
        return s


class Env:
    """One scenario: its servers, its poller, its writers."""

    def __init__(self, name, classpath, logback, keep):
        self.name = name
        self.root = tempfile.mkdtemp(prefix=f"zkc-resize-{name}-")
        self.keep = keep
        self.cluster = Cluster(self.root, classpath, logback)
        self.poller = Poller(self.cluster)
        self.writers = []
        self.results = []

    # --- emulation of the controller -------------------------------------------------------
    def wait_ready(self, sids, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        pending = set(sids)
        while pending and time.monotonic() < deadline:
            pending = {s for s in pending if srvr(s)[0] is None}
            if pending:
                time.sleep(0.05)
        return not pending

    def restart(self, sids, cfg_of):
        """Delete these pods at once; their replacements start RESTART_DELAY later."""
        threads = [threading.Thread(target=self.cluster.stop, args=(s,)) for s in sids]
        [t.start() for t in threads]
        [t.join() for t in threads]
        time.sleep(RESTART_DELAY)
        for s in sids:
            self.cluster.start(s, cfg_of(s))

    def roll(self, res, sids, cfg_of):
        """Restart pods in this order, each after the previous one is Ready."""
        for s in sids:
            self.restart([s], cfg_of)
            if not self.wait_ready([s]):
                res.stuck.append((s, "not Ready after restart"))
                return False
        return True

    def change(self, res, old_n, new_n, cfg_of):
        """One commit: replicas old_n → new_n and a new zoo.cfg (cfg_of(sid) gives its lines)."""
        log(f"{self.name}: {res.steps}")
        if new_n > old_n:
            created = list(range(old_n + 1, new_n + 1))
            for s in created:
                self.cluster.start(s, cfg_of(s))
            if not self.wait_ready(created):
                res.stuck += [(s, "created, never Ready (controller waits before rolling)") for s in created
                              if srvr(s)[0] is None]
                return False
            return self.roll(res, range(old_n, 0, -1), cfg_of)
        if new_n < old_n:
            condemned = list(range(new_n + 1, old_n + 1))
            threads = [threading.Thread(target=self.cluster.stop, args=(s,)) for s in condemned]
            [t.start() for t in threads]
            self.restart([new_n], cfg_of)
            [t.join() for t in threads]
            if not self.wait_ready([new_n]):
                res.stuck.append((new_n, "not Ready after restart"))
                return False
            return self.roll(res, range(new_n - 1, 0, -1), cfg_of)
        return self.roll(res, range(old_n, 0, -1), cfg_of)

    # --- measurement ---------------------------------------------------------------------
    def begin(self, n, cfg_of, writers=None, ready=True):
        """Start servers 1..n with their configs (not measured), then poller and writers."""
        for s in range(1, n + 1):
            self.cluster.start(s, cfg_of(s))
        if ready and not self.wait_ready(range(1, n + 1), 30):
            raise RuntimeError(f"{self.name}: initial ensemble of {n} never Ready")
        # The worst case, which is also the usual one: pod n leads. With equal zxids the highest id
        # wins an election (FastLeaderElection.totalOrderPredicate), so after a descending roll the
        # leader is the highest pod, and each time it restarts the lead passes to the next pod to
        # be restarted. Restart whoever leads until pod n does.
        for _ in range(3):
            leaders = [s for s in range(1, n + 1) if srvr(s)[0] == "leader"]
            if n == 1 or leaders == [n]:
                break
            self.restart(leaders, cfg_of)
            self.wait_ready(range(1, n + 1), 30)
        zk = KazooClient(hosts=",".join(f"127.0.0.1:{ports(s)[0]}" for s in range(1, n + 1)))
        zk.start(timeout=15)
        zk.ensure_path("/w")
        zk.stop()
        zk.close()
        self.poller.start()
        for i, sids in enumerate(writers or [list(range(1, 6))]):
            w = Writer(f"{self.name}{i}", sids)
            w.start()
            self.writers.append(w)
        time.sleep(0.5)

    def measure(self, name, steps, action, settle=0.3):
        res = Result(name, steps)
        t0 = time.monotonic()
        ok = action(res)
        time.sleep(settle)
        t1 = time.monotonic()
        # longest gap between acknowledged creates (all writers together) inside [t0, t1]
        times = sorted([t0, t1] + [t for w in self.writers for t, _ in list(w.acked) if t0 <= t <= t1])
        res.gap_ms = int(1000 * max(b - a for a, b in zip(times, times[1:])))
        res.acked = sum(1 for w in self.writers for t, _ in list(w.acked) if t0 <= t <= t1)
        rounds = [r for r in self.poller.rounds if t0 <= r[0] <= t1]
        for (t, modes), nxt in zip(rounds, rounds[1:] + [(t1, None)]):
            leaders = sorted(s for s, m in modes.items() if m in ("leader", "standalone"))
            res.leaders = max(res.leaders, len(leaders))
            if len(leaders) > 1:
                res.two_leaders.append((round(t - T0, 2), leaders))
            if not leaders:
                res.no_quorum += nxt[0] - t
                if res.gaps and res.gaps[-1][1] == round(t - T0, 1):
                    res.gaps[-1][1] = round(nxt[0] - T0, 1)
                else:
                    res.gaps.append([round(t - T0, 1), round(nxt[0] - T0, 1)])
        res.lost = self.lost(res)
        res.ok = ok
        if res.gaps:
            res.notes.append("no leader " + " ".join(f"{a}-{b}" for a, b in res.gaps[:6]))
        if res.two_leaders:
            res.notes.append(f"two leaders at {res.two_leaders[:3]}")
        log(res.row() + ("; " + "; ".join(res.notes) if res.notes else ""))
        self.results.append(res)
        return res

    def lost(self, res):
        """Acknowledged creates missing on some serving server (the worst one)."""
        acked = {p.rsplit("/", 1)[1] for w in self.writers for _, p in list(w.acked)}
        worst = 0
        seen = []
        for s in self.cluster.running():
            children = read_back(s)
            if children is None:
                continue
            missing = len(acked - children)
            seen.append(f"{s}:{missing}")
            worst = max(worst, missing)
        if not seen:
            res.notes.append("no server serves: lost writes unknown")
        elif worst:
            res.notes.append("missing per server " + " ".join(seen))
        return worst

    def close(self, failed):
        for w in self.writers:
            w.close()
        self.poller.stopping.set()
        self.cluster.stop_all()
        if self.keep or failed:
            log(f"{self.name}: servers' logs kept in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


# --- scenarios ------------------------------------------------------------------------------
CHECKS = []


def check(ok, text):
    CHECKS.append(bool(ok))
    print(f"{'PASS' if ok else 'FAIL'} {text}", flush=True)


def safe(r):
    check(r.lost == 0 and r.leaders <= 1,
          f"{r.name}: no acknowledged write lost ({r.lost}), never two leaders (max {r.leaders})")


def available(r):
    check(not r.stuck and r.no_quorum <= MAX_OUTAGE,
          f"{r.name}: the controller finishes, no serving quorum for {r.no_quorum:.1f} s <= {MAX_OUTAGE} s")


def plain(n, **kw):
    lines = zoo_cfg(list(range(1, n + 1)), **kw)
    return lambda sid: lines


def sc_roll3(env):
    """Baseline: a config change rolls 3, 2, 1."""
    env.begin(3, plain(3))
    r = env.measure("roll 3", "restart 3,2,1", lambda res: env.change(res, 3, 3, plain(3)))
    safe(r)
    available(r)


def sc_grow_1_2(env):
    """1→2 from zkc's current 1-server output (standaloneEnabled default true: server 1 runs
    ZooKeeperServerMain and has no election port, QuorumPeerConfig.isDistributed())."""
    env.begin(1, plain(1))
    r = env.measure("grow 1→2 standalone", "create 2; restart 1", lambda res: env.change(res, 1, 2, plain(2)))
    check(r.stuck and r.stuck[0][0] == 2,
          "grow 1→2 (standaloneEnabled default): pod 2 never Ready, the controller deadlocks before pod 1")
    safe(r)


def sc_grow_1_2_quorum(env):
    """1→2 with standaloneEnabled=false in both configs: server 1 runs a 1-voter quorum.
    Server 2 lists 1,2: FastLeaderElection only follows a leader that a quorum of ITS list
    reports (receivedLeadingNotification → checkLeader), and 1 of 2 is no quorum."""
    env.begin(1, plain(1, standalone=False))
    modes = {s: srvr(s)[0] for s in (1,)}
    check(modes[1] == "leader", f"a 1-server list with standaloneEnabled=false serves in quorum mode (Mode: {modes[1]})")
    r = env.measure("grow 1→2 quorum", "create 2; restart 1",
                    lambda res: env.change(res, 1, 2, plain(2, standalone=False)))
    check(r.stuck and r.stuck[0][0] == 2,
          "grow 1→2 (standaloneEnabled=false): pod 2 (lists 1,2) never joins leader 1 (lists 1): deadlock")
    safe(r)


def sc_grow_1_3_weight0(env):
    """1→3 without a deadlock: 0) standaloneEnabled=false at 1 replica (a restart of the only
    server: an outage, as every restart of a 1-server ensemble), 1) replicas 2 with a
    hierarchical list where server 2 has weight 0 (its own list's quorum is {1}, so it follows
    leader 1; leader 1 accepts it as a non-voting follower, Leader.isParticipant), 2) replicas 3
    with the plain 3-server list (new server 3 sees 1 LEADING and 2 FOLLOWING: 2 of 3)."""
    w0 = lambda s: zoo_cfg([1, 2], standalone=False, weights={1: 1, 2: 0})
    env.begin(1, plain(1))
    r0 = env.measure("1→1 standaloneEnabled=false", "restart 1",
                     lambda res: env.change(res, 1, 1, plain(1, standalone=False)))
    safe(r0)
    check(not r0.stuck, "1→1 standaloneEnabled=false: pod 1 Ready again")
    r1 = env.measure("grow 1→2 weight.2=0", "create 2; restart 1", lambda res: env.change(res, 1, 2, w0))
    safe(r1)
    check(not r1.stuck, "grow 1→2 with weight.2=0: pod 2 Ready while 1 runs the 1-list, the controller finishes")
    r2 = env.measure("grow 2(w0)→3", "create 3; restart 2,1", lambda res: env.change(res, 2, 3, plain(3)))
    safe(r2)
    available(r2)


def sc_grow_2_3(env):
    """2→3 in one commit (even → +1): a 2-server list needs both, so each restart is an outage."""
    env.begin(2, plain(2))
    r = env.measure("grow 2→3", "create 3; restart 2,1", lambda res: env.change(res, 2, 3, plain(3)))
    safe(r)
    check(not r.stuck, f"{r.name}: the controller finishes")


def sc_grow_3_4(env):
    """3→4 in one commit (odd → +1). A fresh 3-ensemble is led by server 3 (equal zxids: the
    highest id wins, FastLeaderElection.totalOrderPredicate). When pod 3 (the leader) restarts
    with the 4-list, 1 and 2 (3-list, 2 of 3: a quorum) elect 2 — they ignore votes for 4, which
    is not in their list ("Ignoring notification for non-cluster member sid"); 3 and 4 vote 4
    and would follow 2 only if a quorum of THEIR list (3 of 4) reported it: 1,2 are 2 of 4."""
    env.begin(3, plain(3))
    leader = [s for s in (1, 2, 3) if srvr(s)[0] == "leader"]
    r = env.measure("grow 3→4", f"create 4; restart 3,2,1 (leader {leader})", lambda res: env.change(res, 3, 4, plain(4)))
    safe(r)
    check(leader == [3] and r.stuck and r.stuck[0][0] == 3,
          f"grow 3→4 with server 3 leading ({leader}): pod 3 never Ready again, the controller deadlocks")


def sc_grow_4_5(env):
    """4→5 in one commit (even → +1): old survivors that are a 4-list quorum (3) are a 5-list
    quorum too, and when they are not (1,2), the new-list servers 3,4,5 are — but only once pod
    3, which leads by then, is back: one outage as long as a pod restart."""
    env.begin(4, plain(4))
    r = env.measure("grow 4→5", "create 5; restart 4..1", lambda res: env.change(res, 4, 5, plain(5)))
    safe(r)
    check(not r.stuck, f"{r.name}: the controller finishes")


def sc_shrink_5_4(env):
    """5→4 in one commit: delete 5 and restart 4 together; 1,2,3 are still 3 of 5."""
    env.begin(5, plain(5))
    r = env.measure("shrink 5→4", "delete 5 + restart 4; restart 3..1", lambda res: env.change(res, 5, 4, plain(4)))
    safe(r)
    available(r)


def sc_shrink_4_3(env):
    """4→3 in one commit: delete 4 and restart 3 together; 1,2 are 2 of 4 until 3 is back."""
    env.begin(4, plain(4))
    r = env.measure("shrink 4→3", "delete 4 + restart 3; restart 2,1", lambda res: env.change(res, 4, 3, plain(3)))
    safe(r)
    check(not r.stuck, f"{r.name}: the controller finishes")
    # 4-list servers 1,2 alone are 2 of 4: no quorum until server 3 is back (with its 3-list)
    check(r.no_quorum > RESTART_DELAY,
          f"shrink 4→3 in one commit loses the quorum while pod 3 restarts ({r.no_quorum:.1f} s > {RESTART_DELAY} s)")


def sc_shrink_4_3_weight0(env):
    """4→3 in two commits: 1) keep 4 replicas, hierarchical list with weight.4=0 (quorum: 2 of
    1,2,3 — the same majorities as the plain 3-list, so mixing it with 4-list and 3-list views
    keeps every pair of majorities intersecting); 2) replicas 3 with the plain 3-list."""
    w0 = lambda s: zoo_cfg([1, 2, 3, 4], weights={1: 1, 2: 1, 3: 1, 4: 0})
    env.begin(4, plain(4))
    r1 = env.measure("4 → 4(weight.4=0)", "restart 4..1", lambda res: env.change(res, 4, 4, w0))
    safe(r1)
    available(r1)
    r2 = env.measure("4(weight.4=0) → 3", "delete 4 + restart 3; restart 2,1", lambda res: env.change(res, 4, 3, plain(3)))
    safe(r2)
    available(r2)


def sc_grow_3_5(env):
    """Negative control: 3→5 in one commit. A fresh 3-ensemble elects server 3 (highest id,
    same zxid). 4 and 5 (5-list) join leader 3; then pod 3 (the leader) restarts with the
    5-list: 1,2 are a majority of the 3-list, 3,4,5 a majority of the 5-list (2+3 <= 5)."""
    env.begin(3, plain(3), writers=[[1, 2], [4, 5]])
    leader = [s for s in (1, 2, 3) if srvr(s)[0] == "leader"]
    r = env.measure("grow 3→5 one commit", "create 4,5; restart 3,2,1 (leader " + str(leader) + ")",
                    lambda res: env.change(res, 3, 5, plain(5)))
    check(r.leaders > 1 or r.lost > 0,
          f"grow 3→5 in one commit shows the danger: max leaders {r.leaders}, lost {r.lost} (must be >1 / >0)")


def sc_grow_1_3(env):
    """Negative control: 1→3 in one commit from zkc's standalone server 1. New servers 2 and 3
    (empty) make a majority of their 3-list on their own."""
    env.begin(1, plain(1), writers=[[1, 2, 3]])
    r = env.measure("grow 1→3 one commit", "create 2,3; restart 1", lambda res: env.change(res, 1, 3, plain(3)))
    check(r.leaders > 1 or r.lost > 0,
          f"grow 1→3 in one commit shows the danger: max leaders {r.leaders}, lost {r.lost} (must be >1 / >0)")


def sc_shrink_5_3(env):
    """5→3 in one commit: 4, 5 deleted and 3 restarted at once; 1,2 (5-list) are 2 of 5."""
    env.begin(5, plain(5))
    r = env.measure("shrink 5→3 one commit", "delete 4,5 + restart 3; restart 2,1",
                    lambda res: env.change(res, 5, 3, plain(3)))
    safe(r)
    check(r.no_quorum > RESTART_DELAY,
          f"shrink 5→3 in one commit loses the quorum while pod 3 restarts ({r.no_quorum:.1f} s > {RESTART_DELAY} s)")


def sc_checker(env):
    """Negative control of the checker: stop all three, wipe two data dirs, start those two."""
    env.begin(3, plain(3))

    def wipe(res):
        time.sleep(1.0)
        for s in (1, 2, 3):
            env.cluster.stop(s)
        env.cluster.wipe(1)
        env.cluster.wipe(2)
        for s in (1, 2):
            env.cluster.start(s, plain(3)(s))
        return env.wait_ready([1, 2])

    r = env.measure("checker control", "wipe 1,2", wipe)
    check(r.lost > 0, f"the lost-write checker sees the wiped writes (lost {r.lost} > 0)")


SCENARIOS = [
    ("roll3", sc_roll3), ("grow12", sc_grow_1_2), ("grow12q", sc_grow_1_2_quorum),
    ("grow123w0", sc_grow_1_3_weight0), ("grow23", sc_grow_2_3), ("grow34", sc_grow_3_4), ("grow45", sc_grow_4_5),
    ("shrink54", sc_shrink_5_4), ("shrink43", sc_shrink_4_3),
    ("shrink43w0", sc_shrink_4_3_weight0), ("grow35", sc_grow_3_5), ("grow13", sc_grow_1_3),
    ("shrink53", sc_shrink_5_3), ("checker", sc_checker),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated scenario names")
    ap.add_argument("--keep", action="store_true", help="keep the servers' directories and logs")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list:
        for name, fn in SCENARIOS:
            print(f"{name:12} {fn.__doc__.splitlines()[0]}")
        return 0
    logging.basicConfig(level=logging.CRITICAL)
    for s in range(1, 6):
        for port in ports(s):
            with socket.socket() as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT of a previous run
                try:
                    sock.bind(("0.0.0.0", port))
                except OSError:
                    sys.exit(f"port {port} is in use")
    classpath, logback = jars()
    only = set(args.only.split(",")) if args.only else None
    envs = []

    def cleanup(*_):
        for e in envs:
            e.cluster.stop_all()
        sys.exit(2)

    signal.signal(signal.SIGTERM, cleanup)
    signal.signal(signal.SIGINT, cleanup)
    for name, fn in SCENARIOS:
        if only and name not in only:
            continue
        env = Env(name, classpath, logback, args.keep)
        envs.append(env)
        before = len(CHECKS)
        try:
            fn(env)
        except Exception as e:  # a crashed scenario is a failed one
            check(False, f"{name}: {type(e).__name__}: {e}")
        finally:
            env.close(failed=not all(CHECKS[before:]))
    print("\nscenario, steps, longest write gap (ms), writes acknowledged, acknowledged writes lost, "
          "max simultaneous leaders, seconds without a serving quorum")
    for e in envs:
        for r in e.results:
            print(r.row())
    passed = sum(CHECKS)
    print(f"{passed} passed, {len(CHECKS) - passed} failed")
    return 0 if CHECKS and all(CHECKS) else 1


if __name__ == "__main__":
    sys.exit(main())
