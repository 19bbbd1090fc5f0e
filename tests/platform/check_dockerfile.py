#!/usr/bin/env python3
"""Static checks of the repository's Dockerfile (no container engine runs here):

* multi-stage, every stage on Debian 12;
* the build stage installs every -dev package the project's build needs (scripts/deps.sh) and
  copies every source directory the build uses, none of them excluded by .dockerignore;
* the final stage installs no compiler, build tool or -dev package, puts pcfdemo-web and
  pcfdemo-worker on the PATH, runs as a non-root numeric user, exposes the port the program
  listens on and starts pcfdemo-web;
* with --binaries WEB WORKER (the programs built on this Debian 12 machine): every shared
  library they load comes from a package the final stage installs (or from the base image's
  essential packages), so the image starts.

Usage: check_dockerfile.py [--binaries PATH...]   Exit status 1 names the first failure."""

import argparse
import fnmatch
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from platform_sources import ROOT, CheckFailure, Dockerfile, default_port, read  # noqa: E402

BUILD_TOOLS = {"build-essential", "cmake", "g++", "gcc", "make", "pkg-config", "ccache",
               "clang", "ninja-build", "git"}
# What debian:12-slim has before anything is installed (essential packages).
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "zlib1g", "libstdc++6"}


def check_static(dockerfile):
    if len(dockerfile.stages) < 2:
        raise CheckFailure("Dockerfile: expected a multi-stage build (a build stage and a "
                           f"final stage), found {len(dockerfile.stages)} stage(s)")
    for stage in dockerfile.stages:
        image = stage["from"]
        if not re.match(r"^(docker\.io/)?(library/)?debian:(12|bookworm)([.-].*)?$", image) and \
                stage["name"] != image and not any(s["name"] == image for s in dockerfile.stages):
            raise CheckFailure(f"Dockerfile: stage {stage['name'] or '(final)'} is based on "
                               f"{image!r}, not on Debian 12")

    build = dockerfile.stages[0]
    final = dockerfile.final()

    # The build stage has what scripts/deps.sh says the build needs.
    deps = read("scripts/deps.sh")
    match = re.search(r"PCFDEMO_BUILD_PACKAGES=\(([^)]*)\)", deps, re.S)
    if not match:
        raise CheckFailure("scripts/deps.sh: no PCFDEMO_BUILD_PACKAGES list")
    needed_dev = {p for p in match.group(1).split() if p.endswith("-dev")}
    build_packages = set(Dockerfile.apt_packages(build))
    missing = sorted(needed_dev - build_packages)
    if missing:
        raise CheckFailure(f"Dockerfile: the build stage does not install {missing}, which "
                           "scripts/deps.sh lists for the build")

    # The build stage copies what the build reads, and .dockerignore lets it through.
    copied = set()
    for args in Dockerfile.instructions(build, "COPY"):
        words = [w for w in args.split() if not w.startswith("--")]
        for source in words[:-1]:
            if not os.path.exists(os.path.join(ROOT, source)):
                raise CheckFailure(f"Dockerfile: COPY {source}: no such file in the repository")
            copied.add(source.rstrip("/"))
    for needed in ("CMakeLists.txt", "cmake", "libpcfdemo", "frontends"):
        if needed not in copied:
            raise CheckFailure(f"Dockerfile: the build stage does not COPY {needed}")
    ignore_path = os.path.join(ROOT, ".dockerignore")
    if os.path.exists(ignore_path):
        patterns = [line.strip() for line in read(".dockerignore").splitlines()
                    if line.strip() and not line.startswith("#")]
        for needed in copied:
            for pattern in patterns:
                if fnmatch.fnmatch(needed, pattern.rstrip("/")):
                    raise CheckFailure(f".dockerignore: {pattern!r} excludes {needed}, which "
                                       "the Dockerfile copies")

    # The final stage: runtime only.
    final_packages = Dockerfile.apt_packages(final)
    if not final_packages:
        raise CheckFailure("Dockerfile: the final stage installs no runtime library")
    for package in final_packages:
        if package.endswith("-dev") or package in BUILD_TOOLS:
            raise CheckFailure(f"Dockerfile: the final stage installs {package}, a build-time "
                               "package")
    programs = dockerfile.installed_programs()
    for program in ("pcfdemo-web", "pcfdemo-worker"):
        if program not in programs:
            raise CheckFailure(f"Dockerfile: the final image has no {program} on its PATH "
                               f"(programs found: {sorted(programs)})")

    users = Dockerfile.instructions(final, "USER")
    if not users:
        raise CheckFailure("Dockerfile: the final stage sets no USER: it would run as root")
    user = users[-1].split(":")[0]
    if not user.isdigit() or int(user) == 0:
        raise CheckFailure(f"Dockerfile: USER {users[-1]} must be a numeric non-root uid (so "
                           "Kubernetes' runAsNonRoot can verify it)")

    port = str(default_port())
    env = Dockerfile.env(final)
    if env.get("PORT", port) != port:
        raise CheckFailure(f"Dockerfile: ENV PORT={env['PORT']}, but EXPOSE and the manifests "
                           f"use {port}")
    exposed = " ".join(Dockerfile.instructions(final, "EXPOSE")).split()
    if port not in [e.split("/")[0] for e in exposed]:
        raise CheckFailure(f"Dockerfile: does not EXPOSE {port}, the port pcfdemo-web listens on")

    starts = Dockerfile.instructions(final, "CMD") + Dockerfile.instructions(final, "ENTRYPOINT")
    if not any("pcfdemo-web" in s for s in starts):
        raise CheckFailure("Dockerfile: the image does not start pcfdemo-web by default")
    return final_packages, user


