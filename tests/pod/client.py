#!/usr/bin/python3
"""Client side of the pod runner's scenarios, run by the suite inside a network namespace it
created (the "client pod" or a peer pod's namespace): `nsenter --net=… /usr/bin/python3 client.py …`.
Prints one JSON object. Needs Debian's python3-kazoo."""

import json
import logging
import socket
import sys
import time
import urllib.request

logging.basicConfig(level=logging.ERROR)


def four_letter(host, port, cmd, timeout=5):
    # the command alone, no trailing newline (ZooKeeper reads 4 bytes and closes)
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(cmd.encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace")


def kazoo(servers, timeout=20):
    from kazoo.client import KazooClient
    from kazoo.retry import KazooRetry
    zk = KazooClient(hosts=servers, timeout=10, connection_retry=KazooRetry(max_tries=5, delay=0.5),
                     command_retry=KazooRetry(max_tries=5, delay=0.5))
    zk.start(timeout=timeout)
    return zk


def quorum(servers, path):
    """Write through every server, read every write back through every other server."""
    result = {"modes": {}, "writes": 0, "reads_ok": 0, "errors": []}
    for s in servers:
        host, port = s.rsplit(":", 1)
        try:
            out = four_letter(host, int(port), "srvr")
            result["modes"][s] = next((l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Mode:")), out.strip()[:80])
        except OSError as e:
            result["modes"][s] = f"error {e}"
    clients = {}
    try:
        for s in servers:
            clients[s] = kazoo(s)
        clients[servers[0]].ensure_path(path)
        for i, s in enumerate(servers):
            clients[s].create(f"{path}/w{i}", f"via {s}".encode())
            result["writes"] += 1
        for s in servers:
            clients[s].sync(path)
            for i, w in enumerate(servers):
                data, _ = clients[s].get(f"{path}/w{i}")
                if data == f"via {w}".encode():
                    result["reads_ok"] += 1
    except Exception as e:  # reported, the suite decides
        result["errors"].append(f"{type(e).__name__}: {e}")
    finally:
        for c in clients.values():
            try:
                c.stop(); c.close()
            except Exception:
                pass
    return result


def read(servers, path):
    """The children of path and their data, read through every server (after a sync)."""
    result = {"reads": {}, "errors": []}
    for s in servers:
        try:
            zk = kazoo(s)
            try:
                zk.sync(path)
                result["reads"][s] = {c: zk.get(f"{path}/{c}")[0].decode(errors="replace") for c in sorted(zk.get_children(path))}
            finally:
                zk.stop(); zk.close()
        except Exception as e:  # reported, the suite decides
            result["errors"].append(f"{s}: {type(e).__name__}: {e}")
    return result


def fill(servers, path, count, size):
    zk = kazoo(",".join(servers))
    t0 = time.time()
    try:
        zk.ensure_path(path)
        payload = b"z" * size
        done = 0
        batch = 500
        for start in range(0, count, batch):
            futures = [zk.create_async(f"{path}/n{i:06d}", payload) for i in range(start, min(count, start + batch))]
            for f in futures:
                f.get(timeout=60)
                done += 1
        n = zk.get_children(path)
        return {"created": done, "children": len(n), "seconds": round(time.time() - t0, 1)}
    finally:
        zk.stop(); zk.close()


def tcp(host, port, timeout=3):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return {"state": "open"}
    except ConnectionRefusedError:
        return {"state": "refused"}
    except socket.timeout:
        return {"state": "timeout"}
    except OSError as e:
        return {"state": f"error {e}"}


def http(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = r.read().decode(errors="replace")
            return {"status": r.status, "content_type": r.headers.get("Content-Type"), "body": body[:200000]}
    except Exception as e:
        return {"status": None, "error": f"{type(e).__name__}: {e}"}


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "quorum":
        out = quorum(args[0].split(","), args[1])
    elif cmd == "read":
        out = read(args[0].split(","), args[1])
    elif cmd == "fill":
        out = fill(args[0].split(","), args[1], int(args[2]), int(args[3]))
    elif cmd == "tcp":
        out = tcp(args[0], int(args[1]))
    elif cmd == "http":
        out = http(args[0])
    elif cmd == "4lw":
        try:
            out = {"reply": four_letter(args[0], int(args[1]), args[2])}
        except OSError as e:
            out = {"reply": None, "error": str(e)}
    else:
        raise SystemExit(f"unknown command {cmd}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
