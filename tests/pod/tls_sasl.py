#!/usr/bin/python3
"""TLS and SASL (issue #14) on the real ZooKeeper, in the pod runner: zkc builds a 3-server
ensemble with client TLS, quorum TLS and SASL (clients and peers, enforced) and, as the negative
control, the same ensemble without them; the pods run as the kubelet would run them
(tests/pod/kubelet.py), with the Secrets cert-manager and the user would create, made here with
openssl (a CA; the server certificate with exactly the DNS names of the emitted Certificate;
client certificates from that CA and from a second, untrusted CA).

Checks (secure build): every pod Ready through the loopback probes; a TLS client with the right
CA, certificate and SASL user writes and reads a znode with a SASL-only ACL; refused, each with
the server's log line (or the client's TLS error) that says why: a plain client on the secure
port, any client on the plain port from outside the pod (TCP refused), a client that trusts
another CA, a client certificate from another CA, a TLS client without SASL, a TLS client with a
wrong SASL password, and on the election port a certificate of the right CA for other names (the
peers' host name check, fips-mode=false); quorum TLS handshakes (TLS 1.3) and quorum SASL
(DIGEST-MD5) logged by the servers; a renewed certificate swapped into the Secret volume the way
the kubelet does it is served on 2281 and 3888 without a restart while writes continue (figures:
batches written, longest gap). Negative control: the plain build, where the attempts that exist
without TLS and SASL must succeed (see refusals()).

Figures of three runs (2 cores, shared): all Ready in ~15 s; the renewed certificate served
30-51 s after the Secret update (copy period 30 s); 239-303 sessions of 20 writes during the
renewal, 0 failed, longest gap 0.5-0.8 s; after the renewal the leader is killed and every server
is Ready again 13 s later, over new TLS + SASL connections; the whole scenario ~3 minutes.

Run as root: /usr/bin/python3 tests/pod/tls_sasl.py [--zkc target/debug/zkc] [--keep]
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import kubelet as kl  # noqa: E402
import suite  # noqa: E402
from suite import check, figure, finish, main_container, scenario, wait_ready  # noqa: E402

CLIENT = os.path.join(HERE, "tls_client.py")
HANDSHAKE = os.path.join(HERE, "tls_handshake.py")
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
    try:
        p = subprocess.run(kl.in_netns(net_ns, ["/usr/bin/python3", CLIENT] + argv), capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        return {"connected": False, "ok": False, "error": "the client did not finish in 90 s"}
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"connected": False, "ok": False, "error": f"client exited {p.returncode}: {p.stderr[-300:]}"}


def handshake(net_ns, host, port, d, cert="client", ca="ca"):
    """A TLS handshake with a server port, presenting `cert` (the client certificate by
    default: its names match the client's address, which the quorum ports check). Returns
    {"handshake", "serial" of the server certificate, "refused": the server's alert or ""}."""
    argv = ["/usr/bin/python3", HANDSHAKE, host, str(port), f"{d}/{ca}.crt", f"{d}/{cert}.crt", f"{d}/{cert}.key"]
    try:
        p = subprocess.run(kl.in_netns(net_ns, argv), capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return {"handshake": False, "serial": "", "refused": "no answer in 30 s"}
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"handshake": False, "serial": "", "refused": f"exited {p.returncode}: {p.stderr[-200:]}"}


def served_serial(net_ns, host, port, d):
    r = handshake(net_ns, host, port, d)
    return r["serial"] if r["handshake"] and not r["refused"] else None


def log_marks(pods):
    return {p.name: os.path.getsize(main_container(p).log_path) for p in pods}


def logs_since(pods, marks):
    text = ""
    for p in pods:
        with open(main_container(p).log_path, errors="replace") as f:
            f.seek(marks.get(p.name, 0))
            text += f.read()
    return text


def tcp_open(net_ns, host, port):
    """Whether a TCP connection to host:port is accepted (nc -z)."""
    p = subprocess.run(kl.in_netns(net_ns, ["nc", "-z", "-w", "3", host, str(port)]), capture_output=True, timeout=15)
    return p.returncode == 0


def refusals(label, net_ns, pods, d, secure):
    """The refusal checks. On the secure build each attempt must be refused, and the servers'
    log (or, where the client refuses, the client's own TLS error) must say why; every attempt
    differs from the accepted one of main() (CA, client certificate, SASL user and password) in
    one thing only. On the plain build (secure=False, the negative control) the attempts that
    exist without TLS and SASL must succeed: a plain client without credentials on the Service
    port and on the pod's plain port, a client without SASL reading the znode. The attempts
    that need TLS or SASL on the server to mean anything (a wrong password, another CA, a
    client certificate of another CA) have the accepted attempt as their control."""
    ips = [p.ip for p in pods]
    tls_servers = ",".join(f"{ip}:2281" for ip in ips)
    plain_servers = ",".join(f"{ip}:2181" for ip in ips)
    good = dict(cert=f"{d}/client.crt", user="app", password="app-pass-1")
    if secure:
        cases = [
            # (what, servers, mode, attempt arguments, the servers' log line that says why)
            ("a plain client on the client Service port", tls_servers, "plain", dict(user="app", password="app-pass-1"),
             "NotSslRecordException"),
            ("a client without SASL", tls_servers, "tls", dict(cert=f"{d}/client.crt"),
             "does not match with any of the expected authentication scheme [sasl]"),
            ("a client with a wrong SASL password", tls_servers, "tls", dict(good, password="wrong"),
             "Mismatched response"),
            ("a client certificate from another CA", tls_servers, "tls", dict(good, cert=f"{d}/stranger.crt"),
             "PKIX path building failed"),
            ("a client that trusts another CA", tls_servers, "wrong-ca", good, None),
        ]
        for what, servers, mode, kw, why in cases:
            marks = log_marks(pods)
            r = attempt(net_ns, servers, mode, d, **kw)
            said = logs_since(pods, marks)
            ok = not r["ok"] and (why is None or why in said)
            check(f"{label}: refused: {what}", ok, r["error"][:120] + (f"; server log: {why!r} {'found' if why in said else 'NOT found'}" if why else ""))
        # the client's side of "another CA": the server's certificate does not verify
        other = handshake(net_ns, ips[0], 2281, d, ca="other-ca")
        check(f"{label}: ... a client trusting another CA fails on the server's certificate", not other["handshake"] and
              "CERTIFICATE_VERIFY_FAILED" in other["refused"], other["refused"][:160])
        # nothing listens on the pod's address on the plain port: it is bound to 127.0.0.1
        closed = [ip for ip in ips if not tcp_open(net_ns, ip, 2181)]
        r = attempt(net_ns, plain_servers, "plain", d)
        check(f"{label}: refused: a plain client on the plain port from outside the pod (TCP refused on every pod address)",
              len(closed) == len(ips) and not r["ok"], f"refused on {len(closed)}/{len(ips)}; {r['error'][:80]}")
    else:
        made = attempt(net_ns, plain_servers, "plain", d, op="create")
        check(f"{label} (negative control): a plain client creates the znode (world ACL, no SASL here)", made["ok"], made["error"])
        for what, servers, kw in [
            ("a plain client on the client Service port", plain_servers, {}),
            ("a plain client on the plain port from outside the pod", plain_servers, {}),
            ("a client without SASL", plain_servers, {}),
        ]:
            r = attempt(net_ns, servers, "plain", d, **kw)
            check(f"{label} (negative control): the refusal check fails without TLS/SASL: {what}", r["ok"], r["error"][:160])
        opened = [ip for ip in ips if tcp_open(net_ns, ip, 2181)]
        check(f"{label} (negative control): the plain port accepts TCP on every pod address", len(opened) == len(ips),
              f"{len(opened)}/{len(ips)}")
    quorum = handshake(net_ns, ips[0], 3888, d)
    accepted = quorum["handshake"] and not quorum["refused"]
    if secure:
        check(f"{label}: the election port 3888 completes a TLS handshake (server certificate from the CA, "
              f"client certificate with the caller's address)", accepted, str(quorum))
        # FIPS mode off: ZKTrustManager checks the connecting peer's certificate against its
        # address (ssl.quorum.clientHostnameVerification); a certificate of the right CA issued
        # for other names is refused. (In FIPS mode, 3.9's default, X509Util uses the JDK's
        # trust manager, which checks no name: read in the source, not run here.)
        marks = log_marks(pods)
        other = handshake(net_ns, ips[0], 3888, d, "zk-server")
        said = logs_since(pods, marks)
        check(f"{label}: refused on 3888: a certificate of the right CA whose names are not the caller's "
              f"(peer host name check, fips-mode=false)",
              (bool(other["refused"]) or not other["handshake"]) and "Failed to verify hostname" in said,
              f"{other['refused'][:100]}; server log 'Failed to verify hostname' {'found' if 'Failed to verify hostname' in said else 'NOT found'}")
    else:
        check(f"{label} (negative control): no TLS handshake on 3888 without quorum TLS", not accepted, str(quorum))


def main():
    args, _, work, net, k, started = scenario(__doc__, "zkc-tls-sasl-")
    d = os.path.join(work, "pki")
    os.makedirs(d)
    for name, text in SPECS.items():
        os.makedirs(f"{work}/specs", exist_ok=True)
        with open(f"{work}/specs/{name}", "w") as f:
            f.write(text)
    subprocess.run([args.zkc, "build", f"{work}/specs", "--out", f"{work}/out"], check=True, cwd=work)
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
        finish(args, started)
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
    shakes = [l.strip() for l in logs.splitlines() if "SSL handshake complete with" in l]
    check(f"{label}: quorum TLS handshakes between the servers", len(shakes) > 0, f"{len(shakes)} logged")
    if shakes:
        figure("quorum: " + shakes[0][shakes[0].index("SSL handshake"):][:160])
    learners = logs.count("QuorumLearner will use DIGEST-MD5 as SASL mechanism")
    sasl_ok = logs.count("Successfully completed the authentication using SASL")
    check(f"{label}: quorum SASL: the learners use DIGEST-MD5 (FIPS mode off) and the leader authenticates them",
          learners >= 2 and sasl_ok >= 2 and "because FIPS mode is enabled" not in logs,
          f"{learners} learner logins, {sasl_ok} authentications")

    # ---- renewal: a new key and certificate swapped into the Secret volume as the kubelet does
    serial2 = openssl_cert(d, "zk-server-2", "ca", sans)
    stop = threading.Event()
    writes = {"ok": 0, "failed": 0}

    ends = []

    def writer():
        # one TLS + SASL session per batch of 20 writes: each batch is also a fresh handshake
        while not stop.is_set():
            r = attempt(client_ns, tls_servers, "tls", d, cert=f"{d}/client.crt", user="app", password="app-pass-1", op="write", path="/zkc-renew:20")
            writes["ok" if r["ok"] else "failed"] += 1
            if r["ok"]:
                ends.append(time.time())
            else:
                writes.setdefault("errors", []).append(r["error"][:120])
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
                if (p.name, port) not in served and served_serial(client_ns, p.ip, port, d) == serial2:
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
    gaps = [b - a for a, b in zip(ends, ends[1:])]
    figure(f"writes during renewal: {writes['ok']} batches of 20 ok ({20 * writes['ok']} znodes), {writes['failed']} failed, "
           f"longest gap between batches {max(gaps, default=0):.1f}s (mean batch {sum(gaps) / max(len(gaps), 1):.1f}s)")
    after = attempt(client_ns, tls_servers, "tls", d, cert=f"{d}/client.crt", user="app", password="app-pass-1")
    check(f"{label}: after the renewal the znode written before it is still read over TLS + SASL", after["ok"], after["error"])

    # ---- the peers with the renewed certificates: the leader is killed, the two others elect
    # a new leader over new TLS + SASL connections, and the restarted server rejoins.
    def modes_of():
        found = {}
        for p in pods:
            rc, out, _ = main_container(p).exec(["sh", "-c", "printf srvr | nc -w 3 127.0.0.1 2181"], 10)
            found[p.name] = next((l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Mode:")), "-")
        return found
    leader = next((p for p in pods if modes_of().get(p.name) == "leader"), None)
    if leader:
        marks = log_marks(pods)
        t_kill = time.time()
        main_container(leader).kill(signal.SIGKILL)
        while main_container(leader).ready and time.time() - t_kill < 10:
            time.sleep(0.2)  # the supervisor notices the exit
        rejoined = wait_ready(pods, 180) and time.time() - t_kill
        modes = modes_of()
        said = logs_since(pods, marks)
        check(f"{label}: after the renewal, the leader killed: a new leader is elected and it rejoins, all over TLS + SASL "
              f"with the renewed certificates",
              bool(rejoined) and sorted(modes.values()) == ["follower", "follower", "leader"]
              and "SSL handshake complete" in said and "Successfully completed the authentication using SASL" in said
              and "Failed to verify" not in said,
              f"{modes}; {said.count('SSL handshake complete')} TLS handshakes, "
              f"{said.count('Successfully completed the authentication using SASL')} SASL logins logged since the kill")
        if rejoined:
            figure(f"leader {leader.name} killed after the renewal: every server Ready again {rejoined:.0f}s later "
                   f"(restart back-off 10 s)")
    else:
        check(f"{label}: a leader to kill after the renewal", False, str(modes_of()))
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
    finish(args, started)


if __name__ == "__main__":
    main()
