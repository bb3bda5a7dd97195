"""The bridge: a "real kubelet" for chosen namespaces of the control plane of tests/k8s. Pods the
real StatefulSet controller creates and the real scheduler binds to a fake node are run by the pod
runner of tests/pod (real ZooKeeper JVMs under bubblewrap, one network namespace per pod), and what
really happens to them is reported back to the API server.

    bridge = RealKubelet(api, image, workdir, network, namespaces={"resize"}).start()
    ...
    bridge.stop()          # SIGKILLs every container it started, removes its network namespaces

For each pod bound to a node (any node: every fake node is this machine):
  - start, once its PVCs are Bound and its ConfigMap and Secret volumes exist (as the volume
    manager waits): a tests/pod Pod built from the pod object the API server holds (spec, labels,
    annotations, the pod-index label the controller set); the ConfigMap content is read from the
    API server when the pod starts (pod volume -> configMap.name), so a pod keeps the zoo.cfg it
    started with while the ConfigMap changes under it, as a subPath mount does. Secret volumes
    likewise (volume -> secret.secretName, `data` base64-decoded); a changed Secret is not
    propagated into running pods (a real kubelet does that within about a minute). The content's sha256 is
    compared with the pod's own `zkc.dev/config-checksum` annotation (its template revision);
    a mismatch is recorded in `config_skew` (a pod running another revision's zoo.cfg);
  - a network namespace and address per pod: with stable_ips (the default) a pod recreated under
    the same name gets the namespace and address of its predecessor (as tests/pod's recreate
    does); with stable_ips=False every pod gets a new one, as on a real cluster; cluster
    DNS emulated in every pod's /etc/hosts: `<pod>.<subdomain>.<ns>.svc[.cluster.local]` for every
    pod of the namespace that has an address (the headless Service publishes not-ready addresses),
    rewritten in place when pods come and go;
  - status: phase Running with podIP = the namespace's address once the containers started;
    the Ready / ContainersReady conditions from the real probes of tests/pod/kubelet.py (startup,
    readiness, liveness as written; readiness period capped by `readiness_period_max` when set);
    restartCount from real restarts;
  - deletion (deletionTimestamp set): the containers get SIGTERM, SIGKILL after the pod's
    deletionGracePeriodSeconds; then the pod is deleted with gracePeriodSeconds=0 and a UID
    precondition (the kubelet's status manager once the containers are gone); a pod that vanishes
    from the API server (force deletion) is killed;
  - data: one directory per (namespace, PVC name), kept for the whole run, so a recreated pod, or
    one scaled away and back, finds its data again.
What differs from a real kubelet is listed in tests/resize/README.md.
"""

import base64
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pod"))
sys.path.insert(0, os.path.join(HERE, "..", "k8s"))
import kubelet as kl  # noqa: E402  tests/pod/kubelet.py
from k8sharness import ApiError, now_rfc3339, volumes_ready  # noqa: E402

CHECKSUM = "zkc.dev/config-checksum"


def log(msg):
    kl.log(f"bridge: {msg}")


class ApiBackedKubelet(kl.Kubelet):
    """tests/pod's Kubelet with its ConfigMaps and Secrets read from the API server (at the moment
    a pod is prepared) instead of an emitted directory and the test's own dict."""

    def __init__(self, api, image, workdir, network):
        super().__init__(image, workdir, network)
        self.api = api

    def configmap(self, namespace, name):
        cm = self.api.get_or_none(f"/api/v1/namespaces/{namespace}/configmaps/{name}")
        if cm is None:
            raise RuntimeError(f"ConfigMap {namespace}/{name} does not exist in the API server")
        return cm

    def secret(self, namespace, name):
        """{key: bytes}, as the kubelet's secret volume plugin gets it (the API server keeps
        `stringData` as base64 `data`)."""
        obj = self.api.get_or_none(f"/api/v1/namespaces/{namespace}/secrets/{name}")
        if obj is None:
            raise RuntimeError(f"Secret {namespace}/{name} does not exist in the API server")
        return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}


class Running:
    """One API pod (by uid) and the pod-runner Pod that runs it."""

    def __init__(self, obj):
        self.uid = obj["metadata"]["uid"]
        self.ns = obj["metadata"]["namespace"]
        self.name = obj["metadata"]["name"]
        self.obj = obj
        self.pod = None          # kl.Pod once prepared
        self.state = "waiting"   # waiting | starting | running | failed | stopping | gone
        self.error = None
        self.reported = None     # the last status we wrote (a tuple)
        self.zoo_cfg = None
        self.checksum_ok = None
        self.started_wall = None
        self.revision = obj["metadata"].get("labels", {}).get("controller-revision-hash", "")
        self.start_done = threading.Event()  # set when a start attempt has finished (or never began)

    @property
    def ip(self):
        return self.pod.ip if self.pod else None

    def main(self):
        return self.pod.containers[0] if self.pod else None


