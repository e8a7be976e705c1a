"""Scaling with the data moving by itself: spec.cruiseControl and KafkaRebalances as normalize reads
them, what plan gives the rebalance Job, and the Job's planner run with BusyBox.

Against real brokers: e2e/test_scaling.py.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from compiler.check_options import CheckOptions
from compiler.load import Documents, load, load_text
from compiler.normalize import normalize
from compiler.normalize_rebalance import goal_names, unhonoured_goals
from compiler.plan.rebalance import SCRIPTS, rebalance_values
from compiler.project_files import CHARTS
from compiler.validate import validate

from .conftest import BUSYBOX, EXAMPLES, with_busybox
from .util import compiled_manifests

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


# --- what plan gives the rebalance Jobs, and how the chart places it -----------------

def test_the_jobs_know_the_charts_brokers_and_the_annotated_ones_left_out():
    text = KAFKA.replace("name: my-cluster\nspec:", "name: my-cluster\n  annotations:\n"
                         "    kafkac.io/drained-node-ids: \"[7]\"\nspec:", 1) % {"cruise": ""}
    model, _ = read(text + rebalance_yaml("  mode: add-brokers\n  brokers: [4]\n  excludedTopics: ^audit[.]\n",
                                          'strimzi.io/rebalance: approve'))
    values = rebalance_values(model.clusters[0])
    env = {e["name"]: e["value"] for e in values["job"]["env"]}
    assert env["KAFKAC_REBALANCE_KEEP"] == "0 1 2 3 4" and env["KAFKAC_REBALANCE_SKIP"] == "7"
    assert values["requests"] == {"my-rebalance": {"mode": "add-brokers", "brokers": [4], "approved": True,
                                                   "throttleBytesPerSecond": None, "excludedTopics": "^audit[.]"}}
    assert (values["drainJobName"], values["jobName"]) == ("my-cluster-kafka-drain", "my-cluster-kafka-rebalance")


def test_a_zookeeper_cluster_has_no_rebalance_jobs():
    (cluster,) = normalize(load([EXAMPLES / "zookeeper"])).clusters
    assert rebalance_values(cluster) is None


def test_the_chart_drains_before_the_upgrade_and_spreads_after_it_with_the_requests_as_data(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(KAFKA % {"cruise": ""} + rebalance_yaml(
        "  mode: remove-brokers\n  brokers: [4]\n  replicationThrottle: 1024\n  excludedTopics: 'x\\ty'\n"))
    manifests = compiled_manifests(spec, tmp_path / "out", check=CheckOptions(profile="dev"))
    jobs = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Job"}
    drain, grow = jobs["my-cluster-kafka-drain"], jobs["my-cluster-kafka-rebalance"]
    assert drain["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade,pre-rollback"
    assert grow["metadata"]["annotations"]["helm.sh/hook"] == "post-upgrade,post-rollback"
    for job, phase in ((drain, "drain"), (grow, "grow")):
        pod = job["spec"]["template"]["spec"]
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        assert env["KAFKAC_REBALANCE_PHASE"] == phase and env["KAFKAC_REBALANCE_THROTTLE"] == "52428800"
        assert pod["automountServiceAccountToken"] is False and "KAFKAC_BOOTSTRAP_SERVERS" in env
    config_maps = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "ConfigMap"}
    scripts = config_maps["my-cluster-kafka-rebalance-scripts"]
    assert scripts["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade,post-upgrade,pre-rollback,post-rollback"
    assert set(scripts["data"]) == set(SCRIPTS)
    requests = config_maps["my-cluster-kafka-rebalance-requests"]["data"]
    assert requests == {"requests.tsv": "my-rebalance\tremove-brokers\t4\tfalse\t1024\n",
                        "exclude-my-rebalance": "x\\ty"}


# --- the planner (charts/kafka/files/rebalance-plan.awk), with the machine's awk and BusyBox's ---

PLANNER = CHARTS / "kafka" / "files" / "rebalance-plan.awk"
AWKS = ["system", with_busybox("busybox")]


def api_versions_text(brokers: dict[int, str | None], down: tuple[int, ...] = ()) -> str:
    """What kafka-broker-api-versions.sh prints: a block per broker that answers."""
    lines = []
    for broker, rack in sorted(brokers.items()):
        if broker not in down:
            lines += [f"kafka-{broker}.kafka-brokers.ns.svc:9091 (id: {broker} rack: {rack or 'null'} "
                      "isFenced: false) -> (", "\tProduce(0): 3 to 12 [usable: 12],", ")"]
    return "\n".join(lines) + "\n"


def describe_text(assignment: dict[tuple[str, int], list[int]]) -> str:
    lines = []
    for (topic, partition), replicas in sorted(assignment.items()):
        if partition == 0:
            count = sum(1 for t, _ in assignment if t == topic)
            lines.append(f"Topic: {topic}\tTopicId: x\tPartitionCount: {count}\tReplicationFactor: "
                         f"{len(replicas)}\tConfigs: ")
        text = ",".join(map(str, replicas))
        lines.append(f"\tTopic: {topic}\tPartition: {partition}\tLeader: {replicas[0]}\tReplicas: {text}\t"
                     f"Isr: {text}\tElr: N/A\tLastKnownElr: N/A")
    return "\n".join(lines) + "\n"


@dataclasses.dataclass
class Plan:
    moves: dict[tuple[str, int], list[int]]
    proposal: list[str]
    impossible: dict[str, str]
    summary: dict[str, str]

    def applied_to(self, assignment: dict) -> dict:
        return {**assignment, **self.moves}


def run_planner(awk: str, tmp: Path, mode: str, registered: dict[int, str | None], assignment: dict,
                down: tuple[int, ...] = (), sizes: str = "", exclude: str = "", **variables: str) -> Plan:
    work = tmp / f"plan-{len(list(tmp.iterdir()))}"
    work.mkdir()
    (work / "brokers").write_text(api_versions_text(registered, down))
    (work / "describe").write_text(describe_text(assignment))
    inputs = ["kind=brokers", str(work / "brokers"), "kind=describe", str(work / "describe")]
    if sizes:
        (work / "sizes").write_text(sizes)
        inputs += ["kind=sizes", str(work / "sizes")]
    command = [BUSYBOX, "awk"] if awk == "busybox" else ["awk"]
    assigned = [f"{name}={value}" for name, value in {"mode": mode, "work": str(work), **variables}.items()]
    done = subprocess.run([*command, "-f", str(PLANNER), *assigned, *inputs], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "KAFKAC_REBALANCE_EXCLUDE": exclude})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    moves = {(m["topic"], m["partition"]): m["replicas"]
             for m in json.loads((work / "reassignment.json").read_text())["partitions"]}
    impossible = dict(line.split("\t", 1) for line in (work / "impossible.txt").read_text().splitlines())
    summary = dict(item.split("=", 1) for item in (work / "summary").read_text().split())
    return Plan(moves, (work / "proposal.txt").read_text().splitlines(), impossible, summary)


def replica_counts(assignment: dict, brokers) -> dict[int, int]:
    return {b: sum(b in replicas for replicas in assignment.values()) for b in brokers}


def leader_counts(assignment: dict, brokers) -> dict[int, int]:
    return {b: sum(replicas[0] == b for replicas in assignment.values()) for b in brokers}


def three_broker_assignment(topics=("orders", "payments"), partitions: int = 6, replicas: int = 3) -> dict:
    return {(topic, p): [(p + i) % 3 for i in range(replicas)] for topic in topics for p in range(partitions)}


@pytest.mark.parametrize("awk", AWKS)
def test_grow_puts_replicas_and_leaders_on_added_brokers_and_a_second_run_moves_nothing(awk, tmp_path):
    brokers = {b: None for b in range(5)}
    before = three_broker_assignment()
    plan = run_planner(awk, tmp_path, "grow", brokers, before, keep="0 1 2 3 4")
    assert plan.summary["receivers"] == "3,4"
    after = plan.applied_to(before)
    counts, leaders = replica_counts(after, brokers), leader_counts(after, brokers)
    assert max(counts.values()) - min(counts.values()) <= 1 and min(counts.values()) >= 7
    assert max(leaders.values()) - min(leaders.values()) <= 1
    assert all(len(set(replicas)) == 3 for replicas in after.values())
    assert len(plan.proposal) == len(plan.moves) == int(plan.summary["moves"])
    again = run_planner(awk, tmp_path, "grow", brokers, after, keep="0 1 2 3 4")
    assert again.moves == {} and again.summary["moves"] == "0"


@pytest.mark.parametrize("awk", AWKS)
def test_drain_empties_the_brokers_the_chart_no_longer_has(awk, tmp_path):
    brokers = {b: None for b in range(5)}
    spread = run_planner(awk, tmp_path, "grow", brokers, three_broker_assignment(), keep="0 1 2 3 4")
    before = spread.applied_to(three_broker_assignment())
    plan = run_planner(awk, tmp_path, "drain", brokers, before, keep="0 1 2")
    after = plan.applied_to(before)
    assert plan.impossible == {} and plan.summary["leaving"] == "3,4" and plan.summary["targets"] == "0,1,2"
    assert replica_counts(after, (3, 4)) == {3: 0, 4: 0}
    assert all(sorted(replicas) == [0, 1, 2] for replicas in after.values())
    again = run_planner(awk, tmp_path, "drain", brokers, after, keep="0 1 2")
    assert again.moves == {}


@pytest.mark.parametrize("awk", AWKS)
def test_a_drain_below_a_topics_replication_factor_moves_nothing_and_names_the_topic(awk, tmp_path):
    brokers = {b: None for b in range(3)}
    before = {**three_broker_assignment(("orders",)), ("logs", 0): [2, 0]}
    plan = run_planner(awk, tmp_path, "drain", brokers, before, keep="0 1")
    assert plan.impossible == {"orders": "replication factor 3 is above the 2 brokers that remain"}
    assert ("orders", 0) not in plan.moves


@pytest.mark.parametrize("awk", AWKS)
def test_a_leaving_broker_that_cannot_be_reached_is_refused(awk, tmp_path):
    brokers = {b: None for b in range(4)}
    before = {("orders", 0): [3, 0]}
    plan = run_planner(awk, tmp_path, "drain", brokers, before, down=(3,), keep="0 1 2")
    assert plan.impossible == {"orders": "broker 3 holds a replica and does not answer"}
    skipped = run_planner(awk, tmp_path, "drain", brokers, before, down=(3,), keep="0 1 2", skip="3")
    assert skipped.impossible == {} and skipped.moves == {}


@pytest.mark.parametrize("awk", AWKS)
def test_moves_keep_replicas_on_distinct_racks(awk, tmp_path):
    brokers = {0: "a", 1: "b", 2: "c", 3: "a", 4: "c", 5: "b"}
    before = {("orders", 0): [0, 1, 5]}  # rack b twice; broker 5 goes
    plan = run_planner(awk, tmp_path, "drain", brokers, before, keep="0 1 2 3 4")
    assert plan.moves == {("orders", 0): [0, 1, 2]}  # 2 (rack c) rather than 3 or 4, the less loaded
    spread = run_planner(awk, tmp_path, "full", brokers, {("orders", p): [0, 1, 2] for p in range(6)})
    for replicas in spread.applied_to({("orders", p): [0, 1, 2] for p in range(6)}).values():
        assert sorted(brokers[b] for b in replicas) == ["a", "b", "c"]


@pytest.mark.parametrize("awk", AWKS)
def test_add_brokers_moves_only_onto_the_named_brokers_and_remove_brokers_off_them(awk, tmp_path):
    brokers = {b: None for b in range(5)}
    before = three_broker_assignment()
    plan = run_planner(awk, tmp_path, "add", brokers, before, brokers="3")
    after = plan.applied_to(before)
    assert replica_counts(after, (3, 4))[4] == 0 and replica_counts(after, (3,))[3] >= 7
    removed = run_planner(awk, tmp_path, "remove", brokers, after, brokers="3")
    assert replica_counts(removed.applied_to(after), (3,)) == {3: 0}


@pytest.mark.parametrize("awk", AWKS)
def test_the_proposal_gives_each_partitions_size_when_known(awk, tmp_path):
    sizes = ('Querying brokers for log directories information\n{"brokers":[{"broker":0,"logDirs":[{"partitions":'
             '[{"partition":"orders-0","size":2048,"offsetLag":0,"isFuture":false}],"error":null,'
             '"logDir":"/var/lib/kafka"}]}],"version":1}\n')
    plan = run_planner(awk, tmp_path, "drain", {0: None, 1: None}, {("orders", 0): [1]}, keep="0", sizes=sizes)
    assert plan.proposal == ["orders-0: 1 -> 0 (2048 bytes)"] and plan.summary["bytes"] == "2048"


@pytest.mark.parametrize("awk", AWKS)
def test_a_full_rebalance_leaves_excluded_topics_where_they_are_and_a_balanced_cluster_alone(awk, tmp_path):
    brokers = {b: None for b in range(5)}
    before = three_broker_assignment(("orders", "audit.log"))
    plan = run_planner(awk, tmp_path, "full", brokers, before, exclude=r"^audit\.")
    assert plan.moves and all(topic == "orders" for topic, _ in plan.moves)
    balanced = run_planner(awk, tmp_path, "full", brokers, run_planner(
        awk, tmp_path, "full", brokers, before).applied_to(before))
    assert balanced.moves == {}


@pytest.mark.parametrize("awk", AWKS)
def test_grow_fills_a_new_broker_that_a_topic_created_since_it_joined_already_uses(awk, tmp_path):
    brokers = {b: None for b in range(4)}
    before = {**three_broker_assignment(), ("late", 0): [3, 0, 1]}
    plan = run_planner(awk, tmp_path, "grow", brokers, before, keep="0 1 2 3")
    assert plan.summary["receivers"] == "3"
    counts = replica_counts(plan.applied_to(before), brokers)
    assert max(counts.values()) - min(counts.values()) <= 1, counts
