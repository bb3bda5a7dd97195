#!/usr/bin/python3
"""The escape hatches (issue #15) on the real ZooKeeper, in the pod runner: zkc builds a
3-server ensemble with an extra Secret volume, an emptyDir, a ConfigMap mounted into the server
(shipped with the environment through `manifests`), an init container, a backup sidecar that
mounts the server's data, and a host alias patched onto the StatefulSet (`patches`); the pods run as the kubelet would run them (tests/pod/kubelet.py),
with the Secrets the user would create.

Differs from a real cluster: the runner has one image, so the init container and the sidecar
run the official ZooKeeper image (what the spec names, on purpose) with a shell command.

Checks: every server Ready with its init container run first (exit 0, before the server
started); the init container and the sidecar run as the server's user with no capability, on a
read-only root; the sidecar reads the mounted Secret and has the Secret's keys in its
environment (env-from-secrets); the server's data is mounted read-only into the sidecar (a
write fails with the kernel's EROFS) while the sidecar reads it and packs a backup of the
server's transaction log into the shared emptyDir; the server container sees the ConfigMap at
its mount, and the patched host alias resolves there. A client writes znodes before the
backup is checked.

Negative controls: zkc refuses the same spec with the sidecar writing the data (ZK0076,
exit 1); and the emitted StatefulSet edited by hand to mount the data writable, drop the
Secret mount and the host alias makes those checks fail, so they can fail.

Run as root: /usr/bin/python3 tests/pod/extras.py [--zkc target/debug/zkc] [--keep]
"""

import copy
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import kubelet as kl  # noqa: E402
import suite  # noqa: E402
from suite import check, client, figure, finish, main_container, scenario, wait_ready  # noqa: E402

IMAGE = "docker.io/library/zookeeper:3.9.4"
TOKEN = b"s3-token-7f3a"
# The sidecar: a backup every 2 s of the server's transaction log into the shared emptyDir.
BACKUP = ("while :; do tar -cf /handoff/backup.tar.new -C /data version-2 myid 2> /handoff/backup.err"
          " && mv /handoff/backup.tar.new /handoff/backup.tar && date +%s > /handoff/backup-at; sleep 2; done")
PREPARE = "id -u > /handoff/init-uid && date +%s > /handoff/init-at && cat /etc/backup/token > /handoff/token-seen"
# A patch (RFC 6902) on the StatefulSet: a host alias, as for a client's legacy database.
PATCH = """target: {kind: StatefulSet, name: zk}
patch:
  - {op: add, path: /spec/template/spec/hostAliases, value: [{ip: 10.213.250.9, hostnames: [legacy-db.example.internal]}]}
"""
SPEC = f"""environment "extras" {{
    manifests "extra/settings.yaml"
    patches "extra/patch.yaml"
    ensemble "zk" {{
        resources memory="768Mi"
        pod-labels team="platform"
        volumes {{
            volume "backup-credentials" secret="backup-credentials"
            volume "handoff" empty-dir=#true size-limit="64Mi"
            volume "settings" config-map="extra-settings" mount="/etc/zookeeper-extra"
        }}
        init-containers {{
            init-container "prepare" image="{IMAGE}" {{
                command "sh" "-c" "{PREPARE}"
                resources cpu="10m" memory="32Mi"
                mounts {{
                    mount "handoff" path="/handoff" read-only=#false
                    mount "backup-credentials" path="/etc/backup"
                }}
            }}
        }}
        sidecars {{
            sidecar "backup" image="{IMAGE}" {{
                command "sh" "-c" "{BACKUP}"
                env-from-secrets "backup-credentials"
                resources cpu="20m" memory="32Mi"
                mounts {{
                    mount "data" path="/data"
                    mount "backup-credentials" path="/etc/backup"
                    mount "handoff" path="/handoff" read-only=#false
                }}
            }}
        }}
    }}
}}
"""
SETTINGS = """apiVersion: v1
kind: ConfigMap
metadata:
  name: extra-settings
data:
  backup.conf: "every=2s\\n"
"""


