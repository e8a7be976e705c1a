"""Stage 5: compute everything the chart's templates place, as plain data.

The result of `plan` is exactly what goes into each chart's `values.yaml`.
Templates only place these values; no decision is left to them.

One module a component, named as its folder under charts/kafka/templates/:
broker (with broker_config), listeners, certificates, kafka_client, topics,
users, metrics, zookeeper, rebalance; naming and pods at the bottom hold what they share. This
module only puts each component's values under its key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..model import Cluster
from ..model_connect import Connect
from .broker import (deployed, network_policy, pod_disruption_budget, pool_values, rack_awareness, service_account,
                     services)
from .broker_config import logging_file
from .certificates import certificates_values
from .connect import build_files, connect_values
from .kafka_client import kafka_client_values
from .listeners import address_discovery, listener_objects
from .metrics import kafka_exporter_values, metrics_values, prometheus_operator_values
from .naming import cluster_id, common_labels, connect_names
from .pods import image
from .rebalance import rebalance_values
from .topics import topics_values
from .users import users_values
from .zookeeper import zookeeper_values

__all__ = ["ChartPlan", "plan"]


@dataclass(frozen=True)
class ChartPlan:
    """One chart to emit: its name, Chart.yaml metadata and values."""

    name: str
    kafka_version: str
    values: dict
    library: str = "kafka"  # the chart folder under charts/ whose templates it fills
    files: dict = field(default_factory=dict)  # further files by path in the chart, as text
    description: str | None = None  # Chart.yaml's, when not the chart folder's own


def plan(clusters: list[Cluster], connects: Sequence[Connect] = ()) -> list[ChartPlan]:
    """A chart per Kafka, and a chart `<name>-connect` per KafkaConnect (`<name>-mirrormaker2` per
    KafkaMirrorMaker2, from the same chart folder)."""
    return ([ChartPlan(c.name, c.kafka_version, _cluster_values(c)) for c in clusters]
            + [ChartPlan(connect_names(c.name, c.kind).connect, c.kafka_version, connect_values(c), "connect",
                         build_files(c), _CONNECT_DESCRIPTIONS.get(c.kind)) for c in connects])


_CONNECT_DESCRIPTIONS = {"KafkaMirrorMaker2": "Kafka MirrorMaker 2 cluster {name}"}


def _cluster_values(cluster: Cluster) -> dict:
    return {
        "cluster": {
            "name": cluster.name,
            "clusterId": cluster_id(cluster),
            "kafkaVersion": cluster.kafka_version,
            "metadataVersion": cluster.metadata_version or "",
        },
        "image": image(cluster.image),
        "commonLabels": common_labels(cluster),
        "services": services(cluster),
        "podDisruptionBudget": pod_disruption_budget(cluster),
        "serviceAccount": service_account(cluster),
        "certificates": certificates_values(cluster),
        "rackAwareness": rack_awareness(cluster),
        "logging": logging_file(cluster.logging, cluster.kafka_version),
        "nodePools": [pool_values(cluster, pool) for pool in cluster.pools if deployed(cluster, pool)],
        "kafkaClient": kafka_client_values(cluster),
        "topics": topics_values(cluster),
        "listenerObjects": listener_objects(cluster),
        "addressDiscovery": address_discovery(cluster),
        "networkPolicy": network_policy(cluster),
        "users": users_values(cluster),
        "metrics": metrics_values(cluster),
        "kafkaExporter": kafka_exporter_values(cluster),
        "prometheusOperator": prometheus_operator_values(cluster),
        "zookeeper": zookeeper_values(cluster),
        "rebalance": rebalance_values(cluster),
    }
