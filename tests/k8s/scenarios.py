#!/usr/bin/env python3
"""What a real Kubernetes control plane does with zkc's output: the scenario suite of issue #10.

    python3 tests/k8s/scenarios.py --bin-dir DIR [TREE ...]      # default trees: out tests/golden/*/out

DIR holds etcd, kube-apiserver, kube-controller-manager and kube-scheduler (.ci/k8s/build-k8s prints
it). Every check prints one PASS or FAIL line; the last line is `N passed, M failed`; the exit
status is non-zero when anything failed. Negative controls (tampered copies of an emitted tree)
PASS only when Kubernetes rejects them in the expected way.
"""

from __future__ import annotations

import argparse
import copy
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8sharness import (ApiError, ControlPlane, FakeKubelet, FakeNodes, PodRecorder, apply_dir,  # noqa: E402
                        ensure_namespace, ensure_storage_class, events_for, list_pods, log, pod_ready, scale_statefulset,
                        wait_for_pods, wait_until)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PSS = {"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted",
       "pod-security.kubernetes.io/audit": "restricted"}
DEFAULT_SC = "zkc-ci-local"
GOMODCACHE = os.environ.get("GOMODCACHE") or os.popen("go env GOMODCACHE").read().strip()
# CRDs from Go module zips on the module proxy (fetched by .ci/k8s/run-suite with `go mod download`).
ARGO_MOD = os.environ.get("ZKC_ARGO_MOD", "github.com/argoproj/argo-cd/v3@v3.5.7")
FLUX_MOD = os.environ.get("ZKC_FLUX_MOD", "github.com/fluxcd/kustomize-controller@v1.9.6")
# The Prometheus Operator's CRDs (issue #14): the ServiceMonitor, PodMonitor and PrometheusRule
# objects of the trees are applied (S1) and dry-run (S6) against them.
PROM_MOD = os.environ.get("ZKC_PROM_MOD", "github.com/prometheus-operator/prometheus-operator@v0.94.1")
PROM_KINDS = ("servicemonitors", "podmonitors", "prometheusrules")
# cert-manager's Certificate CRD (issue #14, `tls { issuer }`): the Certificate objects of the
# trees are applied (S1) and dry-run (S6) against it.
CERT_MOD = os.environ.get("ZKC_CERT_MOD", "github.com/cert-manager/cert-manager@v1.21.2")
CRD_FILES = [f"{ARGO_MOD}/manifests/crds/application-crd.yaml",
             f"{FLUX_MOD}/config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"] + \
            [f"{PROM_MOD}/example/prometheus-operator-crd/monitoring.coreos.com_{k}.yaml" for k in PROM_KINDS] + \
            [f"{CERT_MOD}/deploy/crds/cert-manager.io_certificates.yaml"]
CRDS = ["applications.argoproj.io", "kustomizations.kustomize.toolkit.fluxcd.io"] + \
       [f"{k}.monitoring.coreos.com" for k in PROM_KINDS] + ["certificates.cert-manager.io"]


def provide_secrets(api, ns, objs):
    """The Secrets and ConfigMaps the StatefulSets use that zkc does not write: cert-manager
    writes the TLS Secret, the user the SASL one (issue #14) and those of `volumes` and
    `env-from-*` (issue #15). The suite creates them (empty values under the keys the volumes
    list) as it creates the StorageClasses; without them the kubelet (and the fake one) keeps
    the pods in ContainerCreating. Returns their names."""
    made = []
    written = {(o.get("kind"), o.get("metadata", {}).get("name")) for o in objs if isinstance(o, dict)}

    def provide(kind, name, keys):
        if (kind, name) in written or f"{ns}/{name}" in made:
            return
        plural, field = ("secrets", "data") if kind == "Secret" else ("configmaps", "data")
        api.create_or_get(f"/api/v1/namespaces/{ns}/{plural}", {
            "apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": ns,
                                                           "labels": {"zkc-ci/provided-by": "k8s-suite"}},
            **({"type": "Opaque"} if kind == "Secret" else {}), field: {k: "" for k in keys}})
        made.append(f"{ns}/{name}")

    for sts in [o for o in objs if isinstance(o, dict) and o.get("kind") == "StatefulSet"]:
        spec = sts["spec"]["template"]["spec"]
        for v in spec.get("volumes", []):
            for kind, src, name_key in [("Secret", v.get("secret"), "secretName"), ("ConfigMap", v.get("configMap"), "name")]:
                if src and not src.get("optional"):
                    provide(kind, src[name_key], [i["key"] for i in src.get("items", [])])
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            for ef in c.get("envFrom", []):
                for kind, ref in [("Secret", ef.get("secretRef")), ("ConfigMap", ef.get("configMapRef"))]:
                    if ref and not ref.get("optional"):
                        provide(kind, ref["name"], [])
    return made


