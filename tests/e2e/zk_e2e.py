#!/usr/bin/env python3
"""End-to-end proof that the ensembles zkc emits work on the real ZooKeeper.

For each ensemble under test it reads what zkc emitted (the ConfigMap's zoo.cfg and the
StatefulSet) and starts one real server per pod on loopback (Debian's `zookeeper` 3.8), with
the myid the StatefulSet gives that pod (its `apps.kubernetes.io/pod-index`, counted from
`ordinals.start`), as the StatefulSet's user and group. Pods have an address each; processes on
one machine share one, so these lines are rewritten, and only these:

  server.N=HOST:…      HOST → 127.0.S.N (the pod's address)
  dataDir, dataLogDir  → a directory per server (the pod's volumes)
  quorumListenOnAllIPs → false, plus clientPortAddress and admin.serverAddress = 127.0.S.N
                         (binding all addresses, or each server's 127.0.0.1, would make the
                         servers' ports collide; the pod runner proves the real binding)

Every other line is used as emitted. Scenarios: leader and follower crash (3 servers), losing
two then three of five servers, two environments side by side (isolation), a rolling restart
in StatefulSet order, and a negative control that must fail.

Run: python3 tests/e2e/zk_e2e.py --zkc target/debug/zkc   (needs: apt-get install zookeeper python3-kazoo)
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
import traceback

import json
import urllib.error
import urllib.request

import yaml
from kazoo.client import KazooClient
from kazoo.retry import KazooRetry

# The launcher of docs/design.md §5 (level 5), plus Debian's servlet API so the AdminServer (admin.serverPort)
# starts as it does in the official image.
CLASSPATH = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar:/usr/share/java/servlet-api.jar"
POD_INDEX_FIELD = "metadata.labels['apps.kubernetes.io/pod-index']"
QUORUM_TIMEOUT = 60
FIGURES = {}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Emitted:
    """What zkc emitted for one ensemble, read from its output directory."""

    def __init__(self, out_dir, namespace, name):
        base = os.path.join(out_dir, namespace)
        with open(os.path.join(base, f"configmap-{name}-config.yaml")) as f:
            self.zoo_cfg = yaml.safe_load(f)["data"]["zoo.cfg"].splitlines()
        with open(os.path.join(base, f"statefulset-{name}.yaml")) as f:
            sts = yaml.safe_load(f)
        spec = sts["spec"]
        self.replicas = spec["replicas"]
        start = spec.get("ordinals", {}).get("start", 0)
        pod = spec["template"]["spec"]
        container = pod["containers"][0]
        my_id = [e for e in container["env"] if e["name"] == "ZOO_MY_ID"]
        assert my_id and my_id[0]["valueFrom"]["fieldRef"]["fieldPath"] == POD_INDEX_FIELD, "myid comes from the pod index"
        self.ids = list(range(start, start + self.replicas))
        listed = sorted(int(l.split("=")[0].split(".")[1]) for l in self.zoo_cfg if l.startswith("server."))
        assert listed == self.ids, f"zoo.cfg lists servers {listed}, the StatefulSet creates pods with ids {self.ids}"
        self.uid = pod["securityContext"]["runAsUser"]
        self.gid = pod["securityContext"]["runAsGroup"]
        self.client_port = int(self.value("clientPort"))
        self.hosts = [l.split("=", 1)[1].split(":")[0] for l in self.zoo_cfg if l.startswith("server.")]
        self.name = f"{namespace}/{name}"

    def value(self, key):
        for line in self.zoo_cfg:
            if line.startswith(key + "="):
                return line.split("=", 1)[1]
        return None


class Server:
    def __init__(self, ensemble, sid):
        self.ensemble, self.id = ensemble, sid
        self.ip = f"127.0.{ensemble.subnet}.{sid}"
        self.dir = os.path.join(ensemble.workdir, f"server-{sid}")
        self.proc = None

    def write_config(self, tamper):
        e = self.ensemble.emitted
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "datalog"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        with open(os.path.join(self.dir, "data", "myid"), "w") as f:
            f.write(f"{self.id}\n")  # what the image's entrypoint writes from ZOO_MY_ID
        lines = []
        for line in e.zoo_cfg:
            key, _, value = line.partition("=")
            if key.startswith("server."):
                sid = int(key.split(".")[1])
                host, rest = value.split(":", 1)
                lines.append(f"{key}=127.0.{self.ensemble.subnet}.{sid}:{rest}")
            elif key == "dataDir":
                lines.append(f"dataDir={self.dir}/data")
            elif key == "dataLogDir":
                lines.append(f"dataLogDir={self.dir}/datalog")
            elif key == "quorumListenOnAllIPs":
                lines.append("quorumListenOnAllIPs=false")
            elif key == "admin.serverAddress":
                lines.append(f"admin.serverAddress={self.ip}")
            else:
                lines.append(line)
        lines.append(f"clientPortAddress={self.ip}")
        if not e.value("admin.serverAddress"):
            lines.append(f"admin.serverAddress={self.ip}")
        if tamper:
            lines = tamper(self.id, lines)
        with open(os.path.join(self.dir, "zoo.cfg"), "w") as f:
            f.write("\n".join(lines) + "\n")
        if os.geteuid() == 0:
            for root, dirs, files in os.walk(self.dir):
                for p in [root] + [os.path.join(root, x) for x in files]:
                    os.chown(p, e.uid, e.gid)

    def start(self):
        e = self.ensemble.emitted
        cmd = ["java", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", f"-Djava.io.tmpdir={self.dir}/tmp",
               "-cp", CLASSPATH, "org.apache.zookeeper.server.quorum.QuorumPeerMain", os.path.join(self.dir, "zoo.cfg")]

        def as_pod_user():
            os.setsid()
            if os.geteuid() == 0:  # run as the StatefulSet's runAsUser/runAsGroup, not root
                os.setgroups([])
                os.setgid(e.gid)
                os.setuid(e.uid)

        out = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, preexec_fn=as_pod_user, cwd=self.dir)

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.proc = None

    def four_letter(self, word, timeout=1.0):
        try:
            with socket.create_connection((self.ip, self.ensemble.emitted.client_port), timeout=timeout) as s:
                s.sendall(word.encode())
                chunks = []
                while True:
                    c = s.recv(4096)
                    if not c:
                        break
                    chunks.append(c)
                return b"".join(chunks).decode(errors="replace")
        except OSError:
            return ""

    def mode(self):
        """leader, follower, or None: what the readiness probe checks (`srvr` says Mode)."""
        for line in self.four_letter("srvr").splitlines():
            if line.startswith("Mode: "):
                return line.split(": ", 1)[1].strip()
        return None


class Ensemble:
    def __init__(self, emitted, subnet, tamper=None):
        self.emitted, self.subnet = emitted, subnet
        self.workdir = tempfile.mkdtemp(prefix=f"zk-e2e-{subnet}-")
        os.chmod(self.workdir, 0o755)
        self.servers = {sid: Server(self, sid) for sid in emitted.ids}
        for s in self.servers.values():
            s.write_config(tamper)

    def start_all(self):
        for s in self.servers.values():
            s.start()

    def stop_all(self):
        for s in self.servers.values():
            try:
                s.kill()
            except Exception:
                pass

    def cleanup(self, keep_logs):
        self.stop_all()
        if keep_logs:
            log(f"logs kept in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def wait_quorum(self, ids, timeout=QUORUM_TIMEOUT):
        """Waits until every server in `ids` serves (leader or follower) with exactly one leader."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            modes = {sid: self.servers[sid].mode() for sid in ids}
            leaders = [sid for sid, m in modes.items() if m == "leader"]
            if len(leaders) == 1 and all(m in ("leader", "follower") for m in modes.values()):
                return leaders[0], time.monotonic() - started
            time.sleep(0.05)
        raise AssertionError(f"{self.emitted.name}: no quorum of {ids} within {timeout}s: {modes}")

    def hosts(self, ids=None):
        ids = ids or list(self.servers)
        return ",".join(f"{self.servers[i].ip}:{self.emitted.client_port}" for i in ids)

    def client(self, ids=None, timeout=10.0):
        c = KazooClient(hosts=self.hosts(ids), timeout=timeout, connection_retry=KazooRetry(max_tries=-1, max_delay=0.5))
        c.start(timeout=30)
        return c


