#!/usr/bin/env python3
"""The AdminServer settings zkc emits, proven on the real ZooKeeper 3.9.4 (issue #11, item 3).

3.9 enables the AdminServer's `snapshot` and `restore` commands by default, and its `ip` auth
scheme accepts anyone (`Authorization: ip`): whoever reaches the port can download or replace
the whole data tree (CVE-2025-58457). zkc binds the AdminServer to 127.0.0.1 (the pod runner
shows a peer pod cannot reach it) and writes `admin.snapshot.enabled=false` and
`admin.restore.enabled=false`. This script takes the `admin.*` lines of every emitted zoo.cfg,
starts a standalone 3.9.4 server with them on loopback, and asks for a snapshot the way an
attacker inside the pod would: the answer must not be a snapshot. Negative control: the same
server with `admin.snapshot.enabled=true` hands out the data tree (HTTP 200, "ZKSN" magic).

The 3.9.4 jars (with Jetty, which the AdminServer needs) come from the pod runner's image cache
(`.ci/pod-runner` builds it first). Final line: `N passed, M failed`.

Run: python3 tests/e2e/admin_server.py [OUTDIR…]   (default: out tests/golden/*/out)
"""

import glob
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml


def zookeeper_lib():
    cache = os.environ.get("ZKC_POD_CACHE", os.path.expanduser("~/.cache/zkc-pod-runner"))
    libs = sorted(glob.glob(os.path.join(cache, "rootfs-3.9.4-*", "apache-zookeeper-3.9.4-bin", "lib")))
    if not libs:
        sys.exit("no ZooKeeper 3.9.4 image cache: run .ci/pod-runner first")
    return libs[-1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def admin_lines(out_dirs):
    """The distinct sets of admin.* lines of every emitted zoo.cfg, with one file naming each."""
    found = {}
    for out in out_dirs:
        for path in sorted(glob.glob(os.path.join(out, "*", "configmap-*.yaml"))):
            with open(path) as f:
                cfg = yaml.safe_load(f)["data"]["zoo.cfg"]
            lines = tuple(l for l in cfg.splitlines() if l.startswith("admin."))
            found.setdefault(lines, path)
    return found


def ask(admin_port):
    request = urllib.request.Request(f"http://127.0.0.1:{admin_port}/commands/snapshot",
                                     headers={"Authorization": "ip"})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


def snapshot_answer(lib, lines):
    """Starts a standalone 3.9.4 server with `lines` and asks its AdminServer for a snapshot."""
    client_port, admin_port = free_port(), free_port()
    settings = [l for l in lines if not l.startswith(("admin.serverPort", "admin.serverAddress"))]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "zoo.cfg")
        with open(cfg, "w") as f:
            f.write("\n".join([f"dataDir={tmp}/data", f"clientPort={client_port}",
                               "clientPortAddress=127.0.0.1", "admin.serverAddress=127.0.0.1",
                               f"admin.serverPort={admin_port}", *settings]) + "\n")
        server = subprocess.Popen(["java", "-Xmx128m", "-cp", f"{lib}/*",
                                   "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                status, body = ask(admin_port)
                # Until the server serves, every command answers "not currently serving".
                if status is not None and b"not currently serving" not in body:
                    return status, body
                time.sleep(0.5)
            return None, b"the server never served"
        finally:
            server.terminate()
            server.wait(timeout=30)


def main():
    out_dirs = sys.argv[1:] or ["out"] + sorted(glob.glob("tests/golden/*/out"))
    lib = zookeeper_lib()
    passed = failed = 0

    def check(name, ok, detail):
        nonlocal passed, failed
        print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)
        passed, failed = passed + ok, failed + (not ok)

    for lines, example in admin_lines(out_dirs).items():
        if "admin.enableServer=false" in lines:
            check(f"{example}: AdminServer disabled", True, "admin.enableServer=false")
            continue
        status, body = snapshot_answer(lib, lines)
        check(f"{example}: no snapshot of the data tree through the AdminServer ({', '.join(lines)})",
              status is not None and status != 200 and not body.startswith(b"ZKSN"),
              f"HTTP {status}: {body[:80]!r}")
    status, body = snapshot_answer(lib, ("admin.snapshot.enabled=true",))
    check("negative control: with admin.snapshot.enabled=true anyone gets the data tree",
          status == 200 and body.startswith(b"ZKSN"), f"HTTP {status}, {len(body)} bytes")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
