"""Strimzi's older APIs read as kafkac's: v1alpha1 and v1beta1 as v1beta2, and the v1beta2 fields of
Connect that Strimzi's v1 API removed as Strimzi ran them; each converted field noted, positions kept."""

from __future__ import annotations

import pytest
import yaml

from compiler.convert import convert
from compiler.load import load
from compiler.pipeline import read_documents
from compiler.plan import plan

OLD_KAFKA = """\
apiVersion: kafka.strimzi.io/v1alpha1
kind: Kafka
metadata:
  name: demo
  namespace: streams
spec:
  kafka:
    replicas: 3
    listeners:
      plain: {}
      tls:
        authentication:
          type: tls
    affinity:
      podAntiAffinity: {}
    storage: {type: ephemeral}
    metrics:
      lowercaseOutputName: true
      rules:
        - pattern: kafka.server<type=(.+), name=(.+)><>Value
          name: kafka_server_$1_$2
  zookeeper:
    replicas: 3
    storage: {type: ephemeral}
    tlsSidecar: {image: old}
"""


def test_an_old_kafka_is_read_as_strimzis_conversion_wrote_it(tmp_path):
    (tmp_path / "kafka.yaml").write_text(OLD_KAFKA)
    documents, notes = convert(load([tmp_path]))
    kafka, config_map = documents.documents
    assert kafka.api_version == "kafka.strimzi.io/v1beta2"
    assert kafka.get("spec", "kafka", "listeners") == [
        {"name": "plain", "port": 9092, "type": "internal", "tls": False},
        {"name": "tls", "port": 9093, "type": "internal", "tls": True, "authentication": {"type": "tls"}}]
    assert kafka.get("spec", "kafka", "template", "pod", "affinity") == {"podAntiAffinity": {}}
    assert kafka.get("spec", "zookeeper", "tlsSidecar") is None
    name = "demo-kafka-jmx-exporter-configuration"
    assert kafka.get("spec", "kafka", "metricsConfig") == {
        "type": "jmxPrometheusExporter", "valueFrom": {"configMapKeyRef": {"name": name, "key": f"{name}.yaml"}}}
    assert (config_map.kind, config_map.name, config_map.get("metadata", "namespace")) == ("ConfigMap", name, "streams")
    rules = yaml.safe_load(config_map.get("data", f"{name}.yaml"))
    assert rules["rules"][0]["name"] == "kafka_server_$1_$2"
    # A moved field keeps the position it was written at.
    assert kafka.span_of(("spec", "kafka", "listeners", 1, "authentication", "type")).line == 13
    assert kafka.span_of(("spec", "kafka", "template", "pod", "affinity")).line == 15
    assert sorted((n.rule, n.span.line) for n in notes) == [
        ("api.converted", 1), ("api.converted", 9), ("api.converted", 14), ("api.converted", 17),
        ("api.converted", 25)]
    assert all(n.message and n.expected for n in notes)


V1BETA2_CONNECT = """\
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnect
metadata:
  name: debezium
spec:
  bootstrapServers: my-cluster-kafka-bootstrap:9092
  tracing:
    type: jaeger
  externalConfiguration:
    env:
      - name: DB_USER
        valueFrom:
          secretKeyRef: {name: db, key: user}
    volumes:
      - name: connector-config
        secret:
          secretName: db
  template:
    connectContainer:
      env:
        - {name: TZ, value: UTC}
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: inventory
  labels:
    strimzi.io/cluster: debezium
spec:
  class: org.apache.kafka.connect.file.FileStreamSourceConnector
  pause: true
"""


def test_connect_fields_v1_removed_are_read_as_strimzi_ran_them(tmp_path):
    (tmp_path / "connect.yaml").write_text(V1BETA2_CONNECT)
    documents, notes = convert(load([tmp_path]))
    connect, connector = documents.documents
    assert connect.get("spec", "tracing") is None and connect.get("spec", "externalConfiguration") is None
    container = connect.get("spec", "template", "connectContainer")
    # Strimzi put the external variables after the template's, so they win a duplicate name.
    assert container["env"] == [{"name": "TZ", "value": "UTC"},
                                {"name": "DB_USER", "valueFrom": {"secretKeyRef": {"name": "db", "key": "user"}}}]
    assert connect.get("spec", "template", "pod", "volumes") == [
        {"name": "ext-conf-connector-config", "secret": {"secretName": "db"}}]
    assert container["volumeMounts"] == [
        {"name": "ext-conf-connector-config", "mountPath": "/opt/kafka/external-configuration/connector-config"}]
    assert connect.span_of(("spec", "template", "connectContainer", "env", 1, "name")).line == 11
    assert connect.span_of(("spec", "template", "pod", "volumes", 0, "secret", "secretName")).line == 17
    assert connector.get("spec", "state") == "paused" and connector.get("spec", "pause") is None
    assert sorted((n.rule, n.severity.value, n.span.line) for n in notes) == [
        ("api.converted", "info", 10), ("api.converted", "info", 14), ("api.converted", "info", 31),
        ("api.converted", "warning", 7)]


