"""Checks the Kubernetes manifests and the Dockerfile, offline.

Run by deploy/k8s/validate (which finds kubectl and node). One case per
check, printed and written as JUnit XML (tests/harness/casetest.py):

  * each kustomization renders (`kubectl kustomize`, kubectl 1.32);
  * each rendered object: a current apiVersion, valid against the real
    Kubernetes schema (npm kubernetes-models), no unknown fields
    (check_objects.mjs);
  * deployment rules the schema cannot express: restricted pod security,
    native gRPC probes on numeric ports, resources, replicas / PDB / HPA
    consistency, topology spread, every selector and reference resolving,
    the configuration file and policy valid for mikeyd (service/config.proto,
    service/auth/policy.proto) and consistent with the mounts and ports;
  * the Dockerfile: npm dockerfile-utils, plus the project's image rules.

Ends with "N passed, N failed".
"""

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile

parser = argparse.ArgumentParser()
parser.add_argument("--repo", required=True)
parser.add_argument("--kubectl", required=True)
parser.add_argument("--node_modules", required=True)
parser.add_argument("--casetest", required=True)
FLAGS = parser.parse_args()
sys.path.insert(0, os.path.dirname(FLAGS.casetest))

import yaml  # noqa: E402  (python3-yaml)
import casetest  # noqa: E402

HERE = os.path.join(FLAGS.repo, "deploy", "k8s")
KUSTOMIZATIONS = ["base", "overlays/example"]
CASES = casetest.Cases("k8s_validate")

# Secrets the manifests mount but do not create (created out of band:
# docs/DEPLOYMENT.md). A Secret volume naming anything else is an error.
EXTERNAL_SECRETS = {"mikeyd-tls", "mikeyd-keys", "mikeyd-state-key",
                    "mikeyd-redis", "mikeyd-credentials", "mikeyd-trust"}
CONTAINER = "mikeyd"
HEALTH_SERVICE = "mikey.broker.v1.KeyBroker"



def check(name, fn):
    return CASES.check(name, fn)


def run(args, **kw):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120, **kw)
    if p.returncode != 0:
        raise AssertionError("%s exited %d: %s" % (" ".join(args),
                                                   p.returncode, p.stderr))
    return p.stdout


def fail(msg):
    raise AssertionError(msg)


# --- rendering and schemas --------------------------------------------------

RENDERED = {}


def render(kdir):
    def fn():
        out = run([FLAGS.kubectl, "kustomize", os.path.join(HERE, kdir)])
        objs = [o for o in yaml.safe_load_all(out) if o]
        if not objs:
            fail("rendered nothing")
        RENDERED[kdir] = objs
    return fn


def schema_results(kdir):
    p = subprocess.run(
        ["node", os.path.join(HERE, "check_objects.mjs"), FLAGS.node_modules],
        input=json.dumps(RENDERED[kdir]), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, timeout=120)
    if p.returncode != 0:
        fail("check_objects.mjs exited %d: %s" % (p.returncode, p.stderr))
    return json.loads(p.stdout)


# --- helpers over rendered objects -----------------------------------------

def objects(objs, kind):
    return [o for o in objs if o["kind"] == kind]


def one(objs, kind, name=None):
    found = [o for o in objects(objs, kind)
             if name is None or o["metadata"]["name"] == name]
    if len(found) != 1:
        fail("expected one %s%s, found %d" %
             (kind, " " + name if name else "", len(found)))
    return found[0]


def deployment(objs):
    return one(objs, "Deployment", "mikeyd")


def pod_spec(objs):
    return deployment(objs)["spec"]["template"]["spec"]


def container(objs):
    cs = [c for c in pod_spec(objs)["containers"] if c["name"] == CONTAINER]
    if len(cs) != 1:
        fail("no container %r" % CONTAINER)
    return cs[0]


def pod_labels(objs):
    return deployment(objs)["spec"]["template"]["metadata"]["labels"]


def selects(selector, labels):
    """Whether a LabelSelector (matchLabels only here) selects `labels`."""
    if "matchExpressions" in selector:
        fail("matchExpressions not supported by this check")
    ml = selector.get("matchLabels", {})
    return bool(ml) and all(labels.get(k) == v for k, v in ml.items())


def container_ports(objs):
    return {p["name"]: p["containerPort"] for p in container(objs)["ports"]}


