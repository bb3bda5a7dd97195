#!/usr/bin/python3
"""TLS handshake side of tests/pod/tls_sasl.py, run inside the client pod's network namespace:
connect to host:port with a CA and a client certificate, complete the handshake, then wait up
to 3 s for the server's verdict on the client certificate (with TLS 1.3 the server checks it
after the client's side of the handshake is done, and refuses with an alert). Prints one JSON
object: {"handshake": bool, "serial": "SERIAL=…" of the server certificate, "refused": alert or ""}."""

import json
import socket
import ssl
import subprocess
import sys


def main():
    host, port, ca, cert, key = sys.argv[1:6]
    out = {"handshake": False, "serial": "", "refused": ""}
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False  # the servers' names are checked by ZooKeeper's side; here the CA
    ctx.load_verify_locations(ca)
    ctx.load_cert_chain(cert, key)
    try:
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            with ctx.wrap_socket(raw) as s:
                out["handshake"] = True
                der = s.getpeercert(binary_form=True)
                out["serial"] = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-serial"], input=der,
                                               capture_output=True).stdout.decode().strip()
                s.settimeout(3)
                try:
                    s.recv(1)
                except ssl.SSLError as e:
                    out["refused"] = str(e)[:200]
                except (socket.timeout, OSError):
                    pass
    except (ssl.SSLError, OSError) as e:
        out["refused"] = f"{type(e).__name__}: {e}"[:200]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
