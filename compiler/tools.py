"""The external programs kafkac runs: pinned, built from source, run from one place.

Every tool is built with `go install <module>@<version>` into its own folder
of the cache (`<cache>/tools/<name>-<version>/<name>`), so a version bump
builds a new binary and an interrupted build leaves nothing behind. A module
whose go.mod replaces modules by folders of its own repository, which `go
install` refuses (Kubernetes, etcd), is built with `go build` in a main module
made for the build (see MainModule). This is
the only module that starts processes; the others call `run()`, `git()` or
`opa_server()`; kube_schemas calls `go_module_dir()` for the Go modules whose
CRDs it turns into kubeconform schemas.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MIN_GO = (1, 26)
INSTALL_HINT = "kafkac tools install"


@dataclass(frozen=True)
class MainModule:
    """How to build a tool that `go install` refuses: from a main module made for the build.

    It requires `module` at the tool's version; each module that `module`'s go.mod
    replaces by a folder of its own repository is taken at `local_replacements`
    instead (Kubernetes publishes its staging folders as k8s.io/<name> v0.N.x).
    `also` are more packages of it built into the tool's folder beside the tool.
    """

    module: str
    local_replacements: str | None = None
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tool:
    """A pinned Go program: what to `go install` and how to ask its version."""

    name: str
    package: str
    version: str
    version_args: tuple[str, ...]
    ldflags: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # Go build tags
    # Minutes of CPU a cold build took on two cores: the longest builds start first.
    build_minutes: int = 1
    main_module: MainModule | None = None

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"


_HELM_VERSION = "v3.22.0"
# helm's Makefile sets these; `go install` alone would report "v3.22" and
# default to Kubernetes 1.20 (we pass --kube-version anyway). 1.37 follows
# helm's rule: k8s.io/client-go v0.37.0 -> Kubernetes 1.37.
_HELM_LDFLAGS = (
    "-s", "-w",
    f"-X helm.sh/helm/v3/internal/version.version={_HELM_VERSION}",
    "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1",
    "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37",
    "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1",
    "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37",
)

TOOLS: dict[str, Tool] = {t.name: t for t in (
    Tool("cue", "cuelang.org/go/cmd/cue", "v0.17.1", ("version",), build_minutes=2),
    Tool("opa", "github.com/open-policy-agent/opa", "v1.22.2", ("version",), build_minutes=4),
    Tool("helm", "helm.sh/helm/v3/cmd/helm", _HELM_VERSION, ("version", "--short"),
         _HELM_LDFLAGS, build_minutes=5),
    # kubeconform's release build sets main.version; without it `-v` says "development".
    Tool("kubeconform", "github.com/yannh/kubeconform/cmd/kubeconform", "v0.8.0", ("-v",),
         ("-X main.version=v0.8.0",)),
    # Checks the alert rules of charts with Prometheus Operator resources.
    # Only charts with alert rules need it, so `make quickstart` does not build it.
    # remove_all_sd leaves out Prometheus' service discoveries (the cloud SDKs), which
    # `check rules` never uses: half the build (8 minutes of CPU instead of 15).
    Tool("promtool", "github.com/prometheus/prometheus/cmd/promtool", "v0.316.0", ("--version",),
         ("-s", "-w"), ("remove_all_sd",), build_minutes=8),
)}

# What kubernetes-validate 1.37.0 ships in kubernetes_validate/kubernetes-json-schema/.
SUPPORTED_KUBE_VERSIONS: tuple[str, ...] = tuple(f"1.{minor}.0" for minor in range(25, 38))
DEFAULT_KUBE_VERSIONS: tuple[str, ...] = SUPPORTED_KUBE_VERSIONS[-4:]


class ToolError(Exception):
    """An external tool exited with an error (or did not finish in time)."""

    def __init__(self, tool: str, argv: list[str], code: int | None, stderr: str):
        super().__init__(tool, argv, code, stderr)
        self.tool = tool
        self.argv = argv
        self.code = code
        self.stderr = stderr

    def __str__(self) -> str:
        how = "timed out" if self.code is None else f"exited with code {self.code}"
        tail = "\n".join(self.stderr.strip().splitlines()[-20:])
        text = f"{self.tool} {how}: {' '.join(self.argv)}"
        return f"{text}\n{tail}" if tail else text


class ToolMissing(Exception):
    """Go is absent or a pinned tool has not been installed; the message says what to run."""


def cache_dir() -> Path:
    """`$KAFKAC_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/kafkac`."""
    if os.environ.get("KAFKAC_CACHE"):
        return Path(os.environ["KAFKAC_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "kafkac"


def _tool(name: str | Tool) -> Tool:
    if isinstance(name, Tool):
        return name  # a tool pinned elsewhere (the tests' own), built the same way
    try:
        return TOOLS[name]
    except KeyError:
        raise ValueError(f"unknown tool {name!r}; kafkac runs {', '.join(TOOLS)}") from None


def _tool_dir(tool: Tool) -> Path:
    return cache_dir() / "tools" / f"{tool.name}-{tool.version}"


def path(tool: str | Tool) -> Path:
    """Where the pinned binary of `tool` is; ToolMissing if it is not installed."""
    pinned = _tool(tool)
    binary = _tool_dir(pinned) / pinned.name
    if not binary.is_file():
        raise ToolMissing(
            f"{pinned.name} {pinned.version} is not installed (looked for {binary}). "
            f"Run `{INSTALL_HINT} {pinned.name}` (or `{INSTALL_HINT}` for every tool) to build it with Go.")
    return binary


def run(tool: str, *args: str, input: str | None = None, timeout: float = 300,
        check: bool = True, cwd: str | os.PathLike | None = None) -> subprocess.CompletedProcess:
    """Run a pinned tool, capturing text output; ToolError on failure when `check`."""
    argv = [str(path(tool)), *args]
    try:
        done = subprocess.run(argv, input=input, capture_output=True, text=True,
                              timeout=timeout, cwd=cwd, env=tool_environment())
    except subprocess.TimeoutExpired as exc:
        said = f"no result after {timeout:g} s\n{_text(exc.stderr)}"
        raise ToolError(tool, argv, None, said) from None
    if check and done.returncode != 0:
        raise ToolError(tool, argv, done.returncode, done.stderr or done.stdout)
    return done


# The Go tools' garbage collector runs when the heap has grown by this much (Go's default is
# 100%): short runs that build large schemas and templates then spend 10-25% less CPU (helm
# lint, kubeconform), for a peak that stays small (160 MB for helm on a 10,000-topic chart).
GO_GC_PERCENT = "400"


def tool_environment() -> dict[str, str]:
    """The environment the tools run in: kafkac's, with GOGC unless it sets one."""
    return {**os.environ, "GOGC": os.environ.get("GOGC", GO_GC_PERCENT)}


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


