"""Strimzi's first APIs (v1alpha1, v1beta1) read as v1beta2, each converted field noted, positions kept."""

from __future__ import annotations

import yaml

from compiler.convert import convert
from compiler.load import load

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
