#!/usr/bin/env python3
"""Derive src/zoo_cfg_keys.txt: the zoo.cfg keys ZooKeeper 3.9 really acts on.

    derive_zoo_cfg_keys.py ZOOKEEPER_GIT_DIR [TAG] > src/zoo_cfg_keys.txt     (review notes go to stderr)

ZOOKEEPER_GIT_DIR is a git clone of github.com/apache/zookeeper (bare is fine); TAG defaults to release-3.9.4, the
version tests/zkcfg/run runs. Nothing of ZooKeeper is copied: only key names are extracted.

How a zoo.cfg key takes effect (QuorumPeerConfig.parseProperties, QuorumPeerConfig.java:273-389 at the tag):
  1. keys that parseProperties compares by name (`key.equals("...")`, or a constant of QuorumAuth/JvmPauseMonitor)
     are read by the parser itself;
  2. every other key K becomes the system property "zookeeper." + K (line 389); it has an effect only if the server
     reads the system property "zookeeper.K".
So a key is listed when
  (a) parseProperties names it; or
  (b) the admin guide (zookeeper-docs/src/main/resources/markdown/zookeeperAdmin.md, sections "Configuration
      Parameters" to "Metrics Providers") documents it with "(Java system property: **zookeeper.P**)" -- not
      "... property only" -- and the server's code (zookeeper-server, zookeeper-jute, the Prometheus provider:
      src/main/java) contains the property name "zookeeper.P" (a string literal, "zookeeper." + a constant of the
      same file, or X509Util's getConfigPrefix() + "..." with the prefixes "zookeeper.ssl." and
      "zookeeper.ssl.quorum."); the key is then P,
      whatever name the entry's heading uses (for several entries the heading name is NOT the key that works, e.g.
      *connectionMaxTokens* is zookeeper.connection_throttle_tokens, so the key is connection_throttle_tokens); or
  (c) the guide documents it without a system property and the code reads "zookeeper." + key anyway; or
  (d) it is a documented metricsProvider.* key: parseProperties hands every metricsProvider.* key to the provider
      (lines 375-379), and the Prometheus provider's source names the suffix.
Not listed: entries documented as "Java system property only" (the guide says zoo.cfg is not their place), system
properties without the "zookeeper." prefix (jute.maxbuffer, readonlymode.enabled, znode.container.*: zoo.cfg can
only ever produce zookeeper.*), and the key families server.<id>, group.<n>, weight.<id>, authProvider.<n>.
"""

from __future__ import annotations

import re
import subprocess
import sys

GUIDE = "zookeeper-docs/src/main/resources/markdown/zookeeperAdmin.md"
QPC = "zookeeper-server/src/main/java/org/apache/zookeeper/server/quorum/QuorumPeerConfig.java"
CODE_DIRS = [
    "zookeeper-server/src/main/java",
    "zookeeper-jute/src/main/java",
    "zookeeper-metrics-providers/zookeeper-prometheus-metrics/src/main/java",
]
PROMETHEUS = ("zookeeper-metrics-providers/zookeeper-prometheus-metrics/src/main/java/org/apache/zookeeper/"
              "metrics/prometheus/PrometheusMetricsProvider.java")
X509 = "zookeeper-server/src/main/java/org/apache/zookeeper/common/"
KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", repo, *args], check=True, capture_output=True, text=True).stdout


def show(repo: str, tag: str, path: str) -> str:
    return git(repo, "show", f"{tag}:{path}")