def package_of(library_path):
    real = os.path.realpath(library_path)
    for candidate in (real, library_path):
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":")[0].strip()
    # usrmerge: /lib/x86_64-linux-gnu is /usr/lib/x86_64-linux-gnu
    alternative = real.replace("/usr/lib/", "/lib/", 1) if real.startswith("/usr/lib/") else \
        real.replace("/lib/", "/usr/lib/", 1)
    result = subprocess.run(["dpkg", "-S", alternative], capture_output=True, text=True)
    if result.returncode == 0:
        return result.stdout.split(":")[0].strip()
    return None


def check_libraries(binaries, final_packages):
    """Every library the binaries name as NEEDED comes from an installed runtime package."""
    provided = set(final_packages) | BASE_IMAGE_PACKAGES
    checked = 0
    for binary in binaries:
        if not os.path.exists(binary):
            raise CheckFailure(f"--binaries: {binary} does not exist")
        dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True,
                                 check=True).stdout
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
        resolved = {}
        for line in subprocess.run(["ldd", binary], capture_output=True, text=True,
                                   check=True).stdout.splitlines():
            match = re.match(r"\s*(\S+) => (/\S+)", line)
            if match:
                resolved[match.group(1)] = match.group(2)
        for soname in needed:
            if soname.startswith("ld-linux"):
                continue  # the dynamic loader, part of libc6
            if soname not in resolved:
                raise CheckFailure(f"{binary}: cannot resolve {soname} on this machine")
            package = package_of(resolved[soname])
            if package is None:
                raise CheckFailure(f"{binary}: {soname} ({resolved[soname]}) belongs to no "
                                   "Debian package")
            if package not in provided:
                raise CheckFailure(f"Dockerfile: {os.path.basename(binary)} needs {soname} from "
                                   f"{package}, which the final stage does not install")
            checked += 1
    return checked


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binaries", nargs="*", default=[],
                        help="pcfdemo-web and pcfdemo-worker as built on Debian 12")
    args = parser.parse_args()
    try:
        dockerfile = Dockerfile(read("Dockerfile"))
        final_packages, user = check_static(dockerfile)
        print(f"ok: Dockerfile: {len(dockerfile.stages)} stages on Debian 12, final stage runs "
              f"as uid {user} with {len(final_packages)} runtime packages, pcfdemo-web and "
              "pcfdemo-worker on the PATH")
        if args.binaries:
            checked = check_libraries(args.binaries, final_packages)
            print(f"ok: the {checked} shared libraries the programs load come from packages the "
                  "final stage installs")
    except CheckFailure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
