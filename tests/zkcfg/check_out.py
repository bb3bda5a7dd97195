#!/usr/bin/env python3
"""Check every zoo.cfg that zkc wrote against ZooKeeper's own reading of it.

    check_out.py --classpath CP [--self-test] OUTDIR...

For every ConfigMap with a `zoo.cfg` key under each OUTDIR (any `*.yaml` below it):

  (a) run the oracle (ZkCfgOracle.java: ZooKeeper's QuorumPeerConfig on the file's bytes, as the pod sees them);
  (b) ZooKeeper's Properties view must be IDENTICAL to a naive line-by-line `key=value` split of the text
      (same keys, same values, same count). Any difference means a line does not mean what it looks like:
      a `\\` continuation, an escape (`\\u0073erver.4`), a blank or `:` separator, a `\\r`, a non-ASCII value
      (Properties.load reads ISO-8859-1), a duplicate key, a line that is not `key=value`.
      zkServer.sh itself reads dataDir and clientPort with grep/sed (bin/zkServer.sh), i.e. the naive view;
  (c) the voting servers are exactly server.1..N, N the StatefulSet's spec.replicas, no observers, majority quorum;
      each host is `<sts>-<id>.<serviceName>.<ns>.svc` (headless Service) or `<sts>-<id>.<ns>.svc` when the
      ensemble has per-server Services `<sts>-<id>`; the pod `<sts>-<id>` exists (spec.ordinals.start) and its
      ZOO_MY_ID is its pod index; quorum/election ports equal the container ports named quorum/election, and the
      Service the host names carries them to those container ports;
  (d) dataDir is the mount path of the data volume (dataLogDir, when separate, a mounted volume too);
  plus: every key is one ZooKeeper acts on (src/zoo_cfg_keys.txt, server.<id> aside);
  clientPort, admin and metrics ports agree with the container's named ports; the four-letter words the
  probes send are in ZooKeeper's computed whitelist; ZooKeeper accepts the file as each server (perServer).

--self-test first writes tampered copies of one ConfigMap (in a temp copy of the first OUTDIR's tree) and asserts
that each tampering is detected by the check it targets; each is one test in the count.

The last line is exactly `N passed, M failed`; the exit status is non-zero when M > 0.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

POD_INDEX_FIELD = "metadata.labels['apps.kubernetes.io/pod-index']"
KEYS_FILE = Path(__file__).resolve().parents[2] / "src" / "zoo_cfg_keys.txt"
PROMETHEUS = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"


# ----------------------------------------------------------------------------------------------------------- loading

def load_tree(outdir: Path) -> list[tuple[Path, dict]]:
    docs = []
    for f in sorted(outdir.rglob("*.yaml")):
        with open(f, encoding="utf-8") as fh:
            for d in yaml.safe_load_all(fh):
                if isinstance(d, dict):
                    docs.append((f, d))
    return docs


def ns_of(d: dict) -> str:
    return (d.get("metadata") or {}).get("namespace") or "default"


def name_of(d: dict) -> str:
    return (d.get("metadata") or {}).get("name") or ""


# ------------------------------------------------------------------------------------------------------------ oracle

class Oracle:
    def __init__(self, classpath: str, java: str = "java"):
        self.cmd = [java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-Dslf4j.internal.verbosity=ERROR", "-cp", classpath, "ZkCfgOracle"]

    def run(self, cfg_text: str, workdir: Path) -> tuple[dict | None, str]:
        """ZooKeeper's view of the zoo.cfg text; the file holds its UTF-8 bytes, as the kubelet writes them."""
        path = workdir / "zoo.cfg"
        path.write_bytes(cfg_text.encode("utf-8"))
        p = subprocess.run(self.cmd + [str(path)], capture_output=True, text=True, timeout=120)
        if p.returncode not in (0, 2):
            return None, f"oracle failed (exit {p.returncode}): {p.stderr.strip()}"
        try:
            return json.loads(p.stdout), p.stderr.strip()
        except json.JSONDecodeError as e:
            return None, f"oracle printed no JSON ({e}): {p.stdout[:200]!r} {p.stderr.strip()}"


