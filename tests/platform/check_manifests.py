#!/usr/bin/env python3
"""Checks of the deployment examples against the program they deploy (no cluster and no Cloud
Foundry run here, so these are static):

Kubernetes (examples/kubernetes):
* every file is valid YAML; the plain manifests pcfdemo-standalone.yaml and
  pcfdemo-services.yaml are what the kustomize overlays render (when kubectl is on the PATH;
  its built-in kustomize renders them);
* each mode has the objects it needs (web Deployment with three instances in services mode,
  Service, HorizontalPodAutoscalers, workers, memcached, MariaDB, the credentials Secret);
* every Deployment's selector matches its pods, every container has CPU and memory requests
  and limits, pcfdemo's pods run as the Dockerfile's non-root user;
* the web container's probes GET /healthz (liveness) and /readyz (readiness), routes that
  pcfdemo-web registers, on the port it listens on (PORT), which the Service targets;
* images and commands: pcfdemo's image is the one the Dockerfile builds, tagged with the
  project's version; commands are programs the image installs, with known commands and flags;
  every environment variable given to pcfdemo is one it reads;
* references resolve: Secrets and keys, the binding mounted under SERVICE_BINDING_ROOT, the
  memcached and MariaDB addresses (Services of the right port), HPA targets with CPU requests;
* the instance identity comes from the downward API.

Cloud Foundry (examples/cloudfoundry): manifest.yml has the web process with an HTTP health
check on /healthz (and readiness on /readyz), the request and CPU workers, bindings to a MySQL
and a memcached service that docs/deploy.md creates, the autoscaler bound to the app it scales;
the autoscaling policies are valid App Autoscaler policies.

Usage: check_manifests.py      Exit status 1 names every failure found."""

import base64
import glob
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from platform_sources import (ROOT, CheckFailure, Dockerfile, check_command,  # noqa: E402
                              config_settings, default_port, project_version, read, web_routes)

try:
    import yaml
except ImportError:  # pragma: no cover - reported, not hidden
    print("FAIL: PyYAML is missing: apt-get install python3-yaml", file=sys.stderr)
    sys.exit(1)

K8S = os.path.join(ROOT, "examples", "kubernetes")
CF = os.path.join(ROOT, "examples", "cloudfoundry")
PROGRAMS = ("pcfdemo-web", "pcfdemo-worker")

failures = []
passes = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]


# --- quantities ----------------------------------------------------------------------------

UNITS = {"m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def quantity(value, where):
    match = re.fullmatch(r"([0-9.]+)(m|k|M|G|Ki|Mi|Gi)?", str(value))
    if not match:
        raise CheckFailure(f"{where}: {value!r} is not a resource quantity")
    return float(match.group(1)) * UNITS[match.group(2) or ""]


# --- Kubernetes ----------------------------------------------------------------------------

def by_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o.get("kind") == kind}


def containers(deployment):
    return deployment["spec"]["template"]["spec"].get("containers", [])


def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}


def is_pcfdemo_image(image):
    return image.split("/")[-1].split(":")[0] == "pcfdemo"


def named_port(container, port):
    """The containerPort a probe or Service port (number or name) refers to, or None."""
    if isinstance(port, int):
        return port if any(p["containerPort"] == port for p in container.get("ports", [])) \
            else None
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p["containerPort"]
    return None


def secret_keys(secret):
    keys = set(secret.get("data", {}) or {}) | set(secret.get("stringData", {}) or {})
    return keys


def secret_value(secret, key):
    if key in (secret.get("stringData") or {}):
        return str(secret["stringData"][key])
    if key in (secret.get("data") or {}):
        return base64.b64decode(secret["data"][key]).decode()
    return None


