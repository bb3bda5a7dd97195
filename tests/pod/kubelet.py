"""A kubelet stand-in that runs the pods of emitted StatefulSets on this machine, without a
container engine: one network namespace per pod, a bubblewrap sandbox per container with the
image's root file system read-only and only the pod's volumes writable, the user and groups of the
securityContext, the env (downward API included), command/args, and exec probes as written.

Kubernetes sources this follows (kubernetes/kubernetes):
  - pkg/volume/volume_linux.go SetVolumeOwnership: chown group to fsGroup, chmod |= 0660 (0440
    read-only) and for directories |= setgid|0110, recursively; with fsGroupChangePolicy
    OnRootMismatch skipped when the volume root already has gid fsGroup, setgid and those bits.
  - pkg/volume/emptydir: an emptyDir is a fresh 0777 directory, then SetVolumeOwnership.
  - pkg/volume/configmap + util/atomic_writer: files under a `..<timestamp>` dir, `..data`
    symlink, user-visible names are symlinks; defaultMode 0644; fsGroup applied read-only.
  - pkg/fieldpath/fieldpath.go: a missing label reads as "" through the downward API.
  - pkg/controller/statefulset (updateIdentity): labels statefulset.kubernetes.io/pod-name and
    apps.kubernetes.io/pod-index (PodIndexLabel: beta 1.28, GA 1.32); hostname = pod name,
    subdomain = spec.serviceName; PVC name = <claim template>-<pod>.
  - third_party/forked/golang/expansion: $(VAR) in env values, command and args; $$ escapes.
  - command replaces the image ENTRYPOINT (and drops CMD), args replaces CMD.
  - prober: startupProbe gates liveness/readiness; periodSeconds, initialDelaySeconds,
    timeoutSeconds (exec probe timeout enforced, ExecProbeTimeout GA 1.20), failureThreshold,
    successThreshold; a failed liveness/startup probe restarts the container, restartPolicy
    Always with back-off 10s doubling to 300s.

What differs from a real kubelet + containerd (stated once, here):
  - No cgroups: memory/CPU limits are not enforced; RSS is measured and compared instead.
    No seccomp profile (RuntimeDefault is not applied); no AppArmor/SELinux.
  - Cluster DNS is emulated by /etc/hosts: every name the pods' zoo.cfg can use (pod FQDNs under
    the governing Service, Services selecting exactly one pod) maps to the pod's address; no kube-proxy,
    so a per-server Service name points at the pod IP, not a ClusterIP. /etc/hosts, /etc/hostname,
    /etc/resolv.conf are bound read-only.
  - NetworkPolicy is not enforced; all pods share one flat bridge (no default route anywhere).
  - No pause container: each container has its own PID namespace (shareProcessNamespace is off
    by default anyway); the user-visible PID 1 is the container's command (bwrap --as-pid-1).
  - uid/gid/groups are set by util-linux `setpriv` (visible in the container through /usr);
    capabilities are dropped to none and no_new_privs is set when allowPrivilegeEscalation=false.
  - A PVC is a fresh directory shaped like a new ext4 file system (root:root 0755 plus
    lost+found 0700), kept for the pod's name across restarts within one run.
  - Secret volumes from Secrets the test puts into Kubelet.secrets (atomic writer as for
    ConfigMaps, Pod.update_secret for a rotation); emptyDir medium Memory is a plain directory.
  - Unsupported (fail loudly): projected/hostPath volumes, httpGet/tcpSocket/grpc probes,
    secretKeyRef env.
"""

import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import threading
import time

import yaml

POD_INDEX = "apps.kubernetes.io/pod-index"
# containerd's default capability set (oci/spec.go defaultUnixCaps as quoted by projects that copy it;
# some newer lists leave NET_RAW out); without a drop of ALL the
# container keeps these (only root processes can use them: setpriv keeps none effective for others)
DEFAULT_CAPS = {"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP",
                "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"}
SUBNET = "10.213"  # a private range, only inside the namespaces this runner creates


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sh(args, check=True, **kw):
    return subprocess.run(args, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60, **kw)


# ---------------------------------------------------------------------------------------- objects

def load_namespace(directory):
    """Every object of an emitted namespace directory, by kind."""
    objs = {}
    for f in sorted(os.listdir(directory)):
        if f.endswith(".yaml") and f != "kustomization.yaml":
            with open(os.path.join(directory, f)) as fh:
                for doc in yaml.safe_load_all(fh):
                    if doc:
                        objs.setdefault(doc["kind"], []).append(doc)
    return objs


