#!/usr/bin/env python3
"""YAML 1.1 round trip (issue #17, item 8): label, annotation and env values that a YAML 1.1
reader would turn into booleans, numbers or merge keys must reach the cluster as the strings the
spec wrote. Builds a spec full of such values with the real zkc, renders each namespace with
`kubectl kustomize` (Go, sigs.k8s.io/yaml over go-yaml: what kubectl, Argo CD and Flux read),
and reads the result with PyYAML (another YAML 1.1 reader). Every value must come back as the
same string. Negative control: the same output with the quoting stripped must fail.

Run: python3 tests/yaml11/roundtrip.py --zkc target/debug/zkc
"""
import argparse, os, re, subprocess, sys, tempfile
import yaml

# Label values must also be valid label values (no ':', '+', '~', leading '.').
LABEL_VALUES = ["on", "yes", "no", "y", "N", "off", "1_000", "0b101", "017", "0x1F", "1.5",
                "2026-11-25", "null", "1e3", "True"]
HOSTILE = LABEL_VALUES + ["1:30", "+12", "~", ".inf"]
# Keys that YAML 1.1 misreads are refused by zkc (ZK0030): kustomize itself re-reads even a
# quoted '1_000' key as a number, so no quoting could carry them.


def spec():
    labels = " ".join(f'"l{i}"="{v}"' for i, v in enumerate(LABEL_VALUES))
    annotations = " ".join(f'"a{i}"="{v}"' for i, v in enumerate(HOSTILE))
    envs = " ".join(f'E{i}="{v}"' for i, v in enumerate(HOSTILE))
    return ('environment "yaml" {\n    ensemble "zk" {\n'
            f'        labels {labels}\n        annotations {annotations}\n        env {envs}\n'
            '    }\n}\n')


def check(out_dir):
    rendered = subprocess.run(["kubectl", "kustomize", os.path.join(out_dir, "yaml")],
                              capture_output=True, text=True)
    if rendered.returncode != 0:
        return [f"kubectl kustomize failed: {rendered.stderr.strip()[:300]}"]
    problems = []
    for doc in yaml.safe_load_all(rendered.stdout):
        labels = doc["metadata"].get("labels", {})
        for i, v in enumerate(LABEL_VALUES):
            if labels.get(f"l{i}") != v:
                problems.append(f"{doc['kind']}: label l{i} = {labels.get(f'l{i}')!r}, wrote {v!r}")
        annotations = doc["metadata"].get("annotations", {})
        for i, v in enumerate(HOSTILE):
            if annotations.get(f"a{i}") != v:
                problems.append(f"{doc['kind']}: annotation a{i} = {annotations.get(f'a{i}')!r}, wrote {v!r}")
        if doc["kind"] == "StatefulSet":
            env = {e["name"]: e.get("value") for e in doc["spec"]["template"]["spec"]["containers"][0]["env"]}
            for i, v in enumerate(HOSTILE):
                if env.get(f"E{i}") != v:
                    problems.append(f"env E{i} = {env.get(f'E{i}')!r}, wrote {v!r}")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--zkc", required=True)
    zkc = os.path.abspath(parser.parse_args().zkc)
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "specs"))
        with open(os.path.join(tmp, "specs", "yaml.kdl"), "w") as f:
            f.write(spec())
        subprocess.run([zkc, "build", "specs"], cwd=tmp, check=True, capture_output=True)
        out = os.path.join(tmp, "out")
        problems = check(out)
        print("FAIL" if problems else "PASS", "hostile strings survive kubectl kustomize and a YAML 1.1 reader")
        for p in problems[:20]:
            print("   ", p)
        passed, failed = (0, 1) if problems else (1, 0)
        # Negative control: strip the quotes zkc added; the round trip must break.
        for root, _, files in os.walk(os.path.join(out, "yaml")):
            for name in files:
                path = os.path.join(root, name)
                with open(path) as f:
                    text = f.read()
                with open(path, "w") as f:
                    f.write(re.sub(r"'([^'\n]*)'", r"\1", text))
        broken = check(out)
        ok = bool(broken)
        print("PASS" if ok else "FAIL", f"negative control: unquoted output breaks ({len(broken)} problems)")
        passed, failed = passed + ok, failed + (not ok)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
