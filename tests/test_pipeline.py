"""The stages put together: a compile refuses, before it writes anything, resources whose charts
would share a folder."""

from __future__ import annotations

from pathlib import Path

from compiler.check_options import REPORT_ONLY, CheckOptions
from compiler.pipeline import Options, compile_specs

from .util import compile_chart

# What `kafkac compile` checks without a profile chosen: what Strimzi would run compiles.
AS_COMPILE = CheckOptions(unchosen=REPORT_ONLY)


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