def check_kubernetes_mode(mode, objects, dockerfile_user, image_tag):
    where = f"examples/kubernetes/pcfdemo-{mode}.yaml"
    deployments = by_kind(objects, "Deployment")
    services = by_kind(objects, "Service")
    hpas = by_kind(objects, "HorizontalPodAutoscaler")
    secrets = by_kind(objects, "Secret")
    routes = web_routes()
    _, known_env = config_settings()
    port_default = default_port()

    for obj in objects:
        check(obj.get("apiVersion") and obj.get("kind") and obj.get("metadata", {}).get("name"),
              f"{where}: an object without apiVersion, kind or metadata.name: {str(obj)[:80]}")

    # Which objects each mode has.
    check("pcfdemo-web" in deployments, f"{where}: no Deployment pcfdemo-web")
    check("pcfdemo-web" in services, f"{where}: no Service pcfdemo-web")
    if mode == "services":
        for name in ("pcfdemo-request-worker", "pcfdemo-cpu-worker", "pcfdemo-memcached",
                     "pcfdemo-mariadb"):
            check(name in deployments, f"{where}: no Deployment {name}")
        for name in ("pcfdemo-memcached", "pcfdemo-mariadb"):
            check(name in services, f"{where}: no Service {name}")
        check(any(h["spec"]["scaleTargetRef"]["name"] == "pcfdemo-web" for h in hpas.values()),
              f"{where}: no HorizontalPodAutoscaler for pcfdemo-web")
        check(secrets, f"{where}: no Secret with the credentials")
    else:
        check(not hpas, f"{where}: standalone keeps its store in the process and cannot scale "
                        f"out, yet has HorizontalPodAutoscalers {sorted(hpas)}")
    if "pcfdemo-web" not in deployments:
        return

    web = deployments["pcfdemo-web"]
    replicas = web["spec"].get("replicas", 1)
    check(replicas == (3 if mode == "services" else 1),
          f"{where}: pcfdemo-web has {replicas} replicas, expected "
          f"{3 if mode == 'services' else 1} in {mode} mode")

    for name, deployment in deployments.items():
        dwhere = f"{where}: Deployment {name}"
        spec = deployment["spec"]
        pod = spec["template"]
        selector = spec.get("selector", {}).get("matchLabels", {})
        labels = pod.get("metadata", {}).get("labels", {})
        check(selector and all(labels.get(k) == v for k, v in selector.items()),
              f"{dwhere}: selector {selector} does not match the pod labels {labels}")
        pod_spec = pod["spec"]
        volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
        for volume in volumes.values():
            if "secret" in volume:
                secret_name = volume["secret"]["secretName"]
                check(secret_name in secrets,
                      f"{dwhere}: volume {volume['name']} mounts Secret {secret_name}, which "
                      "this manifest does not have")
        for container in containers(deployment):
            cwhere = f"{dwhere} container {container['name']}"
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    check(resource in resources.get(kind, {}),
                          f"{cwhere}: no {resource} in resources.{kind}")
            for resource in ("cpu", "memory"):
                request = resources.get("requests", {}).get(resource)
                limit = resources.get("limits", {}).get(resource)
                if request is not None and limit is not None:
                    check(quantity(request, cwhere) <= quantity(limit, cwhere),
                          f"{cwhere}: {resource} request {request} exceeds its limit {limit}")
            for mount in container.get("volumeMounts", []):
                check(mount["name"] in volumes,
                      f"{cwhere}: mounts volume {mount['name']}, which the pod does not have")
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    check(ref["name"] in secrets and ref["key"] in secret_keys(secrets[ref["name"]]),
                          f"{cwhere}: env {variable['name']} reads key {ref['key']} of Secret "
                          f"{ref['name']}, which this manifest does not have")

            image = container["image"]
            if not is_pcfdemo_image(image):
                check(":" in image.split("/")[-1] and not image.endswith(":latest"),
                      f"{cwhere}: image {image} should name a version tag")
                continue

            # pcfdemo's own containers.
            check(image.split(":")[-1] == image_tag if ":" in image.split("/")[-1] else False,
                  f"{cwhere}: image {image}: expected pcfdemo:{image_tag}, the project's version "
                  "that docs/deploy.md builds")
            command = container.get("command", []) + container.get("args", [])
            try:
                program = check_command(command, cwhere)
            except CheckFailure as failure:
                failures.append(str(failure))
                continue
            check(program in PROGRAMS, f"{cwhere}: runs {program}")
            security = {**pod_spec.get("securityContext", {}),
                        **container.get("securityContext", {})}
            check(security.get("runAsNonRoot") is True,
                  f"{cwhere}: runAsNonRoot is not set")
            check(str(security.get("runAsUser")) == dockerfile_user,
                  f"{cwhere}: runAsUser {security.get('runAsUser')} is not the image's user "
                  f"{dockerfile_user}")
            check(pod_spec.get("enableServiceLinks") is False,
                  f"{dwhere}: enableServiceLinks must be false: service links add variables "
                  "such as PCFDEMO_MEMCACHED_PORT=tcp://... beside pcfdemo's settings")
            env = env_of(container)
            for variable in env:
                check(variable in known_env,
                      f"{cwhere}: env {variable} is not a variable pcfdemo reads "
                      "(libpcfdemo/src/config.cc)")

            # Shared backends: memcached and the MySQL binding point at Services of this
            # manifest on their ports.
            if "PCFDEMO_MEMCACHED" in env and "value" in env["PCFDEMO_MEMCACHED"]:
                for server in env["PCFDEMO_MEMCACHED"]["value"].split(","):
                    host, _, port = server.partition(":")
                    service = services.get(host)
                    if check(service is not None,
                             f"{cwhere}: PCFDEMO_MEMCACHED names {host}, which is no Service "
                             "of this manifest"):
                        check(any(str(p["port"]) == (port or "11211")
                                  for p in service["spec"]["ports"]),
                              f"{cwhere}: Service {host} has no port {port or 11211}")
            if "SERVICE_BINDING_ROOT" in env:
                root = env["SERVICE_BINDING_ROOT"].get("value", "")
                bindings = [m for m in container.get("volumeMounts", [])
                            if os.path.dirname(m["mountPath"].rstrip("/")) == root.rstrip("/")]
                check(bindings, f"{cwhere}: SERVICE_BINDING_ROOT={root}, but no binding is "
                                "mounted under it")
                for mount in bindings:
                    secret_name = volumes.get(mount["name"], {}).get("secret", {}).get(
                        "secretName")
                    secret = secrets.get(secret_name)
                    if not check(secret is not None,
                                 f"{cwhere}: binding {mount['mountPath']} is not a Secret of "
                                 "this manifest"):
                        continue
                    kind = secret_value(secret, "type")
                    check(kind in ("mysql", "mariadb", "memcached"),
                          f"{cwhere}: binding {mount['mountPath']}: type {kind!r} is not one "
                          "pcfdemo reads (mysql, mariadb, memcached)")
                    host = secret_value(secret, "host")
                    if host is not None:
                        service = services.get(host)
                        if check(service is not None,
                                 f"Secret {secret_name}: host {host} is no Service of this "
                                 "manifest"):
                            port = secret_value(secret, "port") or "3306"
                            check(any(str(p["port"]) == port for p in service["spec"]["ports"]),
                                  f"Secret {secret_name}: Service {host} has no port {port}")

            if program != "pcfdemo-web":
                check(program != "pcfdemo-worker" or "PCFDEMO_MEMCACHED" in env or
                      "SERVICE_BINDING_ROOT" in env,
                      f"{cwhere}: a worker needs the shared memcached (PCFDEMO_MEMCACHED)")
                continue

            # The web container: port, probes, identity, mode.
            port = int(env.get("PORT", {}).get("value", port_default))
            check(any(p["containerPort"] == port for p in container.get("ports", [])),
                  f"{cwhere}: listens on {port} (PORT) but declares no containerPort {port}")
            for probe_name, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                probe = container.get(probe_name, {}).get("httpGet")
                if not check(probe is not None, f"{cwhere}: no HTTP {probe_name}"):
                    continue
                check(probe.get("path") == path,
                      f"{cwhere}: {probe_name} GETs {probe.get('path')}, expected {path}")
                check(("GET", probe.get("path")) in routes,
                      f"{cwhere}: {probe_name} path {probe.get('path')} is not a GET route of "
                      "pcfdemo-web")
                check(named_port(container, probe.get("port")) == port,
                      f"{cwhere}: {probe_name} port {probe.get('port')} is not the port "
                      f"pcfdemo-web listens on ({port})")
            identity = [name for name, e in env.items()
                        if "fieldRef" in e.get("valueFrom", {})]
            check(identity, f"{cwhere}: no instance identity from the downward API (fieldRef)")
            check(env.get("CF_INSTANCE_GUID", {}).get("valueFrom", {}).get("fieldRef", {})
                  .get("fieldPath") == "metadata.uid",
                  f"{cwhere}: CF_INSTANCE_GUID (the instance's identity) should come from "
                  "metadata.uid")
            workers = env.get("PCFDEMO_WORKERS", {}).get("value", "on")
            if mode == "services":
                check("PCFDEMO_MEMCACHED" in env, f"{cwhere}: services mode without memcached")
                check(workers == "off", f"{cwhere}: services mode runs the workers in their own "
                                        "Deployments: set PCFDEMO_WORKERS=off")
            else:
                check("PCFDEMO_MEMCACHED" not in env and "SERVICE_BINDING_ROOT" not in env,
                      f"{cwhere}: standalone mode names shared backends")

    # Services route to a port the selected pods declare.
    for name, service in services.items():
        selector = service["spec"].get("selector", {})
        selected = [d for d in deployments.values()
                    if all(d["spec"]["template"]["metadata"]["labels"].get(k) == v
                           for k, v in selector.items())]
        if not check(len(selected) == 1,
                     f"{where}: Service {name} selects {len(selected)} Deployments, expected 1"):
            continue
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            check(any(named_port(c, target) for c in containers(selected[0])),
                  f"{where}: Service {name} targets port {target}, which Deployment "
                  f"{selected[0]['metadata']['name']} does not declare")
    if "pcfdemo-web" in services:
        web_container = containers(web)[0]
        target = services["pcfdemo-web"]["spec"]["ports"][0].get("targetPort")
        listen = int(env_of(web_container).get("PORT", {}).get("value", port_default))
        check(named_port(web_container, target) == listen,
              f"{where}: Service pcfdemo-web does not reach the port pcfdemo-web listens on")

    for name, hpa in hpas.items():
        target = hpa["spec"]["scaleTargetRef"]
        deployment = deployments.get(target["name"])
        if not check(target["kind"] == "Deployment" and deployment is not None,
                     f"{where}: HPA {name} scales {target['kind']} {target['name']}, which this "
                     "manifest does not have"):
            continue
        spec = hpa["spec"]
        check(1 <= spec.get("minReplicas", 1) <= spec["maxReplicas"],
              f"{where}: HPA {name}: minReplicas must be between 1 and maxReplicas")
        cpu = [m for m in spec.get("metrics", []) if m.get("type") == "Resource" and
               m["resource"]["name"] == "cpu" and m["resource"]["target"]["type"] == "Utilization"]
        check(cpu, f"{where}: HPA {name} does not scale on CPU utilization")
        check(all("cpu" in c.get("resources", {}).get("requests", {})
                  for c in containers(deployment)),
              f"{where}: HPA {name}: utilization needs a CPU request on every container of "
              f"{target['name']}")
        replicas = deployment["spec"].get("replicas", 1)
        check(spec.get("minReplicas", 1) <= replicas <= spec["maxReplicas"],
              f"{where}: {target['name']} starts with {replicas} replicas, outside HPA {name}'s "
              "range")
    passes.append(f"{where}: {len(objects)} objects ({len(deployments)} Deployments, "
                  f"{len(services)} Services, {len(hpas)} HPAs, {len(secrets)} Secrets)")


