"""The stages put together: specs exported from a live cluster compile as the specs they hold,
and a compile refuses, before it writes anything, resources whose charts would share a folder."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from compiler.check_options import REPORT_ONLY, CheckOptions
from compiler.pipeline import Options, compile_specs

from .util import compile_chart

EXPORTED_LIST = Path(__file__).parent / "fixtures" / "kubectl-get-list.yaml"
# What `kafkac compile` checks without a profile chosen: what Strimzi would run compiles.
AS_COMPILE = CheckOptions(unchosen=REPORT_ONLY)


def _line_of(text: str, needle: str, after: str = "") -> int:
    """The 1-based line of the first `needle` after the first `after`."""
    start = text.index(after) if after else 0
    return text.count("\n", 0, text.index(needle, start)) + 1


def test_a_list_exported_from_a_running_cluster_compiles(tmp_path, installed_tools):
    """`kubectl get kafka,kafkanodepool,kafkatopic -o yaml`: one List whose items carry status, uid,
    managedFields, the Topic Operator's finalizer and kubectl's last applied configuration."""
    result = compile_specs(Options((str(EXPORTED_LIST),), tmp_path / "out", check=AS_COMPILE))
    assert result.ok, "\n".join(f"{f.span}: {f.rule} {f.message}" for f in result.findings if f.is_error)
    assert result.charts == [tmp_path / "out" / "my-cluster"]
    text = EXPORTED_LIST.read_text()
    notes = [(f.span.line, f.span.col, f.resource) for f in result.findings if f.rule == "input.server-written"]
    assert notes == [(_line_of(text, "creationTimestamp", "kind: Kafka\n"), 5, "Kafka/my-cluster"),
                     (_line_of(text, "creationTimestamp", "kind: KafkaNodePool"), 5, "KafkaNodePool/dual-role"),
                     (_line_of(text, "creationTimestamp", "kind: KafkaTopic"), 5, "KafkaTopic/orders")]
    # Findings of an item point into the List, at the item's own lines.
    replicas = next(f for f in result.findings if f.resource == "KafkaTopic/orders" and f.path == ("spec", "replicas"))
    assert (replicas.span.line, replicas.span.col) == (_line_of(text, "replicas: 1", "kind: KafkaTopic"), 15)

    values = yaml.safe_load((result.charts[0] / "values.yaml").read_text())
    assert [json.loads(line)["name"] for part in values["topics"]["spec"]
            for line in part["content"].splitlines()] == ["orders"]
    chart_text = "".join(p.read_text(errors="replace") for p in result.charts[0].rglob("*") if p.is_file())
    # What the live objects carried besides their specs goes nowhere in the chart.
    for written in ("last-applied-configuration", "5f1c7c2e-4a9e", "strimzi.io/topic-operator", "managedFields"):
        assert written not in chart_text


CONNECT = """\
apiVersion: kafka.strimzi.io/v1
kind: KafkaConnect
metadata:
  name: {name}
  namespace: {namespace}
spec:
  replicas: 1
  bootstrapServers: my-cluster-kafka-bootstrap:9092
"""


def test_connects_of_one_name_in_two_namespaces_are_refused_before_anything_is_written(tmp_path):
    specs = tmp_path / "specs"
    for namespace in ("dev", "prod"):
        (specs / namespace).mkdir(parents=True)
        (specs / namespace / "connect.yaml").write_text(CONNECT.format(name="pipeline", namespace=namespace))
    result = compile_specs(Options((str(specs),), tmp_path / "out", verify=False, check=AS_COMPILE))
    errors = [f for f in result.findings if f.is_error]
    assert [(f.rule, f.span.file, f.span.line, f.span.col, f.path) for f in errors] == [
        ("output.same-chart-folder", str(specs / namespace / "connect.yaml"), 4, 9, ("metadata", "name"))
        for namespace in ("dev", "prod")]
    assert errors[0].message.startswith(
        f"KafkaConnect pipeline in namespace dev and KafkaConnect pipeline in namespace prod (at "
        f"{specs / 'prod' / 'connect.yaml'}:4:9) would both be written to the chart folder "
        f"{tmp_path / 'out' / 'pipeline-connect'}")
    assert f"kafkac compile {specs / 'prod'} -o {tmp_path / 'out' / 'prod'}" in errors[1].expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["specs"]  # no output, no staging directory


def test_a_connect_whose_chart_is_named_as_a_kafka_of_another_namespace_is_refused(tmp_path):
    kafka = (Path(__file__).parent.parent / "examples" / "quickstart" / "kafka.yaml").read_text()
    spec = tmp_path / "specs.yaml"
    spec.write_text(kafka.replace("name: my-cluster\n", "name: pipeline-connect\n  namespace: dev\n", 1)
                    .replace("strimzi.io/cluster: my-cluster", "strimzi.io/cluster: pipeline-connect")
                    + "---\n" + CONNECT.format(name="pipeline", namespace="prod"))
    result = compile_specs(Options((str(spec),), tmp_path / "out", verify=False, check=AS_COMPILE))
    assert [(f.rule, f.path) for f in result.findings if f.is_error] == [("connect.chart-name", ("metadata", "name"))]
    assert not (tmp_path / "out").exists()


def test_one_name_in_two_namespaces_compiles_folder_by_folder(tmp_path):
    """What the refusal advises: each namespace's folder compiled on its own, into a folder of its own."""
    specs = tmp_path / "specs"
    for namespace in ("dev", "prod"):
        (specs / namespace).mkdir(parents=True)
        (specs / namespace / "connect.yaml").write_text(CONNECT.format(name="pipeline", namespace=namespace))
        chart = compile_chart(specs / namespace, tmp_path / "out" / namespace, verify=False, check=AS_COMPILE)
        assert chart == tmp_path / "out" / namespace / "pipeline-connect"