# ------------------------------------------------------------------------------------------------------ naive split

def naive_split(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """`key=value` per '\\n'-separated line, split at the first '='; blank lines and lines starting with '#' skipped."""
    pairs, bad = [], []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, 1):
        if line == "" or line.startswith("#"):
            continue
        if "=" not in line:
            bad.append(f"line {n} is not key=value: {line!r}")
            continue
        k, v = line.split("=", 1)
        pairs.append((k, v))
    return pairs, bad


def compare_views(text: str, oracle: dict) -> list[str]:
    errs = []
    pairs, bad = naive_split(text)
    errs += bad
    naive = {}
    for k, v in pairs:
        if k in naive:
            errs.append(f"duplicate key {k!r} (ZooKeeper keeps the last value)")
        naive[k] = v
    zk = oracle.get("properties")
    if zk is None:
        return errs + ["ZooKeeper could not load the file as Properties"]
    for k in sorted(set(naive) | set(zk)):
        if k not in zk:
            errs.append(f"key {k!r} of the text is not a key for ZooKeeper")
        elif k not in naive:
            errs.append(f"ZooKeeper reads a key {k!r} = {zk[k]!r} that no line shows")
        elif naive[k] != zk[k]:
            errs.append(f"key {k!r}: the text says {naive[k]!r}, ZooKeeper reads {zk[k]!r}")
    if not errs and not (len(pairs) == len(zk) == oracle.get("propertyCount")):
        errs.append(f"count differs: {len(pairs)} lines, ZooKeeper {oracle.get('propertyCount')} properties")
    return errs


# ------------------------------------------------------------------------------------------------- structure checks

def find_statefulset(docs, ns: str, cm_name: str):
    for f, d in docs:
        if d.get("kind") != "StatefulSet" or ns_of(d) != ns:
            continue
        vols = (((d.get("spec") or {}).get("template") or {}).get("spec") or {}).get("volumes") or []
        for v in vols:
            if (v.get("configMap") or {}).get("name") == cm_name:
                return f, d, v["name"]
    return None, None, None


def zk_container(sts: dict, cfg_volume: str):
    for c in sts["spec"]["template"]["spec"].get("containers") or []:
        for m in c.get("volumeMounts") or []:
            if m.get("name") == cfg_volume:
                return c
    return None


def named_ports(container: dict) -> dict:
    return {p.get("name"): p.get("containerPort") for p in container.get("ports") or [] if p.get("name")}


def services(docs, ns: str) -> dict:
    return {name_of(d): d for _, d in docs if d.get("kind") == "Service" and ns_of(d) == ns}


def service_port_reaches(svc: dict, port: int, container_port_name: str, container_ports: dict) -> bool:
    """The Service has `port` and sends it to the container port named `container_port_name`."""
    for p in (svc.get("spec") or {}).get("ports") or []:
        if p.get("port") != port:
            continue
        t = p.get("targetPort", p.get("port"))
        if t == container_port_name or (isinstance(t, int) and t == container_ports.get(container_port_name)):
            return True
    return False


def probe_words(container: dict) -> set[str]:
    words = set()
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        cmd = ((container.get(probe) or {}).get("exec") or {}).get("command") or []
        for part in cmd:
            for m in re.finditer(r"\b(?:echo|printf)\s+['\"]?([a-z]{4})['\"]?\s*\|\s*(?:nc|ncat|netcat)\b", part):
                words.add(m.group(1))
    return words


