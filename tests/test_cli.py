"""The command line as a user meets it: exit codes, one line a problem, untouched output."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES

BROKEN_SPEC = """\
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata:
  name: my-cluster
  name: other
spec:
  kafka:
    replicaz: 3
    listeners:
      - name: plain
        port: 70000
        type: internal
        tls: false
"""


def kafkac(*args, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", *map(str, args)], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=cwd)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def broken_spec(tmp_path) -> Path:
    spec = tmp_path / "broken.yaml"
    spec.write_text(BROKEN_SPEC)
    return spec


def test_broken_spec_gives_one_positioned_line_per_problem(broken_spec):
    result = kafkac("validate", broken_spec)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    problems = [line for line in lines if ": error [" in line]
    assert [line.split(": error")[0] for line in problems] == [
        f"{broken_spec}:5:3", f"{broken_spec}:8:5", f"{broken_spec}:11:15"], result.stdout
    assert "[yaml.duplicate-key]" in problems[0]
    assert "spec.kafka.replicaz" in problems[1]
    assert "spec.kafka.listeners[0].port" in problems[2] and "65535" in problems[2]
    assert lines[-1] == "3 errors, 0 warnings"
    assert "Traceback" not in result.stderr


def test_failed_compile_leaves_previous_output_untouched(broken_spec, tmp_path):
    out = tmp_path / "out"
    good = kafkac("compile", EXAMPLES / "quickstart", "-o", out, "--no-verify")
    assert good.returncode == 0, good.stderr + good.stdout
    before = _snapshot(out)
    assert before
    bad = kafkac("compile", broken_spec, "-o", out)
    assert bad.returncode == 1
    assert _snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kafkac-")]


def test_kafkas_of_one_name_in_two_namespaces_are_refused_and_the_output_stays_as_it_was(tmp_path):
    """specs/dev and specs/prod, each with its Kafka my-cluster: one output folder cannot hold both charts."""
    quickstart = (EXAMPLES / "quickstart" / "kafka.yaml").read_text()
    specs = tmp_path / "specs"
    for namespace in ("dev", "prod"):
        (specs / namespace).mkdir(parents=True)
        (specs / namespace / "kafka.yaml").write_text(
            quickstart.replace("name: my-cluster\n", f"name: my-cluster\n  namespace: {namespace}\n")
            .replace("name: dual-role\n", f"name: dual-role\n  namespace: {namespace}\n"))
    at = f'{quickstart.splitlines().index("  name: my-cluster") + 1}:9'  # metadata.name's value
    out = tmp_path / "out"
    good = kafkac("compile", EXAMPLES / "quickstart", "-o", out, "--no-verify")
    assert good.returncode == 0, good.stderr + good.stdout
    before = _snapshot(out)

    result = kafkac("compile", "specs", "-o", "out", "--no-verify", cwd=tmp_path)
    assert result.returncode == 1, result.stderr + result.stdout
    problems = [p for p in result.stdout.splitlines() if ": error [" in p]
    assert [p.split(": error [")[0] for p in problems] == [f"specs/dev/kafka.yaml:{at}",
                                                          f"specs/prod/kafka.yaml:{at}"], result.stdout
    assert problems[0] == (
        f"specs/dev/kafka.yaml:{at}: error [output.same-chart-folder] metadata.name: Kafka my-cluster in "
        f"namespace dev and Kafka my-cluster in namespace prod (at specs/prod/kafka.yaml:{at}) would both be "
        "written to the chart folder out/my-cluster: a compile writes one chart folder a name, whatever the "
        "namespace (accepted: compile each namespace's specs on its own, into an output folder of its own "
        "(kafkac compile specs/dev -o out/dev), or rename one of them)")
    assert "kafkac compile specs/prod -o out/prod" in problems[1]
    assert result.stderr == ""
    assert _snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kafkac-")]


def test_json_format_carries_pointer_and_position(broken_spec):
    result = kafkac("validate", broken_spec, "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["summary"] == {"errors": 3, "warnings": 0, "notes": 0, "waived": 0}
    port = next(f for f in report["findings"] if f["path"] == "spec.kafka.listeners[0].port")
    assert (port["line"], port["column"], port["pointer"]) == (11, 15, "/spec/kafka/listeners/0/port")


def test_usage_error_exits_2():
    result = kafkac("compile", EXAMPLES / "quickstart")
    assert result.returncode == 2
    assert "--output" in result.stderr


def test_missing_tools_is_an_environment_error_with_the_fix(tmp_path):
    result = kafkac("compile", EXAMPLES / "quickstart", "-o", tmp_path / "out",
                    env={"KAFKAC_CACHE": str(tmp_path / "empty-cache")})
    assert result.returncode == 2
    assert "kafkac tools install" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_standard_input_is_read_with_its_own_name_in_positions(broken_spec):
    """`kustomize build | kafkac validate -`: the specs come from a pipe, and so do the positions."""
    piped = subprocess.run([sys.executable, "-m", "compiler", "validate", "-"], input=broken_spec.read_text(),
                           capture_output=True, text=True)
    named = kafkac("validate", broken_spec)
    assert piped.returncode == named.returncode == 1
    assert piped.stdout == named.stdout.replace(str(broken_spec), "<stdin>")
    # A pipe given by its path (/dev/stdin, or a shell's <(...)) is read like a file.
    with broken_spec.open() as spec:
        by_path = subprocess.run([sys.executable, "-m", "compiler", "validate", "/dev/stdin"], stdin=spec,
                                 capture_output=True, text=True)
    assert by_path.stdout == named.stdout.replace(str(broken_spec), "/dev/stdin")


def test_unreadable_input_is_a_clean_error(tmp_path):
    garbage = tmp_path / "garbage.yaml"
    garbage.write_bytes(b"\xff\xfe\x00binary")
    result = kafkac("validate", garbage, tmp_path / "missing.yaml")
    assert result.returncode == 1
    assert f"{garbage}:1:1: error [yaml.encoding]" in result.stdout
    assert "missing.yaml: error [input.not-found]" in result.stdout
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("command", ["compile", "validate", "check", "verify", "version", "tools", "mirror-maker2"])
def test_help_teaches_with_an_example(command):
    result = kafkac(command, "--help")
    assert result.returncode == 0
    if command in ("compile", "validate", "check", "verify", "mirror-maker2"):
        assert "Example:" in result.stdout


# What a command loads before it runs: `--help` loads no stage, `validate` only those that read specs.
LOADED = ("import sys, compiler.cli; sys.argv = ['kafkac', *sys.argv[1:]]\n"
          "try: compiler.cli.main()\n"
          "except SystemExit: pass\n"
          "print(' '.join(sorted(m for m in sys.modules if m.startswith('compiler.'))))")
LATER_STAGES = {"compiler.check", "compiler.policy", "compiler.plan", "compiler.emit", "compiler.verify",
                "compiler.kube_schemas", "compiler.schema_conjunction"}


@pytest.mark.parametrize("args, not_loaded", [
    (["--help"], LATER_STAGES | {"compiler.pipeline", "compiler.validate", "compiler.normalize"}),
    (["validate", str(EXAMPLES / "quickstart")], LATER_STAGES),
])
def test_a_command_loads_only_the_stages_it_runs(args, not_loaded):
    result = subprocess.run([sys.executable, "-c", LOADED, *args], capture_output=True, text=True, check=True)
    loaded = set(result.stdout.splitlines()[-1].split())
    assert "compiler.cli" in loaded
    assert not loaded & not_loaded, sorted(loaded & not_loaded)

@pytest.mark.tools
def test_version_names_every_tool(installed_tools):
    result = kafkac("version")
    assert result.returncode == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert sorted(names) == ["cue", "helm", "kafkac", "kubeconform", "opa", "promtool"]
    assert "not installed" not in result.stdout
