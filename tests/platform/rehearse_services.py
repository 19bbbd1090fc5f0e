#!/usr/bin/env python3
"""Rehearses the Kubernetes services mode on this machine, without a cluster: the pcfdemo
containers of examples/kubernetes/pcfdemo-services.yaml run as local processes with exactly
the configuration the manifest gives them, against a real memcached and a real MariaDB on
loopback. What a cluster would provide is stood in for, and nothing else is changed:

* Service names resolve through a table: each Service's host:port in an environment value or
  a binding file becomes 127.0.0.1 and the port of the local server behind it;
* Secret volumes become directories with one file per key under a temporary
  SERVICE_BINDING_ROOT; secretKeyRef and the downward API's metadata.uid are filled in;
* the web instances listen on free ports instead of containerPort 8080, and the paths
  /var/lib/pcfdemo and /tmp point into a temporary directory.

MariaDB gets the database, user and password from the manifest's Secret, as the MariaDB
image would. Then the rehearsal checks that two pcfdemo-web instances turn ready (/readyz
reaches memcached and MariaDB through the manifest's settings), that a run started on one
instance is claimed by the request worker and finished with every call counted, that the
CPU load worker starts, and that each process stops with status 0 on SIGTERM.

Usage: rehearse_services.py --web PCFDEMO_WEB --worker PCFDEMO_WORKER
Needs memcached and mariadb-server (Debian packages). Exit status 1 names the failed step."""

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from platform_sources import ROOT, CheckFailure  # noqa: E402

import yaml  # noqa: E402

MANIFEST = os.path.join(ROOT, "examples", "kubernetes", "pcfdemo-services.yaml")
DEADLINE_S = 60