def test_a_v1beta2_connect_with_external_configuration_compiles_to_strimzis_mounts(tmp_path):
    (tmp_path / "connect.yaml").write_text(V1BETA2_CONNECT)
    model, findings = read_documents(load([tmp_path]))
    assert [f for f in findings if f.is_error] == []
    [chart] = plan([], model.connects)
    workers = chart.values["workers"]
    assert {"name": "ext-conf-connector-config", "secret": {"secretName": "db"}} in workers["volumes"]
    assert {"name": "ext-conf-connector-config",
            "mountPath": "/opt/kafka/external-configuration/connector-config"} in workers["volumeMounts"]
    assert workers["env"][-1]["name"] == "DB_USER"


def test_in_v1_external_configuration_is_refused_with_where_it_went(tmp_path):
    (tmp_path / "connect.yaml").write_text(V1BETA2_CONNECT.replace("v1beta2", "v1", 1))
    _, findings = read_documents(load([tmp_path]))
    [refused] = [f for f in findings if f.path == ("spec", "externalConfiguration")]
    assert refused.is_error and refused.span.line == 9
    assert "spec.template.connectContainer.env" in refused.message and "v1beta2" in refused.message


def test_a_template_mount_outside_mnt_is_still_refused_in_v1beta2(tmp_path):
    mounts = ("  template:\n    connectContainer:\n      volumeMounts:\n"
              "        - {name: ext-conf-x, mountPath: /opt/kafka/external-configuration/y}\n")
    text = V1BETA2_CONNECT.split("---")[0].split("  tracing:")[0] + mounts
    (tmp_path / "connect.yaml").write_text(text)
    _, findings = read_documents(load([tmp_path]))
    assert [f.rule for f in findings if f.is_error] == ["connect.volume-mount"]


def test_a_float_keeps_how_it_was_written_through_conversion(tmp_path):
    """Conversion copies the document; a float (a ScalarFloat, which remembers its text) survives it."""
    (tmp_path / "connect.yaml").write_text(V1BETA2_CONNECT.replace("  tracing:", "  livenessProbe:\n"
                                                                   "    failureThreshold: 2.50\n  tracing:"))
    (tmp_path / "kafka.yaml").write_text(OLD_KAFKA.replace("replicas: 3\n    listeners",
                                                           "replicas: 3\n    jvmOptions: {version: 1.0}\n    listeners"))
    documents, _ = convert(load([tmp_path]))
    connect = next(d for d in documents.documents if d.kind == "KafkaConnect")
    kafka = next(d for d in documents.documents if d.kind == "Kafka")
    assert connect.get("spec", "livenessProbe", "failureThreshold").text == "2.50"
    assert kafka.get("spec", "kafka", "jvmOptions", "version").text == "1.0"


@pytest.mark.parametrize("shape", [
    "  tracing: jaeger\n",
    "  externalConfiguration: [env]\n",
    "  externalConfiguration:\n    env: [{name: A, value: b}]\n  template: pod\n",
    "  externalConfiguration:\n    volumes: [{name: v, secret: {secretName: s}}]\n  template:\n    pod: {volumes: v}\n",
])
def test_a_v1beta2_connect_of_another_shape_is_left_for_validate_to_refuse(tmp_path, shape):
    (tmp_path / "connect.yaml").write_text(V1BETA2_CONNECT.split("  tracing:")[0] + shape)
    documents, notes = convert(load([tmp_path]))
    assert notes == [] and documents.documents[0].data == load([tmp_path]).documents[0].data
    _, findings = read_documents(load([tmp_path]))
    assert any(f.is_error for f in findings)