def port_of(address):
    m = re.fullmatch(r"(?:\[[^\]]*\]|[^:]*):(\d+)", address)
    if not m:
        fail("not HOST:PORT: %r" % address)
    return int(m.group(1))


# --- rules ------------------------------------------------------------------

def pod_security(objs):
    spec = pod_spec(objs)
    psc = spec.get("securityContext", {})
    c = container(objs)
    csc = c.get("securityContext", {})
    problems = []
    if not (psc.get("runAsNonRoot") or csc.get("runAsNonRoot")):
        problems.append("runAsNonRoot not set")
    uid = csc.get("runAsUser", psc.get("runAsUser"))
    if not isinstance(uid, int) or uid == 0:
        problems.append("runAsUser %r (want a non-zero number)" % uid)
    if csc.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation not false")
    if csc.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem not true")
    if csc.get("privileged"):
        problems.append("privileged")
    if csc.get("capabilities", {}).get("drop") != ["ALL"]:
        problems.append("capabilities.drop is not [ALL]")
    if csc.get("capabilities", {}).get("add"):
        problems.append("capabilities added")
    seccomp = (csc.get("seccompProfile") or psc.get("seccompProfile") or
               {}).get("type")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        problems.append("seccompProfile %r" % seccomp)
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            problems.append(field)
    if spec.get("automountServiceAccountToken") is not False:
        problems.append("pod automountServiceAccountToken not false")
    sa = one(objs, "ServiceAccount", spec.get("serviceAccountName", "default"))
    if sa.get("automountServiceAccountToken") is not False:
        problems.append("ServiceAccount automountServiceAccountToken not false")
    for v in spec.get("volumes", []):
        if "hostPath" in v:
            problems.append("hostPath volume %s" % v["name"])
    if problems:
        fail("; ".join(problems))


def probes(objs):
    c = container(objs)
    ports = set(container_ports(objs).values())
    for kind in ("livenessProbe", "readinessProbe"):
        probe = c.get(kind)
        if not probe or "grpc" not in probe:
            fail("%s: not a native grpc probe" % kind)
        port = probe["grpc"].get("port")
        if not isinstance(port, int) or isinstance(port, bool):
            fail("%s: grpc port %r is not a number" % (kind, port))
        if port not in ports:
            fail("%s: port %d is not a container port" % (kind, port))
    readiness = c["readinessProbe"]["grpc"].get("service")
    if readiness != HEALTH_SERVICE:
        fail("readinessProbe service %r, want %r" % (readiness, HEALTH_SERVICE))


def resources(objs):
    r = container(objs).get("resources", {})
    for section in ("requests", "limits"):
        for res in ("cpu", "memory"):
            if res not in r.get(section, {}):
                fail("resources.%s.%s missing" % (section, res))
    image = container(objs)["image"]
    if ":" not in image.rsplit("/", 1)[-1] and "@" not in image:
        fail("image %r has no tag or digest" % image)
    if image.endswith(":latest"):
        fail("image %r uses :latest" % image)


def replicas_and_disruption(objs):
    d = deployment(objs)
    replicas = d["spec"].get("replicas", 1)
    if replicas < 2:
        fail("replicas %d: want several" % replicas)
    hpa = one(objs, "HorizontalPodAutoscaler")
    ref = hpa["spec"]["scaleTargetRef"]
    if (ref.get("apiVersion"), ref["kind"], ref["name"]) != (
            "apps/v1", "Deployment", d["metadata"]["name"]):
        fail("HPA scaleTargetRef %r is not the Deployment" % ref)
    lo, hi = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
    if lo != replicas:
        fail("HPA minReplicas %d != Deployment replicas %d" % (lo, replicas))
    if not lo <= hi:
        fail("HPA minReplicas %d > maxReplicas %d" % (lo, hi))
    pdb = one(objs, "PodDisruptionBudget")
    if not selects(pdb["spec"]["selector"], pod_labels(objs)):
        fail("PDB selects no mikeyd pod")
    if "maxUnavailable" in pdb["spec"]:
        if not 1 <= pdb["spec"]["maxUnavailable"] < replicas:
            fail("PDB maxUnavailable %r" % pdb["spec"]["maxUnavailable"])
    elif not 0 < pdb["spec"].get("minAvailable", 0) < replicas:
        fail("PDB minAvailable %r blocks every eviction" %
             pdb["spec"].get("minAvailable"))
    strategy = d["spec"].get("strategy", {}).get("rollingUpdate", {})
    if strategy.get("maxUnavailable", 1) != 0:
        fail("rolling update may take replicas down before new ones are up")
    tsc = pod_spec(objs).get("topologySpreadConstraints", [])
    keys = {t["topologyKey"] for t in tsc
            if selects(t["labelSelector"], pod_labels(objs))}
    if "kubernetes.io/hostname" not in keys:
        fail("no topology spread over nodes")