def check_structure(docs, ns: str, cm_name: str, z: dict) -> list[str]:
    errs = []
    sts_file, sts, cfg_volume = find_statefulset(docs, ns, cm_name)
    if sts is None:
        return [f"no StatefulSet in {ns} mounts ConfigMap {cm_name}"]
    sname = name_of(sts)
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    replicas = spec.get("replicas", 1)
    start = (spec.get("ordinals") or {}).get("start", 0)
    c = zk_container(sts, cfg_volume)
    if c is None:
        return [f"no container of StatefulSet {sname} mounts the volume {cfg_volume!r}"]
    ports = named_ports(c)
    svcs = services(docs, ns)

    # (c) voting servers = server.1..N
    voting = z.get("voting") or []
    ids = [s["id"] for s in voting]
    if ids != list(range(1, replicas + 1)):
        errs.append(f"voting server ids {ids}, but StatefulSet {sname} has replicas {replicas}: want 1..{replicas}")
    if z.get("observers"):
        errs.append(f"observers {[s['id'] for s in z['observers']]}: zkc emits none")
    if z.get("quorumVerifier") != "QuorumMaj":
        errs.append(f"quorum verifier {z.get('quorumVerifier')} (a key starting with 'group' or 'weight' makes "
                    "ZooKeeper use hierarchical quorums, QuorumPeerConfig.parseDynamicConfig)")
    server_keys = sorted(k for k in z.get("properties") or {} if k.strip().startswith("server."))
    if server_keys != sorted(f"server.{i}" for i in range(1, replicas + 1)):
        errs.append(f"server keys {server_keys}")

    per_server = all(f"{sname}-{i}" in svcs for i in range(1, replicas + 1))
    service_name = spec.get("serviceName")
    if not per_server:
        gov = svcs.get(service_name) if service_name else None
        if gov is None:
            errs.append(f"no per-server Services {sname}-<id> and no governing Service {service_name!r}")
        else:
            gs = gov.get("spec") or {}
            if gs.get("clusterIP") != "None":
                errs.append(f"governing Service {service_name} is not headless (clusterIP {gs.get('clusterIP')!r})")
            if gs.get("publishNotReadyAddresses") is not True:
                errs.append(f"headless Service {service_name} does not publish not-ready pods: peers cannot find "
                            "each other before the quorum (and readiness) exists")
            labels = (spec["template"].get("metadata") or {}).get("labels") or {}
            sel = gs.get("selector") or {}
            if not sel or any(labels.get(k) != v for k, v in sel.items()):
                errs.append(f"headless Service {service_name} selector {sel} does not select the pods")

    env = {e.get("name"): e for e in c.get("env") or []}
    myid_src = ((env.get("ZOO_MY_ID") or {}).get("valueFrom") or {}).get("fieldRef", {}).get("fieldPath")
    if myid_src != POD_INDEX_FIELD:
        errs.append(f"ZOO_MY_ID is not the pod index ({myid_src!r}): server ids cannot be tied to pods")

    for s in voting:
        i = s["id"]
        pod_name = f"{sname}-{i}"
        if not (start <= i < start + replicas):
            errs.append(f"server.{i}: no pod {pod_name} (ordinals {start}..{start + replicas - 1})")
        want = f"{pod_name}.{ns}.svc" if per_server else f"{pod_name}.{service_name}.{ns}.svc"
        if s.get("host") != want:
            errs.append(f"server.{i} host {s.get('host')!r}, want {want!r}")
        if s.get("quorumPort") != ports.get("quorum"):
            errs.append(f"server.{i} quorum port {s.get('quorumPort')} != container port quorum {ports.get('quorum')}")
        if s.get("electionPort") != ports.get("election"):
            errs.append(f"server.{i} election port {s.get('electionPort')} != container port election "
                        f"{ports.get('election')}")
        svc = svcs.get(pod_name) if per_server else svcs.get(service_name)
        if svc is not None:
            if per_server:
                sel = (svc.get("spec") or {}).get("selector") or {}
                if sel.get("statefulset.kubernetes.io/pod-name") != pod_name:
                    errs.append(f"Service {pod_name} does not select pod {pod_name}: {sel}")
            for what, port in (("quorum", s.get("quorumPort")), ("election", s.get("electionPort"))):
                if not service_port_reaches(svc, port, what, ports):
                    errs.append(f"Service {name_of(svc)} does not carry port {port} to container port {what}")
        if s.get("clientAddress") is not None:
            errs.append(f"server.{i} has a client address {s['clientAddress']!r}: zkc emits none")

    # (d) dataDir = mount path of the data volume
    mounts = {m.get("name"): m.get("mountPath") for m in c.get("volumeMounts") or []}
    if "data" not in mounts:
        errs.append("the container mounts no volume named data")
    elif z.get("dataDir") != mounts["data"]:
        errs.append(f"dataDir {z.get('dataDir')!r} != mount path of the data volume {mounts['data']!r}")
    if z.get("dataLogDir") != z.get("dataDir") and z.get("dataLogDir") not in mounts.values():
        errs.append(f"dataLogDir {z.get('dataLogDir')!r} is no volume's mount path")

    # ports and words that other objects rely on
    if z.get("secureClientPort") is not None:
        # client TLS (issue #14): the secure port is the one the pod offers; the plain one is for
        # the probes, on the loopback only, and no container port may name it
        if z.get("secureClientPort") != ports.get("client-tls"):
            errs.append(f"secureClientPort {z.get('secureClientPort')} != container port client-tls {ports.get('client-tls')}")
        if z.get("clientPortAddress") != "127.0.0.1" or "client" in ports:
            errs.append(f"with secureClientPort, the plain clientPort must listen on 127.0.0.1 only and be no container "
                        f"port: clientPortAddress {z.get('clientPortAddress')!r}, container port client {ports.get('client')}")
    elif z.get("clientPort") != ports.get("client"):
        errs.append(f"clientPort {z.get('clientPort')} != container port client {ports.get('client')}")
    admin = z.get("adminServer") or {}
    if "admin" in ports and not (admin.get("enabled") and admin.get("serverPort") == ports["admin"]):
        errs.append(f"container port admin {ports['admin']}, ZooKeeper's AdminServer: enabled={admin.get('enabled')} "
                    f"port={admin.get('serverPort')}")
    mp = z.get("metricsProvider") or {}
    if "metrics" in ports:
        mport = (mp.get("configuration") or {}).get("httpPort")
        if mp.get("className") != PROMETHEUS or str(ports["metrics"]) != mport:
            errs.append(f"container port metrics {ports['metrics']}, ZooKeeper's provider {mp.get('className')} "
                        f"httpPort {mport}")
    enabled = set((z.get("fourLetterWords") or {}).get("enabled") or [])
    words = probe_words(c)
    if not words and any("nc " in " ".join(((c.get(p) or {}).get("exec") or {}).get("command") or [])
                         for p in ("livenessProbe", "readinessProbe", "startupProbe")):
        errs.append("a probe talks to ZooKeeper with nc, but no four-letter word could be read from it")
    for w in sorted(words - enabled):
        errs.append(f"a probe sends {w!r}, which ZooKeeper's 4lw whitelist {sorted(enabled)} refuses")
    if (z.get("fourLetterWords") or {}).get("unknown"):
        errs.append(f"unknown four-letter words in the whitelist: {z['fourLetterWords']['unknown']}")
    for sid, result in sorted((z.get("perServer") or {}).items()):
        if result != "ok":
            errs.append(f"as server {sid}, ZooKeeper says: {result}")
    return errs