class Report:
    def __init__(self):
        self.passed = self.failed = 0
        self.failures: list[str] = []

    def check(self, ok: bool, name: str, detail: str = ""):
        line = f"{'PASS' if ok else 'FAIL'}  {name}" + (f" -- {detail}" if detail else "")
        print(line, flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(line)
        return ok

    def info(self, text: str):
        for ln in text.splitlines():
            print(f"      {ln}", flush=True)


R = Report()


def kustomize(plane, d):
    r = plane.kubectl("kustomize", d, check=True)
    return [o for o in yaml.safe_load_all(r.stdout) if o]


def warnings_in(stderr: str):
    return [ln for ln in stderr.splitlines() if ln.startswith("Warning:")]


def subset_diff(want, have, path="", zeros=None):
    """Paths where `have` (live) lacks or differs from `want` (file). Fields only in `have` are
    defaults filled by the API server and are ignored. A zero value in the file (0, false, "",
    {}, []) that the live object omits is collected in `zeros` instead: the API types declare such
    fields `omitempty` and store the zero value, so nothing is lost -- had the server defaulted it
    to something else, the live object would show that value and it would be a difference."""
    out = []
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return [f"{path}: file has a map, live has {have!r}"]
        for k, v in want.items():
            if k not in have:
                if zeros is not None and v in (0, False, "", {}, []) and v is not None:
                    zeros.append(f"{path}.{k}: {json.dumps(v)}")
                else:
                    out.append(f"{path}.{k}: in the file ({json.dumps(v)[:80]}), missing in the live object")
            else:
                out += subset_diff(v, have[k], f"{path}.{k}", zeros)
    elif isinstance(want, list):
        if not isinstance(have, list) or len(have) != len(want):
            return [f"{path}: file list of {len(want)}, live {json.dumps(have)[:120]}"]
        for i, (a, b) in enumerate(zip(want, have)):
            out += subset_diff(a, b, f"{path}[{i}]", zeros)
    elif want != have and str(want) != str(have):
        out.append(f"{path}: file {want!r}, live {have!r}")
    return out


def selector_string(ml: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(ml.items()))


def matches(sel: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in sel.items())


def slices_of(api, ns, svc):
    return api.get(f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
                   labelSelector=f"kubernetes.io/service-name={svc}")["items"]


def endpoints_of(api, ns, svc):
    """(hostname, addresses, targetRef name, ready) for every endpoint of every slice of svc."""
    out = []
    for s in slices_of(api, ns, svc):
        for e in s.get("endpoints") or []:
            out.append((e.get("hostname"), tuple(e.get("addresses", [])), (e.get("targetRef") or {}).get("name"),
                        (e.get("conditions") or {}).get("ready")))
    return out


def zoo_servers(cfg: str):
    """{id: host} from the server.N=host:2888:3888[...] lines of zoo.cfg."""
    out = {}
    for ln in cfg.splitlines():
        m = re.match(r"^server\.(\d+)=([^:]+):", ln.strip())
        if m:
            out[int(m.group(1))] = m.group(2)
    return out


def sts_config_map(sts):
    for v in sts["spec"]["template"]["spec"].get("volumes", []):
        if "configMap" in v:
            return v["configMap"]["name"]
    return None


def ordinals(sts):
    start = (sts["spec"].get("ordinals") or {}).get("start", 0)
    return list(range(start, start + sts["spec"].get("replicas", 1)))


def required_anti_affinity(sts):
    aa = (sts["spec"]["template"]["spec"].get("affinity") or {}).get("podAntiAffinity") or {}
    return aa.get("requiredDuringSchedulingIgnoredDuringExecution") or []


class Suite:
    def __init__(self, plane: ControlPlane, nodes: FakeNodes, kubelet: FakeKubelet, workdir: str):
        self.plane, self.api, self.nodes, self.kubelet, self.work = plane, plane.api, nodes, kubelet, workdir

    # ---------------------------------------------------------------- scenario 1
    def s1_apply(self, label, d, objs, ns):
        api = self.api
        ns_objs = [o for o in objs if o["kind"] == "Namespace"]
        if ns_objs:
            # A server-side dry-run of objects in a namespace that does not exist yet fails with
            # NotFound (dry-run persists nothing), so the tree's own Namespace object goes first.
            f = os.path.join(self.work, f"ns-{ns}.yaml")
            with open(f, "w") as fh:
                yaml.safe_dump(ns_objs[0], fh)
            r = self.plane.kubectl("apply", "--server-side", "--field-manager=zkc-ci", "--validate=strict", "-f", f)
            R.check(r.returncode == 0 and not warnings_in(r.stderr), f"S1 {label}: the tree's Namespace object applies",
                    (r.stderr.strip() or r.stdout.strip())[:300])
        else:
            ensure_namespace(api, ns, PSS)
        live_ns = api.get(f"/api/v1/namespaces/{ns}")
        lab = live_ns["metadata"].get("labels", {})
        R.check(lab.get("pod-security.kubernetes.io/enforce") == "restricted",
                f"S1 {label}: namespace enforces Pod Security 'restricted'",
                "from the tree's Namespace object" if ns_objs else "labelled by the suite (the tree has no Namespace object)")
        rc, out, err = apply_dir(self.plane, d, dry_run=True)
        R.check(rc == 0, f"S1 {label}: server-side dry-run, strict validation", err.strip()[:500])
        w = warnings_in(err)
        R.check(not w, f"S1 {label}: dry-run without any warning", "; ".join(w)[:800])
        rc, out, err = apply_dir(self.plane, d)
        R.check(rc == 0, f"S1 {label}: server-side apply", err.strip()[:500] or f"{len(out.splitlines())} objects")
        w = warnings_in(err)
        R.check(not w, f"S1 {label}: apply without any warning", "; ".join(w)[:800])
        r = self.plane.kubectl("get", "-k", d, "-o", "json", check=True)
        live = {(o["kind"], o["metadata"]["name"]): o for o in json.loads(r.stdout)["items"]}
        diffs, zeros = [], []
        for o in objs:
            lo = live.get((o["kind"], o["metadata"]["name"]))
            if lo is None:
                diffs.append(f"{o['kind']}/{o['metadata']['name']}: not found")
                continue
            for key in o:
                if key in ("apiVersion", "kind", "status"):
                    continue
                z = []
                diffs += [f"{o['kind']}/{o['metadata']['name']}{p}" for p in subset_diff(o[key], lo.get(key), "." + key, z)]
                zeros += [f"{o['kind']}/{o['metadata']['name']}{p}" for p in z]
        R.check(not diffs, f"S1 {label}: every field of the {len(objs)} files is in the live objects (none dropped or changed)",
                "; ".join(diffs)[:1500])
        if zeros:
            R.info(f"NOTE {label}: zero values the API server stores but does not return (omitempty; a no-op in the "
                   f"files, and a field a client-side diff never sees live): " + "; ".join(zeros)[:1500])

    # ---------------------------------------------------------------- scenario 2
    def s2_statefulset(self, label, ns, sts, objs):
        api = self.api
        name = sts["metadata"]["name"]
        sel = selector_string(sts["spec"]["selector"]["matchLabels"])
        ords = ordinals(sts)
        want = {f"{name}-{i}": i for i in ords}
        try:
            pods = wait_for_pods(api, ns, sel, len(ords), ready=True, timeout=120)
        except TimeoutError as e:
            pods = list_pods(api, ns, sel)
            evs = [f"{x.get('reason')}: {x.get('message')}" for x in api.get(f"/api/v1/namespaces/{ns}/events")["items"]
                   if x.get("type") == "Warning"]
            R.check(False, f"S2 {label}/{name}: {len(ords)} pods Running and Ready", f"{e}; pods: " +
                    ", ".join(f"{p['metadata']['name']}={p['status'].get('phase')}" for p in pods) +
                    "; warnings: " + " | ".join(sorted(set(evs)))[:800])
            return None
        got = {p["metadata"]["name"]: p for p in pods}
        R.check(set(got) == set(want), f"S2 {label}/{name}: the controller created {sorted(want, key=want.get)}",
                f"got {sorted(got)}")
        bad = [f"{n}={p['metadata']['labels'].get('apps.kubernetes.io/pod-index')}" for n, p in got.items()
               if n in want and p["metadata"]["labels"].get("apps.kubernetes.io/pod-index") != str(want[n])]
        R.check(not bad, f"S2 {label}/{name}: label apps.kubernetes.io/pod-index equals the ordinal on every pod", ", ".join(bad))
        fc = events_for(api, ns, reason="FailedCreate", name=name)
        R.check(not fc, f"S2 {label}/{name}: no FailedCreate event", "; ".join(e.get("message", "") for e in fc)[:800])
        unbound = []
        for t in sts["spec"].get("volumeClaimTemplates", []):
            for i in ords:
                pvc = api.get_or_none(f"/api/v1/namespaces/{ns}/persistentvolumeclaims/{t['metadata']['name']}-{name}-{i}")
                if not pvc or pvc["status"].get("phase") != "Bound":
                    unbound.append(f"{t['metadata']['name']}-{name}-{i}={pvc and pvc['status'].get('phase')}")
        nvct = len(sts["spec"].get("volumeClaimTemplates", []))
        R.check(not unbound, f"S2 {label}/{name}: all {nvct * len(ords)} PVCs Bound", ", ".join(unbound))
        # zoo.cfg names each server; the name must resolve (by the cluster DNS rules: a headless Service's
        # EndpointSlice hostname, or a Service's ClusterIP backed by exactly that pod) to the pod whose
        # pod-index -- the myid -- is N.
        cm_name = sts_config_map(sts)
        cm = api.get(f"/api/v1/namespaces/{ns}/configmaps/{cm_name}")
        servers = zoo_servers(cm["data"]["zoo.cfg"])
        R.check(sorted(servers) == ords, f"S2 {label}/{name}: zoo.cfg ({cm_name}) lists server ids {ords}", f"lists {sorted(servers)}")
        problems = []
        svc_name = sts["spec"].get("serviceName")
        for sid, host in sorted(servers.items()):
            parts = host.split(".")
            pod = got.get(parts[0])
            if pod is None and len(parts) > 1:
                pod = None
            if len(parts) >= 2 and parts[1] == svc_name:
                # <pod>.<headless-service>[.<ns>.svc...]: DNS serves the EndpointSlice hostname.
                svc = api.get_or_none(f"/api/v1/namespaces/{ns}/services/{svc_name}")
                if not svc or svc["spec"].get("clusterIP") != "None":
                    problems.append(f"server.{sid}={host}: Service {svc_name} is not headless")
                    continue
                if len(parts) > 2 and parts[2] != ns:
                    problems.append(f"server.{sid}={host}: namespace {parts[2]} is not {ns}")
                eps = [e for e in endpoints_of(api, ns, svc_name) if e[0] == parts[0]]
                if not eps:
                    problems.append(f"server.{sid}={host}: no EndpointSlice endpoint with hostname {parts[0]}")
                    continue
                target = eps[0][2]
            else:
                # <service>.<ns>.svc: a per-server Service; its endpoints must be exactly one pod.
                svc = api.get_or_none(f"/api/v1/namespaces/{ns}/services/{parts[0]}")
                if not svc:
                    problems.append(f"server.{sid}={host}: no Service {parts[0]} in {ns}")
                    continue
                if len(parts) > 1 and parts[1] != ns:
                    problems.append(f"server.{sid}={host}: namespace {parts[1]} is not {ns}")
                eps = endpoints_of(api, ns, parts[0])
                if len(eps) != 1:
                    problems.append(f"server.{sid}={host}: {len(eps)} endpoints behind Service {parts[0]}")
                    continue
                target = eps[0][2]
            tp = got.get(target)
            if not tp:
                problems.append(f"server.{sid}={host}: endpoint targets {target}, not a pod of {name}")
            elif tp["metadata"]["labels"].get("apps.kubernetes.io/pod-index") != str(sid):
                problems.append(f"server.{sid}={host}: resolves to {target} whose pod-index (myid) is "
                                f"{tp['metadata']['labels'].get('apps.kubernetes.io/pod-index')}")
            elif tp["status"].get("podIP") not in eps[0][1]:
                problems.append(f"server.{sid}={host}: endpoint address {eps[0][1]} is not {target}'s IP")
        R.check(not problems, f"S2 {label}/{name}: every zoo.cfg server.N host is in an EndpointSlice pointing at the pod with pod-index N",
                "; ".join(problems)[:1500])
        # The pod-template checksum is sha256 of zoo.cfg (what a rollout relies on).
        ann = sts["spec"]["template"]["metadata"].get("annotations", {}).get("zkc.dev/config-checksum")
        if ann:
            digest = "sha256:" + hashlib.sha256(cm["data"]["zoo.cfg"].encode()).hexdigest()
            R.check(ann == digest, f"S2 {label}/{name}: zkc.dev/config-checksum is the sha256 of the live zoo.cfg", f"{ann} vs {digest}")
        return got

    # ---------------------------------------------------------------- scenario 3
    def s3_scheduling(self, label, ns, sts, pods):
        api = self.api
        name = sts["metadata"]["name"]
        req = required_anti_affinity(sts)
        nodes_of = {n: p["spec"]["nodeName"] for n, p in pods.items()}
        distinct = len(set(nodes_of.values())) == len(nodes_of)
        R.check(distinct or not req, f"S3 {label}/{name}: servers on distinct nodes"
                + (" (required anti-affinity)" if req else " (anti-affinity only preferred)"),
                ", ".join(f"{k}@{v}" for k, v in sorted(nodes_of.items())))
        zones = {z: 0 for z in self.nodes.zone_names}
        for n in nodes_of.values():
            zones[self.nodes.zone_of[n]] += 1
        tsc = sts["spec"]["template"]["spec"].get("topologySpreadConstraints") or []
        zone_tsc = [c for c in tsc if c["topologyKey"] == "topology.kubernetes.io/zone"]
        if zone_tsc:
            skew = max(zones.values()) - min(zones.values())
            R.check(skew <= zone_tsc[0]["maxSkew"], f"S3 {label}/{name}: spread over 3 zones within maxSkew {zone_tsc[0]['maxSkew']} "
                    f"(whenUnsatisfiable {zone_tsc[0]['whenUnsatisfiable']})", json.dumps(zones))
        if not req:
            return
        # Too few nodes: cordon every node without a server of this ensemble, add one server; the new
        # pod must stay Pending with a FailedScheduling event naming anti-affinity; uncordon and it runs.
        free = [n for n in self.nodes.names if n not in nodes_of.values()]
        n_old = len(pods)
        new_ord = ordinals(sts)[-1] + 1
        new_pod = f"{name}-{new_ord}"
        self.nodes.cordon(free, True)
        try:
            api.merge_patch(f"/apis/apps/v1/namespaces/{ns}/statefulsets/{name}/scale", {"spec": {"replicas": n_old + 1}})

            def pending_with_event():
                p = api.get_or_none(f"/api/v1/namespaces/{ns}/pods/{new_pod}")
                if not p or p["spec"].get("nodeName") or p["status"].get("phase") != "Pending":
                    return None
                ev = [e for e in events_for(api, ns, reason="FailedScheduling", name=new_pod) if "anti-affinity" in e.get("message", "")]
                return ev and ev[-1]["message"]
            try:
                msg = wait_until(pending_with_event, 40, what=f"{new_pod} Pending with FailedScheduling")
                time.sleep(3)  # still Pending a while later
                p = api.get(f"/api/v1/namespaces/{ns}/pods/{new_pod}")
                R.check(not p["spec"].get("nodeName"), f"S3 {label}/{name}: with {len(free)} free node(s) cordoned, {new_pod} stays Pending", msg)
            except TimeoutError as e:
                p = api.get_or_none(f"/api/v1/namespaces/{ns}/pods/{new_pod}")
                R.check(False, f"S3 {label}/{name}: with free nodes cordoned, {new_pod} stays Pending",
                        f"{e}; pod node={p and p['spec'].get('nodeName')}")
        finally:
            self.nodes.cordon(free, False)
        try:
            p = wait_until(lambda: (lambda q: q if q and pod_ready(q) else None)(api.get_or_none(f"/api/v1/namespaces/{ns}/pods/{new_pod}")),
                           60, what=f"{new_pod} Ready after uncordon")
            R.check(p["spec"]["nodeName"] in free, f"S3 {label}/{name}: after uncordon {new_pod} is scheduled on a free node",
                    p["spec"]["nodeName"])
        except TimeoutError as e:
            R.check(False, f"S3 {label}/{name}: after uncordon {new_pod} is scheduled", str(e))
        api.merge_patch(f"/apis/apps/v1/namespaces/{ns}/statefulsets/{name}/scale", {"spec": {"replicas": n_old}})
        sel = selector_string(sts["spec"]["selector"]["matchLabels"])
        wait_for_pods(api, ns, sel, n_old, ready=True, timeout=60)

    # ---------------------------------------------------------------- scenario 4
    # EndpointSlice endpoints are ready when `service.Spec.PublishNotReadyAddresses || (serving &&
    # !terminating)` (k8s.io/endpointslice v0.37.2 utils.go); the eviction subresource refuses with
    # 429 when the PDB's disruptionsAllowed is 0 (pkg/registry/core/pod/storage/eviction.go).
    def s4_not_ready_and_pdb(self, label, ns, sts, pods):
        api = self.api
        name = sts["metadata"]["name"]
        ords = ordinals(sts)
        if len(ords) < 2:
            return
        sel = sts["spec"]["selector"]["matchLabels"]
        held = f"{name}-{ords[1]}"
        labels = pods[held]["metadata"]["labels"]
        svcs = [s for s in api.get(f"/api/v1/namespaces/{ns}/services")["items"]
                if s["spec"].get("selector") and matches(s["spec"]["selector"], labels)]
        peer = [s["metadata"]["name"] for s in svcs if s["spec"].get("publishNotReadyAddresses")]
        client = [s["metadata"]["name"] for s in svcs if not s["spec"].get("publishNotReadyAddresses")]
        self.kubelet.hold_not_ready(ns, held)
        try:
            wait_until(lambda: not pod_ready(api.get(f"/api/v1/namespaces/{ns}/pods/{held}")), 20, what=f"{held} not ready")

            def lists():
                pe = {s: [e for e in endpoints_of(api, ns, s) if e[2] == held and e[3]] for s in peer}
                ce = {s: [e for e in endpoints_of(api, ns, s) if e[2] == held and e[3]] for s in client}
                return (pe, ce) if all(pe.values()) and not any(ce.values()) else None
            try:
                wait_until(lists, 20, what="EndpointSlices to reflect the not-ready pod")
                R.check(True, f"S4 {label}/{name}: {held} not ready: listed (ready) by {peer} (publishNotReadyAddresses), "
                        f"not a ready endpoint of {client}")
            except TimeoutError:
                R.check(False, f"S4 {label}/{name}: {held} not ready: in {peer}, not in {client}",
                        json.dumps({s: endpoints_of(api, ns, s) for s in peer + client})[:1200])
            pdbs = [p for p in api.get(f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets")["items"]
                    if matches(p["spec"]["selector"].get("matchLabels", {}), labels)]
            if not R.check(len(pdbs) == 1, f"S4 {label}/{name}: one PodDisruptionBudget selects the servers", str(len(pdbs))):
                return
            pdb = pdbs[0]["metadata"]["name"]
            pdb_path = f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/{pdb}"
            mu = pdbs[0]["spec"].get("maxUnavailable")
            if not isinstance(mu, int):
                R.check(False, f"S4 {label}/{name}: PDB {pdb} has an integer maxUnavailable", f"spec {pdbs[0]['spec']}")
                return
            wait_until(lambda: api.get(pdb_path)["status"].get("currentHealthy") == len(ords) - 1, 20, what="PDB sees the unready pod")
            healthy = [f"{name}-{i}" for i in reversed(ords) if f"{name}-{i}" != held]
            ok, refused = self.evict_until_refused(ns, healthy)
            R.check(len(ok) == mu - 1 and refused and refused[1] == 429,
                    f"S4 {label}/{name}: while {held} is not ready, PDB maxUnavailable {mu} allows {mu - 1} eviction(s) of healthy servers, "
                    f"then refuses (429)", f"evicted {ok}; then {refused}")
        finally:
            self.kubelet.hold_not_ready(ns, held, False)
        self.wait_recreated(ns, sel, ords, pods, ok)
        wait_until(lambda: api.get(pdb_path)["status"].get("disruptionsAllowed") == mu, 30, what=f"PDB disruptionsAllowed {mu}")
        pods = {p["metadata"]["name"]: p for p in list_pods(api, ns, selector_string(sel))}
        ok, refused = self.evict_until_refused(ns, [f"{name}-{i}" for i in reversed(ords)])
        R.check(len(ok) == mu, f"S4 {label}/{name}: all Ready: PDB (maxUnavailable {mu}) allows {mu} eviction(s) through the Eviction API",
                f"evicted {ok}")
        R.check(bool(refused) and refused[1] == 429, f"S4 {label}/{name}: and refuses the next one", f"{refused}")
        self.wait_recreated(ns, sel, ords, pods, ok)

    def wait_recreated(self, ns, sel, ords, old_pods, names):
        api = self.api
        for n in names:
            wait_until(lambda: (lambda p: p and p["metadata"].get("uid") != old_pods[n]["metadata"]["uid"])(
                api.get_or_none(f"/api/v1/namespaces/{ns}/pods/{n}")), 60, what=f"{n} recreated")
        wait_for_pods(api, ns, selector_string(sel), len(ords), ready=True, timeout=60)

    def evict_until_refused(self, ns, names):
        """Evicts the pods in turn until one is refused: (evicted names, (refused pod, HTTP code, message) or None)."""
        ok = []
        for n in names:
            code, msg = self.evict(ns, n)
            if code != 201:
                return ok, (n, code, msg)
            ok.append(n)
        return ok, None

    def evict(self, ns, pod):
        try:
            self.api.post(f"/api/v1/namespaces/{ns}/pods/{pod}/eviction",
                          {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pod, "namespace": ns}})
            return 201, "evicted"
        except ApiError as e:
            return e.status, e.obj.get("message", e.body[:200])

    # ---------------------------------------------------------------- scenario 5
    def s5_rollout(self, label, d, ns, sts):
        api = self.api
        name = sts["metadata"]["name"]
        ords = ordinals(sts)
        sel = selector_string(sts["spec"]["selector"]["matchLabels"])
        cm_name = sts_config_map(sts)
        # A new zkc build: the ConfigMap content changes and so does the checksum annotation; the
        # changed files are server-side applied like every other build.
        copy_dir = os.path.join(self.work, f"rollout-{ns}-{name}")
        shutil.rmtree(copy_dir, ignore_errors=True)
        shutil.copytree(d, copy_dir)
        new_cfg = None
        for f in os.listdir(copy_dir):
            p = os.path.join(copy_dir, f)
            if not f.endswith(".yaml") or f == "kustomization.yaml":
                continue
            o = yaml.safe_load(open(p))
            if o.get("kind") == "ConfigMap" and o["metadata"]["name"] == cm_name:
                cfg = o["data"]["zoo.cfg"]
                m = re.search(r"^maxClientCnxns=(\d+)$", cfg, re.M)
                new_cfg = (cfg.replace(m.group(0), f"maxClientCnxns={int(m.group(1)) + 1}") if m
                           else cfg + "maxClientCnxns=61\n")
                o["data"]["zoo.cfg"] = new_cfg
                yaml.safe_dump(o, open(p, "w"))
        for f in os.listdir(copy_dir):
            p = os.path.join(copy_dir, f)
            if not f.endswith(".yaml") or f == "kustomization.yaml":
                continue
            o = yaml.safe_load(open(p))
            if o.get("kind") == "StatefulSet" and o["metadata"]["name"] == name:
                o["spec"]["template"]["metadata"].setdefault("annotations", {})["zkc.dev/config-checksum"] = \
                    "sha256:" + hashlib.sha256(new_cfg.encode()).hexdigest()
                yaml.safe_dump(o, open(p, "w"))
        old_rev = api.get(f"/apis/apps/v1/namespaces/{ns}/statefulsets/{name}")["status"].get("currentRevision")
        self.kubelet.set_delays(ready_delay=2.0)
        rec = PodRecorder(api, ns, sel).start()
        t_apply = time.monotonic() - rec.t0
        rc, out, err = apply_dir(self.plane, copy_dir)
        R.check(rc == 0 and not warnings_in(err), f"S5 {label}/{name}: changed ConfigMap + checksum applied", err.strip()[:300])

        def done():
            s = api.get(f"/apis/apps/v1/namespaces/{ns}/statefulsets/{name}")["status"]
            return (s.get("updateRevision") and s.get("updateRevision") != old_rev and s.get("currentRevision") == s.get("updateRevision")
                    and s.get("updatedReplicas") == len(ords) and s.get("readyReplicas") == len(ords))
        try:
            wait_until(done, 60 + 15 * len(ords), interval=0.5, what="rolling update complete")
            ok_done = True
        except TimeoutError as e:
            ok_done = False
            R.check(False, f"S5 {label}/{name}: rolling update completes", str(e))
        time.sleep(0.5)
        rec.stop()
        self.kubelet.set_delays(ready_delay=1.0)
        if not ok_done:
            R.info("\n".join(f"{e.t:8.3f}s {e.kind:10} {e.name}" for e in rec.events))
            return
        deletions = [e for e in rec.events if e.kind == "deleting"]
        order = [e.name for e in deletions]
        want = [f"{name}-{i}" for i in reversed(ords)]
        R.check(order == want, f"S5 {label}/{name}: pods rolled one at a time in reverse ordinal order", " -> ".join(order))
        # Each deletion only after the previous pod's replacement (new revision) is Ready: the
        # controller terminates "the Pod with the largest ordinal that does not match the update
        # revision" and returns while any pod isUnavailable (pkg/controller/statefulset/
        # stateful_set_control.go, v1.37.2, updateStatefulSet rolling-update loop); this checks
        # that zkc's StatefulSet (Parallel pod management, no maxUnavailable) gets that behaviour.
        viol, lines = [], []
        prev_ready_t = None
        for i, de in enumerate(deletions):
            if i > 0 and (prev_ready_t is None or de.t < prev_ready_t):
                viol.append(f"{de.name} deleted at {de.t}s before {deletions[i - 1].name} was Ready again ({prev_ready_t})")
            cr = next((e for e in rec.events if e.kind == "created" and e.name == de.name and e.t >= de.t), None)
            rd = next((e for e in rec.events if e.kind == "ready" and e.name == de.name and cr and e.uid == cr.uid), None)
            sc = next((e for e in rec.events if e.kind == "scheduled" and cr and e.uid == cr.uid), None)
            prev_ready_t = rd.t if rd else None
            lines.append(f"{de.name}: delete {de.t - t_apply:7.3f}s, recreated {cr.t - t_apply if cr else float('nan'):7.3f}s "
                         f"on {sc.node if sc else '?'} (rev {cr.revision if cr else '?'}), Ready {rd.t - t_apply if rd else float('nan'):7.3f}s")
            # overlapping deletions (two pods down at once) are a violation too
        total = (prev_ready_t or 0) - t_apply
        R.check(not viol and len(deletions) == len(ords),
                f"S5 {label}/{name}: each pod deleted only after the previous one is Ready; rollout took {total:.1f}s",
                "; ".join(viol))
        R.info("timeline (seconds after the apply; fake kubelet: Running 0.5s after binding, Ready 2s later):\n" + "\n".join(lines))

    # ---------------------------------------------------------------- scenario 8
    def s8_immutable_fields(self, label, ns, sts):
        """zkc's list of the StatefulSet fields an update may change (src/plan.rs,
        MUTABLE_STATEFULSET_FIELDS: ZK0068 fires for every other field) against the API server:
        each top-level spec field of the live object is changed in a dry-run update, which must be
        refused exactly when zkc says the field is immutable."""
        api = self.api
        name = sts["metadata"]["name"]
        text = open(os.path.join(REPO, "src", "plan.rs")).read()
        block = re.search(r"MUTABLE_STATEFULSET_FIELDS: &\[&str\] = &\[(.*?)\];", text, re.S).group(1)
        mutable = set(re.findall(r'"([A-Za-z]+)"', block))
        live = api.get(f"/apis/apps/v1/namespaces/{ns}/statefulsets/{name}")

        def bump(field, spec):
            v = spec.get(field)
            if field == "replicas":
                return v + 1
            if field in ("minReadySeconds", "revisionHistoryLimit"):
                return (v or 0) + 3
            if field == "ordinals":
                return {"start": v["start"] + 1}
            if field == "template":
                t = json.loads(json.dumps(v))
                t["metadata"].setdefault("annotations", {})["zkc.dev/probe"] = "1"
                return t
            if field == "updateStrategy":
                return {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}
            if field == "persistentVolumeClaimRetentionPolicy":
                flip = {"Retain": "Delete", "Delete": "Retain"}
                return {k: flip[x] for k, x in v.items()}
            if field == "volumeClaimTemplates":
                t = json.loads(json.dumps(v))
                t[0]["metadata"].setdefault("labels", {})["zkc.dev/probe"] = "1"
                return t
            if field == "serviceName":
                return v + "-other"
            if field == "podManagementPolicy":
                return {"Parallel": "OrderedReady", "OrderedReady": "Parallel"}[v]
            if field == "selector":
                return {"matchLabels": {**v["matchLabels"], "zkc.dev/probe": "1"}}
            return None

        for field in sorted(live["spec"]):
            changed = json.loads(json.dumps(live))
            new = bump(field, changed["spec"])
            if new is None:
                R.check(False, f"S8 {label}/{name}: the suite knows how to change spec.{field}", "add it to bump()")
                continue
            changed["spec"][field] = new
            if field == "selector":  # a valid object: the template must still match the selector
                changed["spec"]["template"]["metadata"]["labels"]["zkc.dev/probe"] = "1"
            try:
                api.request("PUT", f"/apis/apps/v1/namespaces/{ns}/statefulsets/{name}", changed,
                            params={"dryRun": "All"})
                refused, why = False, "accepted"
            except ApiError as e:
                refused, why = e.status == 422, e.obj.get("message", e.body[:200])[:160]
            zkc_says = "mutable" if field in mutable else "immutable"
            R.check(refused == (field not in mutable),
                    f"S8 {label}/{name}: spec.{field} is {zkc_says} for zkc (ZK0068) and the API server agrees", why)

    # ---------------------------------------------------------------- scenario 7 (harness use for resizing)
    def s7_scale(self, label, ns, sts, up_to: int):
        """Scales N -> up_to -> N through the scale subresource, recording the pods' order; checks which
        pods come and go (the ordinals above N) and prints the timeline. zkc's servers are Parallel, so
        the controller creates/deletes them without waiting for each other."""
        api = self.api
        name = sts["metadata"]["name"]
        ords = ordinals(sts)
        n = len(ords)
        sel = selector_string(sts["spec"]["selector"]["matchLabels"])
        extra = [f"{name}-{i}" for i in range(ords[-1] + 1, ords[0] + up_to)]
        rec = PodRecorder(api, ns, sel).start()
        t0 = time.monotonic() - rec.t0
        scale_statefulset(api, ns, name, up_to)
        pods = wait_for_pods(api, ns, sel, up_to, ready=True, timeout=90)
        t1 = time.monotonic() - rec.t0
        created = [e.name for e in rec.events if e.kind == "created"]
        R.check(sorted(created) == sorted(extra), f"S7 {label}/{name}: scale {n}->{up_to} creates {extra}", f"created {created}")
        scale_statefulset(api, ns, name, n)
        wait_for_pods(api, ns, sel, n, ready=True, timeout=90)
        wait_until(lambda: len([e for e in rec.events if e.kind == "deleted"]) >= len(extra), 30, what="deletions observed")
        rec.stop()
        deleted = [e.name for e in rec.events if e.kind == "deleting"]
        R.check(sorted(deleted) == sorted(extra), f"S7 {label}/{name}: scale {up_to}->{n} deletes {list(reversed(extra))}", f"deleted {deleted}")
        R.info(f"scale timeline (s; up at {t0:.3f}, {up_to} Ready at {t1:.3f}, then down):\n" +
               "\n".join(f"{e.t:8.3f} {e.kind:10} {e.name} {e.node}" for e in rec.events if e.kind in ("created", "scheduled", "ready", "deleting", "deleted")))

    # ---------------------------------------------------------------- scenario 6
    def install_crds(self):
        for f in CRD_FILES:
            p = os.path.join(GOMODCACHE, f)
            r = self.plane.kubectl("apply", "--server-side", "--field-manager=zkc-ci", "-f", p)
            R.check(r.returncode == 0, f"S6 CRD {f} installed", r.stderr.strip()[:300])
        for crd in CRDS:
            try:
                wait_until(lambda: any(c["type"] == "Established" and c["status"] == "True" for c in
                                       self.api.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd}")
                                       .get("status", {}).get("conditions", [])), 30, what=f"{crd} Established")
            except TimeoutError as e:
                R.check(False, f"S6 CRD {crd} Established", str(e))

    def s6_gitops(self, label, tree):
        # The Prometheus Operator objects and cert-manager Certificates, each on its own (S1
        # applied them with their tree).
        prom = sorted(f for k in ("servicemonitor", "podmonitor", "prometheusrule", "certificate")
                      for f in glob.glob(os.path.join(tree, "*", f"{k}-*.yaml")))
        for f in sorted(glob.glob(os.path.join(tree, "_argocd", "*.yaml")) + glob.glob(os.path.join(tree, "_flux", "*.yaml"))) + prom:
            o = yaml.safe_load(open(f))
            ns = o["metadata"].get("namespace")
            if ns:
                ensure_namespace(self.api, ns)
            r = self.plane.kubectl("apply", "--server-side", "--dry-run=server", "--validate=strict", "--field-manager=zkc-ci", "-f", f)
            rel = os.path.relpath(f, REPO)
            R.check(r.returncode == 0 and not warnings_in(r.stderr), f"S6 {rel}: {o['kind']} passes a strict server-side dry-run against its CRD",
                    (r.stderr.strip() or r.stdout.strip())[:400])

    # ---------------------------------------------------------------- negative controls
    def tampered_copy(self, src, ns, mutate):
        d = os.path.join(self.work, f"neg-{ns}")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(src, d)
        for f in os.listdir(d):
            p = os.path.join(d, f)
            if f == "kustomization.yaml" or not f.endswith(".yaml"):
                continue
            o = yaml.safe_load(open(p))
            if o.get("kind") == "Namespace":
                os.remove(p)
                k = yaml.safe_load(open(os.path.join(d, "kustomization.yaml")))
                k["resources"].remove(f)
                yaml.safe_dump(k, open(os.path.join(d, "kustomization.yaml"), "w"))
                continue
            o["metadata"]["namespace"] = ns
            mutate(o)
            with open(p, "w") as fh:
                fh.write(yaml.safe_dump(o, sort_keys=False) if not isinstance(o, str) else o)
        ensure_namespace(self.api, ns, PSS)
        provide_secrets(self.api, ns, [yaml.safe_load(open(os.path.join(d, f))) for f in sorted(os.listdir(d))
                                       if f.endswith(".yaml") and f != "kustomization.yaml"])
        return d

    def negative_controls(self, src):
        api = self.api
        rel = os.path.relpath(src, REPO)

        # 1. Pod Security restricted: runAsNonRoot false, run as root.
        def root(o):
            if o["kind"] == "StatefulSet":
                o["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] = False
                o["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = 0
                for c in o["spec"]["template"]["spec"]["containers"]:
                    c["securityContext"].pop("runAsNonRoot", None)
                    c["securityContext"].pop("runAsUser", None)
        d = self.tampered_copy(src, "neg-psa", root)
        rc, out, err = apply_dir(self.plane, d)
        w = warnings_in(err)
        R.check(rc == 0 and any('violate PodSecurity "restricted' in x for x in w),
                f"NEG {rel} runAsNonRoot=false/runAsUser=0: apply warns 'would violate PodSecurity restricted'", "; ".join(w)[:400])
        sts = next(o for o in kustomize(self.plane, d) if o["kind"] == "StatefulSet")
        try:
            ev = wait_until(lambda: events_for(api, "neg-psa", reason="FailedCreate", name=sts["metadata"]["name"]), 30,
                            what="FailedCreate")
            time.sleep(1)
            pods = list_pods(api, "neg-psa")
            R.check(not pods and 'violates PodSecurity "restricted' in ev[0]["message"],
                    "NEG ... and the StatefulSet controller's pod creation is forbidden (FailedCreate), no pod exists",
                    ev[0]["message"][:300])
        except TimeoutError as e:
            R.check(False, "NEG ... FailedCreate expected", f"{e}; pods: {[p['metadata']['name'] for p in list_pods(api, 'neg-psa')]}")
        api.delete("/api/v1/namespaces/neg-psa")

        # 2. A misspelled field: strict validation must reject it (dry-run and apply).
        def typo(o):
            if o["kind"] == "StatefulSet":
                p = o["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
                p["periodSecond"] = p.pop("periodSeconds")
        d = self.tampered_copy(src, "neg-typo", typo)
        rc, out, err = apply_dir(self.plane, d, dry_run=True)
        # Server-side apply rejects it while building the typed patch ("field not declared in schema");
        # a plain create/update with fieldValidation=Strict says 'unknown field "..."'.
        R.check(rc != 0 and "readinessProbe.periodSecond" in err and ("field not declared in schema" in err or "unknown field" in err),
                f"NEG {rel} readinessProbe.periodSecond (typo): strict server-side validation rejects it", err.strip()[:300])
        api.delete("/api/v1/namespaces/neg-typo")

        # 3. Anti-affinity that cannot be met: one server per zone required, one server more than zones.
        zones = len(self.nodes.zone_names)

        def per_zone(o):
            if o["kind"] == "StatefulSet":
                for t in required_anti_affinity(o):
                    t["topologyKey"] = "topology.kubernetes.io/zone"
                o["spec"]["replicas"] = zones + 1
        d = self.tampered_copy(src, "neg-aa", per_zone)
        rc, out, err = apply_dir(self.plane, d)
        sts = next(o for o in kustomize(self.plane, d) if o["kind"] == "StatefulSet")
        sel = selector_string(sts["spec"]["selector"]["matchLabels"])
        try:
            wait_for_pods(api, "neg-aa", sel, zones + 1, ready=False, timeout=30)

            def state():
                pods = list_pods(api, "neg-aa", sel)
                pend = [p for p in pods if not p["spec"].get("nodeName")]
                ready = [p for p in pods if pod_ready(p)]
                if len(ready) == zones and len(pend) == 1:
                    ev = [e for e in events_for(api, "neg-aa", reason="FailedScheduling", name=pend[0]["metadata"]["name"])
                          if "anti-affinity" in e.get("message", "")]
                    return ev and (pend[0]["metadata"]["name"], ev[-1]["message"])
            name, msg = wait_until(state, 60, what="3 Ready + 1 Pending")
            time.sleep(3)
            p = api.get(f"/api/v1/namespaces/neg-aa/pods/{name}")
            R.check(rc == 0 and not p["spec"].get("nodeName"),
                    f"NEG {rel} anti-affinity per zone with {zones + 1} servers: {zones} run, {name} stays Pending", msg)
        except TimeoutError as e:
            R.check(False, f"NEG {rel} anti-affinity per zone: one pod Pending", str(e))
        api.delete("/api/v1/namespaces/neg-aa")

        # 4. The CRD schema is really enforced: a misspelled field in the Argo CD Application.
        trees = sorted(glob.glob(os.path.join(os.path.dirname(src), "_argocd", "*.yaml")))
        if trees:
            o = yaml.safe_load(open(trees[0]))
            o["spec"]["sourc"] = o["spec"].pop("source", {})
            f = os.path.join(self.work, "neg-app.yaml")
            yaml.safe_dump(o, open(f, "w"))
            r = self.plane.kubectl("apply", "--server-side", "--dry-run=server", "--validate=strict", "-f", f)
            R.check(r.returncode != 0 and "sourc" in r.stderr and ("field not declared in schema" in r.stderr or "unknown field" in r.stderr),
                    f"NEG {os.path.relpath(trees[0], REPO)} with spec.sourc (typo): rejected by the CRD's schema", r.stderr.strip()[:300])

        # 5. The Prometheus Operator CRDs are really enforced: a monitor with a misspelt endpoint
        # field, and one with a scheme outside the CRD's enum, are both refused.
        self.broken_monitor_control()
        # 6. The Certificate CRD is really enforced: a misspelt field and a key encoding outside
        # its enum are refused.
        self.broken_certificate_control()

    def broken_certificate_control(self):
        certs = sorted(glob.glob(os.path.join(REPO, "tests", "golden", "*", "out", "*", "certificate-*.yaml")))
        R.check(bool(certs), "NEG a golden tree has a Certificate to break",
                os.path.relpath(certs[0], REPO) if certs else "no certificate-*.yaml")
        if not certs:
            return
        rel = os.path.relpath(certs[0], REPO)
        ensure_namespace(self.api, "neg-certificate", PSS)
        for what, needle, breaks in [
            ("spec field `secretNam` (typo of secretName)", "secretNam", lambda sp: sp.__setitem__("secretNam", sp.pop("secretName"))),
            ("privateKey.encoding \"PKCS12\"", "PKCS12", lambda sp: sp["privateKey"].__setitem__("encoding", "PKCS12")),
        ]:
            o = yaml.safe_load(open(certs[0]))
            o["metadata"]["namespace"] = "neg-certificate"
            breaks(o["spec"])
            f = os.path.join(self.work, "neg-certificate.yaml")
            yaml.safe_dump(o, open(f, "w"))
            r = self.plane.kubectl("apply", "--server-side", "--dry-run=server", "--validate=strict", "-f", f)
            R.check(r.returncode != 0 and needle in r.stderr,
                    f"NEG {rel} with {what}: rejected by the CRD's schema", r.stderr.strip()[:300])

    def broken_monitor_control(self):
        monitors = sorted(glob.glob(os.path.join(REPO, "tests", "golden", "*", "out", "*", "podmonitor-*.yaml")) +
                          glob.glob(os.path.join(REPO, "tests", "golden", "*", "out", "*", "servicemonitor-*.yaml")))
        R.check(bool(monitors), "NEG a golden tree has a monitor to break",
                os.path.relpath(monitors[0], REPO) if monitors else "no podmonitor-*/servicemonitor-*.yaml")
        if not monitors:
            return
        rel = os.path.relpath(monitors[0], REPO)
        # A namespace of its own: the tree's monitor is live in its namespace, and an apply there
        # would fail on the field manager's conflict before the schema is consulted.
        ensure_namespace(self.api, "neg-monitor", PSS)
        for what, needle, breaks in [
            ("endpoint field `prot` (typo of port)", "prot", lambda ep: ep.__setitem__("prot", ep.pop("port"))),
            ("scheme \"tcp\"", "tcp", lambda ep: ep.__setitem__("scheme", "tcp")),
        ]:
            o = yaml.safe_load(open(monitors[0]))
            o["metadata"]["namespace"] = "neg-monitor"
            endpoints = o["spec"].get("podMetricsEndpoints") or o["spec"]["endpoints"]
            breaks(endpoints[0])
            f = os.path.join(self.work, "neg-monitor.yaml")
            yaml.safe_dump(o, open(f, "w"))
            r = self.plane.kubectl("apply", "--server-side", "--dry-run=server", "--validate=strict", "-f", f)
            R.check(r.returncode != 0 and needle in r.stderr,
                    f"NEG {rel} with {what}: rejected by the CRD's schema", r.stderr.strip()[:300])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, certificates)")
    ap.add_argument("trees", nargs="*")
    a = ap.parse_args()
    trees = a.trees or ["out"] + sorted(glob.glob("tests/golden/*/out"))
    trees = [os.path.join(REPO, t) if not os.path.isabs(t) else t for t in trees]
    t_start = time.monotonic()
    # SIGTERM (e.g. from `timeout`) becomes SystemExit, so the finally below tears the plane down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    plane = ControlPlane(a.bin_dir, keep=a.keep)
    work = tempfile.mkdtemp(prefix="zkc-k8s-work-")
    nodes = kubelet = None
    try:
        plane.start()
        api = plane.api
        nodes = FakeNodes(api, zones=3, per_zone=2).start()
        ensure_storage_class(api, nodes, DEFAULT_SC, default=True)
        kubelet = FakeKubelet(api, nodes.names).start()
        suite = Suite(plane, nodes, kubelet, work)
        # Cluster-scoped prerequisites a tree names but does not (and cannot) emit: storage classes,
        # priority classes, node labels of a nodeSelector. A real cluster must provide them; without
        # them the pods are forbidden ("no PriorityClass with name ... was found") or stay Pending.
        # The suite provides them and says so.
        classes, prios, node_labels = set(), set(), {}
        for tree in trees:
            for f in glob.glob(os.path.join(tree, "*", "statefulset-*.yaml")):
                o = yaml.safe_load(open(f))
                for t in o["spec"].get("volumeClaimTemplates", []):
                    if t["spec"].get("storageClassName"):
                        classes.add(t["spec"]["storageClassName"])
                ps = o["spec"]["template"]["spec"]
                if ps.get("priorityClassName"):
                    prios.add(ps["priorityClassName"])
                node_labels.update(ps.get("nodeSelector") or {})
        for c in sorted(classes):
            ensure_storage_class(api, nodes, c)
        for pc in sorted(prios):
            api.create_or_get("/apis/scheduling.k8s.io/v1/priorityclasses", {
                "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": pc},
                "value": 1000000, "description": "created by zkc's k8s suite: named by a tree"})
        if node_labels:
            for n in nodes.names:
                api.merge_patch(f"/api/v1/nodes/{n}", {"metadata": {"labels": node_labels}})
        log(f"nodes {nodes.names}, storage classes {[DEFAULT_SC] + sorted(classes)}")
        R.info(f"cluster prerequisites the trees name and the suite provides: StorageClass {sorted(classes)}, "
               f"PriorityClass {sorted(prios)}, node labels {node_labels} (on every node)")
        suite.install_crds()
        for tree in trees:
            tl = os.path.relpath(tree, REPO)
            for d in sorted(glob.glob(os.path.join(tree, "*", "kustomization.yaml"))):
                d = os.path.dirname(d)
                label = os.path.relpath(d, REPO)
                t0 = time.monotonic()
                try:
                    objs = kustomize(plane, d)
                    ns = next((o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"), None) or \
                        next(o["metadata"]["namespace"] for o in objs if o["metadata"].get("namespace"))
                    suite.s1_apply(label, d, objs, ns)
                    secrets = provide_secrets(api, ns, objs)
                    if secrets:
                        R.info(f"{label}: Secrets and ConfigMaps the pods use, provided by the suite (cert-manager's and the user's): {secrets}")
                    for sts in [o for o in objs if o["kind"] == "StatefulSet"]:
                        pods = suite.s2_statefulset(label, ns, sts, objs)
                        if pods is None:
                            continue
                        suite.s3_scheduling(label, ns, sts, pods)
                        pods = {p["metadata"]["name"]: p for p in list_pods(api, ns, selector_string(sts["spec"]["selector"]["matchLabels"]))}
                        suite.s4_not_ready_and_pdb(label, ns, sts, pods)
                        suite.s5_rollout(label, d, ns, sts)
                        suite.s8_immutable_fields(label, ns, sts)
                        if label == "out/staging":
                            suite.s7_scale(label, ns, sts, 5)
                except Exception as e:  # noqa: BLE001 - reported as a failure, the suite goes on
                    R.check(False, f"{label}: scenario aborted", f"{type(e).__name__}: {e}")
                    traceback.print_exc()
                log(f"{label} done in {time.monotonic() - t0:.1f}s")
            suite.s6_gitops(tl, tree)
        src = next((os.path.dirname(k) for t in trees for k in sorted(glob.glob(os.path.join(t, "*", "kustomization.yaml")))
                    if glob.glob(os.path.join(os.path.dirname(k), "statefulset-*.yaml"))), None)
        try:
            suite.negative_controls(src)
        except Exception as e:  # noqa: BLE001
            R.check(False, "negative controls aborted", f"{type(e).__name__}: {e}")
            traceback.print_exc()
        if kubelet.errors:
            R.info(f"fake kubelet saw {len(kubelet.errors)} transient API errors; first: {kubelet.errors[0]}")
    finally:
        if kubelet:
            kubelet.stop()
        if nodes:
            nodes.stop()
        plane.stop()
        shutil.rmtree(work, ignore_errors=True)
    log(f"suite took {time.monotonic() - t_start:.1f}s")
    if R.failures:
        print("\nFailures:")
        for f in R.failures:
            print("  " + f)
    print(f"{R.passed} passed, {R.failed} failed")
    return 1 if R.failed or R.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
