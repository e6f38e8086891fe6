// Checks rendered Kubernetes objects against the real API schemas, as
// packaged by npm `kubernetes-models` (generated from Kubernetes' OpenAPI),
// and adds the two checks that package does not make:
//
//   1. apiVersion/kind must be a version current clusters serve: an
//      allow-list (below). kubernetes-models still ships removed versions
//      (policy/v1beta1, autoscaling/v2beta2, ...) and validates against them.
//   2. No unknown fields. The models' validators ignore fields the schema
//      does not name (a typo such as `readinesProbe` passes). The schemas
//      ship compiled (ajv standalone code), not as JSON, so each field is
//      probed instead: its value is replaced by a value of a type no schema
//      type accepts in both forms ([] and true); a field the schema knows
//      then fails validation at exactly that path, an unknown field does
//      not. Map entries (labels, ConfigMap data) are typed by the schema's
//      additionalProperties and so count as known.
//
// Usage: node check_objects.mjs NODE_MODULES_DIR < objects.json
// where objects.json is a JSON array of objects. Prints a JSON array with,
// for each object, {"ref": "Kind/name", "errors": ["..."]}.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

// Served, non-deprecated API versions (Kubernetes 1.29 to 1.34) of every
// kind a mikeyd deployment may use. Anything else fails.
const CURRENT = {
  "v1": ["Namespace", "ServiceAccount", "Service", "ConfigMap", "Secret"],
  "apps/v1": ["Deployment"],
  "policy/v1": ["PodDisruptionBudget"],
  "autoscaling/v2": ["HorizontalPodAutoscaler"],
  "networking.k8s.io/v1": ["NetworkPolicy"],
};
// Removed versions, for a better message.
const REMOVED = {
  "extensions/v1beta1": "1.16/1.22",
  "apps/v1beta1": "1.16",
  "apps/v1beta2": "1.16",
  "policy/v1beta1": "1.25",
  "autoscaling/v2beta1": "1.25",
  "autoscaling/v2beta2": "1.26",
  "networking.k8s.io/v1beta1": "1.22",
};

const nodeModules = process.argv[2];
if (!nodeModules) {
  console.error("usage: node check_objects.mjs NODE_MODULES_DIR < objects.json");
  process.exit(2);
}
const objects = JSON.parse(readFileSync(0, "utf8"));

async function modelFor(apiVersion, kind) {
  const file = resolve(nodeModules, "kubernetes-models", apiVersion, kind + ".js");
  const mod = await import(pathToFileURL(file).href);
  return mod[kind];
}

// Validation errors of `obj` as ajv reports them ([] when valid).
function errorsOf(Model, obj) {
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    if (Array.isArray(e.errors)) return e.errors;
    throw e;
  }
}

function pointerToken(key) {
  return String(key).replace(/~/g, "~0").replace(/\//g, "~1");
}

function clone(x) {
  return JSON.parse(JSON.stringify(x));
}

// Whether the schema knows `path` (an array of keys) in `obj`.
function known(Model, obj, path) {
  const pointer = "/" + path.map(pointerToken).join("/");
  for (const probe of [[], true]) {
    const copy = clone(obj);
    let parent = copy;
    for (const key of path.slice(0, -1)) parent = parent[key];
    parent[path[path.length - 1]] = probe;
    const hit = errorsOf(Model, copy).some(
      (e) => e.instancePath === pointer || e.instancePath.startsWith(pointer + "/"));
    if (hit) return true;
  }
  return false;
}

// Every field path of `value` under `path` that the schema does not know.
function unknownFields(Model, root, value, path, out) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => unknownFields(Model, root, v, path.concat([i]), out));
  } else if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      const p = path.concat([key]);
      if (path.length === 0 && (key === "apiVersion" || key === "kind")) continue;
      if (!known(Model, root, p)) {
        out.push(p.join("."));
      } else {
        unknownFields(Model, root, value[key], p, out);
      }
    }
  }
  return out;
}

const results = [];
for (const obj of objects) {
  const apiVersion = obj && obj.apiVersion;
  const kind = obj && obj.kind;
  const name = (obj && obj.metadata && obj.metadata.name) || "?";
  const ref = `${kind}/${name}`;
  const errors = [];
  if (!(CURRENT[apiVersion] || []).includes(kind)) {
    if (REMOVED[apiVersion]) {
      errors.push(`${apiVersion} ${kind}: API version removed in Kubernetes ${REMOVED[apiVersion]}`);
    } else {
      errors.push(`${apiVersion} ${kind}: not in the allow-list of current API versions`);
    }
    results.push({ ref, errors });
    continue;
  }
  let Model;
  try {
    Model = await modelFor(apiVersion, kind);
  } catch (e) {
    errors.push(`no kubernetes-models schema for ${apiVersion} ${kind}: ${e.message}`);
    results.push({ ref, errors });
    continue;
  }
  for (const e of errorsOf(Model, obj)) {
    errors.push(`schema: ${e.instancePath || "/"} ${e.message || e.keyword} ${JSON.stringify(e.params)}`);
  }
  // (An unknown field never has an error at its own path, so schema errors
  // elsewhere do not hide one.)
  for (const field of unknownFields(Model, obj, obj, [], [])) {
    errors.push(`unknown field: ${field}`);
  }
  results.push({ ref, errors });
}
console.log(JSON.stringify(results, null, 1));
