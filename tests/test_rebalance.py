"""Scaling with the data moving by itself: spec.cruiseControl and KafkaRebalances as normalize reads
them, what plan gives the rebalance Job, and the Job's planner run with BusyBox.

Against real brokers: e2e/test_scaling.py.
"""

from __future__ import annotations

import pytest

from compiler.load import Documents, load_text
from compiler.normalize import normalize
from compiler.normalize_rebalance import goal_names, unhonoured_goals
from compiler.validate import validate

KAFKA = """\
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata:
  name: my-cluster
spec:
  kafka:
    listeners:
      - {name: plain, port: 9092, type: internal, tls: false}
  entityOperator:
    topicOperator: {}
%(cruise)s
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: controller
  labels:
    strimzi.io/cluster: my-cluster
spec:
  replicas: 1
  roles: [controller]
  storage: {type: ephemeral}
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: broker
  labels:
    strimzi.io/cluster: my-cluster
spec:
  replicas: 5
  roles: [broker]
  storage: {type: ephemeral}
"""


def rebalance_yaml(spec: str, annotations: str = "", api: str = "v1") -> str:
    text = (f"---\napiVersion: kafka.strimzi.io/{api}\nkind: KafkaRebalance\nmetadata:\n  name: my-rebalance\n"
            f"  labels:\n    strimzi.io/cluster: my-cluster\n")
    if annotations:
        text += f"  annotations:\n    {annotations}\n"
    return text + f"spec:\n{spec}"


def topic_yaml(name: str, replicas: int) -> str:
    return (f"---\napiVersion: kafka.strimzi.io/v1\nkind: KafkaTopic\nmetadata:\n  name: {name}\n  labels:\n"
            f"    strimzi.io/cluster: my-cluster\nspec:\n  partitions: 1\n  replicas: {replicas}\n")


def read(text: str):
    documents, findings = load_text(text, "spec.yaml")
    assert findings == []
    schema_findings = validate(Documents(documents, []))
    assert [f"{f.span} {f.message}" for f in schema_findings if f.is_error] == []
    model = normalize(Documents(documents, []))
    return model, [f"{f.span} {f.severity} {f.rule} {f.message}" for f in schema_findings + model.findings]


# --- spec.cruiseControl ------------------------------------------------------------

def test_cruise_control_is_accepted_with_a_positioned_warning_saying_what_runs_instead():
    model, findings = read(KAFKA % {"cruise": "  cruiseControl:\n    brokerCapacity: {inboundNetwork: 10MiB/s}\n"
                                              "    resources: {requests: {cpu: 1}}"})
    assert len(model.clusters) == 1
    (warning,) = [f for f in findings if "cruise-control.not-run" in f]
    assert warning.startswith("spec.yaml:11:3 warning")
    assert "rebalance Job" in warning and "partition reassignment" in warning
    assert "no effect: brokerCapacity, resources" in warning


def test_cruise_control_goals_that_reassignment_cannot_honour_are_named_where_they_are():
    cruise = ("  cruiseControl:\n    config:\n      hard.goals: >\n"
              "        com.linkedin.kafka.cruisecontrol.analyzer.goals.RackAwareGoal,\n"
              "        com.linkedin.kafka.cruisecontrol.analyzer.goals.DiskCapacityGoal")
    _, findings = read(KAFKA % {"cruise": cruise})
    (goals,) = [f for f in findings if "rebalance.goals" in f]
    assert goals.startswith("spec.yaml:13:7 warning")
    assert "cannot honour DiskCapacityGoal;" in goals


def test_goal_lists_are_read_as_cruise_control_writes_them():
    assert goal_names("a.b.RackAwareGoal,\n  c.ReplicaDistributionGoal,") == ["RackAwareGoal",
                                                                            "ReplicaDistributionGoal"]
    assert unhonoured_goals(["CpuCapacityGoal", "RackAwareGoal"]) == ["CpuCapacityGoal"]


# --- KafkaRebalance ----------------------------------------------------------------

@pytest.mark.parametrize("api", ["v1", "v1beta2"])
def test_a_kafka_rebalance_joins_its_kafka_unapproved_by_default(api):
    model, _ = read(KAFKA % {"cruise": ""} + rebalance_yaml("  mode: add-brokers\n  brokers: [3, 4]\n", api=api))
    (rebalance,) = model.clusters[0].rebalances
    assert (rebalance.name, rebalance.mode, rebalance.brokers, rebalance.approved) == (
        "my-rebalance", "add-brokers", (3, 4), False)


@pytest.mark.parametrize("annotation", ['strimzi.io/rebalance: approve',
                                        'strimzi.io/rebalance-auto-approval: "true"'])
def test_strimzis_approval_becomes_approved(annotation):
    model, _ = read(KAFKA % {"cruise": ""} + rebalance_yaml("  replicationThrottle: 1048576\n", annotation))
    (rebalance,) = model.clusters[0].rebalances
    assert (rebalance.mode, rebalance.approved, rebalance.throttle) == ("full", True, 1048576)


def test_a_broker_that_is_not_one_is_refused_at_its_position():
    _, findings = read(KAFKA % {"cruise": ""} + rebalance_yaml("  mode: remove-brokers\n  brokers: [3, 9]\n"))
    (refusal,) = [f for f in findings if " error " in f]
    assert refusal.startswith("spec.yaml:43:16 ") and "9 is not a broker of Kafka my-cluster" in refusal


def test_removing_brokers_below_a_topics_replicas_is_refused_naming_the_topic():
    text = KAFKA % {"cruise": ""} + topic_yaml("orders", 4) + rebalance_yaml(
        "  mode: remove-brokers\n  brokers: [3, 4]\n")
    model, findings = read(text)
    (refusal,) = [f for f in findings if " error " in f]
    assert "rebalance.replication-factor" in refusal and "fewer than the replicas of orders" in refusal
    assert model.clusters[0].rebalances == ()


def test_remove_disks_is_refused_at_the_mode_saying_why():
    spec = "  mode: remove-disks\n  moveReplicasOffVolumes:\n    - {brokerId: 1, volumeIds: [1]}\n"
    _, findings = read(KAFKA % {"cruise": ""} + rebalance_yaml(spec))
    (refusal,) = [f for f in findings if " error " in f]
    assert refusal.startswith("spec.yaml:42:9 error rebalance.remove-disks")
    assert "one volume each" in refusal


def test_cruise_control_only_options_and_goals_warn():
    spec = "  goals: [CpuCapacityGoal, RackAwareGoal]\n  skipHardGoalCheck: true\n"
    model, findings = read(KAFKA % {"cruise": ""} + rebalance_yaml(spec))
    assert model.clusters[0].rebalances
    assert any("rebalance.goals" in f and "CpuCapacityGoal" in f for f in findings)
    assert any("rebalance.no-effect" in f and "spec.skipHardGoalCheck" in f for f in findings)


def test_a_rebalance_template_is_skipped_with_a_note():
    template = ("---\napiVersion: kafka.strimzi.io/v1\nkind: KafkaRebalance\nmetadata:\n  name: t\n"
                "  annotations:\n    strimzi.io/rebalance-template: \"true\"\nspec: {}\n")
    model, findings = read(KAFKA % {"cruise": ""} + template)
    assert model.clusters[0].rebalances == ()
    assert [f for f in findings if "rebalance.template" in f and " info " in f]
