"""A real Kubernetes control plane on loopback plus emulated nodes, for zkc's scenario suite.

Reusable pieces (see tests/k8s/README.md for a walk-through):

    plane = ControlPlane(bin_dir).start()          # etcd, kube-apiserver, controller-manager, scheduler
    api = plane.api                                 # a small REST client (admin client certificate)
    nodes = FakeNodes(api, zones=3, per_zone=2).start()   # Node objects + Lease heartbeats
    ensure_storage_class(api, nodes, "zkc-ci-local", default=True)   # local PVs on every node
    kubelet = FakeKubelet(api, nodes.names, start_delay=1.0).start()  # status-only kubelet
    apply_dir(plane, "out/staging")                 # kubectl apply --server-side -k
    wait_for_pods(api, "staging", selector, count=3, ready=True)
    kubelet.hold_not_ready("staging", "zookeeper-2")
    rec = PodRecorder(api, "staging").start(); ...; rec.stop(); rec.events   # ordered, timestamped
    plane.stop()

Everything binds to 127.0.0.1 only, on unusual ports, with its data in a temporary directory that
is removed at stop. Nothing ever connects to a pod IP or a node address: both are invented.

Only the Python standard library is used; kubectl must be on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

# Ports: unusual ones, so a developer's own cluster or etcd on the default ports is untouched.
ETCD_CLIENT_PORT = int(os.environ.get("ZKC_K8S_ETCD_PORT", "23790"))
ETCD_PEER_PORT = ETCD_CLIENT_PORT + 10
APISERVER_PORT = int(os.environ.get("ZKC_K8S_APISERVER_PORT", "26443"))
CM_PORT = APISERVER_PORT + 1
SCHED_PORT = APISERVER_PORT + 2
SERVICE_CIDR = "10.96.0.0/16"
POD_IP_PREFIX = "10.244"  # pod IPs the fake kubelet invents: 10.244.<node>.<n>; never contacted
NODE_IP_PREFIX = "192.0.2"  # TEST-NET-1 (RFC 5737): node addresses, never contacted


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def now_rfc3339(micro: bool = False) -> str:
    t = time.time()
    if micro:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1e6):06d}Z"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def wait_until(pred, timeout: float, interval: float = 0.25, what: str = "condition"):
    """Polls pred() until it returns a truthy value; raises TimeoutError after timeout seconds."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = pred()
            if v:
                return v
        except ComponentDied:
            raise
        except Exception as e:  # noqa: BLE001 - transient API errors while polling
            last_exc = e
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last_exc})" if last_exc else ""))


# --------------------------------------------------------------------------------------------
# REST client


class ComponentDied(RuntimeError):
    """A control-plane process exited; never retried by wait_until."""


class ApiError(Exception):
    def __init__(self, status: int, body: str, method: str, path: str):
        self.status, self.body = status, body
        try:
            self.obj = json.loads(body)
        except ValueError:
            self.obj = {}
        super().__init__(f"{method} {path}: HTTP {status}: {self.obj.get('message', body[:300])}")


