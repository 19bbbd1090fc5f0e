"""What the platform checks read from pcfdemo's own sources, so that the deployment files are
compared with the program as it is, not with a copy of its flags kept by hand:
the HTTP routes pcfdemo-web registers, the flags and environment variables the programs read,
the pcfdemo-worker commands, the project's version, and the shape of the Dockerfile."""

import os
import re
import shlex

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class CheckFailure(Exception):
    """A check failed; the message says which and why."""


def read(relative_path):
    with open(os.path.join(ROOT, relative_path), encoding="utf-8") as f:
        return f.read()


def sources(directory, suffixes=(".cc", ".h")):
    """The text of every file under ROOT/directory with one of `suffixes`, by path."""
    found = {}
    base = os.path.join(ROOT, directory)
    for dirpath, _, filenames in os.walk(base):
        for name in sorted(filenames):
            if name.endswith(suffixes):
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    found[os.path.relpath(path, ROOT)] = f.read()
    return found


def project_version():
    match = re.search(r"project\(\s*pcfdemo\s+VERSION\s+([0-9.]+)", read("CMakeLists.txt"))
    if not match:
        raise CheckFailure("CMakeLists.txt: no project(pcfdemo VERSION ...)")
    return match.group(1)


def web_routes():
    """{(method, path)} registered by pcfdemo-web, e.g. ("GET", "/healthz")."""
    routes = set()
    for text in sources("frontends/http").values():
        for method, path in re.findall(r'Method::(Get|Post|Put|Delete|Patch)\s*,\s*"(/[^"]*)"',
                                       text):
            routes.add((method.upper(), path))
    if not routes:
        raise CheckFailure("frontends/http: found no route registration (Method::Get, \"/...\")")
    return routes