def check_kubernetes(dockerfile_user, image_tag):
    for path in sorted(glob.glob(os.path.join(K8S, "**", "*.yaml"), recursive=True)):
        try:
            load_all(path)
        except yaml.YAMLError as error:
            failures.append(f"{os.path.relpath(path, ROOT)}: not valid YAML: {error}")
    kubectl = shutil.which("kubectl")
    for mode in ("standalone", "services"):
        plain_path = os.path.join(K8S, f"pcfdemo-{mode}.yaml")
        if not check(os.path.exists(plain_path), f"{plain_path}: missing (run render.sh)"):
            continue
        objects = load_all(plain_path)
        if kubectl:
            result = subprocess.run([kubectl, "kustomize", os.path.join(K8S, "overlays", mode)],
                                    capture_output=True, text=True)
            if check(result.returncode == 0, f"kubectl kustomize overlays/{mode} failed: "
                                             f"{result.stderr.strip()}"):
                rendered = [d for d in yaml.safe_load_all(result.stdout) if d is not None]
                if check(rendered == objects,
                         f"examples/kubernetes/pcfdemo-{mode}.yaml differs from what "
                         f"overlays/{mode} renders: run examples/kubernetes/render.sh"):
                    passes.append(f"overlays/{mode} renders to pcfdemo-{mode}.yaml "
                                  "(kubectl kustomize)")
        else:
            passes.append(f"skipped: rendering overlays/{mode} (no kubectl on the PATH)")
        try:
            check_kubernetes_mode(mode, objects, dockerfile_user, image_tag)
        except (CheckFailure, KeyError, TypeError) as error:
            failures.append(f"examples/kubernetes/pcfdemo-{mode}.yaml: malformed: {error!r}")