def parse_quantity(q):
    q = str(q)
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "m": 0.001}
    for u, f in units.items():
        if q.endswith(u):
            return float(q[: -len(u)]) * f
    return float(q)


def expand(s, env):
    """Kubernetes $(VAR) expansion: defined names are replaced, $$ is a literal $, others kept."""
    out, i = [], 0
    while i < len(s):
        if s.startswith("$$", i):
            out.append("$"); i += 2
        elif s.startswith("$(", i) and ")" in s[i + 2:]:
            j = s.index(")", i + 2)
            name = s[i + 2: j]
            out.append(env[name] if name in env else s[i: j + 1]); i = j + 1
        else:
            out.append(s[i]); i += 1
    return "".join(out)


def zoo_cfg_value(zoo_cfg, key, default=None):
    for line in zoo_cfg.splitlines():
        if "=" in line and line.split("=", 1)[0].strip() == key:
            return line.split("=", 1)[1].strip()
    return default


# ----------------------------------------------------------------------------------------- network

class Network:
    """A bridge in its own network namespace and one veth per pod namespace; nothing touches the
    host's namespace, and no namespace has a default route."""

    def __init__(self, run_id):
        self.prefix = f"zkcp{run_id}"
        self.bridge_ns = f"{self.prefix}-br"
        self.namespaces = []
        self.next = 0
        sh(["ip", "netns", "add", self.bridge_ns])
        self.namespaces.append(self.bridge_ns)
        sh(["ip", "-n", self.bridge_ns, "link", "add", "br0", "type", "bridge"])
        sh(["ip", "-n", self.bridge_ns, "link", "set", "br0", "up"])
        sh(["ip", "-n", self.bridge_ns, "link", "set", "lo", "up"])

    def add(self, label):
        """A new namespace attached to the bridge; returns (netns name, address)."""
        self.next += 1
        n = self.next
        ns = f"{self.prefix}-{n}"
        ip = f"{SUBNET}.{n // 250}.{n % 250 + 1}"
        sh(["ip", "netns", "add", ns])
        self.namespaces.append(ns)
        sh(["ip", "-n", self.bridge_ns, "link", "add", f"v{n}", "type", "veth", "peer", "name", "eth0", "netns", ns])
        sh(["ip", "-n", self.bridge_ns, "link", "set", f"v{n}", "master", "br0", "up"])
        sh(["ip", "-n", ns, "addr", "add", f"{ip}/16", "dev", "eth0"])
        sh(["ip", "-n", ns, "link", "set", "eth0", "up"])
        sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        return ns, ip

    def cleanup(self):
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        self.namespaces = []


def in_netns(ns, argv):
    return ["nsenter", f"--net=/run/netns/{ns}", "--"] + argv


# --------------------------------------------------------------------------------------- volumes

def set_volume_ownership(path, fs_group, readonly=False, policy=None):
    """pkg/volume/volume_linux.go SetVolumeOwnership, as read (see module docstring)."""
    if fs_group is None:
        return "no fsGroup"
    rw, ro, ex = 0o660, 0o440, 0o110
    if policy == "OnRootMismatch":
        st = os.stat(path)
        want = (ro if readonly else rw) | ex
        if st.st_gid == fs_group and (st.st_mode & 0o777) & want == want and st.st_mode & 0o2000:
            return "skipped (OnRootMismatch, root matches)"
    for base, dirs, files in os.walk(path, topdown=False):
        for name in files + dirs:
            _own(os.path.join(base, name), fs_group, readonly, rw, ro, ex)
    _own(path, fs_group, readonly, rw, ro, ex)
    return "changed recursively"


def _own(p, gid, readonly, rw, ro, ex):
    st = os.lstat(p)
    os.lchown(p, -1, gid)
    if os.path.islink(p):
        return
    mask = ro if readonly else rw
    if os.path.isdir(p):
        mask |= 0o2000 | ex
    os.chmod(p, (st.st_mode & 0o7777) | mask)


# ------------------------------------------------------------------------------------------- pods

