#!/usr/bin/env python3
"""Rehearses the Dockerfile without a container engine: each stage's instructions run, as
written, in a Debian 12 root file system made by debootstrap (minbase, like debian:12-slim),
with chroot instead of a container. Then pcfdemo-web is started from the final stage's file
system the way the image would start it (its CMD, USER, WORKDIR and ENV) on a free loopback
port, and the rehearsal checks that:

* the build stage builds pcfdemo-web and pcfdemo-worker from the copied sources alone;
* the final stage's apt-get list is enough: the programs load (the Dockerfile's own ldd
  check passes) and pcfdemo-web answers GET /healthz and GET /readyz (standalone) as the
  image's user;
* pcfdemo-web stops with status 0 on SIGTERM, as Kubernetes and Cloud Foundry stop it;
* pcfdemo-worker runs (--version, and a fan-out at the running pcfdemo-web).

What it is not: a container. No namespaces, no cgroup limits, no image layers; the network
is the host's (the server listens on 127.0.0.1 only).

Needs root, debootstrap (Debian package) and access to Debian's package archive, and takes
some 15 minutes on two cores. Usage: sudo tests/platform/rehearse_image.py [--keep DIR]
Exit status 1 names the step that failed."""

import argparse
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from platform_sources import ROOT, CheckFailure, Dockerfile, read  # noqa: E402

SUITE = "bookworm"  # Debian 12


def log(message):
    print(f"== {message}", flush=True)


def run(command, **kwargs):
    result = subprocess.run(command, **kwargs)
    if result.returncode != 0:
        raise CheckFailure(f"{' '.join(map(shlex.quote, command))} exited {result.returncode}")
    return result


class Chroot:
    """A Debian 12 root file system with /proc mounted while in use."""

    def __init__(self, path):
        self.path = path
        self.mounted = False

    def mount(self):
        os.makedirs(os.path.join(self.path, "proc"), exist_ok=True)
        run(["mount", "-t", "proc", "proc", os.path.join(self.path, "proc")])
        self.mounted = True
        shutil.copyfile("/etc/resolv.conf", os.path.join(self.path, "etc", "resolv.conf"))

    def unmount(self):
        if self.mounted:
            subprocess.run(["umount", os.path.join(self.path, "proc")])
            self.mounted = False

    def host_path(self, path):
        return os.path.join(self.path, path.lstrip("/"))

    def shell(self, script, env, workdir, log_path, user=None):
        command = ["chroot"]
        if user:
            command.append(f"--userspec={user}")
        command += [self.path, "/bin/sh", "-c", f"cd {shlex.quote(workdir)} && {script}"]
        with open(log_path, "a") as out:
            out.write(f"\n$ {script}\n")
            out.flush()
            result = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        return result.returncode


def base_env(stage_env):
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": "/root", "LANG": "C.UTF-8"}
    env.update(stage_env)
    return env


def copy_into(source, destination):
    """COPY semantics for a directory or a file: a directory's contents go into destination."""
    if os.path.isdir(source):
        os.makedirs(destination, exist_ok=True)
        shutil.copytree(source, destination, symlinks=True, dirs_exist_ok=True)
    else:
        if destination.endswith("/"):
            os.makedirs(destination, exist_ok=True)
            destination = os.path.join(destination, os.path.basename(source))
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copy2(source, destination)