class Api:
    """A minimal Kubernetes REST client authenticated by a client certificate."""

    def __init__(self, server: str, ca: str, cert: str, key: str):
        self.server = server
        self.ctx = ssl.create_default_context(cafile=ca)
        self.ctx.load_cert_chain(cert, key)
        self.lock = threading.Lock()
        self.warnings: list[str] = []

    def request(self, method: str, path: str, body=None, params=None, content_type="application/json",
                timeout: float = 30.0, raw: bool = False):
        url = self.server + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            resp = urllib.request.urlopen(req, context=self.ctx, timeout=timeout)
        except urllib.error.HTTPError as e:
            raise ApiError(e.code, e.read().decode(errors="replace"), method, path) from None
        if raw:
            return resp
        with resp:
            for w in resp.headers.get_all("Warning") or []:
                with self.lock:
                    self.warnings.append(w)
            text = resp.read().decode()
        return json.loads(text) if text else None

    def get(self, path, **params):
        return self.request("GET", path, params=params or None)

    def get_or_none(self, path):
        try:
            return self.get(path)
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def post(self, path, body, **params):
        return self.request("POST", path, body, params=params or None)

    def put(self, path, body):
        return self.request("PUT", path, body)

    def delete(self, path, body=None, **params):
        return self.request("DELETE", path, body, params=params or None)

    def merge_patch(self, path, body):
        return self.request("PATCH", path, body, content_type="application/merge-patch+json")

    def strategic_patch(self, path, body):
        return self.request("PATCH", path, body, content_type="application/strategic-merge-patch+json")

    def create_or_get(self, path, body):
        try:
            return self.post(path, body)
        except ApiError as e:
            if e.status == 409:
                return self.get(f"{path}/{body['metadata']['name']}")
            raise

    def watch(self, path, stop: threading.Event, params=None, timeout_s: int = 30):
        """Yields watch events (dicts with type and object) until stop is set; re-lists on expiry."""
        rv = None
        while not stop.is_set():
            try:
                if rv is None:
                    lst = self.get(path, **(params or {}))
                    rv = lst["metadata"]["resourceVersion"]
                    for item in lst["items"]:
                        yield {"type": "ADDED", "object": item}
                p = dict(params or {}, watch="1", resourceVersion=rv, timeoutSeconds=str(timeout_s),
                         allowWatchBookmarks="true")
                with self.request("GET", path, params=p, raw=True, timeout=timeout_s + 10) as resp:
                    for line in resp:
                        if stop.is_set():
                            return
                        ev = json.loads(line)
                        if ev["type"] == "ERROR":
                            rv = None  # 410 Gone: list again
                            break
                        rv = ev["object"]["metadata"].get("resourceVersion", rv)
                        if ev["type"] != "BOOKMARK":
                            yield ev
            except (OSError, ApiError, ValueError):
                if stop.is_set():
                    return
                rv = None
                time.sleep(0.5)