class Container:
    def __init__(self, pod, spec):
        self.pod = pod
        self.spec = spec
        self.name = spec["name"]
        self.proc = None
        self.pid = None  # host pid of the container's PID 1
        self.exit_codes = []
        self.restarts = 0
        self.started_at = None
        self.ready = False
        self.started = False  # startup probe passed (or none)
        self.ready_at = None
        self.log_path = os.path.join(pod.dir, f"{self.name}.log")
        self.env = None
        self.argv = None
        self.stopping = False
        self.probe_log = []  # (kind, ok, seconds, output)

    # -- what the kubelet computes from the spec
    def resolve(self):
        pod, spec, image = self.pod, self.spec, self.pod.image
        env = dict(image.env)
        order = [k for k, _ in image.env]
        mapping = {}
        # envFrom first, then env, which wins on a shared name (pkg/kubelet/kubelet_pods.go,
        # makeEnvironmentVariables); a Secret's values are its decoded bytes
        for ef in spec.get("envFrom", []):
            if "secretRef" in ef:
                data = {k: v.decode() for k, v in pod.kubelet.secret(pod.namespace, ef["secretRef"]["name"]).items()}
            elif "configMapRef" in ef:
                data = pod.kubelet.configmap(pod.namespace, ef["configMapRef"]["name"]).get("data", {})
            else:
                raise NotImplementedError(f"envFrom {ef}")
            for k, v in data.items():
                name = ef.get("prefix", "") + k
                mapping[name] = env[name] = v
                if name not in order:
                    order.append(name)
        for e in spec.get("env", []):
            if "value" in e:
                v = expand(str(e["value"]), mapping)
            elif "valueFrom" in e:
                v = pod.value_from(e["valueFrom"], spec)
            else:
                v = ""
            mapping[e["name"]] = v
            env[e["name"]] = v
            if e["name"] not in order:
                order.append(e["name"])
        env.setdefault("HOSTNAME", pod.name)
        if "HOSTNAME" not in order:
            order.append("HOSTNAME")
        self.env = [(k, env[k]) for k in order]
        full = dict(self.env)
        cmd = [expand(str(a), full) for a in spec.get("command", [])]
        args = [expand(str(a), full) for a in spec.get("args", [])]
        if cmd:
            self.argv = cmd + args
        elif args:
            self.argv = image.entrypoint + args
        else:
            self.argv = image.entrypoint + image.cmd
        sc = dict(pod.spec.get("securityContext", {}))
        sc.update(spec.get("securityContext", {}))
        self.uid = sc.get("runAsUser", image.uid)
        # without runAsGroup the runtime takes the uid's primary group from the image's
        # /etc/passwd, or 0 when the uid has no entry there
        self.gid = sc.get("runAsGroup", image.passwd.get(self.uid, 0))
        if sc.get("runAsNonRoot") and self.uid == 0:
            raise RuntimeError(f"{pod.name}: runAsNonRoot with uid 0: the kubelet refuses to start it")
        groups = [self.gid]
        for g in [pod.spec.get("securityContext", {}).get("fsGroup")] + pod.spec.get("securityContext", {}).get("supplementalGroups", []):
            if g is not None and g not in groups:
                groups.append(g)
        self.groups = groups
        self.no_new_privs = sc.get("allowPrivilegeEscalation", True) is False
        caps = sc.get("capabilities", {})
        drop = {c.upper() for c in caps.get("drop", [])}
        keep = set() if "ALL" in drop else DEFAULT_CAPS - drop
        keep |= {c.upper() for c in caps.get("add", [])}
        if sc.get("privileged"):
            raise NotImplementedError("privileged containers are not emulated")
        self.caps = sorted(keep)
        self.read_only_root = bool(sc.get("readOnlyRootFilesystem"))
        self.workdir = spec.get("workingDir", image.workdir)

    def setpriv(self):
        capset = "-all" + "".join(f",+{c.lower()}" for c in self.caps)
        a = ["/usr/bin/setpriv", f"--reuid={self.uid}", f"--regid={self.gid}",
             f"--groups={','.join(str(g) for g in self.groups)}", f"--inh-caps={capset}", f"--bounding-set={capset}"]
        if self.no_new_privs:
            a.append("--no-new-privs")
        return a + ["--"]

    def bwrap(self, info_fd):
        pod = self.pod
        a = ["bwrap", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--hostname", pod.name, "--as-pid-1", "--info-fd", str(info_fd),
             "--bind", pod.root, "/",
             "--ro-bind", "/usr", "/usr",
             "--ro-bind", "/etc/alternatives", "/etc/alternatives",
             "--ro-bind", "/etc/java-17-openjdk", "/etc/java-17-openjdk",
             "--ro-bind", "/etc/ssl", "/etc/ssl",
             "--proc", "/proc", "--dev", "/dev",
             "--ro-bind", os.path.join(pod.dir, "hosts"), "/etc/hosts",
             "--ro-bind", os.path.join(pod.dir, "hostname"), "/etc/hostname",
             "--ro-bind", os.path.join(pod.dir, "resolv.conf"), "/etc/resolv.conf"]
        for m in self.spec.get("volumeMounts", []):
            src = pod.volume_dirs[m["name"]]
            if m.get("subPath"):
                src = os.path.realpath(os.path.join(src, m["subPath"]))
                if not src.startswith(os.path.realpath(pod.volume_dirs[m["name"]])):
                    raise RuntimeError(f"subPath {m['subPath']} escapes its volume")
            a += ["--ro-bind" if m.get("readOnly") else "--bind", src, m["mountPath"]]
        if self.read_only_root:
            a += ["--remount-ro", "/"]
        a += ["--clearenv"]
        for k, v in self.env:
            a += ["--setenv", k, v]
        a += ["--chdir", self.workdir, "--"]
        return a + self.setpriv() + self.argv

    def start(self):
        self.resolve()
        r, w = os.pipe()
        logf = open(self.log_path, "ab")
        logf.write(f"\n==== start {time.strftime('%H:%M:%S')} argv={self.argv}\n".encode())
        logf.flush()
        self.proc = subprocess.Popen(in_netns(self.pod.netns, self.bwrap(w)), stdout=logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, pass_fds=(w,), start_new_session=True)
        os.close(w)
        logf.close()
        info = b""
        deadline = time.time() + 20
        while time.time() < deadline:
            ready, _, _ = select.select([r], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(r, 4096)
            if not chunk:
                break
            info += chunk
            if b"}" in info:
                break
        os.close(r)
        try:
            self.pid = json.loads(info.decode())["child-pid"]
        except Exception:
            self.pid = None
        self.started_at = time.time()
        self.ready = False
        self.started = "startupProbe" not in self.spec

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL, grace=10):
        if not self.running():
            return
        try:
            if sig == signal.SIGTERM and self.pid:
                os.kill(self.pid, signal.SIGTERM)
                try:
                    self.proc.wait(grace)
                    return
                except subprocess.TimeoutExpired:
                    pass
            os.killpg(self.proc.pid, signal.SIGKILL)
            if self.pid:
                os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            pass

    def exec(self, argv, timeout):
        """Run argv inside the running container (its mount, uts, ipc, net and pid namespaces,
        its root and working directory, env, uid and groups), as the CRI's ExecSync does.
        Returns (exit code or None on timeout, output, seconds)."""
        if not self.running() or not self.pid:
            return (None, "container not running", 0.0)
        env = ["/usr/bin/env", "-i"] + [f"{k}={v}" for k, v in self.env]
        a = ["nsenter", "-t", str(self.pid), "-m", "-u", "-i", "-n", "-p", "-r", "-w", "--"] + env + self.setpriv() + argv
        t0 = time.time()
        p = subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            out, _ = p.communicate(timeout=timeout)
            return (p.returncode, out.decode(errors="replace"), time.time() - t0)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, _ = p.communicate()
            return (None, out.decode(errors="replace") + "\n[timeout]", time.time() - t0)

    def run_probe(self, kind):
        probe = self.spec[kind]
        if "exec" not in probe:
            raise NotImplementedError(f"{kind} {list(probe)}: only exec probes are emulated")
        rc, out, secs = self.exec(probe["exec"]["command"], probe.get("timeoutSeconds", 1))
        return rc == 0, rc, out, secs