def rehearse_stage(dockerfile, stage, rootfs, stages_done, work):
    """Runs one stage's instructions in `rootfs`; returns its final config."""
    name = stage["name"] or "final"
    log_path = os.path.join(work, f"{name}.log")
    config = {"env": {}, "workdir": "/", "user": None, "cmd": None, "expose": []}
    chroot = Chroot(rootfs)
    chroot.mount()
    try:
        for op, args in stage["instructions"]:
            if op == "ARG":
                continue
            if op == "ENV":
                config["env"].update(Dockerfile.env({"instructions": [(op, args)]}))
            elif op == "WORKDIR":
                config["workdir"] = os.path.join(config["workdir"], args)
                os.makedirs(chroot.host_path(config["workdir"]), exist_ok=True)
            elif op == "COPY":
                words = args.split()
                from_stage = None
                paths = []
                for word in words:
                    if word.startswith("--from="):
                        from_stage = word.split("=", 1)[1]
                    elif not word.startswith("--"):
                        paths.append(word)
                *sources, destination = paths
                if not destination.startswith("/"):
                    destination = os.path.join(config["workdir"], destination)
                for source in sources:
                    if from_stage:
                        origin = os.path.join(stages_done[from_stage], source.lstrip("/"))
                    else:
                        origin = os.path.join(ROOT, source)
                    target = chroot.host_path(destination)
                    if destination.endswith("/") and not os.path.isdir(origin):
                        target += "/"
                    copy_into(origin, target)
                log(f"{name}: COPY {args}")
            elif op == "RUN":
                log(f"{name}: RUN {args[:90]}{'...' if len(args) > 90 else ''}")
                env = base_env(config["env"])
                env["DEBIAN_FRONTEND"] = "noninteractive"
                status = chroot.shell(args, env, config["workdir"], log_path, config["user"])
                if status != 0:
                    with open(log_path) as f:
                        tail = f.read()[-3000:]
                    raise CheckFailure(f"stage {name}: RUN exited {status}: {args}\n{tail}")
            elif op == "USER":
                config["user"] = args.strip()
            elif op == "CMD":
                config["cmd"] = json.loads(args) if args.startswith("[") else ["/bin/sh", "-c",
                                                                               args]
            elif op == "EXPOSE":
                config["expose"] += args.split()
            elif op in ("LABEL", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL"):
                if op == "ENTRYPOINT":
                    raise CheckFailure("the rehearsal does not know ENTRYPOINT yet")
            else:
                raise CheckFailure(f"stage {name}: the rehearsal does not know {op}")
    finally:
        chroot.unmount()
    return config


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def check_user(rootfs, user):
    """USER uid:gid names a user and a group that the final stage created."""
    uid, _, gid = user.partition(":")
    with open(os.path.join(rootfs, "etc", "passwd")) as f:
        users = {line.split(":")[2]: line.split(":") for line in f if line.count(":") >= 6}
    with open(os.path.join(rootfs, "etc", "group")) as f:
        groups = {line.split(":")[2]: line.split(":")[0] for line in f if line.count(":") >= 3}
    if uid not in users:
        raise CheckFailure(f"USER {user}: no user with uid {uid} in the image")
    if gid and (gid not in groups or users[uid][3] != gid):
        raise CheckFailure(f"USER {user}: gid {gid} is not the primary group of "
                           f"{users[uid][0]} ({users[uid][3]})")
    log(f"final: USER {user} is {users[uid][0]}:{groups.get(gid or users[uid][3])}")


def try_the_image(rootfs, config, work):
    """Starts the final stage's CMD as its USER and checks what it serves, then stops it."""
    check_user(rootfs, config["user"])
    port = free_port()
    env = base_env(config["env"])
    env.update({"PORT": str(port), "PCFDEMO_BIND": "127.0.0.1", "HOME": config["workdir"]})
    chroot = Chroot(rootfs)
    chroot.mount()
    server = None
    try:
        command = ["chroot", f"--userspec={config['user']}", rootfs, "/bin/sh", "-c",
                   f"cd {shlex.quote(config['workdir'])} && exec "
                   + " ".join(map(shlex.quote, config["cmd"]))]
        server_log = open(os.path.join(work, "pcfdemo-web.log"), "w")
        log(f"final: starting {' '.join(config['cmd'])} as {config['user']} on 127.0.0.1:{port}")
        server = subprocess.Popen(command, env=env, stdout=server_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CheckFailure(f"pcfdemo-web exited {server.returncode} at start: "
                                   f"{open(server_log.name).read()[-2000:]}")
            try:
                status, _ = get(f"http://127.0.0.1:{port}/healthz")
                break
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                time.sleep(0.2)
        if status != 200:
            raise CheckFailure(f"GET /healthz: {status}, expected 200")
        log("final: GET /healthz -> 200")
        ready = None
        for _ in range(50):
            ready, body = get(f"http://127.0.0.1:{port}/readyz")
            if ready == 200:
                break
            time.sleep(0.2)
        if ready != 200:
            raise CheckFailure(f"GET /readyz: {ready}, expected 200 in standalone mode: {body}")
        log("final: GET /readyz -> 200")

        worker = subprocess.run(
            ["chroot", f"--userspec={config['user']}", rootfs, "pcfdemo-worker", "fanout",
             "--url", f"http://127.0.0.1:{port}/healthz", "--calls", "20", "--concurrency", "4"],
            env=env, capture_output=True, text=True, timeout=60)
        if worker.returncode != 0:
            raise CheckFailure(f"pcfdemo-worker fanout exited {worker.returncode}: "
                               f"{worker.stdout[-1000:]}{worker.stderr[-1000:]}")
        log("final: pcfdemo-worker fanout, 20 calls at /healthz -> exit 0")

        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise CheckFailure("pcfdemo-web did not stop within 30 s of SIGTERM")
        if code != 0:
            raise CheckFailure(f"pcfdemo-web exited {code} on SIGTERM, expected 0")
        log("final: SIGTERM -> pcfdemo-web exited 0")
        server = None
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
        chroot.unmount()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", help="work in DIR and keep it (root file systems, logs)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("FAIL: needs root (debootstrap, chroot)", file=sys.stderr)
        return 1
    if not shutil.which("debootstrap"):
        print("FAIL: needs debootstrap: apt-get install debootstrap", file=sys.stderr)
        return 1

    work = args.keep or tempfile.mkdtemp(prefix="pcfdemo-rehearsal.")
    os.makedirs(work, exist_ok=True)
    try:
        dockerfile = Dockerfile(read("Dockerfile"))
        base = os.path.join(work, "debian12")
        if not os.path.exists(os.path.join(base, "etc", "debian_version")):
            log(f"debootstrap --variant=minbase {SUITE} (the base of every stage)")
            run(["debootstrap", "--variant=minbase", SUITE, base],
                stdout=open(os.path.join(work, "debootstrap.log"), "w"), stderr=subprocess.STDOUT)
        stages_done = {}
        config = None
        for index, stage in enumerate(dockerfile.stages):
            name = stage["name"] or "final"
            rootfs = os.path.join(work, f"stage-{index}-{name}")
            if os.path.exists(rootfs):
                shutil.rmtree(rootfs)
            log(f"stage {name}: from {stage['from']} (a copy of the debootstrap tree)")
            run(["cp", "-a", base, rootfs])
            config = rehearse_stage(dockerfile, stage, rootfs, stages_done, work)
            if stage["name"]:
                stages_done[stage["name"]] = rootfs
        try_the_image(rootfs, config, work)
    except CheckFailure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        print(f"logs in {work}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("image rehearsal passed: both stages ran in Debian 12 chroots; pcfdemo-web served "
          "/healthz and /readyz as the image's user and stopped cleanly on SIGTERM")
    return 0


if __name__ == "__main__":
    sys.exit(main())