def assert_config_honoured(ens):
    """Proves that ZooKeeper 3.8 applied every zoo.cfg key zkc emitted. ZooKeeper turns keys it
    does not know into system properties without a word, so each key is checked by its effect;
    an emitted key this function cannot prove fails the suite."""
    e = ens.emitted
    # quorum formed; rewritten for loopback (module doc)
    proven = {"server.N", "dataDir", "quorumListenOnAllIPs", "admin.serverAddress"}
    for sid, server in ens.servers.items():
        admin = f"http://{server.ip}:{e.value('admin.serverPort')}/commands/configuration"
        conf = json.load(urllib.request.urlopen(admin, timeout=5))
        proven.add("admin.serverPort")
        for command in ["snapshot", "restore"]:
            if e.value(f"admin.{command}.enabled") == "false":
                # 3.9 refuses the command when disabled; 3.8 does not have it at all. Either way
                # no data leaves (or enters) through the AdminServer.
                assert not admin_command_succeeds(server, e, command), f"{command} served"
                proven.add(f"admin.{command}.enabled")
        assert conf["client_port"] == e.client_port and conf["server_id"] == sid, conf
        assert conf["tick_time"] == int(e.value("tickTime")), conf
        assert conf["max_client_cnxns"] == int(e.value("maxClientCnxns")), conf
        proven |= {"clientPort", "tickTime", "maxClientCnxns"}
        log_dir = "datalog" if e.value("dataLogDir") else "data"
        assert conf["data_log_dir"] == f"{server.dir}/{log_dir}/version-2", conf
        proven.add("dataLogDir")
        with open(os.path.join(server.dir, "server.log")) as f:
            text = f.read()
        for key, message in [
            ("initLimit", "initLimit set to {}"),
            ("syncLimit", "syncLimit set to {}"),
            ("autopurge.snapRetainCount", "autopurge.snapRetainCount set to {}"),
            ("autopurge.purgeInterval", "autopurge.purgeInterval set to {}"),
        ]:
            assert message.format(e.value(key)) in text, f"server {sid}: {key}={e.value(key)} not applied"
            proven.add(key)
        allowed = e.value("4lw.commands.whitelist").split(",")
        for word in allowed:
            assert "not in the whitelist" not in server.four_letter(word), f"{word} refused"
        refused = next(w for w in ["conf", "cons", "dump", "envi", "wchs"] if w not in allowed)
        assert "not in the whitelist" in server.four_letter(refused), f"{refused} should be refused"
        proven.add("4lw.commands.whitelist")
    emitted = {("server.N" if l.startswith("server.") else l.split("=", 1)[0]) for l in e.zoo_cfg if "=" in l}
    unproven = emitted - proven
    assert not unproven, f"{e.name}: emitted keys with no proven effect on ZooKeeper 3.8: {sorted(unproven)}"
    log(f"{e.name}: every emitted key took effect ({', '.join(sorted(emitted))})")