# --------------------------------------------------------------------------------------------
# Control plane


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class ControlPlane:
    """etcd + kube-apiserver + kube-controller-manager + kube-scheduler on 127.0.0.1."""

    def __init__(self, bin_dir: str, workdir: str | None = None, keep: bool = False):
        self.bin = bin_dir
        self.dir = workdir or tempfile.mkdtemp(prefix="zkc-k8s-")
        self.keep = keep
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.kubeconfig = os.path.join(self.dir, "admin.kubeconfig")
        self.api: Api | None = None

    # -- certificates (openssl), made fresh at every start
    def _openssl(self, *args):
        subprocess.run(["openssl", *args], cwd=self.dir, check=True, capture_output=True, timeout=60)

    def _cert(self, name: str, subj: str, san: str | None = None, client: bool = True):
        d = self.dir
        self._openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key")
        ext = os.path.join(d, f"{name}.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
            f.write(f"extendedKeyUsage={'clientAuth' if client else 'serverAuth,clientAuth'}\n")
            if san:
                f.write(f"subjectAltName={san}\n")
        self._openssl("req", "-new", "-key", f"{name}.key", "-subj", subj, "-out", f"{name}.csr")
        self._openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                      "-CAcreateserial", "-days", "2", "-sha256", "-extfile", ext, "-out", f"{name}.crt")

    def _make_pki(self):
        self._openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key")
        self._openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=zkc-ci-ca", "-days", "2",
                      "-sha256", "-out", "ca.crt")
        self._cert("apiserver", "/CN=kube-apiserver",
                   "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
                   "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local", client=False)
        self._cert("admin", "/O=system:masters/CN=zkc-ci-admin")
        self._cert("controller-manager", "/CN=system:kube-controller-manager")
        self._cert("scheduler", "/CN=system:kube-scheduler")
        # Service-account token signing key pair.
        self._openssl("genrsa", "-out", "sa.key", "2048")
        self._openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub")

    def _kubeconfig(self, name: str, user: str) -> str:
        path = os.path.join(self.dir, f"{name}.kubeconfig")
        d = self.dir
        with open(path, "w") as f:
            f.write(f"""apiVersion: v1
kind: Config
clusters:
- name: zkc-ci
  cluster: {{server: "https://127.0.0.1:{APISERVER_PORT}", certificate-authority: "{d}/ca.crt"}}
users:
- name: {user}
  user: {{client-certificate: "{d}/{user}.crt", client-key: "{d}/{user}.key"}}
contexts:
- name: zkc-ci
  context: {{cluster: zkc-ci, user: {user}}}
current-context: zkc-ci
""")
        return path

    def _spawn(self, name: str, args: list[str]):
        logf = open(os.path.join(self.dir, f"{name}.log"), "w")
        # Same process group as the caller (Ctrl-C reaches them too); stop() signals exactly these
        # pids. $ZKC_K8S_PIDFILE (set by .ci/k8s/run-suite) lists them for its EXIT trap, in case
        # this Python process is killed before stop() runs.
        p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, cwd=self.dir)
        self.procs.append((name, p))
        if os.environ.get("ZKC_K8S_PIDFILE"):
            with open(os.environ["ZKC_K8S_PIDFILE"], "a") as f:
                f.write(f"{p.pid}\n")
        return p

    def _check_alive(self):
        for name, p in self.procs:
            if p.poll() is not None:
                tail = open(os.path.join(self.dir, f"{name}.log")).read()[-3000:]
                raise ComponentDied(f"{name} exited with {p.returncode}:\n{tail}")

    def start(self, timeout: float = 180.0) -> "ControlPlane":
        t0 = time.monotonic()
        for port in (ETCD_CLIENT_PORT, ETCD_PEER_PORT, APISERVER_PORT, CM_PORT, SCHED_PORT):
            if not _free(port):
                raise RuntimeError(f"port {port} on 127.0.0.1 is in use (set ZKC_K8S_ETCD_PORT / ZKC_K8S_APISERVER_PORT)")
        self._make_pki()
        d, b = self.dir, self.bin
        self._spawn("etcd", [f"{b}/etcd", "--name=zkc-ci", f"--data-dir={d}/etcd",
                             f"--listen-client-urls=http://127.0.0.1:{ETCD_CLIENT_PORT}",
                             f"--advertise-client-urls=http://127.0.0.1:{ETCD_CLIENT_PORT}",
                             f"--listen-peer-urls=http://127.0.0.1:{ETCD_PEER_PORT}",
                             f"--initial-advertise-peer-urls=http://127.0.0.1:{ETCD_PEER_PORT}",
                             f"--initial-cluster=zkc-ci=http://127.0.0.1:{ETCD_PEER_PORT}",
                             "--unsafe-no-fsync", "--log-level=warn", "--quota-backend-bytes=2147483648"])
        wait_until(lambda: (self._check_alive(), not _free(ETCD_CLIENT_PORT))[1], 30, what="etcd port")
        # Default admission plugins (PodSecurity, DefaultStorageClass, ServiceAccount, ... are on by
        # default: kube-apiserver --help lists them under --enable-admission-plugins); RBAC + Node
        # authorizers as kubeadm configures them. --allow-privileged=true as on kubeadm clusters, so that
        # a privileged container is refused by PodSecurity and not by the older validation-time check.
        self._spawn("kube-apiserver", [
            f"{b}/kube-apiserver", "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            f"--secure-port={APISERVER_PORT}", f"--etcd-servers=http://127.0.0.1:{ETCD_CLIENT_PORT}",
            f"--tls-cert-file={d}/apiserver.crt", f"--tls-private-key-file={d}/apiserver.key",
            f"--client-ca-file={d}/ca.crt", "--authorization-mode=Node,RBAC", "--allow-privileged=true",
            f"--service-account-key-file={d}/sa.pub", f"--service-account-signing-key-file={d}/sa.key",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}", "--profiling=false", "--v=1",
            # The endpoint reconciler refuses a loopback advertise address ("may not be in the
            # loopback range"); nothing in this cluster talks to the in-cluster `kubernetes` Service.
            "--endpoint-reconciler-type=none",
            f"--cert-dir={d}/apiserver-certs"])
        self.api = Api(f"https://127.0.0.1:{APISERVER_PORT}", f"{d}/ca.crt", f"{d}/admin.crt", f"{d}/admin.key")

        def ready():
            self._check_alive()
            try:
                return self.api.request("GET", "/readyz", raw=True, timeout=5).status == 200
            except (OSError, ApiError):
                return False
        wait_until(ready, timeout - (time.monotonic() - t0), interval=0.5, what="kube-apiserver /readyz")
        self._kubeconfig("admin", "admin")
        cm_kc = self._kubeconfig("controller-manager", "controller-manager")
        sch_kc = self._kubeconfig("scheduler", "scheduler")
        self._spawn("kube-controller-manager", [
            f"{b}/kube-controller-manager", f"--kubeconfig={cm_kc}", f"--authentication-kubeconfig={cm_kc}",
            f"--authorization-kubeconfig={cm_kc}", "--bind-address=127.0.0.1", f"--secure-port={CM_PORT}",
            f"--cert-dir={d}/cm-certs", "--controllers=*", "--use-service-account-credentials=true",
            f"--service-account-private-key-file={d}/sa.key", f"--root-ca-file={d}/ca.crt",
            f"--cluster-signing-cert-file={d}/ca.crt", f"--cluster-signing-key-file={d}/ca.key",
            f"--service-cluster-ip-range={SERVICE_CIDR}", "--leader-elect=false", "--v=1",
            # No cloud provider: the LoadBalancer Service stays without an address, as on bare metal.
        ])
        self._spawn("kube-scheduler", [
            f"{b}/kube-scheduler", f"--kubeconfig={sch_kc}", f"--authentication-kubeconfig={sch_kc}",
            f"--authorization-kubeconfig={sch_kc}", "--bind-address=127.0.0.1", f"--secure-port={SCHED_PORT}",
            f"--cert-dir={d}/sched-certs", "--leader-elect=false", "--v=1"])

        def components_up():
            self._check_alive()
            ok = True
            for port in (CM_PORT, SCHED_PORT):
                try:
                    ctx = ssl.create_default_context()
                    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
                    r = urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=ctx, timeout=3)
                    ok = ok and r.status == 200
                except OSError:
                    ok = False
            # The token controller must have made the default ServiceAccount somewhere.
            return ok and self.api.get_or_none("/api/v1/namespaces/default/serviceaccounts/default") is not None
        wait_until(components_up, max(10.0, timeout - (time.monotonic() - t0)), interval=0.5,
                   what="controller-manager and scheduler /healthz")
        log(f"control plane up in {time.monotonic() - t0:.1f}s (dir {self.dir})")
        return self

    def stop(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for name, p in reversed(self.procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        self.procs.clear()
        if os.environ.get("ZKC_K8S_PIDFILE"):
            open(os.environ["ZKC_K8S_PIDFILE"], "w").close()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def kubectl(self, *args, input: str | None = None, timeout: float = 120, check: bool = False):
        r = subprocess.run(["kubectl", f"--kubeconfig={self.kubeconfig}", *args], input=input,
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
        return r


# --------------------------------------------------------------------------------------------
# Fake nodes


class FakeNodes:
    """Node objects in `zones` zones with Lease heartbeats, as a kubelet registers and renews them.

    Differs from a real kubelet: no node status from a real machine (fixed capacity below, invented
    TEST-NET addresses), the Ready condition is set once at registration and re-posted every 60s
    (the real kubelet posts on change and every nodeStatusReportFrequency, 5m), Leases are renewed
    every 10s (the kubelet's default renew interval is 10s: leaseDurationSeconds 40 * 0.25).
    """

    def __init__(self, api: Api, zones: int = 3, per_zone: int = 2, cpu: str = "16", memory: str = "64Gi",
                 pods: str = "110"):
        self.api = api
        self.zone_names = [f"zone-{chr(ord('a') + i)}" for i in range(zones)]
        self.names: list[str] = []
        self.zone_of: dict[str, str] = {}
        for zi, z in enumerate(self.zone_names):
            for j in range(per_zone):
                n = f"node-{chr(ord('a') + zi)}{j + 1}"
                self.names.append(n)
                self.zone_of[n] = z
        self.capacity = {"cpu": cpu, "memory": memory, "pods": pods, "ephemeral-storage": "100Gi"}
        self.stop_ev = threading.Event()
        self.thread: threading.Thread | None = None

    def _status(self, i: int):
        ts = now_rfc3339()
        conds = [{"type": t, "status": "False", "reason": f"KubeletHas{r}", "lastHeartbeatTime": ts,
                  "lastTransitionTime": ts, "message": "fake kubelet"}
                 for t, r in (("MemoryPressure", "SufficientMemory"), ("DiskPressure", "NoDiskPressure"),
                              ("PIDPressure", "SufficientPID"))]
        conds.append({"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": ts,
                      "lastTransitionTime": ts, "message": "fake kubelet is posting ready status"})
        return {"capacity": self.capacity, "allocatable": self.capacity, "conditions": conds,
                "addresses": [{"type": "InternalIP", "address": f"{NODE_IP_PREFIX}.{i + 10}"},
                              {"type": "Hostname", "address": self.names[i]}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {"machineID": f"zkc-ci-{i}", "systemUUID": f"zkc-ci-{i}", "bootID": f"zkc-ci-{i}",
                             "kernelVersion": "fake", "osImage": "zkc-ci fake node", "containerRuntimeVersion": "fake://0",
                             "kubeletVersion": "v0.0.0-zkc-fake-kubelet", "kubeProxyVersion": "",
                             "operatingSystem": "linux", "architecture": "amd64"}}

    def register(self):
        for i, n in enumerate(self.names):
            body = {"apiVersion": "v1", "kind": "Node",
                    "metadata": {"name": n, "labels": {
                        "kubernetes.io/hostname": n, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                        "topology.kubernetes.io/zone": self.zone_of[n], "topology.kubernetes.io/region": "zkc-ci"}},
                    "spec": {}}
            self.api.create_or_get("/api/v1/nodes", body)
            self.api.merge_patch(f"/api/v1/nodes/{n}/status", {"status": self._status(i)})
            self._renew(n)

    def _renew(self, n: str):
        path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
        spec = {"holderIdentity": n, "leaseDurationSeconds": 40, "renewTime": now_rfc3339(micro=True)}
        try:
            self.api.merge_patch(f"{path}/{n}", {"spec": spec})
        except ApiError as e:
            if e.status != 404:
                raise
            self.api.post(path, {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                 "metadata": {"name": n, "namespace": "kube-node-lease"}, "spec": spec})

    def _loop(self):
        last_status = time.monotonic()
        while not self.stop_ev.wait(10):
            for n in self.names:
                try:
                    self._renew(n)
                except (OSError, ApiError) as e:
                    log(f"lease renew {n}: {e}")
            if time.monotonic() - last_status > 60:
                last_status = time.monotonic()
                for i, n in enumerate(self.names):
                    try:
                        self.api.merge_patch(f"/api/v1/nodes/{n}/status", {"status": self._status(i)})
                    except (OSError, ApiError) as e:
                        log(f"node status {n}: {e}")

    def start(self) -> "FakeNodes":
        wait_until(lambda: self.api.get_or_none("/api/v1/namespaces/kube-node-lease"), 30, what="kube-node-lease namespace")
        self.register()
        self.thread = threading.Thread(target=self._loop, name="fake-nodes", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stop_ev.set()

    def cordon(self, names, on: bool = True):
        for n in names:
            self.api.merge_patch(f"/api/v1/nodes/{n}", {"spec": {"unschedulable": True if on else None}})


def ensure_storage_class(api: Api, nodes: FakeNodes, name: str, default: bool = False, per_node: int = 12,
                         size: str = "100Gi"):
    """A no-provisioner StorageClass (WaitForFirstConsumer) with `per_node` local PVs on every node.

    This is the documented set-up for statically provisioned local volumes
    (https://kubernetes.io/docs/concepts/storage/volumes/#local): the scheduler's VolumeBinding plugin
    picks a PV whose node affinity matches the chosen node and pre-binds it; the PV controller
    completes the binding. Nothing is mounted anywhere: the paths are never touched.
    """
    sc = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
          "metadata": {"name": name, "annotations": {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}},
          "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer",
          "reclaimPolicy": "Retain"}
    api.create_or_get("/apis/storage.k8s.io/v1/storageclasses", sc)
    for n in nodes.names:
        for k in range(per_node):
            api.create_or_get("/api/v1/persistentvolumes", _pv(name, n, k, size))


def _pv(sc: str, node: str, k: int, size: str):
    return {"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": f"{sc}-{node}-{k}", "labels": {"zkc-ci/storage-class": sc}},
            "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": "Retain", "storageClassName": sc,
                     "volumeMode": "Filesystem", "local": {"path": f"/mnt/zkc-ci/{sc}/{k}"},
                     "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                         {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}}}


def recycle_released_pvs(api: Api):
    """Deletes Released local PVs and creates them again empty, as sig-storage-local-static-provisioner does
    after cleaning a volume. Returns the names recycled."""
    done = []
    for pv in api.get("/api/v1/persistentvolumes")["items"]:
        if pv.get("status", {}).get("phase") == "Released" and "zkc-ci/storage-class" in pv["metadata"].get("labels", {}):
            name = pv["metadata"]["name"]
            api.delete(f"/api/v1/persistentvolumes/{name}")
            wait_until(lambda: api.get_or_none(f"/api/v1/persistentvolumes/{name}") is None, 30, what=f"PV {name} gone")
            spec = pv["spec"]
            spec.pop("claimRef", None)
            api.post("/api/v1/persistentvolumes", {"apiVersion": "v1", "kind": "PersistentVolume",
                                                   "metadata": {"name": name, "labels": pv["metadata"]["labels"]},
                                                   "spec": spec})
            done.append(name)
    return done


# --------------------------------------------------------------------------------------------
# Status-only kubelet stand-in


def volumes_ready(api: Api, pod) -> bool:
    """Whether a kubelet could mount the pod's volumes now: its claims Bound, its ConfigMaps and
    Secrets present (unless optional). The fake kubelet and the resize bridge both wait on it."""
    ns = pod["metadata"]["namespace"]
    for v in pod["spec"].get("volumes", []):
        if "persistentVolumeClaim" in v:
            pvc = api.get_or_none(f"/api/v1/namespaces/{ns}/persistentvolumeclaims/{v['persistentVolumeClaim']['claimName']}")
            if not pvc or pvc.get("status", {}).get("phase") != "Bound":
                return False
        if "configMap" in v and not v["configMap"].get("optional"):
            if not api.get_or_none(f"/api/v1/namespaces/{ns}/configmaps/{v['configMap']['name']}"):
                return False
        if "secret" in v and not v["secret"].get("optional"):
            if not api.get_or_none(f"/api/v1/namespaces/{ns}/secrets/{v['secret']['secretName']}"):
                return False
    return True


class FakeKubelet:
    """Plays the kubelet's API-facing part for pods bound to the fake nodes. It runs nothing.

    What it does, and how the real kubelet differs (pkg/kubelet in kubernetes/kubernetes):
    - Starts a pod `start_delay` seconds after it sees it bound, and only once every PVC the pod uses
      is Bound and every ConfigMap/Secret volume source exists (non-optional) -- the real volume
      manager also waits for those; it does not pull images, run init containers, mount anything,
      or run probes. Readiness is decided here: Ready after `ready_delay` more seconds unless the
      pod is held (hold_not_ready); the real kubelet runs the readiness probe.
    - Writes the pod status as the kubelet's status manager does (phase Running, podIP/podIPs,
      hostIP, startTime, conditions PodReadyToStartContainers/Initialized/ContainersReady/Ready/
      PodScheduled, containerStatuses running with started/ready), through pods/<name>/status.
      Pod IPs are invented from 10.244.<node>.<n>; no traffic is ever sent to them.
    - Deletion: when deletionTimestamp is set it waits `stop_delay` seconds (the container
      "stopping") and deletes the pod with gracePeriodSeconds=0 and a UID precondition, as the
      status manager does once the containers are gone (pkg/kubelet/status/status_manager.go,
      v1.37.2: `canBeDeleted` then Delete with GracePeriodSeconds 0 and NewUIDPreconditions); it
      ignores the grace period length and preStop hooks, and does not first report the containers
      as terminated.
    - It does not restart containers, report OOM, evict under node pressure, or admit/reject
      pods by resources (the scheduler already checked them).
    """

    def __init__(self, api: Api, node_names: list[str], start_delay: float = 0.5, ready_delay: float = 1.0,
                 stop_delay: float = 0.5, poll: float = 0.2):
        self.api = api
        self.nodes = {n: i for i, n in enumerate(node_names)}
        self.start_delay, self.ready_delay, self.stop_delay, self.poll = start_delay, ready_delay, stop_delay, poll
        self.held: set[tuple[str, str]] = set()
        self.seen: dict[str, float] = {}  # uid -> monotonic time first seen bound
        self.deleting: dict[str, float] = {}
        self.ip_next: dict[str, int] = {n: 2 for n in node_names}
        self.ips: dict[str, str] = {}
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.errors: list[str] = []

    # -- control
    def hold_not_ready(self, ns: str, name: str, hold: bool = True):
        with self.lock:
            (self.held.add if hold else self.held.discard)((ns, name))

    def set_delays(self, start_delay=None, ready_delay=None, stop_delay=None):
        if start_delay is not None:
            self.start_delay = start_delay
        if ready_delay is not None:
            self.ready_delay = ready_delay
        if stop_delay is not None:
            self.stop_delay = stop_delay

    # -- loop
    def start(self) -> "FakeKubelet":
        threading.Thread(target=self._loop, name="fake-kubelet", daemon=True).start()
        return self

    def stop(self):
        self.stop_ev.set()

    def _status(self, pod, ready: bool):
        uid = pod["metadata"]["uid"]
        node = pod["spec"]["nodeName"]
        if uid not in self.ips:
            n = self.ip_next[node]
            self.ip_next[node] = n + 1
            self.ips[uid] = f"{POD_IP_PREFIX}.{self.nodes[node]}.{n % 250 + 2}"
        ts = now_rfc3339()
        old = {c["type"]: c for c in pod.get("status", {}).get("conditions", [])}

        def cond(t, ok):
            st = "True" if ok else "False"
            prev = old.get(t)
            c = {"type": t, "status": st, "lastProbeTime": None,
                 "lastTransitionTime": prev["lastTransitionTime"] if prev and prev["status"] == st else ts}
            if not ok:
                c["reason"] = "ContainersNotReady"
                c["message"] = "containers with unready status: [" + " ".join(x["name"] for x in pod["spec"]["containers"]) + "]"
            return c
        started = pod.get("status", {}).get("startTime") or ts
        cs = []
        prev_cs = {c["name"]: c for c in pod.get("status", {}).get("containerStatuses", [])}
        for c in pod["spec"]["containers"]:
            running_since = prev_cs.get(c["name"], {}).get("state", {}).get("running", {}).get("startedAt") or ts
            cs.append({"name": c["name"], "image": c["image"], "imageID": f"fake://{c['image']}",
                       "containerID": f"fake://{uid}/{c['name']}", "ready": ready, "started": True,
                       "restartCount": 0, "state": {"running": {"startedAt": running_since}}})
        return {"phase": "Running", "hostIP": f"{NODE_IP_PREFIX}.{self.nodes[node] + 10}",
                "hostIPs": [{"ip": f"{NODE_IP_PREFIX}.{self.nodes[node] + 10}"}],
                "podIP": self.ips[uid], "podIPs": [{"ip": self.ips[uid]}], "startTime": started,
                "conditions": [cond("PodReadyToStartContainers", True), cond("Initialized", True),
                               cond("Ready", ready), cond("ContainersReady", ready), cond("PodScheduled", True)],
                "containerStatuses": cs}

    def _step(self):
        pods = self.api.get("/api/v1/pods", fieldSelector="spec.nodeName!=")["items"]
        now = time.monotonic()
        live = set()
        for pod in pods:
            md, spec = pod["metadata"], pod["spec"]
            if spec.get("nodeName") not in self.nodes:
                continue
            uid = md["uid"]
            live.add(uid)
            ns, name = md["namespace"], md["name"]
            path = f"/api/v1/namespaces/{ns}/pods/{name}"
            if md.get("deletionTimestamp"):
                t = self.deleting.setdefault(uid, now)
                if now - t >= self.stop_delay:
                    try:
                        self.api.delete(path, {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                                               "preconditions": {"uid": uid}})
                    except ApiError as e:
                        if e.status not in (404, 409):
                            raise
                continue
            first = self.seen.setdefault(uid, now)
            phase = pod.get("status", {}).get("phase")
            conds = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", [])}
            with self.lock:
                held = (ns, name) in self.held
            if phase != "Running":
                if now - first < self.start_delay or not volumes_ready(self.api, pod):
                    continue
                self.api.merge_patch(path + "/status", {"status": self._status(pod, False)})
                continue
            want_ready = (not held) and now - first >= self.start_delay + self.ready_delay
            if (conds.get("Ready") == "True") != want_ready:
                self.api.merge_patch(path + "/status", {"status": self._status(pod, want_ready)})
        for uid in list(self.seen):
            if uid not in live:
                self.seen.pop(uid, None)
                self.deleting.pop(uid, None)

    def _loop(self):
        while not self.stop_ev.is_set():
            try:
                self._step()
            except (OSError, ApiError, KeyError) as e:
                self.errors.append(f"{now_rfc3339()} {e}")
            self.stop_ev.wait(self.poll)


# --------------------------------------------------------------------------------------------
# Observers and helpers


@dataclass
class PodEvent:
    t: float  # seconds since the recorder started (monotonic)
    wall: str
    kind: str  # created | scheduled | running | ready | not-ready | deleting | deleted
    name: str
    uid: str
    revision: str = ""
    node: str = ""


class PodRecorder:
    """Watches pods of a namespace (optionally a label selector) and records, in order and with
    timestamps, creation, scheduling, running, ready/not-ready, deletion start and removal."""

    def __init__(self, api: Api, ns: str, selector: str | None = None):
        self.api, self.ns, self.selector = api, ns, selector
        self.events: list[PodEvent] = []
        self.state: dict[str, dict] = {}
        self.stop_ev = threading.Event()
        self.t0 = time.monotonic()
        self.primed = threading.Event()

    def _emit(self, kind, pod):
        md = pod["metadata"]
        self.events.append(PodEvent(round(time.monotonic() - self.t0, 3), now_rfc3339(micro=True), kind, md["name"],
                                    md["uid"], md.get("labels", {}).get("controller-revision-hash", ""),
                                    pod["spec"].get("nodeName", "")))

    def _loop(self):
        params = {"labelSelector": self.selector} if self.selector else {}
        for ev in self.api.watch(f"/api/v1/namespaces/{self.ns}/pods", self.stop_ev, params=params):
            pod = ev["object"]
            uid = pod["metadata"]["uid"]
            prev = self.state.get(uid)
            if ev["type"] == "DELETED":
                self._emit("deleted", pod)
                self.state.pop(uid, None)
                continue
            cur = {"node": pod["spec"].get("nodeName"), "phase": pod.get("status", {}).get("phase"),
                   "ready": any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", [])),
                   "deleting": bool(pod["metadata"].get("deletionTimestamp"))}
            if prev is None:
                if self.primed.is_set():
                    self._emit("created", pod)
                prev = {"node": None, "phase": None, "ready": False, "deleting": False} if self.primed.is_set() else cur
            if cur["node"] and not prev["node"]:
                self._emit("scheduled", pod)
            if cur["phase"] == "Running" and prev["phase"] != "Running":
                self._emit("running", pod)
            if cur["ready"] != prev["ready"]:
                self._emit("ready" if cur["ready"] else "not-ready", pod)
            if cur["deleting"] and not prev["deleting"]:
                self._emit("deleting", pod)
            self.state[uid] = cur

    def start(self) -> "PodRecorder":
        threading.Thread(target=self._loop, name=f"recorder-{self.ns}", daemon=True).start()
        time.sleep(0.5)  # initial list seen as the baseline, not as events
        self.primed.set()
        return self

    def stop(self):
        self.stop_ev.set()


def list_pods(api: Api, ns: str, selector: str | None = None):
    return api.get(f"/api/v1/namespaces/{ns}/pods", **({"labelSelector": selector} if selector else {}))["items"]


def pod_ready(pod) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def wait_for_pods(api: Api, ns: str, selector: str, count: int, ready: bool = True, timeout: float = 120):
    """Waits until exactly `count` live pods match and (if ready) all are Ready; returns them."""
    def check():
        pods = [p for p in list_pods(api, ns, selector) if not p["metadata"].get("deletionTimestamp")]
        if len(pods) != count:
            return None
        if ready and not all(pod_ready(p) for p in pods):
            return None
        return pods
    return wait_until(check, timeout, interval=0.3, what=f"{count} {'ready ' if ready else ''}pods {selector} in {ns}")


def events_for(api: Api, ns: str, reason: str | None = None, kind: str | None = None, name: str | None = None):
    out = []
    for e in api.get(f"/api/v1/namespaces/{ns}/events")["items"]:
        io = e.get("involvedObject", {})
        if reason and e.get("reason") != reason:
            continue
        if kind and io.get("kind") != kind:
            continue
        if name and io.get("name") != name:
            continue
        out.append(e)
    return out


def apply_dir(plane: ControlPlane, path: str, dry_run: bool = False, extra=()):
    """kubectl apply --server-side --validate=strict -k PATH; returns (rc, stdout, stderr)."""
    args = ["apply", "--server-side", "--field-manager=zkc-ci", "--validate=strict", "-k", path, *extra]
    if dry_run:
        args.append("--dry-run=server")
    r = plane.kubectl(*args)
    return r.returncode, r.stdout, r.stderr


def ensure_namespace(api: Api, ns: str, labels: dict | None = None):
    api.create_or_get("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    if labels:
        api.merge_patch(f"/api/v1/namespaces/{ns}", {"metadata": {"labels": labels}})


def scale_statefulset(api: Api, ns: str, name: str, replicas: int):
    """Sets replicas through the scale subresource (as `kubectl scale` does)."""
    return api.merge_patch(f"/apis/apps/v1/namespaces/{ns}/statefulsets/{name}/scale", {"spec": {"replicas": replicas}})


if __name__ == "__main__":
    # Interactive use: python3 tests/k8s/k8sharness.py BIN_DIR  -> a running cluster until Ctrl-C.
    import sys
    plane = ControlPlane(sys.argv[1], keep=True).start()
    nodes = FakeNodes(plane.api).start()
    ensure_storage_class(plane.api, nodes, "zkc-ci-local", default=True)
    kubelet = FakeKubelet(plane.api, nodes.names).start()
    print(f"export KUBECONFIG={plane.kubeconfig}   # Ctrl-C stops the plane", flush=True)
    try:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        kubelet.stop()
        nodes.stop()
        plane.stop()