# --- Cloud Foundry -------------------------------------------------------------------------

def check_policy(path):
    where = os.path.relpath(path, ROOT)
    try:
        with open(path, encoding="utf-8") as f:
            policy = json.load(f)
    except ValueError as error:
        failures.append(f"{where}: not valid JSON: {error}")
        return
    low, high = policy.get("instance_min_count"), policy.get("instance_max_count")
    check(isinstance(low, int) and isinstance(high, int) and 1 <= low <= high,
          f"{where}: instance_min_count and instance_max_count must be 1 <= min <= max")
    rules = policy.get("scaling_rules", [])
    check(rules, f"{where}: no scaling_rules")
    for rule in rules:
        check(rule.get("operator") in ("<", "<=", ">", ">=") and
              isinstance(rule.get("threshold"), (int, float)) and
              re.fullmatch(r"[+-]\d+%?", str(rule.get("adjustment", ""))) and
              rule.get("metric_type"),
              f"{where}: malformed rule {rule}")
    check(any(str(r.get("adjustment", "")).startswith("+") for r in rules) and
          any(str(r.get("adjustment", "")).startswith("-") for r in rules),
          f"{where}: needs a rule to scale out and one to scale in")
    passes.append(f"{where}: {len(rules)} scaling rules, {low} to {high} instances")