# ----------------------------------------------------------------------------------------------------------- driver

def zoo_cfgs(docs):
    for f, d in docs:
        if d.get("kind") == "ConfigMap" and "zoo.cfg" in (d.get("data") or {}):
            yield f, d


def known_keys() -> set[str]:
    with open(KEYS_FILE, encoding="utf-8") as fh:
        return {ln.strip() for ln in fh if ln.strip() and not ln.startswith("#")}


def check_keys(z: dict, known: set[str]) -> list[str]:
    """Every key must be one ZooKeeper acts on: any other is silently ignored (or a typo)."""
    errs = []
    for k in sorted(z.get("properties") or {}):
        # authProvider.<name>: ProviderRegistry loads every zookeeper.authProvider.* property
        if re.fullmatch(r"server\.[0-9]+", k) or re.fullmatch(r"authProvider\.[A-Za-z0-9_.-]+", k) or k in known:
            continue
        errs.append(f"ZooKeeper ignores the key {k!r}: not in {KEYS_FILE.name}")
    return errs


def check_one(oracle: Oracle, docs, f: Path, cm: dict, workdir: Path) -> dict[str, list[str]]:
    """Failures by check: 'oracle', 'properties', 'keys', 'structure'."""
    text = cm["data"]["zoo.cfg"]
    z, stderr = oracle.run(text, workdir)
    if z is None:
        return {"oracle": [stderr]}
    out = {"properties": compare_views(text, z), "keys": check_keys(z, known_keys())}
    if not z.get("ok"):
        out["oracle"] = [f"ZooKeeper rejects it: {z.get('error')}"]
        return out
    out["structure"] = check_structure(docs, ns_of(cm), name_of(cm), z)
    return out