def references(objs):
    labels = pod_labels(objs)
    if not selects(deployment(objs)["spec"]["selector"], labels):
        fail("Deployment selector does not select its own pods")
    cports = container_ports(objs)
    services = objects(objs, "Service")
    if not any(s["spec"].get("clusterIP") == "None" for s in services):
        fail("no headless Service (client-side load balancing)")
    for s in services:
        if not selects({"matchLabels": s["spec"].get("selector", {})},
                       labels):
            fail("Service %s selector does not match the pods" %
                 s["metadata"]["name"])
        for p in s["spec"]["ports"]:
            t = p.get("targetPort", p["port"])
            if (isinstance(t, str) and t not in cports) or (
                    isinstance(t, int) and t not in cports.values()):
                fail("Service %s targetPort %r is not a container port" %
                     (s["metadata"]["name"], t))
    np = one(objs, "NetworkPolicy")
    if not selects(np["spec"]["podSelector"], labels):
        fail("NetworkPolicy selects no mikeyd pod")
    if set(np["spec"].get("policyTypes", [])) != {"Ingress", "Egress"}:
        fail("NetworkPolicy does not restrict both directions")
    for rule in np["spec"].get("ingress", []):
        for p in rule.get("ports", []):
            if isinstance(p["port"], str) and p["port"] not in cports:
                fail("NetworkPolicy port %r is not a container port" %
                     p["port"])
    if not any(p.get("port") == "grpc" or p.get("port") == cports["grpc"]
               for rule in np["spec"].get("ingress", [])
               for p in rule.get("ports", [])):
        fail("NetworkPolicy lets no client reach the gRPC port")
    configmaps = {o["metadata"]["name"] for o in objects(objs, "ConfigMap")}
    secrets = {o["metadata"]["name"] for o in objects(objs, "Secret")}
    for v in pod_spec(objs).get("volumes", []):
        refs = []
        if "configMap" in v:
            refs.append(("ConfigMap", v["configMap"]["name"]))
        if "secret" in v:
            refs.append(("Secret", v["secret"]["secretName"]))
        for src in v.get("projected", {}).get("sources", []):
            if "secret" in src:
                refs.append(("Secret", src["secret"]["name"]))
            if "configMap" in src:
                refs.append(("ConfigMap", src["configMap"]["name"]))
        for kind, name in refs:
            if kind == "ConfigMap" and name not in configmaps:
                fail("volume %s: ConfigMap %s not in the manifests" %
                     (v["name"], name))
            if kind == "Secret" and name not in secrets | EXTERNAL_SECRETS:
                fail("volume %s: Secret %s is neither created nor one of "
                     "the documented external Secrets" % (v["name"], name))
    mounts = {m["name"] for m in container(objs).get("volumeMounts", [])}
    volumes = {v["name"] for v in pod_spec(objs).get("volumes", [])}
    if mounts - volumes:
        fail("mounts without volumes: %s" % sorted(mounts - volumes))


# --- mikeyd's configuration file and policy ---------------------------------

_PROTO_CLASSES = {}


def proto_class(proto_path, full_name):
    """The message class of `full_name` from a .proto file of the repo,
    compiled with Debian's protoc into the default descriptor pool."""
    key = (proto_path, full_name)
    if key in _PROTO_CLASSES:
        return _PROTO_CLASSES[key]
    from google.protobuf import descriptor_pb2
    from google.protobuf import descriptor_pool
    from google.protobuf import duration_pb2  # noqa: F401 (in the pool)
    from google.protobuf import message_factory
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "set.pb")
        run(["protoc", "-I" + FLAGS.repo, "-I/usr/include",
             "--descriptor_set_out=" + out, proto_path])
        with open(out, "rb") as f:
            fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.Default()
    for fdp in fds.file:
        try:
            pool.FindFileByName(fdp.name)
        except KeyError:
            pool.Add(fdp)
    desc = pool.FindMessageTypeByName(full_name)
    if hasattr(message_factory, "GetMessageClass"):
        cls = message_factory.GetMessageClass(desc)
    else:
        cls = message_factory.MessageFactory(pool).GetPrototype(desc)
    _PROTO_CLASSES[key] = cls
    return cls


