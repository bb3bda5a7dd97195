#!/usr/bin/env python3
"""Scrape the Prometheus metrics of a real ZooKeeper ensemble and write the metric names it exports.

The alerts zkc emits (src/emit/prometheus.rs) may use only names in `names-<version>.txt`;
`cargo test` checks that (tests/metrics.rs). This script is how that list is made: it starts a
3-server ensemble on loopback from the jars of the official image (the pod runner's root file
system, tests/pod/image.py: Maven Central's ZooKeeper 3.9.4), with the zoo.cfg lines zkc emits
for `metrics #true`, writes a few znodes through ZooKeeper's own CLI so the request metrics
move, scrapes /metrics of every server and records each sample name, its TYPE and the roles
(leader, follower) that export it.

It then checks the premise of the ZooKeeperNoLeader alert: with both followers killed, the
leader stops exporting `leader_uptime` while its /metrics still answers (Prometheus's `up` stays 1).

Usage: python3 tests/metrics/scrape.py [--zk-version 3.9.4] [--out tests/metrics/names-3.9.4.txt]
Needs java 17 and, on a cold cache, Maven (the pod runner's image build).
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "pod"))
import image as image_mod  # noqa: E402

JAVA = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"
BASE = 27000  # server i listens on BASE + 10 i + {client 1, quorum 2, election 3, metrics 4}


def port(i, what):
    return BASE + 10 * i + {"client": 1, "quorum": 2, "election": 3, "metrics": 4}[what]


def zoo_cfg(i, data):
    lines = [
        "tickTime=2000", "initLimit=10", "syncLimit=5", f"dataDir={data}",
        f"clientPort={port(i, 'client')}", "clientPortAddress=127.0.0.1", "admin.enableServer=false",
        "4lw.commands.whitelist=ruok,srvr,mntr",
        # what src/emit/zoo_cfg.rs writes for `metrics #true`
        "metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider",
        f"metricsProvider.httpPort={port(i, 'metrics')}", "metricsProvider.httpHost=127.0.0.1",
    ]
    lines += [f"server.{j}=127.0.0.1:{port(j, 'quorum')}:{port(j, 'election')}" for j in (1, 2, 3)]
    return "\n".join(lines) + "\n"


def four_letter(i, word):
    try:
        with socket.create_connection(("127.0.0.1", port(i, "client")), timeout=2) as s:
            s.sendall(word.encode())
            return s.makefile().read()
    except OSError:
        return ""


def mode(i):
    m = re.search(r"^Mode: (\w+)", four_letter(i, "srvr"), re.M)
    return m.group(1) if m else None


def classpath(img):
    lib = os.path.join(img.rootfs, img.dist.lstrip("/"), "lib")
    return ":".join(sorted(os.path.join(lib, j) for j in os.listdir(lib) if j.endswith(".jar")))


def start(img, work):
    procs = []
    for i in (1, 2, 3):
        data = os.path.join(work, f"data{i}")
        os.makedirs(data)
        with open(os.path.join(data, "myid"), "w") as f:
            f.write(f"{i}\n")
        cfg = os.path.join(work, f"zoo{i}.cfg")
        with open(cfg, "w") as f:
            f.write(zoo_cfg(i, data))
        log = open(os.path.join(work, f"server{i}.log"), "w")
        procs.append(subprocess.Popen([JAVA, "-Xmx256m", "-cp", classpath(img),
                                       "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg],
                                      stdout=log, stderr=subprocess.STDOUT))
    return procs


def write_znodes(img, n):
    cmds = "\n".join(f"create /zkc-metrics-{k} data{k}" for k in range(n)) + "\nquit\n"
    subprocess.run([JAVA, "-cp", classpath(img), "org.apache.zookeeper.ZooKeeperMain",
                    "-server", f"127.0.0.1:{port(1, 'client')}"], input=cmds.encode(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=True)


def scrape(i):
    with urllib.request.urlopen(f"http://127.0.0.1:{port(i, 'metrics')}/metrics", timeout=10) as r:
        return r.read().decode()


def parse(text):
    """{sample name: TYPE of its family}: summaries give NAME, NAME_sum and NAME_count."""
    types, names = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ", 3)
            types[family] = kind
        elif line and not line.startswith("#"):
            name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
            family = next((f for f in (name, re.sub(r"_(sum|count|bucket|total|created)$", "", name)) if f in types), name)
            names[name] = types.get(family, "untyped")
    return names


def check_quorum_loss(procs, roles):
    leader = next(i for i, r in roles.items() if r == "leader")
    for i, p in enumerate(procs, 1):
        if i != leader:
            p.kill()
    t0 = time.time()
    while time.time() - t0 < 60:
        if "leader_uptime" not in parse(scrape(leader)):
            print(f"quorum loss: server {leader} stopped exporting leader_uptime {time.time() - t0:.1f} s after both "
                  f"followers were killed; its /metrics still answers")
            return
        time.sleep(0.5)
    sys.exit("quorum loss: leader_uptime still exported 60 s after both followers were killed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zk-version", default="3.9.4")
    ap.add_argument("--out")
    ap.add_argument("--raw", help="also write each server's scrape to RAW/<role>-<id>.prom")
    args = ap.parse_args()
    out = args.out or os.path.join(HERE, f"names-{args.zk_version}.txt")
    img = image_mod.build(args.zk_version)
    work = tempfile.mkdtemp(prefix="zkc-metrics-")
    procs = start(img, work)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and sorted(filter(None, map(mode, (1, 2, 3)))) != ["follower", "follower", "leader"]:
            time.sleep(1)
        roles = {i: mode(i) for i in (1, 2, 3)}
        if sorted(filter(None, roles.values())) != ["follower", "follower", "leader"]:
            sys.exit(f"no quorum within 120 s: {roles}; logs in {work}")
        write_znodes(img, 50)
        time.sleep(2)
        found = {}  # name → (type, {roles})
        for i, role in roles.items():
            text = scrape(i)
            if args.raw:
                os.makedirs(args.raw, exist_ok=True)
                with open(os.path.join(args.raw, f"{role}-{i}.prom"), "w") as f:
                    f.write(text)
            for name, kind in parse(text).items():
                found.setdefault(name, (kind, set()))[1].add(role)
        check_quorum_loss(procs, roles)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    with open(out, "w") as f:
        f.write(f"# Metric names exported by ZooKeeper {img.version}'s PrometheusMetricsProvider, scraped from a\n"
                f"# 3-server ensemble by tests/metrics/scrape.py (regenerate with it; do not edit by hand).\n"
                f"# name type roles\n")
        for name in sorted(found):
            kind, rs = found[name]
            f.write(f"{name} {kind} {','.join(sorted(rs))}\n")
    shutil.rmtree(work)
    print(f"{len(found)} names ({sum(1 for _, r in found.values() if r == {'leader'})} leader-only) → {os.path.relpath(out, REPO)}")


if __name__ == "__main__":
    main()