class Pod:
    def __init__(self, kubelet, sts, ordinal, drop_index_label=False, replaces=None):
        self.kubelet = kubelet
        self.sts = sts
        self.ordinal = ordinal
        self.namespace = sts["metadata"]["namespace"]
        self.name = f"{sts['metadata']['name']}-{ordinal}"
        self.spec = sts["spec"]["template"]["spec"]
        self.image = kubelet.image
        labels = dict(sts["spec"]["template"]["metadata"].get("labels", {}))
        labels["statefulset.kubernetes.io/pod-name"] = self.name
        labels["controller-revision-hash"] = f"{sts['metadata']['name']}-emulated"
        if not drop_index_label:
            labels[POD_INDEX] = str(ordinal)
        self.labels = labels
        self.annotations = dict(sts["spec"]["template"]["metadata"].get("annotations", {}))
        self.subdomain = sts["spec"].get("serviceName")
        if replaces is not None:
            # a recreated pod keeps the network namespace and address of the pod it replaces
            # (differs: a real pod usually gets a new address, and cluster DNS follows)
            self.netns, self.ip = replaces.netns, replaces.ip
        else:
            self.netns, self.ip = kubelet.network.add(self.name)
        self.dir = os.path.join(kubelet.workdir, "pods", f"{self.namespace}_{self.name}_{kubelet.next_uid()}")
        self.root = os.path.join(self.dir, "root")
        self.volume_dirs = {}
        self.secret_dirs = {}
        self.containers = [Container(self, c) for c in self.spec["containers"]]
        self.init_containers = [Container(self, c) for c in self.spec.get("initContainers", [])]
        self.ownership = {}

    # downward API and friends
    def value_from(self, vf, cspec):
        if "fieldRef" in vf:
            path = vf["fieldRef"]["fieldPath"]
            m = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
            if m:
                return (self.labels if m.group(1) == "labels" else self.annotations).get(m.group(2), "")
            simple = {"metadata.name": self.name, "metadata.namespace": self.namespace,
                      "metadata.uid": f"emulated-{self.name}", "status.podIP": self.ip, "status.podIPs": self.ip,
                      "status.hostIP": "10.213.255.254", "spec.nodeName": "emulated-node",
                      "spec.serviceAccountName": self.spec.get("serviceAccountName", "default")}
            if path not in simple:
                raise NotImplementedError(f"fieldRef {path}")
            return simple[path]
        if "resourceFieldRef" in vf:
            r = vf["resourceFieldRef"]
            section, res = r["resource"].split(".", 1)
            c = cspec if not r.get("containerName") else [x for x in self.spec["containers"] if x["name"] == r["containerName"]][0]
            val = parse_quantity(c.get("resources", {}).get(section, {}).get(res, "0"))
            div = parse_quantity(r.get("divisor", "1"))
            import math
            return str(int(math.ceil(val / div)))
        if "configMapKeyRef" in vf:
            ref = vf["configMapKeyRef"]
            return self.kubelet.configmap(self.namespace, ref["name"])["data"][ref["key"]]
        raise NotImplementedError(f"valueFrom {list(vf)}")

    def prepare(self):
        """Volumes, the per-pod root (the image's layers + the container's empty upper layer,
        as hard links), mount points created in it as the runtime creates them, the kubelet's
        /etc/hosts, hostname and resolv.conf."""
        os.makedirs(self.dir)
        subprocess.run(["cp", "-al", self.image.rootfs, self.root], check=True)
        fs_group = self.spec.get("securityContext", {}).get("fsGroup")
        policy = self.spec.get("securityContext", {}).get("fsGroupChangePolicy")
        claims = {t["metadata"]["name"] for t in self.sts["spec"].get("volumeClaimTemplates", [])}
        vols = {v["name"]: v for v in self.spec.get("volumes", [])}
        for name in claims:
            vols.setdefault(name, {"name": name, "persistentVolumeClaim": {"claimName": f"{name}-{self.name}"}})
        for name, v in vols.items():
            if "emptyDir" in v:
                d = os.path.join(self.dir, "volumes", "empty-dir", name)
                os.makedirs(d)
                os.chmod(d, 0o777)
                self.ownership[name] = set_volume_ownership(d, fs_group)
            elif "persistentVolumeClaim" in v:
                d = self.kubelet.pvc(self.namespace, v["persistentVolumeClaim"]["claimName"])
                self.ownership[name] = set_volume_ownership(d, fs_group, policy=policy)
            elif "configMap" in v:
                d = os.path.join(self.dir, "volumes", "configmap", name)
                self._write_configmap(d, v["configMap"])
                self.ownership[name] = set_volume_ownership(d, fs_group, readonly=True)
            elif "secret" in v:
                # pkg/volume/secret: the same atomic writer as a ConfigMap, from the Secrets the
                # test put into the kubelet (never from out/: zkc writes no Secret)
                d = os.path.join(self.dir, "volumes", "secret", name)
                self.secret_dirs[name] = (d, v["secret"])
                self._write_secret(d, v["secret"], "..2026_11_25_00_00_00.000000001")
                self.ownership[name] = set_volume_ownership(d, fs_group, readonly=True)
            else:
                raise NotImplementedError(f"volume {name}: {sorted(v)} is not emulated")
            self.volume_dirs[name] = d
        # mount points, created in the container's writable layer before the root turns read-only
        for c in self.containers + self.init_containers:
            for m in c.spec.get("volumeMounts", []):
                target = os.path.join(self.root, m["mountPath"].lstrip("/"))
                src = os.path.realpath(os.path.join(self.volume_dirs[m["name"]], m.get("subPath", "")))
                if os.path.isdir(src):
                    os.makedirs(target, exist_ok=True)
                elif not os.path.exists(target):
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    open(target, "w").close()
        fqdn = f"{self.name}.{self.subdomain}.{self.namespace}.svc.cluster.local" if self.subdomain else None
        with open(os.path.join(self.dir, "hostname"), "w") as f:
            f.write(self.name + "\n")
        with open(os.path.join(self.dir, "resolv.conf"), "w") as f:
            f.write(f"search {self.namespace}.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n")
        self.hosts_head = ("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                           "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
                           + (f"{self.ip}\t{fqdn}\t{self.name}\n" if fqdn else f"{self.ip}\t{self.name}\n"))
        # pkg/kubelet/kubelet_pods.go, hostsEntriesFromHostAliases: right after the pod's own
        # entry, so they come before the emulated cluster DNS below, as /etc/hosts comes before
        # DNS on a real node
        aliases = self.spec.get("hostAliases") or []
        if aliases:
            self.hosts_head += "\n# Entries added by HostAliases.\n" + "".join(
                f"{a['ip']}\t{chr(9).join(a.get('hostnames', []))}\n" for a in aliases)
        self.write_hosts({})

    def write_hosts(self, dns):
        with open(os.path.join(self.dir, "hosts"), "w") as f:
            f.write(self.hosts_head)
            f.write("# cluster DNS, emulated by the pod runner (not written by a real kubelet)\n")
            for name, ip in sorted(dns.items()):
                f.write(f"{ip}\t{name}\n")

    def _write_configmap(self, d, ref):
        cm = self.kubelet.configmap(self.namespace, ref["name"])
        data = cm.get("data", {})
        items = ref.get("items") or [{"key": k, "path": k} for k in data]
        ts = os.path.join(d, "..2026_11_25_00_00_00.000000001")
        os.makedirs(ts)
        for it in items:
            p = os.path.join(ts, it["path"])
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(data[it["key"]])
            os.chmod(p, it.get("mode", ref.get("defaultMode", 0o644)))
        os.symlink(os.path.basename(ts), os.path.join(d, "..data"))
        for top in {it["path"].split("/")[0] for it in items}:
            os.symlink(os.path.join("..data", top), os.path.join(d, top))

    def _write_secret(self, d, ref, stamp):
        """atomic_writer.go: the files under a new `..<timestamp>` dir, a `..data_tmp` symlink
        renamed over `..data`, the visible names symlinks through `..data` (created once)."""
        data = self.kubelet.secret(self.namespace, ref["secretName"])
        items = ref.get("items") or [{"key": k, "path": k} for k in data]
        ts = os.path.join(d, stamp)
        os.makedirs(ts)
        for it in items:
            p = os.path.join(ts, it["path"])
            with open(p, "wb") as f:
                f.write(data[it["key"]])
            os.chmod(p, it.get("mode", ref.get("defaultMode", 0o644)))
        old = os.path.realpath(os.path.join(d, "..data")) if os.path.islink(os.path.join(d, "..data")) else None
        os.symlink(stamp, os.path.join(d, "..data_tmp"))
        os.rename(os.path.join(d, "..data_tmp"), os.path.join(d, "..data"))
        for it in items:
            top = os.path.join(d, it["path"].split("/")[0])
            if not os.path.islink(top):
                os.symlink(os.path.join("..data", it["path"].split("/")[0]), top)
        if old:
            shutil.rmtree(old)

    def update_secret(self, secret_name, stamp):
        """What the kubelet does when a mounted Secret changes: a new timestamped directory
        swapped in under `..data`; the file names the container sees never change."""
        for name, (d, ref) in self.secret_dirs.items():
            if ref["secretName"] == secret_name:
                self._write_secret(d, ref, stamp)
                set_volume_ownership(d, self.spec.get("securityContext", {}).get("fsGroup"), readonly=True)

    def snapshot_root(self):
        """(path, mode, uid, gid, size, mtime) of everything in the container's root that is not
        a mount point of a volume or of the host."""
        skip = {os.path.join(self.root, p) for p in ["usr", "proc", "dev", "sys", "etc/alternatives", "etc/java-17-openjdk", "etc/ssl"]}
        for c in self.containers:
            for m in c.spec.get("volumeMounts", []):
                skip.add(os.path.join(self.root, m["mountPath"].lstrip("/")))
        out = {}
        for base, dirs, files in os.walk(self.root):
            dirs[:] = [x for x in dirs if os.path.join(base, x) not in skip]
            for n in dirs + files:
                p = os.path.join(base, n)
                if p in skip:
                    continue
                st = os.lstat(p)
                out[p[len(self.root):]] = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns)
        return out

    def start(self):
        for c in self.init_containers:
            c.start()
            try:
                c.proc.wait(300)
            except subprocess.TimeoutExpired:
                c.kill()
            if c.proc.returncode != 0:
                raise RuntimeError(f"{self.name}: init container {c.name} exited {c.proc.returncode}")
        for c in self.containers:
            c.start()

    def stop(self, sig=signal.SIGKILL):
        for c in self.containers:
            c.stopping = True
            c.kill(sig)