def check_cloudfoundry(image_tag):
    path = os.path.join(CF, "manifest.yml")
    where = "examples/cloudfoundry/manifest.yml"
    try:
        manifest = load_all(path)[0]
    except (OSError, yaml.YAMLError, IndexError) as error:
        failures.append(f"{where}: cannot read: {error}")
        return
    apps = {a["name"]: a for a in manifest.get("applications", [])}
    routes = web_routes()
    processes = {}
    for app in apps.values():
        check("docker" in app and "image" in app["docker"],
              f"{where}: application {app['name']} names no Docker image (the Dockerfile's)")
        for process in app.get("processes", []):
            processes[(app["name"], process["type"])] = (app, process)
            pwhere = f"{where}: {app['name']} process {process['type']}"
            try:
                program = check_command(process.get("command", ""), pwhere)
            except CheckFailure as failure:
                failures.append(str(failure))
                continue
            check(process.get("memory"), f"{pwhere}: no memory limit")
            if program == "pcfdemo-web":
                check(process["type"] == "web", f"{pwhere}: pcfdemo-web must be the web process")
                check(process.get("health-check-type") == "http" and
                      process.get("health-check-http-endpoint") == "/healthz",
                      f"{pwhere}: needs health-check-type http on /healthz")
                for key in ("health-check-http-endpoint", "readiness-health-check-http-endpoint"):
                    if key in process:
                        check(("GET", process[key]) in routes,
                              f"{pwhere}: {key} {process[key]} is not a GET route of pcfdemo-web")
                check(process.get("readiness-health-check-http-endpoint") == "/readyz",
                      f"{pwhere}: readiness should be checked on /readyz")
                check(process.get("instances", 1) >= 2,
                      f"{pwhere}: several instances are the point of the demo")
            else:
                check(process.get("health-check-type") == "process",
                      f"{pwhere}: a worker has no HTTP port: use health-check-type process")
                check(app.get("no-route") is True or process["type"] != "web",
                      f"{pwhere}: a worker app should have no route")
        for name, value in (app.get("env") or {}).items():
            check(name in config_settings()[1],
                  f"{where}: {app['name']} env {name} is not a variable pcfdemo reads")

    commands = {key: process.get("command", "") for key, (_, process) in processes.items()}
    check(any(c.startswith("pcfdemo-web") for c in commands.values()),
          f"{where}: no pcfdemo-web process")
    check(any(c.startswith("pcfdemo-worker request") for c in commands.values()),
          f"{where}: no request worker process")
    check(any(c.startswith("pcfdemo-worker cpu") for c in commands.values()),
          f"{where}: no CPU load worker process")

    # Services: a MySQL and a memcached for the apps that need them, created by the guide.
    guide = read("docs/deploy.md") if os.path.exists(os.path.join(ROOT, "docs/deploy.md")) else ""
    check(guide, "docs/deploy.md: missing")
    bound = {name: set(app.get("services", [])) for name, app in apps.items()}
    web_app = next((a for (a, t), (_, p) in processes.items()
                    if p.get("command", "").startswith("pcfdemo-web")), None)
    cpu_app = next((a for (a, t), (_, p) in processes.items()
                    if p.get("command", "").startswith("pcfdemo-worker cpu")), None)
    all_services = set().union(*bound.values()) if bound else set()
    for service in sorted(all_services):
        check(re.search(rf"cf (create-service|create-user-provided-service|cups)\b[^\n]*"
                        rf"\b{re.escape(service)}\b", guide),
              f"docs/deploy.md: no cf create-service (or cups) for {service}, which "
              f"{where} binds")
    if web_app:
        mysql = [s for s in bound[web_app] if re.search(
            rf"create-[^\n]*\b{re.escape(s)}\b[^\n]*(-t|--tags)[^\n]*mysql|"
            rf"create-service (p\.mysql|p-mysql|cleardb)[^\n]*\b{re.escape(s)}\b", guide)]
        memcached = [s for s in bound[web_app] if re.search(
            rf"(create-[^\n]*\b{re.escape(s)}\b[^\n]*(-t|--tags)[^\n]*memcached)|"
            rf"create-service (memcachedcloud|memcachier)[^\n]*\b{re.escape(s)}\b", guide)]
        check(mysql, f"{where}: {web_app} binds no service the guide creates as MySQL "
                     "(label p.mysql/cleardb or tag mysql)")
        check(memcached, f"{where}: {web_app} binds no service the guide creates as memcached "
                         "(label memcachedcloud/memcachier or tag memcached)")
    if cpu_app:
        policy_apps = re.findall(r"cf attach-autoscaling-policy (\S+)", guide)
        check(cpu_app in policy_apps,
              f"docs/deploy.md: attaches no autoscaling policy to {cpu_app}, the app whose "
              "instances burn CPU")
    check(re.search(rf"docker build -t \S*pcfdemo:{re.escape(image_tag)}", guide),
          f"docs/deploy.md: no 'docker build -t ...pcfdemo:{image_tag}'")
    for policy in sorted(glob.glob(os.path.join(CF, "*.json"))):
        check_policy(policy)
    passes.append(f"{where}: {len(apps)} applications, {len(processes)} processes, "
                  f"services {sorted(all_services)}")


def main():
    try:
        dockerfile = Dockerfile(read("Dockerfile"))
        users = Dockerfile.instructions(dockerfile.final(), "USER")
        dockerfile_user = users[-1].split(":")[0] if users else "0"
        title = Dockerfile.labels(dockerfile.final()).get("org.opencontainers.image.title")
        check(title == "pcfdemo", f"Dockerfile: image title {title!r}, the manifests run "
                                  "'pcfdemo'")
        image_tag = project_version()
        check_kubernetes(dockerfile_user, image_tag)
        check_cloudfoundry(image_tag)
    except CheckFailure as failure:
        failures.append(str(failure))
    for line in passes:
        print(f"ok: {line}")
    for line in failures:
        print(f"FAIL: {line}", file=sys.stderr)
    if failures:
        print(f"{len(failures)} manifest check(s) failed", file=sys.stderr)
        return 1
    print("all manifest checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