def admin_command_succeeds(server, e, command):
    url = f"http://{server.ip}:{e.value('admin.serverPort')}/commands/{command}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read()
    except urllib.error.HTTPError:
        return False
    return b'"error"' not in body


def write_znodes(client, prefix, count):
    client.ensure_path(prefix)
    acknowledged = {}
    for i in range(count):
        path, data = f"{prefix}/n-{i:04d}", f"value-{i}".encode()
        client.create(path, data)
        acknowledged[path] = data
    return acknowledged


def assert_all_present(ens, ids, acknowledged):
    """Every acknowledged znode, read from each listed server on its own."""
    for sid in ids:
        c = ens.client([sid])
        try:
            c.sync("/")
            for path, data in acknowledged.items():
                got, _ = c.get(path)
                assert got == data, f"server {sid}: {path} = {got!r}, expected {data!r}"
        finally:
            c.stop()
            c.close()


def crash_and_recover(ens, role):
    ids = list(ens.servers)
    leader, _ = ens.wait_quorum(ids)
    client = ens.client()
    try:
        acknowledged = write_znodes(client, f"/e2e/{role}-crash", 200)
        victim = leader if role == "leader" else next(i for i in ids if i != leader)
        log(f"{ens.emitted.name}: SIGKILL {role} server {victim}")
        killed_at = time.monotonic()
        ens.servers[victim].kill()
        survivors = [i for i in ids if i != victim]
        new_leader, _ = ens.wait_quorum(survivors)
        elapsed = time.monotonic() - killed_at
        if role == "leader":
            assert new_leader != victim
            FIGURES["re-election after leader SIGKILL (3 servers), s"] = round(elapsed, 3)
        log(f"{ens.emitted.name}: quorum of {survivors} with leader {new_leader} after {elapsed:.3f}s")
        assert_all_present(ens, survivors, acknowledged)
        acknowledged.update(write_znodes(client, f"/e2e/{role}-crash-after", 20))
        ens.servers[victim].start()
        ens.wait_quorum(ids)
        assert ens.servers[victim].mode() == "follower" or role == "follower", "the old leader rejoins as a follower"
        assert_all_present(ens, [victim], acknowledged)
        log(f"{ens.emitted.name}: server {victim} rejoined as {ens.servers[victim].mode()} and serves all {len(acknowledged)} znodes")
    finally:
        client.stop()
        client.close()


