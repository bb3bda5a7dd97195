#!/usr/bin/python3
"""TLS and SASL (issue #14) on the real ZooKeeper, in the pod runner: zkc builds a 3-server
ensemble with client TLS, quorum TLS and SASL (clients and peers, enforced) and, as the negative
control, the same ensemble without them; the pods run as the kubelet would run them
(tests/pod/kubelet.py), with the Secrets cert-manager and the user would create, made here with
openssl (a CA; the server certificate with exactly the DNS names of the emitted Certificate;
client certificates from that CA and from a second, untrusted CA).

Checks (secure build): every pod Ready through the loopback probes; a TLS client with the right
CA, certificate and SASL user writes and reads a znode with a SASL-only ACL; refused: a plain
client on the secure port, any client on the plain port from outside the pod, a client that
trusts another CA, a client certificate from another CA, a TLS client without SASL, a TLS client
with a wrong SASL password; the quorum and election ports speak TLS (openssl handshake) and the
servers log TLS quorum communication; a renewed certificate swapped into the Secret volume the
way the kubelet does it is served without a restart while writes continue. The negative control
runs the same refusal checks against the plain build and requires each to fail.

Run as root: /usr/bin/python3 tests/pod/tls_sasl.py [--zkc target/debug/zkc] [--keep]
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import image as image_mod  # noqa: E402
import kubelet as kl  # noqa: E402
import suite  # noqa: E402
from suite import check, figure, main_container, wait_ready  # noqa: E402

CLIENT = os.path.join(HERE, "tls_client.py")
SPECS = {
    "secure.kdl": """environment "secure" {
    ensemble "zk" {
        resources memory="768Mi"
        tls { client #true; quorum "on"; issuer "zk-ca" kind="ClusterIssuer" }
        sasl { secret "zk-sasl"; client #true; quorum "required"; enforce #true }
    }
}
""",
    "plain.kdl": """environment "plain" {
    ensemble "zk" { resources memory="768Mi" }
}
""",
}
SASL = {"client-user": b"app", "client-password": b"app-pass-1", "quorum-user": b"peer", "quorum-password": b"peer-pass-1"}


def run(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw).stdout


def openssl_ca(d, name):
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
         "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.crt"])


def openssl_cert(d, name, ca, sans):
    """A PKCS#8 key (what cert-manager writes with `encoding: PKCS8`) and a certificate for
    server and client auth, signed by `ca`."""
    run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", f"{d}/{name}.key"])
    run(["openssl", "req", "-new", "-key", f"{d}/{name}.key", "-subj", f"/CN={name}", "-out", f"{d}/{name}.csr"])
    with open(f"{d}/{name}.ext", "w") as f:
        f.write("subjectAltName=" + ",".join(sans) + "\nextendedKeyUsage=serverAuth,clientAuth\n")
    run(["openssl", "x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/{ca}.crt", "-CAkey", f"{d}/{ca}.key",
         "-CAcreateserial", "-days", "2", "-extfile", f"{d}/{name}.ext", "-out", f"{d}/{name}.crt"])
    return run(["openssl", "x509", "-noout", "-serial", "-in", f"{d}/{name}.crt"]).strip()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def tls_secret(d, name, ca):
    """The Secret cert-manager writes for the Certificate (CombinedPEM: key, then chain)."""
    return {"tls-combined.pem": read(f"{d}/{name}.key") + read(f"{d}/{name}.crt"),
            "tls.crt": read(f"{d}/{name}.crt"), "tls.key": read(f"{d}/{name}.key"), "ca.crt": read(f"{d}/{ca}.crt")}


def attempt(net_ns, servers, tls, d, cert="", user="", password="", op="read", path="/zkc-secure"):
    ca = f"{d}/ca.crt" if tls != "wrong-ca" else f"{d}/other-ca.crt"
    key = cert.replace(".crt", ".key") if cert else ""
    argv = [servers, "0" if tls == "plain" else "1", ca, cert, key, user, password, op, path]
    p = subprocess.run(kl.in_netns(net_ns, ["/usr/bin/python3", CLIENT] + argv), capture_output=True, text=True, timeout=120)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"connected": False, "ok": False, "error": f"client exited {p.returncode}: {p.stderr[-300:]}"}


def handshake(net_ns, host, port, d, cert):
    """openssl s_client against a server port: the certificate it presents (serial), or None."""
    argv = ["openssl", "s_client", "-connect", f"{host}:{port}", "-CAfile", f"{d}/ca.crt",
            "-cert", f"{d}/{cert}.crt", "-key", f"{d}/{cert}.key", "-verify_return_error", "-brief"]
    p = subprocess.run(kl.in_netns(net_ns, argv), input="", capture_output=True, text=True, timeout=30)
    if p.returncode != 0 or "Verification: OK" not in p.stderr + p.stdout:
        return None
    pem = subprocess.run(kl.in_netns(net_ns, ["sh", "-c", f"openssl s_client -connect {host}:{port} -cert {d}/{cert}.crt "
                                                        f"-key {d}/{cert}.key </dev/null 2>/dev/null | openssl x509 -noout -serial"]),
                         capture_output=True, text=True, timeout=30)
    return pem.stdout.strip() or None


def refusals(label, net_ns, pods, d, secure):
    """The refusal checks; on the plain build (secure=False) each must fail (negative control)."""
    ips = [p.ip for p in pods]
    tls_servers = ",".join(f"{ip}:2281" for ip in ips)
    plain_servers = ",".join(f"{ip}:2181" for ip in ips)
    # on the plain build the "secure" client has nothing on 2281; the port it would use is 2181
    target = tls_servers if secure else plain_servers
    cases = {
        "a plain client on the client Service port": attempt(net_ns, target, "plain", d, user="app", password="app-pass-1"),
        "a plain client on the plain port from outside the pod": attempt(net_ns, plain_servers, "plain", d, user="app", password="app-pass-1"),
        "a client without SASL": attempt(net_ns, target, "tls" if secure else "plain", d, cert=f"{d}/client.crt"),
        "a client with a wrong SASL password": attempt(net_ns, target, "tls" if secure else "plain", d, cert=f"{d}/client.crt", user="app", password="wrong"),
    }
    if secure:
        cases["a client that trusts another CA"] = attempt(net_ns, target, "wrong-ca", d, cert=f"{d}/client.crt", user="app", password="app-pass-1")
        cases["a client certificate from another CA"] = attempt(net_ns, target, "tls", d, cert=f"{d}/stranger.crt", user="app", password="app-pass-1")
    results = {}
    for what, r in cases.items():
        refused = not r["ok"]
        results[what] = refused
        if secure:
            check(f"{label}: refused: {what}", refused, r["error"][:160])
        else:
            check(f"{label} (negative control): the refusal check fails without TLS/SASL: {what}", not refused, r["error"][:160])
    quorum = handshake(net_ns, ips[0], 3888, d, "zk-server")
    if secure:
        check(f"{label}: the election port 3888 completes a TLS handshake with the emitted certificate", quorum is not None, str(quorum))
    else:
        check(f"{label} (negative control): no TLS handshake on 3888 without quorum TLS", quorum is None, str(quorum))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zkc", default=os.path.join(REPO, "target/debug/zkc"))
    ap.add_argument("--zk-version", default="3.9.4")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (network namespaces, bubblewrap, setpriv)")
    started = time.time()
    img = image_mod.build(args.zk_version)
    work = tempfile.mkdtemp(prefix="zkc-tls-sasl-")
    d = os.path.join(work, "pki")
    os.makedirs(d)
    for name, text in SPECS.items():
        os.makedirs(f"{work}/specs", exist_ok=True)
        with open(f"{work}/specs/{name}", "w") as f:
            f.write(text)
    subprocess.run([args.zkc, "build", f"{work}/specs", "--out", f"{work}/out"], check=True, cwd=work)
    net = kl.Network(os.getpid())
    k = kl.Kubelet(img, work, net)

    def cleanup():
        k.shutdown()
        net.cleanup()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}")
    import atexit
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    client_ns, client_ip = net.add("client")

    # PKI: the server certificate carries exactly the names of the emitted Certificate
    secure = kl.load_namespace(f"{work}/out/secure")
    cert = secure["Certificate"][0]
    sans = [f"DNS:{n}" for n in cert["spec"]["dnsNames"]]
    openssl_ca(d, "ca")
    openssl_ca(d, "other-ca")
    serial1 = openssl_cert(d, "zk-server", "ca", sans)
    openssl_cert(d, "client", "ca", [f"IP:{client_ip}", "DNS:client"])
    openssl_cert(d, "stranger", "other-ca", [f"IP:{client_ip}", "DNS:client"])
    k.secrets = {("secure", "zk-tls"): tls_secret(d, "zk-server", "ca"), ("secure", "zk-sasl"): SASL}

    # ---- the secure build
    label = "secure (client TLS, quorum TLS on, SASL clients+quorum required, enforced)"
    pods = k.create_pods("secure", secure)
    t0 = time.time()
    k.run(pods)
    ok = wait_ready(pods, 240)
    check(f"{label}: every pod Ready (probes on the loopback plain port)", ok,
          ", ".join(f"{p.name}: exits {main_container(p).exit_codes}" for p in pods))
    if not ok:
        for p in pods:
            print(f"--- {p.name}\n" + "".join(open(main_container(p).log_path).readlines()[-25:]))
        sys.exit(1)
    figure(f"secure ensemble all Ready {time.time() - t0:.1f}s after start")
    tls_servers = ",".join(f"{p.ip}:2281" for p in pods)
    good = attempt(client_ns, tls_servers, "tls", d, cert=f"{d}/client.crt", user="app", password="app-pass-1", op="create")
    check(f"{label}: a TLS client with the CA, a client certificate and the SASL user writes and reads a znode with a SASL-only ACL", good["ok"], good["error"])
    refusals(label, client_ns, pods, d, secure=True)
    modes = []
    for p in pods:
        rc, out, _ = main_container(p).exec(["sh", "-c", "printf srvr | nc -w 3 127.0.0.1 2181"], 10)
        modes += [l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Mode:")]
    check(f"{label}: one leader and two followers", sorted(modes) == ["follower", "follower", "leader"], str(modes))
    logs = "".join(open(main_container(p).log_path).read() for p in pods)
    check(f"{label}: the servers log TLS quorum communication and a TLS-only quorum socket",
          "Using TLS encrypted quorum communication" in logs and "Creating TLS-only quorum server socket" in logs)

    # ---- renewal: a new key and certificate swapped into the Secret volume as the kubelet does
    serial2 = openssl_cert(d, "zk-server-2", "ca", sans)
    stop = threading.Event()
    writes = {"ok": 0, "failed": 0}

    def writer():
        while not stop.is_set():
            r = attempt(client_ns, tls_servers, "tls", d, cert=f"{d}/client.crt", user="app", password="app-pass-1", op="write", path="/zkc-renew:20")
            writes["ok" if r["ok"] else "failed"] += 1
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    time.sleep(3)
    k.secrets[("secure", "zk-tls")] = tls_secret(d, "zk-server-2", "ca")
    renewed_at = time.time()
    for p in pods:
        p.update_secret("zk-tls", "..2026_11_26_00_00_00.000000002")
    served = {}
    deadline = renewed_at + 120
    while time.time() < deadline and len(served) < 2 * len(pods):
        for p in pods:
            for port in (2281, 3888):
                if (p.name, port) not in served and handshake(client_ns, p.ip, port, d, "zk-server") == serial2:
                    served[(p.name, port)] = time.time() - renewed_at
        time.sleep(2)
    stop.set()
    t.join(timeout=120)
    restarts = sum(main_container(p).restarts for p in pods)
    check(f"{label}: the renewed certificate is served on 2281 and 3888 of every server without a restart",
          len(served) == 2 * len(pods) and restarts == 0, f"{serial1} → {serial2}; served {sorted(served)}; restarts {restarts}")
    if served:
        figure(f"renewed certificate served {min(served.values()):.0f}–{max(served.values()):.0f}s after the Secret update (copy period 30 s)")
    check(f"{label}: writes continued during the renewal", writes["ok"] > 0 and writes["failed"] == 0, str(writes))
    figure(f"writes during renewal: {writes['ok']} batches of 20 ok, {writes['failed']} failed")
    k.stop_pods(pods)

    # ---- negative control: the same refusal checks against the build without TLS and SASL
    plain = kl.load_namespace(f"{work}/out/plain")
    pods = k.create_pods("plain", plain)
    k.run(pods)
    ok = wait_ready(pods, 240)
    check("plain (negative control): every pod Ready", ok)
    if ok:
        refusals("plain", client_ns, pods, d, secure=False)
    k.stop_pods(pods)
    print(f"\n==== figures ({time.time() - started:.0f}s)")
    for f in suite.FIGURES:
        print(f"  {f}")
    print(f"{suite.RESULTS['pass']} passed, {suite.RESULTS['fail']} failed", flush=True)
    sys.exit(1 if suite.RESULTS["fail"] else 0)


if __name__ == "__main__":
    main()