def code_properties(repo: str, tag: str) -> set[str]:
    """Every "zookeeper.*" property name the server's code spells out."""
    out = git(repo, "grep", "-h", "-o", "-E", r'"zookeeper\.[A-Za-z0-9_.-]+"', tag, "--", *CODE_DIRS)
    props = {m.strip('"') for m in out.split()}
    # "zookeeper." + CONSTANT (e.g. FileTxnLog.java:108-109, fsync.warningthresholdms), resolved within the file
    for path in git(repo, "grep", "-l", "-E", r'"zookeeper\."\s*\+', tag, "--", *CODE_DIRS).split():
        src = show(repo, tag, path.split(":", 1)[1])
        consts = dict(re.findall(r'static final String (\w+)\s*=\s*"([^"]+)"', src))
        for ref in re.findall(r'"zookeeper\."\s*\+\s*(\w+|"[^"]+")', src):
            value = ref.strip('"') if ref.startswith('"') else consts.get(ref)
            if value:
                props.add("zookeeper." + value)
    # X509Util: getConfigPrefix() + "suffix"; ClientX509Util "zookeeper.ssl.", QuorumX509Util "zookeeper.ssl.quorum."
    for cls, prefixes in (("X509Util.java", ("zookeeper.ssl.", "zookeeper.ssl.quorum.")),
                          ("ClientX509Util.java", ("zookeeper.ssl.",))):
        src = show(repo, tag, X509 + cls)
        for suffix in re.findall(r'getConfigPrefix\(\)\s*\+\s*"([^"]+)"', src):
            props.update(p + suffix for p in prefixes)
    return props


def explicit_keys(repo: str, tag: str) -> dict[str, int]:
    """Keys parseProperties compares by name, with their line numbers."""
    src = show(repo, tag, QPC)
    lines = src.split("\n")
    start = next(i for i, l in enumerate(lines) if "public void parseProperties(" in l)
    end = next(i for i in range(start, len(lines)) if 'System.setProperty("zookeeper." + key, value)' in lines[i])
    consts = {}
    for cls in ("server/quorum/auth/QuorumAuth.java", "server/util/JvmPauseMonitor.java"):
        csrc = show(repo, tag, "zookeeper-server/src/main/java/org/apache/zookeeper/" + cls)
        name = cls.rsplit("/", 1)[1][:-5]
        for c, v in re.findall(r'static final String (\w+)\s*=\s*"([^"]+)"', csrc):
            consts[f"{name}.{c}"] = v
    keys = {}
    for i in range(start, end):
        for k in re.findall(r'key\.equals\("([^"]+)"\)', lines[i]):
            keys[k] = i + 1
        for c in re.findall(r'key\.equals\((\w+\.\w+)\)', lines[i]):
            keys[consts[c]] = i + 1
    return keys


def guide_entries(repo: str, tag: str):
    """(line, names, kind, properties) for each `* *name* :` entry of the configuration sections."""
    lines = show(repo, tag, GUIDE).split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("### Configuration Parameters"))
    end = next(i for i in range(start, len(lines)) if l_is(lines[i], "### Communication using the Netty framework"))
    for i in range(start, end):
        m = re.match(r"^\* \*(.+?)\*\s*(?:\*\s*)?:?\s*$", lines[i].rstrip())
        if not m:
            continue
        names = [n.strip(" *") for n in re.split(r"\*?\s+and\s+\*?", m.group(1))]
        text = " ".join(lines[i:i + 4])
        a = re.search(r"\((No Ja\w+ system property|Ja\w+ system propert[^)]*)\)", text)
        if not a:
            yield i + 1, names, "none", []
            continue
        ann = a.group(1).replace("*", "")
        if ann.startswith("No"):
            yield i + 1, names, "none", []
        elif re.search(r"propert\w*\s+only", ann):
            yield i + 1, names, "only", []
        else:
            body = ann.split(":", 1)[1] if ":" in ann else ""
            props = [p.strip().rstrip(".") for p in re.split(r"\s+and\s+", body) if p.strip()]
            yield i + 1, names, "sysprop", props


def l_is(line: str, heading: str) -> bool:
    return line.startswith(heading)


