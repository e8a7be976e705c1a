"""What the end-to-end tests run: Apache Kafka from Maven Central, laid out as the image has it.

Shared by the end-to-end tests and the unit tests that read Kafka's own
definitions; its sources (kafka-dist/, metrics-reporter/, shim/) are in tests/e2e/.

`kafka_home(version)` returns a KAFKA_HOME like the apache/kafka image's
/opt/kafka: `libs/` holds the jars Maven resolves from kafka-dist/pom.xml
(kafka_2.13, kafka-tools and their runtime dependencies), `bin/` the
stand-ins for the distribution's scripts that the chart, its probes and the
tests call (kafka-dist/bin: the real ones are in the release tarball, not on Maven),
`config/` the distribution's default log configurations.

`jmx_exporter_agent()` and `metrics_reporter_jars()` resolve what Strimzi's Kafka
image adds to libs/ for metrics: the JMX exporter's javaagent, and Strimzi's
metrics reporter with its runtime dependencies (metrics-reporter/pom.xml).

`loopback_shim()` compiles shim/loopback.c, the LD_PRELOAD library that gives
each emulated pod its own loopback address. `java_home()` is the machine's JDK
as the pods and Jobs see it, its keytool limited to the JIT's quick tier.

All are resolved or built once into the kafkac cache (`compiler.tools.cache_dir()`),
keyed by version and by a digest of their sources, so an edit rebuilds them and
an interrupted build leaves nothing half-made behind. `python -m tests.kafka_dist
fetch` resolves the Maven artifacts ahead of the tests.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from compiler import tools

HERE = Path(__file__).resolve().parent / "e2e"
DIST_SOURCES = HERE / "kafka-dist"
SHIM_SOURCE = HERE / "shim" / "loopback.c"

DEFAULT_KAFKA_VERSION = "4.3.1"
MAVEN_TIMEOUT = 900
# The Prometheus JMX exporter's javaagent that the metrics tests run in every node.
JMX_EXPORTER_VERSION = "1.0.1"
JMX_EXPORTER_ARTIFACT = "io.prometheus.jmx:jmx_prometheus_javaagent"
# Strimzi's metrics reporter, at the version of Strimzi's Kafka 4.1 image (0.48.0).
METRICS_REPORTER_VERSION = "0.2.0"
METRICS_REPORTER_SOURCES = HERE / "metrics-reporter"


class MissingPrerequisite(Exception):
    """A program the end-to-end tests need is not on this machine."""


def require_programs(*names: str) -> None:
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        raise MissingPrerequisite(
            f"the end-to-end tests need {', '.join(missing)} on PATH "
            "(Java 17 or newer and Maven for Kafka, gcc for the loopback shim, "
            "util-linux's unshare and nsenter for the pods)")


def _digest(*paths: Path) -> str:
    sha = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            sha.update(str(path.relative_to(root.parent)).encode() + b"\0")
            sha.update(path.read_bytes() + b"\0")
    return sha.hexdigest()[:12]


def _move_into_place(staging: Path, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        staging.rename(final)
    except OSError:
        # Someone else finished the same build first: theirs is as good as ours.
        shutil.rmtree(staging, ignore_errors=True)
        if not final.is_dir():
            raise


def _resolve_once(final: Path, expected: str, what: str, maven_args: Callable[[Path], list[str]],
                  finish: Callable[[Path], None] | None = None) -> Path:
    """`final`, made the first time by `mvn <maven_args(staging)>` into a staging folder
    (then `finish(staging)`) and moved into place; `expected` must be in it."""
    if (final / expected).exists():
        return final
    require_programs("java", "mvn")
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        command = ["mvn", "-B", "-q", *maven_args(staging)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=MAVEN_TIMEOUT)
        if result.returncode != 0 or not (staging / expected).exists():
            raise RuntimeError(f"Maven could not resolve {what}:\n"
                               f"{' '.join(command)}\n{result.stdout[-4000:]}{result.stderr[-4000:]}")
        if finish is not None:
            finish(staging)
        staging.chmod(0o755)
        _move_into_place(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final


def kafka_home(version: str = DEFAULT_KAFKA_VERSION) -> Path:
    """A KAFKA_HOME for `version`, resolved with Maven the first time."""

    def lay_out(staging: Path) -> None:
        for folder in ("bin", "config"):
            shutil.copytree(DIST_SOURCES / folder, staging / folder)
        for script in (staging / "bin").iterdir():
            script.chmod(0o755)
        # As in the image: readable by everyone, writable by nobody but the owner.
        for path in staging.rglob("*"):
            if path.is_dir():
                path.chmod(0o755)

    return _resolve_once(
        tools.cache_dir() / "kafka" / f"{version}-{_digest(DIST_SOURCES)}", f"libs/kafka_2.13-{version}.jar",
        f"Kafka {version}",
        lambda staging: ["-f", str(DIST_SOURCES / "pom.xml"), f"-Dkafka.version={version}",
                         *(["-Plog4j2"] if int(version.split(".")[0]) >= 4 else []),
                         "dependency:copy-dependencies", "-DincludeScope=runtime",
                         f"-DoutputDirectory={staging / 'libs'}"],
        lay_out)


def jmx_exporter_agent(version: str = JMX_EXPORTER_VERSION) -> Path:
    """The Prometheus JMX exporter's javaagent jar from Maven Central (resolved once)."""
    jar = f"jmx_prometheus_javaagent-{version}.jar"
    final = _resolve_once(
        tools.cache_dir() / "jmx-exporter" / version, jar, f"{JMX_EXPORTER_ARTIFACT}:{version}",
        lambda staging: ["dependency:copy", f"-Dartifact={JMX_EXPORTER_ARTIFACT}:{version}",
                         f"-DoutputDirectory={staging}"])
    return final / jar