def build(zkc, work, spec, name):
    d = os.path.join(work, name)
    os.makedirs(f"{d}/specs/extra")
    with open(f"{d}/specs/extras.kdl", "w") as f:
        f.write(spec)
    with open(f"{d}/specs/extra/settings.yaml", "w") as f:
        f.write(SETTINGS)
    with open(f"{d}/specs/extra/patch.yaml", "w") as f:
        f.write(PATCH)
    p = subprocess.run([zkc, "build", "specs", "--out", "out", "--color", "never"], cwd=d, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr, f"{d}/out/extras"


def sidecar(p):
    return [c for c in p.containers if c.name == "backup"][0]


def sh(c, script):
    rc, out, _ = c.exec(["sh", "-c", script], 20)
    return rc, out.strip()


def container_checks(label, pods, server_ids):
    """Returns {check name: (ok, detail)} for every pod: the checks a negative control must fail."""
    results = {}
    for p, sid in zip(pods, server_ids):
        s = sidecar(p)
        rc, ids = sh(s, "id -u; id -g; grep CapEff /proc/self/status")
        results[f"{p.name}: the sidecar runs as uid 10000, gid 1000, with no capability"] = (
            rc == 0 and ids.split() == ["10000", "1000", "CapEff:", "0000000000000000"], ids)
        rc, out = sh(s, "touch /rootfs-write 2>&1")
        results[f"{p.name}: the sidecar's root filesystem is read-only"] = (rc != 0 and "Read-only file system" in out, out)
        rc, out = sh(s, "cat /etc/backup/token")
        results[f"{p.name}: the sidecar reads the mounted Secret"] = (rc == 0 and out == TOKEN.decode(), out[:80])
        rc, out = sh(s, "printenv token")
        results[f"{p.name}: the Secret's keys are in the sidecar's environment (env-from-secrets)"] = (
            rc == 0 and out == TOKEN.decode(), out[:80])
        rc, out = sh(s, "touch /data/sidecar-write 2>&1; echo rc=$?; cat /data/myid")
        results[f"{p.name}: the sidecar reads the server's data but cannot write it (EROFS)"] = (
            "Read-only file system" in out and "rc=1" in out and out.splitlines()[-1] == str(sid), out.replace("\n", " | ")[:200])
        rc, out = sh(s, "cat /handoff/init-uid /handoff/token-seen")
        results[f"{p.name}: the init container ran as uid 10000 and read the Secret"] = (
            out.split() == ["10000", TOKEN.decode()], out.replace("\n", " | "))
        rc, out, _ = main_container(p).exec(["cat", "/etc/zookeeper-extra/backup.conf"], 10)
        results[f"{p.name}: the server container sees the ConfigMap at its mount"] = (rc == 0 and out.strip() == "every=2s", out.strip()[:80])
        rc, out, _ = main_container(p).exec(["getent", "hosts", "legacy-db.example.internal"], 10)
        results[f"{p.name}: the patched host alias resolves in the server container"] = (
            rc == 0 and out.split()[:1] == ["10.213.250.9"], out.strip()[:80])
    return results


def backup_check(pods):
    """After the client's writes: the sidecar's latest backup holds the server's transaction log."""
    ok, details = True, []
    deadline = time.time() + 20
    for p in pods:
        while True:
            rc, out = sh(sidecar(p), "tar -tf /handoff/backup.tar | sort | tr '\\n' ' '")
            has_log = any(n.startswith("version-2/log.") for n in out.split())
            if has_log or time.time() > deadline:
                break
            time.sleep(1)
        ok &= has_log and "myid" in out.split()
        details.append(f"{p.name}: {out[:120]}")
    return ok, "; ".join(details)


def run_ensemble(k, ns, objs, secrets):
    k.secrets = secrets
    pods = k.create_pods(ns, objs)
    t0 = time.time()
    k.run(pods)
    return pods, wait_ready(pods, 240), time.time() - t0


def main():
    args, _, work, net, k, started = scenario(__doc__, "zkc-extras-")
    client_ns, _ = net.add("client")
    secrets = {("extras", "backup-credentials"): {"token": TOKEN}}

    # ---- zkc refuses a sidecar that writes the server's data
    writable = SPEC.replace('mount "data" path="/data"', 'mount "data" path="/data" read-only=#false')
    rc, out, _ = build(args.zkc, work, writable, "writable")
    check("negative control: zkc refuses a sidecar mounting the server's data writable (ZK0076, exit 1)",
          rc == 1 and "ZK0076" in out, f"exit {rc}")

    rc, out, out_dir = build(args.zkc, work, SPEC, "extras")
    if not check("zkc builds the spec", rc == 0, out.strip()[-400:]):
        finish(args, started)
    objs = kl.load_namespace(out_dir)
    pods, ready, secs = run_ensemble(k, "extras", objs, secrets)
    label = "extras"
    if not check(f"{label}: every server Ready, each after its init container", ready,
                 ", ".join(f"{p.name}: exits {main_container(p).exit_codes}" for p in pods)):
        for p in pods:
            print(f"--- {p.name}\n" + "".join(open(main_container(p).log_path).readlines()[-25:]))
        finish(args, started)
    figure(f"3 servers with an init container and a sidecar all Ready {secs:.1f}s after start")
    order = []
    for p in pods:
        init = p.init_containers[0]
        rc, at = sh(sidecar(p), "cat /handoff/init-at")
        order.append(init.proc.returncode == 0 and at.isdigit() and int(at) <= main_container(p).started_at + 1)
    check(f"{label}: each init container exited 0 before its server started", all(order), str(order))
    modes = []
    for p in pods:
        rc, out, _ = main_container(p).exec(["sh", "-c", "printf srvr | nc -w 3 127.0.0.1 2181"], 10)
        modes += [l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Mode:")]
    check(f"{label}: one leader and two followers beside the sidecars", sorted(modes) == ["follower", "follower", "leader"], str(modes))
    for name, (ok, detail) in container_checks(label, pods, [1, 2, 3]).items():
        check(f"{label}: {name}", ok, detail)
    w = client(client_ns, "fill", ",".join(f"{p.ip}:2181" for p in pods), "/zkc-extras", 500, 100)
    check(f"{label}: a client writes 500 znodes", w.get("created") == 500, str(w)[:200])
    ok, detail = backup_check(pods)
    check(f"{label}: every sidecar's backup holds the server's transaction log and myid", ok, detail)
    k.stop_pods(pods)

    # ---- negative control: the same pods edited by hand (data writable, no Secret volume)
    edited = copy.deepcopy(objs)
    tpl = edited["StatefulSet"][0]["spec"]["template"]["spec"]
    side = [c for c in tpl["containers"] if c["name"] == "backup"][0]
    side["volumeMounts"] = [{k: v for k, v in m.items() if k != "readOnly" or m["name"] != "data"}
                            for m in side["volumeMounts"] if m["name"] != "backup-credentials"]
    tpl.pop("hostAliases")
    k.delete_pvcs("extras")
    pods, ready, _ = run_ensemble(k, "extras", edited, secrets)
    results = container_checks("edited", pods, [1, 2, 3]) if ready else {}
    caught = sorted(n for n, (ok, _) in results.items()
                    if not ok and ("cannot write" in n or "mounted Secret" in n or "host alias" in n))
    check("negative control: a hand-edited StatefulSet (data writable, no Secret mount, no host alias) fails those checks",
          ready and len(caught) == 3 * len(pods), f"{len(caught)} of {3 * len(pods)} caught: {caught[:3]}")
    k.stop_pods(pods)
    finish(args, started)


if __name__ == "__main__":
    main()