def log(message):
    print(f"== {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, seconds=DEADLINE_S):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise CheckFailure(f"{what}: not within {seconds} s")


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return 0, ""


class Processes:
    """The processes this rehearsal starts; all are stopped at the end."""

    def __init__(self, work):
        self.work = work
        self.started = []  # (name, Popen, log path)

    def start(self, name, argv, env):
        path = os.path.join(self.work, f"{name}.log")
        out = open(path, "w")
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.started.append((name, process, path))
        return process

    def tail(self, name):
        for started_name, _, path in self.started:
            if started_name == name:
                with open(path) as f:
                    return f.read()[-1500:]
        return ""

    def check_alive(self):
        for name, process, _ in self.started:
            if process.poll() is not None:
                raise CheckFailure(f"{name} exited {process.returncode}: {self.tail(name)}")

    def stop(self, name, expect_zero=True):
        for started_name, process, _ in self.started:
            if started_name != name or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise CheckFailure(f"{name} did not stop within 30 s of SIGTERM")
            if expect_zero and code != 0:
                raise CheckFailure(f"{name} exited {code} on SIGTERM: {self.tail(name)}")
            return code
        return None

    def stop_all(self):
        for _, process, _ in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def start_memcached(processes):
    port = free_port()
    processes.start("memcached", [shutil.which("memcached") or "/usr/bin/memcached",
                                  "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "64",
                                  "-u", "root" if os.geteuid() == 0 else os.environ.get("USER",
                                                                                        "nobody")],
                    os.environ.copy())
    wait_for("memcached listening", lambda: _connects(port))
    return port


def _connects(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def find_tool(name):
    for directory in (None, "/usr/sbin", "/usr/bin"):
        path = shutil.which(name) if directory is None else os.path.join(directory, name)
        if path and os.path.exists(path):
            return path
    raise CheckFailure(f"{name} not found (Debian package mariadb-server)")


def start_mariadb(processes, work, secret):
    """A MariaDB with the database, user and password of the manifest's Secret."""
    data = os.path.join(work, "mariadb")
    os.makedirs(data)
    socket_path = os.path.join(work, "mariadb.sock")
    root_user = ["--user=root"] if os.geteuid() == 0 else []
    install = subprocess.run([find_tool("mariadb-install-db"), "--no-defaults",
                              f"--datadir={data}", "--auth-root-authentication-method=normal",
                              "--skip-test-db", "--skip-name-resolve"] + root_user,
                             capture_output=True, text=True)
    if install.returncode != 0:
        raise CheckFailure(f"mariadb-install-db failed: {install.stdout[-800:]}"
                           f"{install.stderr[-800:]}")
    port = free_port()
    processes.start("mariadb", [find_tool("mariadbd"), "--no-defaults", f"--datadir={data}",
                                f"--port={port}", "--bind-address=127.0.0.1",
                                f"--socket={socket_path}", f"--tmpdir={work}",
                                f"--pid-file={work}/mariadbd.pid", "--skip-networking=0",
                                "--skip-name-resolve", "--skip-log-bin",
                                "--innodb-buffer-pool-size=32M"] + root_user,
                    os.environ.copy())
    client = [find_tool("mariadb"), "--no-defaults", "--protocol=socket",
              f"--socket={socket_path}", "--user=root"]

    def answers():
        processes.check_alive()
        return subprocess.run(client + ["-e", "SELECT 1"], capture_output=True).returncode == 0
    wait_for("MariaDB answering", answers)

    # What the MariaDB image does with MARIADB_DATABASE, MARIADB_USER, MARIADB_PASSWORD.
    def quoted(text):
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    database, user, password = secret["database"], secret["username"], secret["password"]
    sql = (f"CREATE DATABASE `{database}`; CREATE USER {quoted(user)}@'%' IDENTIFIED BY "
           f"{quoted(password)}; GRANT ALL ON `{database}`.* TO {quoted(user)}@'%';")
    result = subprocess.run(client + ["-e", sql], capture_output=True, text=True)
    if result.returncode != 0:
        raise CheckFailure(f"creating the database and user failed: {result.stderr}")
    return port


def secrets_of(objects):
    found = {}
    for obj in objects:
        if obj["kind"] == "Secret":
            values = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
            values.update({k: str(v) for k, v in (obj.get("stringData") or {}).items()})
            found[obj["metadata"]["name"]] = values
    return found


def rewrite(text, table):
    """`text` with every Service address of `table` (host:port -> 127.0.0.1:port) replaced."""
    for (host, port), local in table.items():
        text = text.replace(f"{host}:{port}", f"127.0.0.1:{local}")
    return text


def container_environment(deployment, container, secrets, table, work, name, web_port=None):
    """The environment the manifest gives `container`, with the cluster's parts stood in."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work}
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    uid = str(uuid.uuid4())
    for variable in container.get("env", []):
        if "value" in variable:
            value = str(variable["value"])
        else:
            source = variable["valueFrom"]
            if "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                value = secrets[ref["name"]][ref["key"]]
            elif source.get("fieldRef", {}).get("fieldPath") == "metadata.uid":
                value = uid
            else:
                raise CheckFailure(f"{name}: the rehearsal cannot fill in {variable['name']}")
        env[variable["name"]] = value

    # Mounted Secrets become directories of files under the rehearsal's own root.
    mounts_root = os.path.join(work, name, "mounts")
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        local = os.path.join(mounts_root, mount["mountPath"].lstrip("/"))
        os.makedirs(local, exist_ok=True)
        if "secret" in volume:
            for key, value in secrets[volume["secret"]["secretName"]].items():
                if key == "host" and (value, int(secrets[volume["secret"]["secretName"]]
                                                  .get("port", 0) or 0)) in table:
                    value = "127.0.0.1"
                elif key == "port":
                    host = secrets[volume["secret"]["secretName"]].get("host")
                    value = str(table.get((host, int(value)), value))
                with open(os.path.join(local, key), "w") as f:
                    f.write(value)
    for key, value in list(env.items()):
        if value.startswith("/") and key in ("SERVICE_BINDING_ROOT", "PCFDEMO_DATA_DIR"):
            env[key] = os.path.join(mounts_root, value.lstrip("/"))
            os.makedirs(env[key], exist_ok=True)
        else:
            env[key] = rewrite(value, table)
    if web_port is not None:
        env["PORT"] = str(web_port)
        env["PCFDEMO_BIND"] = "127.0.0.1"
    env["TMPDIR"] = os.path.join(work, name)
    return env


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--web", required=True)
    parser.add_argument("--worker", required=True)
    args = parser.parse_args()
    binaries = {"pcfdemo-web": os.path.abspath(args.web),
                "pcfdemo-worker": os.path.abspath(args.worker)}
    for path in binaries.values():
        if not os.access(path, os.X_OK):
            print(f"FAIL: {path} is not an executable", file=sys.stderr)
            return 1

    work = tempfile.mkdtemp(prefix="pcfdemo-services-rehearsal.")
    processes = Processes(work)
    try:
        with open(MANIFEST) as f:
            objects = [o for o in yaml.safe_load_all(f) if o]
        deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
        services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
        secrets = secrets_of(objects)
        mariadb_secret = secrets[next(name for name in secrets
                                      if name.startswith("pcfdemo-mariadb"))]

        log("starting memcached and MariaDB on loopback, as the manifest's backends")
        memcached_port = start_memcached(processes)
        mariadb_port = start_mariadb(processes, work, mariadb_secret)
        table = {}
        for name, service in services.items():
            for port in service["spec"]["ports"]:
                if name == "pcfdemo-memcached":
                    table[(name, port["port"])] = memcached_port
                elif name == "pcfdemo-mariadb":
                    table[(name, port["port"])] = mariadb_port
        web_ports = [free_port(), free_port()]
        # The Service pcfdemo-web in front of the web instances: calls go to the first.
        table[("pcfdemo-web", services["pcfdemo-web"]["spec"]["ports"][0]["port"])] = \
            web_ports[0]
        # PCFDEMO_DESTINATION is written without a port (http://pcfdemo-web/receiver).
        destination_service = "http://pcfdemo-web/"

        web = deployments["pcfdemo-web"]
        web_container = web["spec"]["template"]["spec"]["containers"][0]
        for index, port in enumerate(web_ports):
            name = f"web-{index}"
            env = container_environment(web, web_container, secrets, table, work, name, port)
            env = {k: v.replace(destination_service, f"http://127.0.0.1:{web_ports[0]}/")
                   for k, v in env.items()}
            command = web_container["command"] + web_container.get("args", [])
            log(f"starting {name}: {' '.join(command)} on 127.0.0.1:{port}")
            processes.start(name, [binaries[command[0]]] + command[1:], env)

        for name in ("pcfdemo-request-worker", "pcfdemo-cpu-worker"):
            deployment = deployments[name]
            container = deployment["spec"]["template"]["spec"]["containers"][0]
            env = container_environment(deployment, container, secrets, table, work, name)
            command = container["command"] + container.get("args", [])
            log(f"starting {name}: {' '.join(command)}")
            processes.start(name, [binaries[command[0]]] + command[1:], env)

        for index, port in enumerate(web_ports):
            def ready(port=port):
                processes.check_alive()
                status, _ = http("GET", f"http://127.0.0.1:{port}/readyz")
                return status == 200
            wait_for(f"web-{index} /readyz", ready)
            status, body = http("GET", f"http://127.0.0.1:{port}/api/instance")
            instance = json.loads(body)
            backends = instance.get("backends", {})
            if not str(backends.get("runs", "")).startswith("mysql ") or \
                    not str(backends.get("store", "")).startswith("memcached "):
                raise CheckFailure(f"web-{index}: expected runs in MySQL and triggers in "
                                   f"memcached, got {backends}")
            if instance.get("mode") != "services" or instance.get("workers_in_process"):
                raise CheckFailure(f"web-{index}: expected services mode without workers, "
                                   f"got {body}")
            log(f"web-{index}: ready, services mode, backends {instance.get('backends')}")

        calls = 40
        status, body = http("POST", f"http://127.0.0.1:{web_ports[1]}/api/runs",
                            {"calls": calls, "strategy": "atomic", "concurrency": 4})
        if status != 202:
            raise CheckFailure(f"POST /api/runs on web-1: {status} {body}")
        log(f"web-1 accepted a run of {calls} calls; the request worker should claim it")

        def finished():
            processes.check_alive()
            status, body = http("GET", f"http://127.0.0.1:{web_ports[0]}/api/runs?limit=1")
            if status != 200:
                return None
            runs = json.loads(body)
            runs = runs.get("runs", runs) if isinstance(runs, dict) else runs
            if runs and runs[0].get("status") == "finished":
                return runs[0]
            return None
        run = wait_for("the run finished by pcfdemo-request-worker", finished)
        if run.get("succeeded_calls") != calls or run.get("current_request_count") != calls:
            raise CheckFailure(f"the run should have {calls} calls made and counted: {run}")
        log(f"run {run['timestamp']}: {run['succeeded_calls']} calls made, "
            f"{run['current_request_count']} counted in MariaDB")

        for name in ("pcfdemo-request-worker", "pcfdemo-cpu-worker", "web-0", "web-1"):
            processes.stop(name)
            log(f"{name}: SIGTERM -> exit 0")
    except (CheckFailure, KeyError, StopIteration, ValueError) as failure:
        print(f"FAIL: {failure!r}" if not isinstance(failure, CheckFailure) else
              f"FAIL: {failure}", file=sys.stderr)
        for name in ("web-0", "pcfdemo-request-worker"):
            tail = processes.tail(name)
            if tail:
                print(f"--- {name} log:\n{tail}", file=sys.stderr)
        return 1
    finally:
        processes.stop_all()
        shutil.rmtree(work, ignore_errors=True)
    print("services rehearsal passed: the manifest's configuration of pcfdemo-web, the request "
          "worker and the CPU load worker works against real memcached and MariaDB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
