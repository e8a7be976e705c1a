"""The programs of the machine that the tests run, beside kafkac's pinned Go tools.

Every external command a test starts is listed here with the Debian package
that provides it. All of them but BusyBox come with every machine the project
runs on (Debian 12 with Java 17 and Maven); BusyBox, the shell and awk that the
chart's scripts meet in the Kafka image, is fetched pinned from Debian's
archive with `apt-get download`, checked against its SHA-256, unpacked into
the cache (`<cache>/host/busybox-<version>/busybox`) and used from there, so
a test never depends on what was installed by hand.

The tests' Kubernetes control plane (tests/kube/) is pinned here too, as two
tools built like kafkac's own (compiler/tools.py, into `<cache>/tools/`):
`KUBERNETES` (kube-apiserver, kube-controller-manager and kubectl from one
build of k8s.io/kubernetes, each staging module taken at its published
v0.N.x release) and `ETCD`.

`python -m tests.host_tools install` (run by `make test`) installs BusyBox and
fails, naming the packages, when a listed program is missing.
`python -m tests.host_tools control-plane` builds the control plane: `make test`
runs it at the lowest priority while the tests run (its cold build is the
longest of all), and the tests that need it, collected last, wait for it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from compiler import tools

# command -> Debian package that provides it
PROGRAMS: dict[str, str] = {
    "java": "openjdk-17-jdk-headless",
    "keytool": "openjdk-17-jdk-headless",
    "mvn": "maven",
    "gcc": "gcc",
    "openssl": "openssl",
    "jq": "jq",
    "awk": "mawk",
    "sh": "dash",
    "unshare": "util-linux",
    "nsenter": "util-linux",
    "setpriv": "util-linux",
    "chroot": "coreutils",
    "sleep": "coreutils",
    "mount": "mount",
    "git": "git",
}

# The newest Kubernetes that the Go module proxy serves and kafkac validates charts against
# (tools.SUPPORTED_KUBE_VERSIONS), with the etcd minor it is released with (build/dependencies.yaml).
KUBERNETES_VERSION = "v1.37.2"
ETCD_VERSION = "v3.7.4"
_K8S_VERSION = "k8s.io/component-base/version"
KUBERNETES = tools.Tool(
    "kube-apiserver", "k8s.io/kubernetes/cmd/kube-apiserver", KUBERNETES_VERSION, ("--version",),
    # What Kubernetes' own build stamps: without it the binaries say v0.0.0, and helm's
    # kubeVersion checks fail against the API server.
    ("-s", "-w", f"-X {_K8S_VERSION}.gitVersion={KUBERNETES_VERSION}",
     f"-X {_K8S_VERSION}.gitMajor=1", f"-X {_K8S_VERSION}.gitMinor=37",
     f"-X {_K8S_VERSION}.gitTreeState=clean", f"-X {_K8S_VERSION}.buildDate=1970-01-01T00:00:00Z"),
    build_minutes=40,
    main_module=tools.MainModule(
        "k8s.io/kubernetes", local_replacements="v0.37.2",
        also=("k8s.io/kubernetes/cmd/kube-controller-manager", "k8s.io/kubernetes/cmd/kubectl")))
ETCD = tools.Tool("etcd", "go.etcd.io/etcd/server/v3", ETCD_VERSION, ("--version",), ("-s", "-w"),
                  build_minutes=3, main_module=tools.MainModule("go.etcd.io/etcd/server/v3"))
CONTROL_PLANE = (KUBERNETES, ETCD)

BUSYBOX_PACKAGE = "busybox"
BUSYBOX_VERSION = "1:1.35.0-4+deb12u1+b1"
BUSYBOX_SHA256 = "4b355fad07d4fe1f5aa282e949281f8dcb7bcdebb023d7e40f4f8fe475e21e29"


class HostToolMissing(Exception):
    """A program the tests need is not on this machine and could not be installed."""


def busybox_dir() -> Path:
    version = BUSYBOX_VERSION.split(":", 1)[-1]
    return tools.cache_dir() / "host" / f"busybox-{version}"


def busybox() -> Path:
    """The pinned BusyBox binary (it may not be installed yet: see install())."""
    return busybox_dir() / "busybox"


def missing_programs() -> dict[str, str]:
    return {name: package for name, package in PROGRAMS.items() if shutil.which(name) is None}


def control_plane_program(name: str) -> Path:
    """kube-apiserver, kube-controller-manager, kubectl (one build) or etcd; ToolMissing if absent."""
    if name == ETCD.name:
        return tools.path(ETCD)
    return tools.path(KUBERNETES).with_name(name)


def install(log=print) -> None:
    """Install the pinned BusyBox into the cache and check that every listed program is there."""
    if not busybox().is_file():
        _install_busybox(log)
    missing = missing_programs()
    if missing:
        packages = " ".join(sorted(set(missing.values())))
        raise HostToolMissing(
            f"the tests need {', '.join(sorted(missing))}, which this machine lacks; "
            f"install them with `apt-get install {packages}`")


def install_control_plane(log=print) -> None:
    """Build the control plane's programs into the tools cache, unless they are there; another
    process that asks meanwhile waits for this build (compiler/tools.py locks each tool)."""
    tools.install(CONTROL_PLANE, log=log)


def _install_busybox(log) -> None:
    final = busybox_dir()
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=final.parent, prefix=".busybox-") as staging:
        staging = Path(staging)
        log(f"fetching BusyBox {BUSYBOX_VERSION} (apt-get download {BUSYBOX_PACKAGE})")
        deb = _download_deb(staging)
        digest = hashlib.sha256(deb.read_bytes()).hexdigest()
        if digest != BUSYBOX_SHA256:
            raise HostToolMissing(f"{deb.name} has SHA-256 {digest}, expected {BUSYBOX_SHA256}")
        unpacked = staging / "root"
        _run(["dpkg-deb", "-x", str(deb), str(unpacked)])
        tree = staging / "tree"
        tree.mkdir()
        shutil.copy2(unpacked / "bin" / "busybox", tree / "busybox")
        shutil.rmtree(final, ignore_errors=True)
        tree.rename(final)


def _download_deb(into: Path) -> Path:
    spec = f"{BUSYBOX_PACKAGE}={BUSYBOX_VERSION}"
    # apt's package lists may be empty or stale on a new machine: refresh them once on failure.
    if _run(["apt-get", "download", spec], cwd=into, check=False).returncode != 0:
        _run(["apt-get", "update", "-qq"])
        _run(["apt-get", "download", spec], cwd=into)
    [deb] = into.glob("*.deb")
    return deb


def _run(argv: list[str], cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    if shutil.which(argv[0]) is None:
        raise HostToolMissing(f"installing BusyBox needs `{argv[0]}` (Debian's apt and dpkg)")
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise HostToolMissing(f"`{' '.join(argv)}` failed ({done.returncode}): "
                              f"{(done.stderr or done.stdout).strip()}")
    return done


COMMANDS = {"install": install, "control-plane": install_control_plane}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print(f"usage: python -m tests.host_tools {{{'|'.join(COMMANDS)}}}", file=sys.stderr)
        return 2
    try:
        COMMANDS[argv[0]](log=lambda line: print(line, flush=True))
    except (HostToolMissing, tools.ToolMissing, tools.ToolError) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