def report(label: str, fails: dict[str, list[str]]) -> bool:
    msgs = [f"{k}: {m}" for k, ms in fails.items() for m in ms]
    if msgs:
        print(f"FAIL {label}")
        for m in msgs:
            print(f"     - {m}")
        return False
    print(f"ok   {label}")
    return True


# --------------------------------------------------------------------------------------------------------- self-test

def _insert_before_server1(text: str, line: str) -> str:
    i = text.index("server.1=")
    return text[:i] + line + text[i:]


def _set_line(text: str, key: str, new_line: str) -> str:
    out = [new_line if ln.split("=", 1)[0] == key else ln for ln in text.split("\n")]
    assert out != text.split("\n"), key
    return "\n".join(out)


def _sts_of(docs, cm):
    return find_statefulset(docs, ns_of(cm), name_of(cm))[1]


def _container_port(sts, port_name, value):
    for c in sts["spec"]["template"]["spec"]["containers"]:
        for p in c.get("ports") or []:
            if p.get("name") == port_name:
                p["containerPort"] = value
                return
    raise AssertionError(port_name)


# (name, target check, zoo.cfg rewrite or None, StatefulSet rewrite or None)
TAMPERINGS = [
    ("a value ending in a backslash before server.1 (line continuation swallows it)", "properties",
     lambda t: _insert_before_server1(t, "snapCount=100000\\\n"), None),
    ("a key with a leading tab", "properties",
     lambda t: _insert_before_server1(t, "\tsnapCount=100000\n"), None),
    ("a unicode-escaped key \\u0073erver.4", "properties",
     lambda t: t + "\\u0073erver.4=evil.example.com:2888:3888\n", None),
    ("a carriage return inside a value", "properties",
     lambda t: _insert_before_server1(t, "globalOutstandingLimit=1000\rserver.9=evil.example.com:2888:3888\n"), None),
    ("a newline inside a four-letter-word item", "properties",
     lambda t: _set_line(t, "4lw.commands.whitelist", "4lw.commands.whitelist=ruok,srvr\nmntr"), None),
    ("a key with a blank in it", "properties",
     lambda t: _insert_before_server1(t, "snap Count=100000\n"), None),
    ("a ':' separator", "properties",
     lambda t: _set_line(t, "tickTime", "tickTime:2000"), None),
    ("a non-ASCII value (Properties.load reads ISO-8859-1)", "properties",
     lambda t: _insert_before_server1(t, "sslQuorum.label=\u00e9t\u00e9\n"), None),
    ("a duplicate key", "properties",
     lambda t: _insert_before_server1(t, "clientPort=2182\n"), None),
    ("a value ZooKeeper rejects (electionAlg=1)", "oracle",
     lambda t: _insert_before_server1(t, "electionAlg=1\n"), None),
    ("replicas one more than the server lines", "structure", None,
     lambda sts: sts["spec"].__setitem__("replicas", sts["spec"]["replicas"] + 1)),
    ("a quorum container port that the server lines do not use", "structure", None,
     lambda sts: _container_port(sts, "quorum", 2999)),
    ("dataDir not on the data volume", "structure",
     lambda t: _set_line(t, "dataDir", "dataDir=/var/lib/zookeeper"), None),
    ("a server host that is not the pod's DNS name", "structure",
     lambda t: re.sub(r"server\.2=[^.:]+", "server.2=elsewhere", t), None),
    ("a whitelist without the word the liveness probe sends (ruok)", "structure",
     lambda t: _set_line(t, "4lw.commands.whitelist", "4lw.commands.whitelist=srvr,mntr"), None),
    ("a malformed \\u escape (Properties.load throws)", "oracle",
     lambda t: _insert_before_server1(t, "snapCount=\\u00zz\n"), None),
    ("a documented heading name that ZooKeeper ignores (connectionMaxTokens)", "keys",
     lambda t: _insert_before_server1(t, "connectionMaxTokens=100\n"), None),
]