def git(*args: str, cwd: str | os.PathLike | None = None, timeout: float = 120) -> str:
    """Run the system's `git` (not a pinned tool: the repository's own) and return its output."""
    return _system("git", args, "--base with a git ref needs it, or give --base a directory holding "
                                "the base version of the specs.", cwd, timeout)


def awk(*args: str, cwd: str | os.PathLike | None = None, timeout: float = 120) -> str:
    """Run the system's `awk` (the chart's scripts run under any POSIX awk) and return its output."""
    return _system("awk", args, "`kafkac topics diff` runs the topics Job's own awk programs with it.",
                   cwd, timeout)


def _system(name: str, args: tuple[str, ...], needed_for: str, cwd: str | os.PathLike | None,
            timeout: float) -> str:
    binary = shutil.which(name)
    if binary is None:
        raise ToolMissing(f"{name} is not installed (no `{name}` on PATH); {needed_for}")
    argv = [binary, *args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as exc:
        raise ToolError(name, argv, None, _text(exc.stderr)) from None
    if done.returncode != 0:
        raise ToolError(name, argv, done.returncode, done.stderr or done.stdout)
    return done.stdout


# --- a local OPA server ------------------------------------------------------------------

OPA_HOST = "127.0.0.1"


@contextmanager
def opa_server(*load_paths: str | os.PathLike, ignore: Iterable[str] = (),
               ready_timeout: float = 15) -> Iterator[int]:
    """A pinned `opa run --server` on a free loopback port for the duration of the block.

    `load_paths` are policy and data files or directories OPA loads and compiles
    at start, leaving out the names that match a pattern of `ignore`. Yields the
    port once the server answers its health check; the server is
    stopped when the block ends, however it ends.
    """
    server = OpaServer(load_paths, ignore, ready_timeout)
    try:
        yield server.port()
    finally:
        server.stop()


class OpaServer:
    """A pinned `opa run --server`, started at once; `port()` waits until it answers.

    Starting it before the work that precedes its first use lets OPA compile the
    library meanwhile. OPA only logs the address it was given, not a port it
    picked itself, so the port is chosen here (bind to port 0, read it, release
    it) and the start is retried if another program took it in between. `stop()`
    ends it, whatever state it is in.
    """

    def __init__(self, load_paths: Iterable[str | os.PathLike], ignore: Iterable[str] = (),
                 ready_timeout: float = 15):
        self._binary = str(path("opa"))
        self._options = [*(f"--ignore={pattern}" for pattern in ignore), *map(str, load_paths)]
        self._ready_timeout = ready_timeout
        self._attempts = 0
        self._ready = False
        self._start()

    def _start(self) -> None:
        self._attempts += 1
        self._port = _free_loopback_port()
        self._argv = [self._binary, "run", "--server", "--addr", f"{OPA_HOST}:{self._port}",
                      "--skip-version-check", "--log-level", "error", *self._options]
        self._log = tempfile.TemporaryFile(mode="w+")
        self._process = subprocess.Popen(self._argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=self._log, env=tool_environment(),
                                         preexec_fn=die_with_parent())

    def port(self) -> int:
        """The port, once OPA answers its health check; ToolError if it exits or does not answer."""
        from .opa_http import Connection  # imported late: only policy evaluation needs it

        while not self._ready:
            probe = Connection(f"http://{OPA_HOST}:{self._port}", timeout=1)
            if _wait_until_healthy(self._process, probe, self._ready_timeout):
                self._ready = True
                break
            self._log.seek(0)
            said = self._log.read()
            code = self._process.poll()
            if code is not None and "address already in use" in said and self._attempts < 3:
                self.stop()
                self._start()
                continue
            raise ToolError("opa", self._argv, code, said or f"no answer on port {self._port} after "
                                                             f"{self._ready_timeout:g} s")
        return self._port

    def stop(self) -> None:
        stop_process(self._process)
        self._log.close()


PR_SET_PDEATHSIG = 1


def die_with_parent():
    """A preexec_fn that has the child killed when kafkac dies, however it dies (SIGKILL too).

    Linux's parent-death signal (prctl PR_SET_PDEATHSIG) is sent when the thread that
    started the child ends; kafkac starts its servers from its main thread, so that is
    when kafkac ends. A parent that died before the call is caught by comparing the
    parent's pid. Elsewhere (no prctl) it returns None, and only a kafkac that ends
    normally or by a catchable signal stops the server (see _stop).
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def arm() -> None:
        if prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or os.getppid() != parent:
            os._exit(70)

    return arm if sys.platform.startswith("linux") else None


def _free_loopback_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((OPA_HOST, 0))
        return probe.getsockname()[1]


def _wait_until_healthy(process: subprocess.Popen, probe, timeout: float) -> bool:
    """True once OPA answers /health; False if it exits or does not answer in time."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            if probe.healthy():
                return True
            time.sleep(0.005)
        return False
    finally:
        probe.close()


def stop_process(process: subprocess.Popen, grace: float = 5) -> None:
    """SIGTERM, then SIGKILL if it has not exited after `grace` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- installing -------------------------------------------------------------------------

def _go() -> str:
    """The `go` command to build with; ToolMissing if there is none or it is too old."""
    go = shutil.which("go")
    hint = (f"kafkac builds its pinned tools from source: install Go >= {MIN_GO[0]}.{MIN_GO[1]} "
            f"(https://go.dev/dl/), then run `{INSTALL_HINT}`.")
    if go is None:
        raise ToolMissing(f"Go is not installed (no `go` on PATH). {hint}")
    reported = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True).stdout
    found = re.search(r"go(\d+)\.(\d+)", reported)
    if found and (int(found[1]), int(found[2])) < MIN_GO:
        raise ToolMissing(f"{go} is {reported.strip()}, too old. {hint}")
    return go


def _build(go: str, tool: Tool, log: Callable[[str], None]) -> None:
    """`go install` one tool, unless another process is building it: then wait for that build."""
    final = _tool_dir(tool)
    final.parent.mkdir(parents=True, exist_ok=True)
    locks = cache_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{final.name}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for another process that builds {tool.name} {tool.version}")
            fcntl.flock(lock, fcntl.LOCK_EX)
        if not (final / tool.name).is_file():
            # What a build that was killed left (it held this lock, so none is running now).
            for stale in final.parent.glob(f".{final.name}-*"):
                shutil.rmtree(stale, ignore_errors=True)
            _go_install(go, tool, final, log)


def _go_install(go: str, tool: Tool, final: Path, log: Callable[[str], None]) -> None:
    """`go install` one tool into a temporary folder, then move the folder into place."""
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    flags = ["-trimpath"]
    if tool.ldflags:
        flags += ["-ldflags", " ".join(tool.ldflags)]
    if tool.tags:
        flags += ["-tags", ",".join(tool.tags)]
    env = {**os.environ, "GOBIN": str(staging), "CGO_ENABLED": "0", "GOWORK": "off",
           "GO111MODULE": "on"}
    how = "go build in a main module of its own" if tool.main_module else f"go install {tool.spec}"
    log(f"building {tool.name} {tool.version} ({how})")
    started = time.monotonic()
    try:
        if tool.main_module:
            _go_build_in_main_module(go, tool, flags, staging, env)
        else:
            # cwd=staging: `go install pkg@version` must not see any go.mod around us.
            _run_go([go, "install", *flags, tool.spec], staging, env)
        move_into_place(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    seconds = time.monotonic() - started
    log(f"{tool.name} {tool.version} ready in {seconds:.0f} s: {final / tool.name}")


def _go_build_in_main_module(go: str, tool: Tool, flags: list[str], staging: Path,
                             env: dict[str, str]) -> None:
    """`go build` the tool (and its `also` packages) from a main module written in `staging`."""
    main = tool.main_module
    source = staging / ".module"
    source.mkdir()
    # The go line: the running Go's own version, never older than what the tool's go.mod asks.
    go_version = _run_go([go, "env", "GOVERSION"], source, env).strip().removeprefix("go")
    go_mod = [f"module kafkac.local/build/{tool.name}", "", f"go {go_version}", "",
              f"require {main.module} {tool.version}"]
    if main.local_replacements:
        replaced = _locally_replaced_modules(go, main.module, tool.version, source, env)
        go_mod += ["", "replace ("]
        go_mod += [f"\t{module} => {module} {main.local_replacements}" for module in replaced]
        go_mod += [")"]
    (source / "go.mod").write_text("\n".join(go_mod) + "\n")
    build = [go, "build", "-mod=mod", *flags]
    _run_go([*build, "-o", str(staging / tool.name), tool.package], source, env)
    if main.also:
        _run_go([*build, "-o", f"{staging}{os.sep}", *main.also], source, env)
    shutil.rmtree(source)


def _locally_replaced_modules(go: str, module: str, version: str, cwd: Path,
                              env: dict[str, str]) -> list[str]:
    """The modules that `module`'s go.mod replaces by folders (`=> ./...`)."""
    argv = [go, "mod", "download", "-json", f"{module}@{version}"]
    info = json.loads(_run_go(argv, cwd, env))
    go_mod = Path(info["GoMod"]).read_text()
    return re.findall(r"^\s*(?:replace\s+)?(\S+)(?:\s+v\S+)?\s+=>\s+\.{1,2}/\S*\s*$", go_mod,
                      flags=re.MULTILINE)


def _run_go(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise ToolError("go", argv, done.returncode, done.stderr)
    return done.stdout


def move_into_place(staging: Path, final: Path) -> None:
    """Atomic rename; if another process got there first, its copy wins."""
    staging.chmod(0o755)  # mkdtemp made it private; the cache is a normal folder
    try:
        staging.rename(final)
    except OSError:
        if not final.is_dir():
            raise


def _silent(_: str) -> None:
    pass


def install(tools: Iterable[str | Tool] = tuple(TOOLS), log: Callable[[str], None] = _silent) -> None:
    """Build every tool in `tools` that is not in the cache yet (a no-op when all are)."""
    wanted = [_tool(name) for name in tools]
    missing = [t for t in wanted if not (_tool_dir(t) / t.name).is_file()]
    if not missing:
        return
    from concurrent.futures import ThreadPoolExecutor

    go = _go()
    missing.sort(key=lambda tool: -tool.build_minutes)
    # Two at a time, the longest first: Go already compiles in parallel; this overlaps
    # downloads, links and the short builds with the long one.
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(_build, go, t, log) for t in missing]:
            future.result()


def versions() -> dict[str, str]:
    """Each tool's pinned version and what its installed binary reports."""
    report = {}
    for tool in TOOLS.values():
        try:
            said = run(tool.name, *tool.version_args, timeout=60).stdout.strip().splitlines()
            installed = said[0] if said else "?"
        except ToolMissing:
            installed = "not installed"
        report[tool.name] = f"{tool.version} ({installed})"
    return report


def normalize_kube_version(kube_version: str) -> str:
    """`1.34`, `v1.34`, `1.34.2` -> `1.34.0`; ValueError for versions without schemas.

    Kubernetes does not change its API in patch releases, so the schemas are per minor.
    """
    found = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", kube_version.strip())
    normal = f"{found[1]}.{found[2]}.0" if found else kube_version
    if normal not in SUPPORTED_KUBE_VERSIONS:
        raise ValueError(
            f"no Kubernetes schemas for {kube_version!r}: kubernetes-validate ships "
            f"{SUPPORTED_KUBE_VERSIONS[0]} to {SUPPORTED_KUBE_VERSIONS[-1]}")
    return normal


def go_module_dir(module: str, version: str) -> Path:
    """The source folder of a Go module version, downloaded into Go's module cache."""
    go = _go()
    argv = [go, "mod", "download", "-json", f"{module}@{version}"]
    env = {**os.environ, "GOWORK": "off", "GO111MODULE": "on", "GOFLAGS": "-mod=mod"}
    with tempfile.TemporaryDirectory(prefix="kafkac-go-") as empty:
        done = subprocess.run(argv, cwd=empty, env=env, capture_output=True, text=True, timeout=600)
    try:
        info = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise ToolError("go", argv, done.returncode, done.stderr) from None
    if done.returncode != 0 or not info.get("Dir"):
        raise ToolError("go", argv, done.returncode, info.get("Error") or done.stderr)
    return Path(info["Dir"])