def metrics_reporter_jars(version: str = METRICS_REPORTER_VERSION) -> list[Path]:
    """io.strimzi:metrics-reporter and its runtime dependencies from Maven Central (resolved once)."""
    final = _resolve_once(
        tools.cache_dir() / "metrics-reporter" / f"{version}-{_digest(METRICS_REPORTER_SOURCES)}",
        f"metrics-reporter-{version}.jar", f"io.strimzi:metrics-reporter:{version}",
        lambda staging: ["-f", str(METRICS_REPORTER_SOURCES / "pom.xml"), f"-Dmetrics-reporter.version={version}",
                         "dependency:copy-dependencies", "-DincludeScope=runtime",
                         f"-DoutputDirectory={staging}"])
    return sorted(final.glob("*.jar"))


def connect_mirror_jars(version: str = DEFAULT_KAFKA_VERSION) -> list[Path]:
    """MirrorMaker 2's connectors (connect-mirror, connect-mirror-client), which the image has in
    libs/ and kafka-dist's dependencies do not (resolved once)."""
    jars = []
    for artifact in ("connect-mirror", "connect-mirror-client"):
        jar = f"{artifact}-{version}.jar"
        final = _resolve_once(
            tools.cache_dir() / "connect-mirror" / f"{artifact}-{version}", jar, f"org.apache.kafka:{artifact}:{version}",
            lambda staging, artifact=artifact: ["dependency:copy", f"-Dartifact=org.apache.kafka:{artifact}:{version}",
                                                f"-DoutputDirectory={staging}"])
        jars.append(final / jar)
    return jars


def kafka_home_with_jars(kafka: Path, jars: list[Path], folder: str) -> Path:
    """`kafka` with `jars` in a folder of its own beside libs/, where Kafka does not load them."""
    return _kafka_home_plus(kafka, kafka.parent / f"{kafka.name}+{folder}-{_digest(*jars)}", folder, jars)


def kafka_home_with_agent(kafka: Path, agent: Path) -> Path:
    """`kafka` with the agent jar beside Kafka's in libs/, as Strimzi's Kafka image has it."""
    return _kafka_home_plus(kafka, kafka.parent / f"{kafka.name}+{agent.stem}", "libs", [agent])