def config_settings():
    """(flags, env) of pcfdemo's Config: flag names without "--", and every environment
    variable it reads (its settings' variables and the platforms' own, such as PORT,
    CF_INSTANCE_GUID, VCAP_SERVICES, SERVICE_BINDING_ROOT)."""
    text = read("libpcfdemo/src/config.cc")
    flags = set(re.findall(r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*\{', text))
    env = set(re.findall(r'"([A-Z][A-Z0-9_]*[A-Z0-9])"', text))
    if "port" not in flags or "PORT" not in env:
        raise CheckFailure("libpcfdemo/src/config.cc: could not read the settings table")
    return flags, env


def default_port():
    match = re.search(r"\bint\s+port\s*=\s*(\d+)\s*;", read("libpcfdemo/include/pcfdemo/config.h"))
    if not match:
        raise CheckFailure("config.h: no default port")
    return int(match.group(1))


def program_flags():
    """{"pcfdemo-web": {...}, "pcfdemo-worker": {...}}: every flag each program accepts,
    without "--" (the Config flags plus each program's own)."""
    config_flags, _ = config_settings()
    result = {}
    for program, directory in (("pcfdemo-web", "frontends/http"),
                               ("pcfdemo-worker", "frontends/worker")):
        own = set()
        for text in sources(directory).values():
            own.update(re.findall(r'"--([a-z][a-z0-9-]*)"', text))
        result[program] = config_flags | own
    return result


def worker_commands():
    commands = set(re.findall(r'command\s*==\s*"([a-z]+)"\s*\)\s*return',
                              read("frontends/worker/main.cc")))
    if not commands:
        raise CheckFailure("frontends/worker/main.cc: found no command")
    return commands


def check_command(argv, where):
    """Checks a command line that starts pcfdemo-web or pcfdemo-worker: the program, the
    worker's command and every flag must be ones the programs know. Returns the program."""
    if isinstance(argv, str):
        argv = shlex.split(argv)
    if not argv:
        raise CheckFailure(f"{where}: empty command")
    program = os.path.basename(argv[0])
    flags_of = program_flags()
    if program not in flags_of:
        raise CheckFailure(f"{where}: runs {argv[0]!r}, which is neither pcfdemo-web nor "
                           "pcfdemo-worker")
    rest = argv[1:]
    if program == "pcfdemo-worker":
        if not rest or rest[0] not in worker_commands():
            raise CheckFailure(f"{where}: pcfdemo-worker needs one of the commands "
                               f"{sorted(worker_commands())}, got {rest[:1]}")
        rest = rest[1:]
    for arg in rest:
        if arg.startswith("--"):
            name = arg[2:].split("=", 1)[0]
            if name not in flags_of[program]:
                raise CheckFailure(f"{where}: {program} has no flag --{name}")
    return program


class Dockerfile:
    """The parts of a Dockerfile the checks need: its stages, each a list of (instruction,
    arguments) with continuation lines joined and comments dropped."""

    def __init__(self, text):
        logical = []
        current = ""
        for line in text.splitlines():
            stripped = line.strip()
            if not current and (not stripped or stripped.startswith("#")):
                continue
            if stripped.startswith("#"):
                continue  # a comment inside a continued instruction
            if stripped.endswith("\\"):
                current += stripped[:-1] + " "
                continue
            current += stripped
            logical.append(current)
            current = ""
        if current:
            logical.append(current)

        self.global_args = {}
        self.stages = []  # [{"name", "from", "instructions": [(op, args)]}]
        for line in logical:
            op, _, args = line.partition(" ")
            op = op.upper()
            args = args.strip()
            if op == "FROM":
                words = args.split()
                image = self._expand(words[0])
                name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
                self.stages.append({"name": name, "from": image, "instructions": []})
            elif not self.stages:
                if op == "ARG":
                    key, _, value = args.partition("=")
                    self.global_args[key] = value.strip('"')
            else:
                self.stages[-1]["instructions"].append((op, args))

    def _expand(self, word):
        return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?",
                      lambda m: self.global_args.get(m.group(1), m.group(0)), word)

    def final(self):
        return self.stages[-1]

    def stage(self, name):
        for stage in self.stages:
            if stage["name"] == name:
                return stage
        return None

    @staticmethod
    def instructions(stage, op):
        return [args for o, args in stage["instructions"] if o == op]

    @staticmethod
    def apt_packages(stage):
        """Packages the stage installs with apt-get install."""
        packages = []
        for args in Dockerfile.instructions(stage, "RUN"):
            for part in re.split(r"&&|;", args):
                words = part.split()
                if "apt-get" in words and "install" in words:
                    after = words[words.index("install") + 1:]
                    packages += [w for w in after if not w.startswith("-")]
        return packages

    @staticmethod
    def env(stage):
        values = {}
        for args in Dockerfile.instructions(stage, "ENV"):
            for word in shlex.split(args):
                key, eq, value = word.partition("=")
                if eq:
                    values[key] = value
        return values

    @staticmethod
    def labels(stage):
        values = {}
        for args in Dockerfile.instructions(stage, "LABEL"):
            for word in shlex.split(args):
                key, eq, value = word.partition("=")
                if eq:
                    values[key] = value
        return values

    def installed_programs(self):
        """Programs the final image has on its PATH (/usr/local/bin, /usr/bin): copied from a
        build stage's /out tree, or copied straight in."""
        final = self.final()
        programs = set()
        for args in self.instructions(final, "COPY"):
            words = args.split()
            source_stage = None
            rest = []
            for word in words:
                if word.startswith("--from="):
                    source_stage = word.split("=", 1)[1]
                elif not word.startswith("--"):
                    rest.append(word)
            if len(rest) < 2:
                continue
            sources_, destination = rest[:-1], rest[-1]
            stage = self.stage(source_stage) if source_stage else None
            for source in sources_:
                if stage is None:
                    continue
                # Paths the build stage wrote under `source`, re-rooted at `destination`.
                for run in self.instructions(stage, "RUN"):
                    for path in re.findall(r"(/\S+)", run):
                        if path.startswith(source.rstrip("/") + "/"):
                            target = os.path.join(destination, path[len(source.rstrip("/")) + 1:])
                            if os.path.dirname(os.path.normpath(target)) in ("/usr/local/bin",
                                                                            "/usr/bin"):
                                programs.add(os.path.basename(target))
        return programs