class Kubelet:
    """Runs pods and their probers; one instance per test run."""

    def __init__(self, image, workdir, network):
        self.image = image
        self.workdir = workdir
        self.network = network
        self.pods = []
        self.objects = {}
        self._uid = 0
        self.stop_event = threading.Event()
        self.threads = []
        self.pvc_dir = os.path.join(workdir, "pvcs")

    def next_uid(self):
        self._uid += 1
        return self._uid

    def configmap(self, namespace, name):
        for cm in self.objects.get(namespace, {}).get("ConfigMap", []):
            if cm["metadata"]["name"] == name:
                return cm
        raise RuntimeError(f"ConfigMap {namespace}/{name} is not in the emitted directory")

    def secret(self, namespace, name):
        try:
            return self.secrets[(namespace, name)]
        except (AttributeError, KeyError):
            raise RuntimeError(f"Secret {namespace}/{name} was not given to the pod runner "
                               "(zkc writes no Secret; tests/pod/tls_sasl.py creates them)") from None

    def pvc(self, namespace, claim):
        d = os.path.join(self.pvc_dir, namespace, claim)
        if not os.path.isdir(d):
            os.makedirs(d)
            os.chmod(d, 0o755)
            os.makedirs(os.path.join(d, "lost+found"))
            os.chmod(os.path.join(d, "lost+found"), 0o700)
        return d

    def delete_pvcs(self, namespace):
        shutil.rmtree(os.path.join(self.pvc_dir, namespace), ignore_errors=True)

    def create_pods(self, namespace, objs, drop_index_label=False, only=None):
        """The pods every StatefulSet of the namespace would have (ordinals.start … +replicas)."""
        self.objects[namespace] = objs
        pods = []
        for sts in objs.get("StatefulSet", []):
            if only and sts["metadata"]["name"] not in only:
                continue
            start = sts["spec"].get("ordinals", {}).get("start", 0)
            for o in range(start, start + sts["spec"].get("replicas", 1)):
                pods.append(Pod(self, sts, o, drop_index_label))
        for p in pods:
            p.prepare()
        self.wire_dns(namespace, pods, objs)
        self.pods += pods
        return pods

    def recreate(self, old):
        """Delete a pod and create it again from its StatefulSet, on the same PVCs (what the
        controller does after `kubectl delete pod`); the kubelet re-applies volume ownership."""
        self.stop_pods([old], signal.SIGTERM)
        new = Pod(self, old.sts, old.ordinal, replaces=old)
        new.prepare()
        new.dns = old.dns
        new.write_hosts(old.dns)
        self.pods.append(new)
        self.run([new])
        return new

    def replace_pods(self, olds, sts):
        """Delete every pod of `olds` (SIGTERM; all stopped before any is created again) and create
        them from `sts`, a changed copy of their StatefulSet (what the controller does for a new
        revision once the old pods are gone), on the same PVCs, network namespaces and addresses;
        prepare() applies volume ownership again with the copy's fsGroup and fsGroupChangePolicy.
        The new pods are not started."""
        self.stop_pods(olds, signal.SIGTERM)
        news = []
        for old in olds:
            new = Pod(self, sts, old.ordinal, replaces=old)
            new.prepare()
            new.dns = old.dns
            new.write_hosts(old.dns)
            news.append(new)
        self.pods += news
        return news

    def wire_dns(self, namespace, pods, objs):
        dns = {}
        for p in pods:
            if p.subdomain:
                for suffix in ["svc", "svc.cluster.local"]:
                    dns[f"{p.name}.{p.subdomain}.{namespace}.{suffix}"] = p.ip
        for svc in objs.get("Service", []):
            sel = svc["spec"].get("selector") or {}
            match = [p for p in pods if sel and all(p.labels.get(k) == v for k, v in sel.items())]
            if len(match) == 1:
                n = svc["metadata"]["name"]
                for name in [n, f"{n}.{namespace}", f"{n}.{namespace}.svc", f"{n}.{namespace}.svc.cluster.local"]:
                    dns[name] = match[0].ip
        for p in pods:
            p.dns = dns
            p.write_hosts(dns)

    # ------------------------------------------------------------------ the prober, per container
    def run(self, pods):
        for p in pods:
            p.start()
            for c in p.containers:
                t = threading.Thread(target=self._supervise, args=(c,), daemon=True)
                t.start()
                self.threads.append(t)

    def _supervise(self, c):
        """Restart on exit (restartPolicy Always, back-off) and run the probes on their periods."""
        backoff = 10
        next_at = {}
        counts = {}
        while not self.stop_event.is_set() and not c.stopping:
            now = time.time()
            if not c.running():
                if c.stopping or self.stop_event.is_set():
                    return
                c.exit_codes.append(c.proc.returncode)
                c.ready = False
                log(f"{c.pod.name}/{c.name} exited with {c.proc.returncode}; restart in {backoff}s (CrashLoopBackOff)")
                restart_at = time.time() + backoff
                backoff = min(backoff * 2, 300)
                while time.time() < restart_at and not self.stop_event.is_set() and not c.stopping:
                    time.sleep(0.2)
                if self.stop_event.is_set() or c.stopping:
                    return
                c.restarts += 1
                c.start()
                next_at, counts = {}, {}
                continue
            for kind in ["startupProbe", "livenessProbe", "readinessProbe"]:
                if kind not in c.spec:
                    if kind == "readinessProbe" and c.started and not c.ready:
                        c.ready, c.ready_at = True, time.time()
                    continue
                if kind != "startupProbe" and not c.started:
                    continue
                if kind == "startupProbe" and c.started:
                    continue
                pr = c.spec[kind]
                first = c.started_at + pr.get("initialDelaySeconds", 0)
                if now < next_at.get(kind, first):
                    continue
                next_at[kind] = now + pr.get("periodSeconds", 10)
                ok, rc, out, secs = c.run_probe(kind)
                c.probe_log.append((kind, ok, secs, out[-200:]))
                succ, fail = counts.get(kind, (0, 0))
                succ, fail = (succ + 1, 0) if ok else (0, fail + 1)
                counts[kind] = (succ, fail)
                if kind == "startupProbe" and ok:
                    c.started = True
                elif kind == "readinessProbe":
                    if ok and succ >= pr.get("successThreshold", 1) and not c.ready:
                        c.ready, c.ready_at = True, time.time()
                    elif not ok and fail >= pr.get("failureThreshold", 3) and c.ready:
                        c.ready = False
                if not ok and kind in ("startupProbe", "livenessProbe") and fail >= pr.get("failureThreshold", 3):
                    log(f"{c.pod.name}/{c.name} {kind} failed {fail} times: the kubelet kills the container")
                    c.kill(signal.SIGTERM, c.pod.spec.get("terminationGracePeriodSeconds", 30))
            time.sleep(0.2)

    def stop_pods(self, pods, sig=signal.SIGKILL):
        for p in pods:
            p.stop(sig)
        if pods:
            self.pods = [p for p in self.pods if p not in pods]

    def shutdown(self):
        self.stop_event.set()
        for p in list(self.pods):
            p.stop()
        self.pods = []
