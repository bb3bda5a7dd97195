// Validates the Argo CD Applications (out/_argocd) and Flux Kustomizations (out/_flux) that zkc
// emits against the schemas of @kubernetes-models/argo-cd and @kubernetes-models/flux-cd (types,
// required fields, enums). Before that it proves it can fail: a copy of each object with a
// required field removed must be rejected.
//
//   node .ci/gitops-validate/validate.mjs OUT_DIR...
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";
import { Kustomization } from "@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1";

const kinds = {
  _argocd: { model: Application, kind: "Application", required: ["spec", "destination"] },
  _flux: { model: Kustomization, kind: "Kustomization", required: ["spec", "sourceRef"] },
};

function rejects(Model, doc) {
  try {
    new Model(doc).validate();
    return false;
  } catch {
    return true;
  }
}

let checked = 0;
let failed = 0;
for (const out of process.argv.slice(2)) {
  for (const [dir, { model, kind, required }] of Object.entries(kinds)) {
    const path = join(out, dir);
    if (!existsSync(path)) continue;
    for (const file of readdirSync(path).filter((f) => f.endsWith(".yaml")).sort()) {
      const doc = yaml.load(readFileSync(join(path, file), "utf8"));
      const where = join(path, file);
      try {
        if (doc.kind !== kind) throw new Error(`expected kind ${kind}, found ${doc.kind}`);
        new model(doc).validate();
        const broken = structuredClone(doc);
        delete broken[required[0]][required[1]];
        if (!rejects(model, broken)) throw new Error(`the validator accepted it without ${required.join(".")}`);
        console.log(`ok ${where}`);
        checked++;
      } catch (e) {
        console.log(`FAILED ${where}: ${e.message}`);
        failed++;
      }
    }
  }
}
console.log(`gitops objects: ${checked} passed, ${failed} failed`);
process.exit(failed > 0 || checked === 0 ? 1 : 0);
