#!/usr/bin/python3
"""Client side of tests/pod/tls_sasl.py, run inside the client pod's network namespace. One
attempt per call: connect (plain or TLS, with a CA, a client certificate, SASL DIGEST-MD5
credentials or none), then run `op` on `path`. Prints one JSON object:
{"connected": bool, "ok": bool, "error": str}. Needs Debian's python3-kazoo and python3-puresasl."""

import json
import logging
import sys

logging.basicConfig(level=logging.CRITICAL)
WAIT = 10


def main():
    servers, tls, ca, cert, key, user, password, op, path = sys.argv[1:10]
    from kazoo.client import KazooClient
    from kazoo.retry import KazooRetry
    from kazoo.security import make_acl
    kw = {}
    if tls == "1":
        kw.update(use_ssl=True, verify_certs=True, ca=ca, certfile=cert or None, keyfile=key or None)
    if user:
        kw["sasl_options"] = {"mechanism": "DIGEST-MD5", "username": user, "password": password}
    zk = KazooClient(hosts=servers, timeout=6, connection_retry=KazooRetry(max_tries=1, delay=0.2),
                     command_retry=KazooRetry(max_tries=3, delay=0.5), **kw)
    out = {"connected": False, "ok": False, "error": ""}
    try:
        zk.start(timeout=15)
        out["connected"] = True
        # Every call waits at most WAIT seconds: a server that closes an unauthenticated session
        # (enforce.auth.enabled) leaves kazoo's synchronous calls waiting for ever.
        acl = [make_acl("sasl", user, all=True)] if user else None
        if op == "create":
            # readable and writable only by the SASL user
            zk.create_async(path, b"secret", acl=acl, makepath=True).get(timeout=WAIT)
            out["ok"] = zk.get_async(path).get(timeout=WAIT)[0] == b"secret"
        elif op == "read":
            out["ok"] = zk.get_async(path).get(timeout=WAIT)[0] == b"secret"
        elif op == "write":
            count = int(path.rsplit(":", 1)[1])
            base = path.rsplit(":", 1)[0]
            zk.ensure_path_async(base, acl=acl).get(timeout=WAIT)
            for i in range(count):
                zk.create_async(f"{base}/w", str(i).encode(), sequence=True, acl=acl).get(timeout=WAIT)
            out["ok"] = True
    except Exception as e:  # every refusal is an answer, not a crash
        out["error"] = f"{type(e).__name__}: {e}"[:300]
    finally:
        try:
            zk.stop()
            zk.close()
        except Exception:
            pass
    print(json.dumps(out))


if __name__ == "__main__":
    main()