def _kafka_home_plus(kafka: Path, final: Path, folder: str, jars: list[Path]) -> Path:
    """`final`: a copy of `kafka` (hard links) with `jars` added to its `folder`, made once."""
    if all((final / folder / jar.name).is_file() for jar in jars):
        return final
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=kafka.parent))
    try:
        shutil.copytree(kafka, staging, dirs_exist_ok=True, copy_function=os.link)
        (staging / folder).mkdir(mode=0o755, exist_ok=True)
        for jar in jars:
            shutil.copy2(jar, staging / folder / jar.name)
            (staging / folder / jar.name).chmod(0o644)
        (staging / folder).chmod(0o755)
        staging.chmod(0o755)
        _move_into_place(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final


def loopback_shim() -> Path:
    """The compiled LD_PRELOAD shim (see shim/loopback.c)."""
    final = tools.cache_dir() / "e2e" / f"loopback-{_digest(SHIM_SOURCE)}"
    library = final / "libloopback.so"
    if library.is_file():
        return library
    require_programs("gcc")
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".loopback-", dir=final.parent))
    try:
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o",
                        str(staging / "libloopback.so"), str(SHIM_SOURCE), "-ldl"],
                       check=True, capture_output=True, text=True, timeout=120)
        staging.chmod(0o755)
        _move_into_place(staging, final)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"gcc could not build {SHIM_SOURCE}:\n{exc.stderr}") from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return library


# Every JVM of the tests' image starts on the JIT's quick tier (C1) alone: a
# cluster's boot is mostly JVM starts (every Kafka node, Kafka's tools in probes
# and Jobs, Connect workers; keytool where a test reads a key store the way
# Java does). C2's compile threads took most of that CPU on two cores (a Kafka
# node: 30 s of CPU to start, 12 s on C1) and the tests' workloads are far too
# small to need C2's code. Nothing the chart configures changes.
JVM_OPTIONS = {"java": ("-XX:TieredStopAtLevel=1",), "keytool": ("-J-XX:TieredStopAtLevel=1",)}


def java_home() -> Path:
    """What the image's JAVA_HOME is to the tests: the home of the `java` on PATH, seen
    through a folder of links whose `java` and `keytool` start with JVM_OPTIONS."""
    require_programs("java")
    real = Path(os.path.realpath(shutil.which("java"))).parent.parent
    key = hashlib.sha256(f"{real}\0{sorted(JVM_OPTIONS.items())}".encode()).hexdigest()[:12]
    final = tools.cache_dir() / "e2e" / f"java-{key}"
    if (final / "bin" / "java").is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".java-", dir=final.parent))
    try:
        for entry in real.iterdir():
            if entry.name != "bin":
                (staging / entry.name).symlink_to(entry)
        (staging / "bin").mkdir()
        for program in (real / "bin").iterdir():
            wrapper = staging / "bin" / program.name
            if program.name in JVM_OPTIONS:
                wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(str(program))} '
                                   f'{" ".join(JVM_OPTIONS[program.name])} "$@"\n')
                wrapper.chmod(0o755)
            else:
                wrapper.symlink_to(program)
        staging.chmod(0o755)
        _move_into_place(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final


# The Kafka versions the end-to-end tests run (their specs' spec.kafka.version); `fetch` resolves
# them ahead of the tests. A version missing here is still resolved when a test first needs it.
E2E_KAFKA_VERSIONS = (DEFAULT_KAFKA_VERSION, "3.9.1", "3.7.0")


def fetch() -> None:
    """Resolve every Maven artifact the end-to-end tests run, with a line for each: `make test`
    does this while the Go tools build, since Maven mostly waits on the network."""
    steps: list[tuple[str, Callable[[], object]]] = [
        *((f"Kafka {version}", lambda version=version: kafka_home(version)) for version in E2E_KAFKA_VERSIONS),
        (f"JMX exporter {JMX_EXPORTER_VERSION}", jmx_exporter_agent),
        (f"Strimzi metrics reporter {METRICS_REPORTER_VERSION}", metrics_reporter_jars),
        (f"MirrorMaker 2 connectors {DEFAULT_KAFKA_VERSION}", connect_mirror_jars),
    ]
    for what, resolve in steps:
        started = time.monotonic()
        resolve()
        print(f"{what} ready in {time.monotonic() - started:.0f} s", flush=True)


def main(argv: list[str]) -> int:
    if argv != ["fetch"]:
        print("usage: python -m tests.kafka_dist fetch", file=sys.stderr)
        return 2
    try:
        fetch()
    except (MissingPrerequisite, RuntimeError, subprocess.TimeoutExpired) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
