#!/usr/bin/python3
"""The client side of the resize suite, run inside the pod runner's network (the suite starts it
with `nsenter --net=/run/netns/<client namespace>`). Needs Debian's python3-kazoo.

  workload.py writer ENDPOINTS_FILE ACKS_FILE ROOT INTERVAL STOP_FILE
      One kazoo session through the client Service: its host list is the Service's READY
      endpoints (the suite rewrites ENDPOINTS_FILE from the EndpointSlices in the API server; the
      list is re-read every 0.5 s and handed to kazoo, which uses it at its next (re)connection,
      picking hosts in random order: what a ClusterIP does for a new TCP connection). Creates
      ROOT/b<i//5000>/n<i> (data: i) one at a time, INTERVAL seconds apart, and appends
      "i t_sent t_ack" to ACKS_FILE for every create the server acknowledged (and "E i t error"
      otherwise); a name is never reused. Stops when STOP_FILE exists.
  workload.py monitor TARGETS_FILE OUT_FILE INTERVAL PORT
      Every INTERVAL seconds asks `srvr` of every pod in TARGETS_FILE ({name: ip}, rewritten by
      the suite when pods start or stop), all in parallel, and appends one JSON line
      {"t": wall time, "m": {name: [mode, zxid]}}; mode "-" = not serving, "x" = no answer.
  workload.py readback SERVERS ROOT ACKS_FILE
      Through every server of SERVERS (ip:port,...): sync, then every child of ROOT; prints JSON
      with, per server, the acknowledged writes that are missing.
  workload.py members SERVERS
      Per server: srvr Mode, `conf` (its membership), /zookeeper/config read through it.
"""

import json
import logging
import os
import signal
import socket
import sys
import threading
import time

logging.basicConfig(level=logging.CRITICAL)
# After basicConfig, so the pod runner client's own logging setup is a no-op here.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pod"))
from client import four_letter  # noqa: E402  tests/pod/client.py

BUCKET = 5000


def parse_srvr(out):
    mode, zxid = "-", None
    for line in out.splitlines():
        if line.startswith("Mode:"):
            mode = line.split(":", 1)[1].strip()
        elif line.startswith("Zxid:"):
            zxid = line.split(":", 1)[1].strip()
    return mode, zxid


def read_json(path, default):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def writer(endpoints_file, acks_file, root, interval, stop_file):
    from kazoo.client import KazooClient
    from kazoo.retry import KazooRetry
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    hosts = []
    while not hosts and not stop.is_set():
        hosts = read_json(endpoints_file, [])
        time.sleep(0.1)
    zk = KazooClient(hosts=",".join(hosts), timeout=10,
                     connection_retry=KazooRetry(max_tries=-1, delay=0.05, backoff=1.5, max_delay=1.0))
    zk.start(timeout=120)
    out = open(acks_file, "a", buffering=1)
    made = set()
    i, last_hosts_check, current = 0, 0.0, sorted(hosts)
    while not stop.is_set() and not os.path.exists(stop_file):
        now = time.time()
        if now - last_hosts_check > 0.5:
            last_hosts_check = now
            h = sorted(read_json(endpoints_file, []))
            if h and h != current:
                current = h
                zk.set_hosts(",".join(h))
        b = i // BUCKET
        t_sent = time.time()
        try:
            if b not in made:
                zk.ensure_path(f"{root}/b{b}")
                made.add(b)
            zk.create_async(f"{root}/b{b}/n{i:07d}", str(i).encode()).get(timeout=30)
            out.write(f"{i} {t_sent:.4f} {time.time():.4f}\n")
        except Exception as e:  # not acknowledged: connection loss, timeout, session expiry …
            out.write(f"E {i} {t_sent:.4f} {time.time():.4f} {type(e).__name__}\n")
            if type(e).__name__ == "NoNodeError":  # the parent is gone (data lost): create it again
                made.discard(b)
        i += 1
        time.sleep(interval)
    out.close()
    try:
        zk.stop()
        zk.close()
    except Exception:
        pass


def monitor(targets_file, out_file, interval, port):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    out = open(out_file, "a", buffering=1)

    def ask(name, ip, res):
        try:
            res[name] = list(parse_srvr(four_letter(ip, port, "srvr", timeout=min(0.5, interval * 3))))
        except OSError:
            res[name] = ["x", None]
    while not stop.is_set():
        t0 = time.time()
        targets = read_json(targets_file, {})
        res = {}
        ths = [threading.Thread(target=ask, args=(n, ip, res)) for n, ip in targets.items()]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        out.write(json.dumps({"t": round(t0, 4), "m": res}) + "\n")
        stop.wait(max(0.0, interval - (time.time() - t0)))
    out.close()


def acked(acks_file):
    ok = set()
    with open(acks_file) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] != "E":
                ok.add(int(parts[0]))
    return ok


def readback(servers, root, acks_file):
    from kazoo.client import KazooClient
    want = acked(acks_file)
    result = {"acked": len(want), "servers": {}, "errors": []}
    for s in servers:
        try:
            zk = KazooClient(hosts=s, timeout=10)
            zk.start(timeout=30)
            try:
                zk.sync("/")
                have = set()
                for b in (zk.get_children(root) if zk.exists(root) else []):
                    for c in zk.get_children(f"{root}/{b}"):
                        have.add(int(c[1:]))
                missing = sorted(want - have)
                result["servers"][s] = {"present": len(have), "missing": len(missing), "missing_sample": missing[:20],
                                        "unacked_present": len(have - want)}
            finally:
                zk.stop()
                zk.close()
        except Exception as e:
            result["errors"].append(f"{s}: {type(e).__name__}: {e}")
    print(json.dumps(result))


def members(servers):
    from kazoo.client import KazooClient
    result = {}
    for s in servers:
        host, port = s.rsplit(":", 1)
        r = {}
        try:
            r["mode"] = parse_srvr(four_letter(host, int(port), "srvr", timeout=3))[0]
        except OSError as e:
            r["mode"] = f"error {e}"
        try:
            r["conf"] = sorted(l.strip() for l in four_letter(host, int(port), "conf", timeout=3).splitlines() if l.startswith("server."))
        except OSError as e:
            r["conf"] = f"error {e}"
        try:
            zk = KazooClient(hosts=s, timeout=10)
            zk.start(timeout=20)
            try:
                zk.sync("/zookeeper/config")
                r["config"] = sorted(l for l in zk.get("/zookeeper/config")[0].decode().splitlines() if l.startswith("server."))
            finally:
                zk.stop()
                zk.close()
        except Exception as e:
            r["config"] = f"error {type(e).__name__}: {e}"
        result[s] = r
    print(json.dumps(result))


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "writer":
        writer(a[0], a[1], a[2], float(a[3]), a[4])
    elif cmd == "monitor":
        monitor(a[0], a[1], float(a[2]), int(a[3]))
    elif cmd == "readback":
        readback(a[0].split(","), a[1], a[2])
    elif cmd == "members":
        members(a[0].split(","))
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