def scenario_leader_and_follower_crash(args):
    ens = Ensemble(Emitted(args.example_out, "staging", "zookeeper"), subnet=1)
    try:
        started = time.monotonic()
        ens.start_all()
        ens.wait_quorum(list(ens.servers))
        FIGURES["time to first quorum (3 servers, JVM start included), s"] = round(time.monotonic() - started, 3)
        assert_config_honoured(ens)
        crash_and_recover(ens, "leader")
        crash_and_recover(ens, "follower")
    finally:
        ens.cleanup(args.keep_logs)


def scenario_five_servers(args):
    ens = Ensemble(Emitted(args.e2e_out, "e2e", "zk5"), subnet=3)
    ids = list(ens.servers)
    try:
        ens.start_all()
        leader, _ = ens.wait_quorum(ids)
        assert_config_honoured(ens)
        client = ens.client(timeout=4.0)
        acknowledged = write_znodes(client, "/e2e/five", 200)
        first_two = [i for i in ids if i != leader][:1] + [leader]
        log(f"zk5: SIGKILL servers {first_two} at once (one is the leader)")
        for sid in first_two:
            ens.servers[sid].kill()
        survivors = [i for i in ids if i not in first_two]
        ens.wait_quorum(survivors)
        acknowledged.update(write_znodes(client, "/e2e/five-degraded", 50))
        third = survivors[0]
        log(f"zk5: SIGKILL server {third}: 2 of 5 left, no quorum")
        ens.servers[third].kill()
        time.sleep(1)
        try:
            client.create_async("/e2e/five/must-fail", b"x").get(timeout=5)
            raise AssertionError("a write succeeded without a quorum")
        except AssertionError:
            raise
        except Exception as e:
            log(f"zk5: write without quorum failed as it must ({type(e).__name__})")
        client.stop()
        client.close()
        for sid in first_two + [third]:
            ens.servers[sid].start()
        ens.wait_quorum(ids)
        assert_all_present(ens, ids, acknowledged)
        log(f"zk5: all 5 back, all {len(acknowledged)} acknowledged znodes on every server")
    finally:
        ens.cleanup(args.keep_logs)


def scenario_isolation(args):
    staging = Ensemble(Emitted(args.example_out, "staging", "zookeeper"), subnet=1)
    develop = Ensemble(Emitted(args.example_out, "develop", "zookeeper"), subnet=2)
    try:
        assert not set(staging.emitted.hosts) & set(develop.emitted.hosts), "the two environments share no peer names"
        staging.start_all()
        develop.start_all()
        for ens in (staging, develop):
            leader, _ = ens.wait_quorum(list(ens.servers))
            mntr = dict(l.split("\t", 1) for l in ens.servers[leader].four_letter("mntr").splitlines() if "\t" in l)
            assert mntr.get("zk_synced_followers") == "2", f"{ens.emitted.name}: leader syncs {mntr.get('zk_synced_followers')} followers, not its own 2"
        a, b = staging.client(), develop.client()
        try:
            a.create("/isolation-staging", b"s", makepath=True)
            b.create("/isolation-develop", b"d", makepath=True)
            a.sync("/")
            b.sync("/")
            assert a.exists("/isolation-develop") is None and b.exists("/isolation-staging") is None, "data crossed environments"
        finally:
            for c in (a, b):
                c.stop()
                c.close()
        log("staging and develop run side by side; each leader syncs only its own followers; no data crosses")
    finally:
        staging.cleanup(args.keep_logs)
        develop.cleanup(args.keep_logs)