def main() -> int:
    repo = sys.argv[1]
    tag = sys.argv[2] if len(sys.argv) > 2 else "release-3.9.4"
    if not repo.endswith(".git") and subprocess.run(["git", "-C", repo, "rev-parse", "--git-dir"],
                                                    capture_output=True, text=True).returncode == 0:
        repo = subprocess.run(["git", "-C", repo, "rev-parse", "--absolute-git-dir"], capture_output=True,
                              text=True, check=True).stdout.strip()
    code = code_properties(repo, tag)
    explicit = explicit_keys(repo, tag)
    prometheus = show(repo, tag, PROMETHEUS)
    known: dict[str, str] = {k: f"parseProperties (QuorumPeerConfig.java:{n})" for k, n in explicit.items()}
    notes: list[str] = []

    for line, names, kind, props in guide_entries(repo, tag):
        valid = [n for n in names if KEY.match(n)]
        if not valid:
            notes.append(f"guide:{line} {names}: not a key (a family or a heading)")
            continue
        if kind == "only":
            for n in valid:
                if n not in explicit:
                    notes.append(f"guide:{line} {n}: 'Java system property only': not listed")
            continue
        if kind == "sysprop":
            for p in props:
                k = p[len("zookeeper."):] if p.startswith("zookeeper.") else p
                if not KEY.match(k):
                    notes.append(f"guide:{line} {names}: unreadable property {p!r}")
                elif "zookeeper." + k in code:
                    known.setdefault(k, f"admin guide line {line} + code reads zookeeper.{k}")
                else:
                    notes.append(f"guide:{line} {names}: property {p!r}: the code reads no 'zookeeper.{k}': "
                                 "zoo.cfg cannot set it")
            for n in valid:
                if n not in known:
                    notes.append(f"guide:{line} heading name {n!r} does not work in zoo.cfg "
                                 f"(documented property: {', '.join(props)})")
            continue
        for n in valid:  # no system property documented
            if n in known:
                continue
            if n.startswith("metricsProvider."):
                if f'"{n[len("metricsProvider."):]}"' in prometheus:
                    known[n] = f"admin guide line {line} + PrometheusMetricsProvider reads it (lines 375-379)"
                else:
                    notes.append(f"guide:{line} {n}: the Prometheus provider does not read it")
            elif "zookeeper." + n in code:
                known[n] = f"admin guide line {line} + code reads zookeeper.{n}"
            else:
                notes.append(f"guide:{line} {n}: documented, but neither parsed nor read as zookeeper.{n}: "
                             "not listed")

    for k, why in sorted(known.items()):
        print(f"{k}\t{why}", file=sys.stderr)
    print("--- not listed:", file=sys.stderr)
    for n in notes:
        print(n, file=sys.stderr)

    print(f"""\
# zoo.cfg keys that ZooKeeper 3.9 acts on ({len(known)} keys, one per line, sorted by byte value; lines starting with # are comments).
# Generated by tests/zkcfg/derive_zoo_cfg_keys.py from apache/zookeeper at tag {tag}; do not edit by hand.
# Sources:
#   - QuorumPeerConfig.parseProperties (zookeeper-server/.../server/quorum/QuorumPeerConfig.java:273-389): the keys it
#     compares by name; every other key K becomes the system property zookeeper.K (line 389);
#   - the admin guide zookeeper-docs/src/main/resources/markdown/zookeeperAdmin.md, sections "Configuration
#     Parameters" to "Metrics Providers": each `* *name* :` entry and its "(Java system property: **zookeeper.P**)";
#     P is listed (as the zoo.cfg key) only if the server's code reads zookeeper.P: zookeeper-server, zookeeper-jute
#     and the Prometheus provider (src/main/java): literals, "zookeeper." + CONSTANT, and X509Util's
#     zookeeper.ssl[.quorum].* names;
#   - metricsProvider.* entries of the guide that PrometheusMetricsProvider reads (parseProperties lines 375-379).
# Not listed: "Java system property only" entries; properties without the zookeeper. prefix (jute.maxbuffer,
# readonlymode.enabled, znode.container.*), which zoo.cfg cannot set; guide headings whose name is not the property
# the code reads (e.g. connectionMaxTokens: the key is connection_throttle_tokens); the families server.<id>,
# group.<n>, weight.<id> and authProvider.<n>.""")
    for k in sorted(known):
        print(k)
    return 0


if __name__ == "__main__":
    sys.exit(main())