def parse_strict(cls, data, what):
    from google.protobuf import json_format
    try:
        return json_format.Parse(json.dumps(data), cls(),
                                 ignore_unknown_fields=False)
    except json_format.ParseError as e:
        fail("%s: not a valid %s: %s" % (what, cls.DESCRIPTOR.full_name, e))


def configmap_file(objs, key):
    vol = next(v for v in pod_spec(objs)["volumes"] if v["name"] == "config")
    cm = one(objs, "ConfigMap", vol["configMap"]["name"])
    if key not in cm.get("data", {}):
        fail("ConfigMap %s has no %s" % (cm["metadata"]["name"], key))
    return cm["data"][key]


def config_path(objs):
    args = container(objs).get("args", [])
    paths = [a.split("=", 1)[1] for a in args if a.startswith("--config=")]
    if len(paths) != 1:
        fail("container args do not name one --config file: %r" % args)
    return paths[0]


def mount_for(objs, path):
    """(volume, path inside it) of the mount holding `path`."""
    best = None
    for m in container(objs).get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/") + "/"
        if path.startswith(mp) and (best is None or
                                    len(mp) > len(best[0])):
            best = (mp, m["name"])
    if best is None:
        fail("%s is on no volume mount (the root filesystem is read-only "
             "and holds no configuration)" % path)
    vol = next(v for v in pod_spec(objs)["volumes"] if v["name"] == best[1])
    return vol, path[len(best[0]):]


def expect_file(objs, path, what):
    vol, inner = mount_for(objs, path)
    if "configMap" in vol:
        cm = one(objs, "ConfigMap", vol["configMap"]["name"])
        if inner not in cm.get("data", {}):
            fail("%s %s: ConfigMap %s has no key %s" %
                 (what, path, cm["metadata"]["name"], inner))
    elif "secret" in vol:
        items = vol["secret"].get("items")
        if items is not None and inner not in [i["path"] for i in items]:
            fail("%s %s: Secret volume %s does not project it" %
                 (what, path, vol["name"]))
    return vol


def mikeyd_config(objs):
    path = config_path(objs)
    vol, inner = mount_for(objs, path)
    if "configMap" not in vol:
        fail("--config %s is not on the ConfigMap volume" % path)
    try:
        data = json.loads(configmap_file(objs, inner))
    except ValueError as e:
        fail("%s: not JSON: %s" % (path, e))
    # Strictly against the real schema: an unknown or misspelt field fails.
    cls = proto_class("service/config.proto", "mikey.mikeyd.v1.MikeydConfig")
    parse_strict(cls, data, path)

    # Consistent with the Deployment: files on mounts, ports exposed.
    ports = container_ports(objs)
    if port_of(data["listen"]) != ports.get("grpc"):
        fail("listen %s is not container port grpc (%s)" %
             (data["listen"], ports.get("grpc")))
    if "metrics" in data and data["metrics"].get("listen"):
        if port_of(data["metrics"]["listen"]) != ports.get("metrics"):
            fail("metrics.listen %s is not container port metrics" %
                 data["metrics"]["listen"])
    health = data.get("health", {}).get("listen")
    probe_ports = {container(objs)[p]["grpc"]["port"]
                   for p in ("livenessProbe", "readinessProbe")}
    if health:
        if {port_of(health)} != probe_ports:
            fail("probes use ports %s, health.listen is %s" %
                 (sorted(probe_ports), health))
    elif probe_ports != {ports["grpc"]}:
        fail("probes on %s but no health listener configured" %
             sorted(probe_ports))
    tls = data.get("tls")
    if not tls:
        fail("no TLS: mikeyd serves plaintext only on loopback")
    for key in ("cert_file", "key_file", "client_ca_file"):
        if tls.get(key):
            expect_file(objs, tls[key], "tls." + key)
    if not tls.get("require_client_cert"):
        fail("tls.require_client_cert is not true (mutual TLS)")
    if not data.get("policy_file"):
        fail("no policy_file")
    expect_file(objs, data["policy_file"], "policy_file")
    keystore_vol, _ = mount_for(objs, data["keystore"]["dir"].rstrip("/") +
                                "/x")
    if "projected" not in keystore_vol and "secret" not in keystore_vol:
        fail("keystore.dir is not on a Secret volume")
    if data.get("inline_keys_allowed"):
        fail("inline_keys_allowed: keys would travel in requests")
    replay = data.get("replay", {})
    replicas = deployment(objs)["spec"].get("replicas", 1)
    if replicas > 1 and replay.get("backend") != "redis":
        fail("%d replicas without the shared (redis) replay cache: a message "
             "replayed to another replica would be accepted" % replicas)
    if replay.get("backend") == "redis":
        if not replay.get("redis_address"):
            fail("replay.redis_address missing")
        port_of(replay["redis_address"])
        if replay.get("redis_password_file"):
            expect_file(objs, replay["redis_password_file"],
                        "replay.redis_password_file")
    # Trust for the public-key modes is optional; when configured, its CA
    # files must be on a mount (mikeyd refuses to start without them).
    trust = data.get("trust", {})
    sets = [("trust", trust)] + [("trust.per_key.%s" % k, v) for k, v in
                                 trust.get("per_key", {}).items()]
    for what, tset in sets:
        for f in tset.get("ca_files", []):
            expect_file(objs, f, what + ".ca_files")