def scenario_rolling_restart(args):
    ens = Ensemble(Emitted(args.example_out, "develop", "zookeeper"), subnet=2)
    ids = list(ens.servers)
    try:
        ens.start_all()
        ens.wait_quorum(ids)
        client = ens.client(timeout=4.0)
        client.ensure_path("/e2e/rolling")
        successes, errors, stop = [], [], threading.Event()

        def writer():
            # Sequential znodes: a create whose reply is lost may still have happened, and
            # retrying it under a fixed name would fail forever with NodeExists.
            while not stop.is_set():
                try:
                    path = client.create_async("/e2e/rolling/w-", b"x", sequence=True).get(timeout=5)
                    successes.append((time.monotonic(), path))
                except Exception as e:
                    errors.append(type(e).__name__)
                time.sleep(0.01)

        t = threading.Thread(target=writer, daemon=True)
        t.start()
        window_start = time.monotonic()
        # The StatefulSet controller updates pods from the largest ordinal to the smallest,
        # waiting for each to be Ready (here: serving in the quorum) before the next.
        for sid in sorted(ids, reverse=True):
            ens.servers[sid].kill(signal.SIGTERM)
            ens.servers[sid].start()
            ens.wait_quorum(ids)
        time.sleep(0.5)
        stop.set()
        t.join(timeout=10)
        window_end = time.monotonic()
        times = [window_start] + [ts for ts, _ in successes if ts >= window_start] + [window_end]
        gap = max(b - a for a, b in zip(times, times[1:]))
        FIGURES["longest write gap during rolling restart (3 servers), s"] = round(gap, 3)
        log(f"rolling restart: {len(successes)} writes acknowledged, {len(errors)} failed attempts {sorted(set(errors))}, longest gap {gap:.3f}s")
        assert successes, "writes kept succeeding"
        client.stop()
        client.close()
        assert_all_present(ens, ids, {p: b"x" for _, p in successes})
    finally:
        ens.cleanup(args.keep_logs)


def scenario_negative_control(args):
    """A zoo.cfg with one server's copy of a quorum port changed must fail the harness."""

    def tamper(sid, lines):
        if sid != 3:
            return lines
        return [l.replace(":2888:", ":2999:") if l.startswith("server.") else l for l in lines]

    ens = Ensemble(Emitted(args.example_out, "staging", "zookeeper"), subnet=4, tamper=tamper)
    try:
        ens.start_all()
        try:
            ens.wait_quorum(list(ens.servers), timeout=20)
        except AssertionError as e:
            log(f"negative control: the harness rejected the tampered configuration ({e})")
            return
        raise AssertionError("the harness accepted a configuration in which server 3 cannot reach the leader")
    finally:
        ens.cleanup(args.keep_logs)


SCENARIOS = [
    ("leader and follower crash", scenario_leader_and_follower_crash),
    ("five servers: lose two, then the quorum", scenario_five_servers),
    ("isolation between environments", scenario_isolation),
    ("rolling restart", scenario_rolling_restart),
    ("negative control: wrong quorum port", scenario_negative_control),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--zkc", default=os.path.join(root, "target", "debug", "zkc"))
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--only", help="run only scenarios whose name contains this")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # kazoo logs every dropped connection; the scenarios expect them
    args.example_out = os.path.join(root, "out")
    # The example out/ must be what zkc produces from specs/ (the CI gate checks it too).
    subprocess.run([args.zkc, "check", os.path.join(root, "specs"), "--out", args.example_out, "--quiet"], check=True)
    args.e2e_out = tempfile.mkdtemp(prefix="zk-e2e-out-")
    subprocess.run([args.zkc, "build", os.path.join(root, "tests", "e2e", "specs"), "--out", args.e2e_out, "--quiet"], check=True)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("scenario exceeded 300 s")))
    passed = failed = 0
    for name, fn in SCENARIOS:
        if args.only and args.only not in name:
            continue
        log(f"=== {name}")
        signal.alarm(300)
        try:
            fn(args)
            passed += 1
            log(f"ok: {name}")
        except Exception:
            failed += 1
            traceback.print_exc()
            log(f"FAILED: {name}")
        finally:
            signal.alarm(0)
    shutil.rmtree(args.e2e_out, ignore_errors=True)
    print("\nFigures (this machine):")
    for k, v in FIGURES.items():
        print(f"  {k}: {v}")
    print(f"\ne2e: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