class RealKubelet:
    def __init__(self, api, image, workdir, network, namespaces, poll=0.25, readiness_period_max=None, stable_ips=True):
        self.api = api
        self.k = ApiBackedKubelet(api, image, workdir, network)
        self.network = network
        self.namespaces = set(namespaces)
        self.poll = poll
        self.readiness_period_max = readiness_period_max
        self.pods = {}            # uid -> Running
        self.lock = threading.RLock()
        self.stop_ev = threading.Event()
        self.errors = []
        self.config_skew = []     # (pod, revision, annotation, sha of the content it got)
        self.wipe_next = set()    # (ns, claim): wipe the volume before the next pod using it starts
        self.events = []          # (monotonic, text)
        self.thread = None
        self.stable_ips = stable_ips
        self.addresses = {}  # (ns, pod name) -> a kl.Pod-like object with netns and ip (stable_ips)
        self.create_lock = threading.Lock()  # kl.Network.add and kl.Kubelet.next_uid are not thread-safe

    # ----------------------------------------------------------------------------- control
    def start(self):
        self.thread = threading.Thread(target=self._loop, name="real-kubelet", daemon=True)
        self.thread.start()
        return self

    def add_namespace(self, ns):
        with self.lock:
            self.namespaces.add(ns)

    def wipe_volume_before_next_start(self, ns, claim):
        """The disk behind a PVC is lost: the next pod that mounts it finds it empty."""
        with self.lock:
            self.wipe_next.add((ns, claim))

    def running_pods(self, ns=None):
        """{pod name: Running} of pods whose main container runs (not terminating)."""
        with self.lock:
            out = {}
            for r in self.pods.values():
                if r.state == "running" and (ns is None or r.ns == ns) and r.main() and r.main().running():
                    out[r.name] = r
            return out

    def stop(self):
        self.stop_ev.set()
        if self.thread:
            self.thread.join(10)
        with self.lock:
            rs = list(self.pods.values())
        for r in rs:
            if r.state == "starting":
                r.start_done.wait(60)
            if r.pod:
                r.pod.stop(signal.SIGKILL)
                self._release(r)
        self.k.shutdown()

    def _event(self, text):
        self.events.append((time.monotonic(), text))
        log(text)

    # -------------------------------------------------------------------------------- loop
    def _loop(self):
        while not self.stop_ev.is_set():
            try:
                self._step()
            except (OSError, ApiError, KeyError, ValueError) as e:
                self.errors.append(f"{now_rfc3339()} {type(e).__name__}: {e}")
            self.stop_ev.wait(self.poll)

    def _step(self):
        seen = set()
        for ns in sorted(self.namespaces):
            for obj in self.api.get(f"/api/v1/namespaces/{ns}/pods")["items"]:
                if not obj["spec"].get("nodeName"):
                    continue
                uid = obj["metadata"]["uid"]
                seen.add(uid)
                with self.lock:
                    r = self.pods.get(uid)
                    if r is None:
                        r = self.pods[uid] = Running(obj)
                r.obj = obj
                if obj["metadata"].get("deletionTimestamp"):
                    if r.state not in ("stopping", "gone"):
                        prev, r.state = r.state, "stopping"
                        threading.Thread(target=self._terminate, args=(r, prev), daemon=True).start()
                    continue
                if r.state == "waiting" and not self.stop_ev.is_set() and volumes_ready(self.api, obj):
                    r.state = "starting"
                    threading.Thread(target=self._start_pod, args=(r,), daemon=True).start()
                elif r.state in ("running", "failed"):
                    self._report(r)
        # pods removed from the API server without us (force deletion, namespace gone): kill them
        with self.lock:
            vanished = [r for uid, r in self.pods.items() if uid not in seen and r.state not in ("stopping", "gone")]
            for r in vanished:
                r.state = "stopping"
        for r in vanished:
            threading.Thread(target=self._terminate, args=(r, "vanished", False), daemon=True).start()
        with self.lock:
            for uid in [u for u, r in self.pods.items() if r.state == "gone"]:
                del self.pods[uid]

    # ------------------------------------------------------------------------ pod lifecycle
    def _pseudo_sts(self, obj):
        """What kl.Pod reads from a StatefulSet, made from the pod object itself."""
        md = obj["metadata"]
        owner = next((o["name"] for o in md.get("ownerReferences", []) if o.get("kind") == "StatefulSet"), None)
        labels = md.get("labels", {})
        if owner is None or kl.POD_INDEX not in labels:
            raise RuntimeError(f"{md['name']}: not a StatefulSet pod with {kl.POD_INDEX}")
        ordinal = int(labels[kl.POD_INDEX])
        if f"{owner}-{ordinal}" != md["name"]:
            raise RuntimeError(f"{md['name']}: name is not <statefulset>-<pod-index>")
        spec = dict(obj["spec"])
        if self.readiness_period_max:
            spec["containers"] = [dict(c) for c in spec["containers"]]
            for c in spec["containers"]:
                if "readinessProbe" in c:
                    c["readinessProbe"] = dict(c["readinessProbe"])
                    c["readinessProbe"]["periodSeconds"] = min(c["readinessProbe"].get("periodSeconds", 10), self.readiness_period_max)
        sts = {"metadata": {"name": owner, "namespace": md["namespace"]},
               "spec": {"serviceName": spec.get("subdomain"), "volumeClaimTemplates": [],
                        "template": {"metadata": {"labels": labels, "annotations": md.get("annotations", {})},
                                     "spec": spec}}}
        return sts, ordinal

    def _start_pod(self, r):
        try:
            obj = r.obj
            sts, ordinal = self._pseudo_sts(obj)
            for v in obj["spec"].get("volumes", []):
                claim = v.get("persistentVolumeClaim", {}).get("claimName")
                with self.lock:
                    wipe = claim and (r.ns, claim) in self.wipe_next
                    if wipe:
                        self.wipe_next.discard((r.ns, claim))
                if wipe:
                    shutil.rmtree(os.path.join(self.k.pvc_dir, r.ns, claim), ignore_errors=True)
                    self._event(f"{r.ns}/{r.name}: volume of {claim} wiped before the start (disk lost)")
            with self.create_lock:
                prev = self.addresses.get((r.ns, r.name)) if self.stable_ips else None
                pod = kl.Pod(self.k, sts, ordinal, replaces=prev)
                if self.stable_ips:
                    self.addresses[(r.ns, r.name)] = pod
            pod.labels = dict(obj["metadata"].get("labels", {}))  # the controller's, revision hash included
            pod.annotations = dict(obj["metadata"].get("annotations", {}))
            r.pod = pod
            pod.prepare()
            r.zoo_cfg = self._zoo_cfg(pod)
            want = pod.annotations.get(CHECKSUM)
            if r.zoo_cfg is not None and want:
                got = "sha256:" + hashlib.sha256(r.zoo_cfg.encode()).hexdigest()
                r.checksum_ok = got == want
                if not r.checksum_ok:
                    self.config_skew.append((r.name, r.revision, want, got))
                    self._event(f"{r.ns}/{r.name} (revision {r.revision}) got a zoo.cfg whose sha256 is not its "
                                f"{CHECKSUM}: it runs another revision's configuration")
            with self.lock:
                self.k.pods.append(pod)
            self._wire_dns(r.ns)
            self.k.run([pod])
            r.started_wall = time.time()
            if os.environ.get("ZKC_RESIZE_PIDFILE"):  # .ci/resize-suite kills these groups if we die
                with open(os.environ["ZKC_RESIZE_PIDFILE"], "a") as f:
                    f.write("".join(f"{c.proc.pid}\n" for c in pod.containers if c.proc))
            with self.lock:
                if r.state == "starting":
                    r.state = "running"
                else:  # deleted while starting: _terminate, waiting on start_done, stops it now
                    pass
            self._event(f"{r.ns}/{r.name} started (uid {r.uid[:8]}, revision {r.revision}, {pod.ip}, "
                        f"servers in zoo.cfg: {self._server_ids(r.zoo_cfg)})")
        except Exception as e:  # reported as a failed pod; the suite sees it never gets Ready
            r.error = f"{type(e).__name__}: {e}"
            with self.lock:
                if r.state == "starting":
                    r.state = "failed"
            self._event(f"{r.ns}/{r.name} failed to start: {r.error}")
        finally:
            r.start_done.set()

    @staticmethod
    def _zoo_cfg(pod):
        for name, d in pod.volume_dirs.items():
            p = os.path.join(d, "zoo.cfg")
            if os.path.exists(p):
                with open(p) as f:
                    return f.read()
        return None

    @staticmethod
    def _server_ids(zoo_cfg):
        if not zoo_cfg:
            return []
        return sorted(int(l.split("=")[0][len("server."):]) for l in zoo_cfg.splitlines() if l.startswith("server."))

    def _terminate(self, r, prev, delete=True):
        """SIGTERM, the grace period, SIGKILL; then the API delete with grace 0 (once stopped)."""
        if prev == "starting":
            r.start_done.wait(120)  # a start in progress finishes first, then is stopped
        grace = r.obj["metadata"].get("deletionGracePeriodSeconds")
        if grace is None:
            grace = r.obj["spec"].get("terminationGracePeriodSeconds", 30)
        t0 = time.monotonic()
        if r.pod:
            for c in r.pod.containers:
                c.stopping = True
            for c in r.pod.containers:
                c.kill(signal.SIGTERM, grace)
        stopped_in = time.monotonic() - t0
        self._release(r)
        if delete:
            try:
                self.api.delete(f"/api/v1/namespaces/{r.ns}/pods/{r.name}",
                                {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                                 "preconditions": {"uid": r.uid}})
            except ApiError as e:
                if e.status not in (404, 409):
                    self.errors.append(f"delete {r.name}: {e}")
        self._event(f"{r.ns}/{r.name} (uid {r.uid[:8]}) stopped in {stopped_in:.1f}s ({prev}), removed")
        r.state = "gone"
        self._wire_dns(r.ns)

    def _release(self, r):
        with self.lock:
            if r.pod and r.pod in self.k.pods:
                self.k.pods.remove(r.pod)
        if r.pod and not self.stable_ips and getattr(r.pod, "netns", None) and r.pod.netns in self.network.namespaces:
            subprocess.run(["ip", "netns", "del", r.pod.netns], stderr=subprocess.DEVNULL)
            self.network.namespaces.remove(r.pod.netns)
        if r.pod:
            shutil.rmtree(r.pod.root, ignore_errors=True)  # the container's writable layer; logs stay

    def _wire_dns(self, ns):
        """Every pod of the namespace with an address under its FQDN, in every pod's /etc/hosts."""
        with self.lock:
            live = [r for r in self.pods.values() if r.ns == ns and r.pod and r.state in ("starting", "running", "failed")]
        dns = {}
        for r in live:
            p = r.pod
            if p.subdomain:
                for suffix in ["svc", "svc.cluster.local"]:
                    dns[f"{p.name}.{p.subdomain}.{ns}.{suffix}"] = p.ip
        for r in live:
            if hasattr(r.pod, "hosts_head"):
                r.pod.dns = dns
                r.pod.write_hosts(dns)

    # ------------------------------------------------------------------------------ status
    def _report(self, r):
        c = r.main()
        if c is None:
            return
        if r.state == "failed":
            key = ("failed",)
        else:
            key = (c.running(), c.started, c.ready, c.restarts)
        if key == r.reported:
            return
        status = self._status(r)
        try:
            self.api.merge_patch(f"/api/v1/namespaces/{r.ns}/pods/{r.name}/status", {"status": status})
            r.reported = key
        except ApiError as e:
            if e.status not in (404, 409):
                raise

    def _status(self, r):
        obj, ts = r.obj, now_rfc3339()
        old = {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}
        ready = r.state == "running" and all(c.ready and c.running() for c in r.pod.containers)

        def cond(t, ok, reason=None):
            st = "True" if ok else "False"
            prev = old.get(t)
            c = {"type": t, "status": st, "lastProbeTime": None,
                 "lastTransitionTime": prev["lastTransitionTime"] if prev and prev["status"] == st else ts}
            if not ok:
                c["reason"] = reason or "ContainersNotReady"
                c["message"] = "containers with unready status: [" + " ".join(x.name for x in r.pod.containers if not x.ready) + "]"
            return c
        cs = []
        for c in r.pod.containers if r.pod else []:
            started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(c.started_at)) if c.started_at else ts
            if c.running():
                state = {"running": {"startedAt": started_at}}
            elif r.state == "failed":
                state = {"waiting": {"reason": "CreateContainerError", "message": r.error or ""}}
            else:
                state = {"waiting": {"reason": "CrashLoopBackOff"}}
            st = {"name": c.name, "image": c.spec.get("image", ""), "imageID": f"pod-runner://{self.k.image.rootfs}",
                  "containerID": f"pod-runner://{r.uid}/{c.name}", "ready": bool(c.ready and c.running()),
                  "started": bool(c.started and c.running()), "restartCount": c.restarts, "state": state}
            if c.exit_codes:
                st["lastState"] = {"terminated": {"exitCode": c.exit_codes[-1] if c.exit_codes[-1] is not None else -1}}
            cs.append(st)
        ip = r.ip
        status = {"phase": "Running", "hostIP": "10.213.255.254", "hostIPs": [{"ip": "10.213.255.254"}],
                  "startTime": obj.get("status", {}).get("startTime") or ts,
                  "conditions": [cond("PodReadyToStartContainers", True), cond("Initialized", True),
                                 cond("Ready", ready), cond("ContainersReady", ready), cond("PodScheduled", True)],
                  "containerStatuses": cs}
        if ip:
            status["podIP"] = ip
            status["podIPs"] = [{"ip": ip}]
        return status