# Deliberate mistakes in the configuration file: each must make
# mikeyd_config fail, or the check above has gone blind.
CONFIG_MISTAKES = [
    ("the proposed nested replay.redis object (not in the proto)",
     lambda c: c["replay"].update(redis={"address": "redis:6379"})),
    ("a misspelt field", lambda c: c.update(helth=c.pop("health"))),
    ("an unknown field in health",
     lambda c: c["health"].update(port=8081)),
    ("health.listen not on the probes' port",
     lambda c: c["health"].update(listen="0.0.0.0:8082")),
    ("no health listener while the probes use one",
     lambda c: c.pop("health")),
    ("listen not on the grpc container port",
     lambda c: c.update(listen="0.0.0.0:50052")),
    ("several replicas with the per-process replay cache",
     lambda c: [c["replay"].pop(k) for k in list(c["replay"])
                if k.startswith("redis_") or k == "backend"]),
    ("redis backend without an address",
     lambda c: c["replay"].pop("redis_address")),
    ("redis_password_file on no mount",
     lambda c: c["replay"].update(redis_password_file="/run/redis/pw")),
    ("redis_password_file not projected by its Secret volume",
     lambda c: c["replay"].update(
         redis_password_file="/etc/mikeyd/redis/passwd")),
    ("trust CA file on no mount",
     lambda c: c.update(trust={"ca_files": ["/trust/ca.pem"]})),
    ("a duration that is not a duration",
     lambda c: c["replay"].update(max_skew="2 minutes")),
    ("plaintext instead of TLS",
     lambda c: c.pop("tls")),
    ("inline keys allowed", lambda c: c.update(inline_keys_allowed=True)),
]


def config_mistakes_caught(objs):
    cm_vol = next(v for v in pod_spec(objs)["volumes"]
                  if v["name"] == "config")
    cm_name = cm_vol["configMap"]["name"]
    _, inner = mount_for(objs, config_path(objs))
    missed = []
    for what, mutate in CONFIG_MISTAKES:
        bad = copy.deepcopy(objs)
        cm = one(bad, "ConfigMap", cm_name)
        data = json.loads(cm["data"][inner])
        mutate(data)
        cm["data"][inner] = json.dumps(data)
        try:
            mikeyd_config(bad)
        except AssertionError:
            continue
        missed.append(what)
    if missed:
        fail("mistakes not caught: %s" % "; ".join(missed))


def mikeyd_policy(objs):
    path = config_path(objs)
    _, inner = mount_for(objs, path)
    data = json.loads(configmap_file(objs, inner))
    _, policy_key = mount_for(objs, data["policy_file"])
    try:
        policy = json.loads(configmap_file(objs, policy_key))
    except ValueError as e:
        fail("policy: not JSON: %s" % e)
    cls = proto_class("service/auth/policy.proto", "mikey.mikeyd.v1.Policy")
    msg = parse_strict(cls, policy, "policy")
    rpcs = {"Decode", "Initiate", "Respond", "Complete", "DeriveSessionKeys",
            "*"}
    if not msg.rules:
        fail("policy has no rules: every call would be refused")
    for i, rule in enumerate(msg.rules):
        if not rule.client or not rule.rpcs:
            fail("rules[%d]: client and rpcs are required" % i)
        for rpc in rule.rpcs:
            if rpc not in rpcs:
                fail("rules[%d]: %r is not a KeyBroker RPC" % (i, rpc))