def self_test(oracle: Oracle, tree: Path, workdir: Path) -> tuple[int, int]:
    passed = failed = 0
    base = workdir / "tree"
    shutil.copytree(tree, base)
    docs = load_tree(base)
    cms = list(zoo_cfgs(docs))
    if not cms:
        print(f"FAIL self-test: no zoo.cfg ConfigMap under {tree}")
        return 0, 1
    cm_file, cm = cms[0]
    print(f"self-test: tampering with {cm_file.relative_to(base)} in a copy of {tree}")
    clean = check_one(oracle, docs, cm_file, cm, workdir)
    if report(f"self-test: the untampered copy passes", clean):
        passed += 1
    else:
        failed += 1
    for what, target, cfg_edit, sts_edit in TAMPERINGS:
        tdocs = copy.deepcopy(docs)
        tcm = next(d for f, d in tdocs if d.get("kind") == "ConfigMap" and f == cm_file and name_of(d) == name_of(cm))
        if cfg_edit:
            tcm["data"]["zoo.cfg"] = cfg_edit(tcm["data"]["zoo.cfg"])
        if sts_edit:
            sts_edit(_sts_of(tdocs, tcm))
        # The tampered objects go through YAML and back, as a reader of the written files would see them.
        for f, d in tdocs:
            if d is tcm or (sts_edit and d.get("kind") == "StatefulSet"):
                with open(f, "w", encoding="utf-8") as fh:
                    yaml.safe_dump(d, fh, allow_unicode=True)
        tdocs = load_tree(base)
        tcm = next(d for f, d in tdocs if f == cm_file and d.get("kind") == "ConfigMap")
        fails = check_one(oracle, tdocs, cm_file, tcm, workdir)
        detected = bool(fails.get(target))
        label = f"self-test: {what} -> detected by the {target} check"
        if detected:
            first = fails[target][0]
            print(f"ok   {label}\n     ({first})")
            passed += 1
        else:
            print(f"FAIL {label}: not detected; checks said {fails}")
            failed += 1
        # restore the copy
        shutil.rmtree(base)
        shutil.copytree(tree, base)
    return passed, failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--classpath", default=os.environ.get("ZKCFG_CLASSPATH"),
                    help="ZooKeeper jars and the compiled ZkCfgOracle (default: $ZKCFG_CLASSPATH)")
    ap.add_argument("--java", default=os.environ.get("ZKCFG_JAVA", "java"))
    ap.add_argument("--self-test", action="store_true", help="first prove that tampered zoo.cfg files are caught")
    ap.add_argument("outdirs", nargs="+", type=Path)
    a = ap.parse_args()
    if not a.classpath:
        ap.error("--classpath (or ZKCFG_CLASSPATH) is required; tests/zkcfg/run sets it")
    oracle = Oracle(a.classpath, a.java)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="zkcfg-check-") as tmp:
        work = Path(tmp)
        if a.self_test:
            p, f = self_test(oracle, a.outdirs[0], work / "self-test")
            passed += p
            failed += f
        for outdir in a.outdirs:
            if not outdir.is_dir():
                print(f"FAIL {outdir}: not a directory")
                failed += 1
                continue
            docs = load_tree(outdir)
            found = list(zoo_cfgs(docs))
            if not found:
                print(f"FAIL {outdir}: no ConfigMap with a zoo.cfg")
                failed += 1
                continue
            for f, cm in found:
                label = f"{f} ({ns_of(cm)}/{name_of(cm)})"
                if report(label, check_one(oracle, docs, f, cm, work)):
                    passed += 1
                else:
                    failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