# --- the Dockerfile ---------------------------------------------------------

DOCKERFILE = os.path.join(FLAGS.repo, "deploy", "Dockerfile")


def dockerfile_lint():
    out = run(["node", os.path.join(HERE, "lint_dockerfile.cjs"),
               FLAGS.node_modules, DOCKERFILE])
    diags = json.loads(out)
    if diags:
        fail("\n".join("Dockerfile:%d: %s" % (d["line"], d["message"])
                       for d in diags))


def dockerfile_rules():
    text = open(DOCKERFILE).read()
    # Instructions, continuation lines joined, comments dropped.
    lines = []
    for raw in re.sub(r"\\\n", " ", text).splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            lines.append(raw.strip())
    instr = [(l.split(None, 1)[0].upper(), (l.split(None, 1) + [""])[1])
             for l in lines]
    if ("ARG", "BASE=debian:bookworm-slim") not in instr:
        fail("no `ARG BASE=debian:bookworm-slim`")
    froms = [a for i, a in instr if i == "FROM"]
    if len(froms) < 2 or not all(f.startswith("${BASE}") for f in froms):
        fail("want a multi-stage build with every FROM ${BASE}: %r" % froms)
    last = max(k for k, (i, _) in enumerate(instr) if i == "FROM")
    final = instr[last:]
    users = [a for i, a in final if i == "USER"]
    if not users or not re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", users[-1]):
        fail("final stage USER %r: want a numeric non-root UID[:GID]" %
             (users[-1] if users else None))
    entry = [a for i, a in final if i == "ENTRYPOINT"]
    if not entry or not entry[-1].startswith("["):
        fail("ENTRYPOINT not in exec (JSON) form")
    if not any(i == "COPY" and "--from=build" in a for i, a in final):
        fail("final stage copies nothing from the build stage")
    build = instr[:last]
    if not any(i == "RUN" and "tools/setup" in a for i, a in build):
        fail("build stage does not use tools/setup")
    if not any(i == "RUN" and "bazel" in a and "//service:mikeyd" in a
               for i, a in build):
        fail("build stage does not build //service:mikeyd with bazel")
    for i, a in instr:
        if i == "RUN" and "apt-get install" in a:
            if "--no-install-recommends" not in a:
                fail("apt-get install without --no-install-recommends")
        if i == "FROM" and re.search(r":latest\b", a):
            fail("FROM with :latest")
    ignore = open(os.path.join(FLAGS.repo, ".dockerignore")).read().split()
    for pattern in ("bazel-*", ".git"):
        if pattern not in ignore:
            fail(".dockerignore lacks %s" % pattern)
    if not any("node_modules" in p for p in ignore):
        fail(".dockerignore lacks node_modules")


def main():
    for kdir in KUSTOMIZATIONS:
        if not check("%s: kubectl kustomize renders" % kdir, render(kdir)):
            continue
        try:
            results = schema_results(kdir)
        except AssertionError as e:
            check("%s: schema check runs" % kdir,
                  lambda e=e: (_ for _ in ()).throw(e))
            continue
        for r in results:
            def ok(r=r):
                if r["errors"]:
                    fail("\n".join(r["errors"]))
            check("%s: %s: current API version, schema, no unknown fields" %
                  (kdir, r["ref"]), ok)
        objs = RENDERED[kdir]
        for name, fn in [
                ("pod security (restricted)", pod_security),
                ("native gRPC probes on numeric ports", probes),
                ("resources and image tag", resources),
                ("replicas, PDB, HPA, rollout, topology spread",
                 replicas_and_disruption),
                ("selectors, ports, volumes and Secrets resolve", references),
                ("mikeyd config file valid and consistent", mikeyd_config),
                ("deliberate config mistakes are caught",
                 config_mistakes_caught),
                ("mikeyd authorization policy valid", mikeyd_policy)]:
            check("%s: %s" % (kdir, name), lambda fn=fn, objs=objs: fn(objs))
    check("Dockerfile: dockerfile-utils lint", dockerfile_lint)
    check("Dockerfile: multi-stage, Bazel build, non-root runtime",
          dockerfile_rules)
    return CASES.finish()


if __name__ == "__main__":
    sys.exit(main())
