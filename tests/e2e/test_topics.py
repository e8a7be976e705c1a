"""The topics Job, run for real: KafkaTopics created, kept in sync, changes in Kafka respected.

The cluster (topics-spec/: three nodes, each controller and broker) boots once;
each test then runs the chart's topics Job (topicjob.py) against it, as
`helm install` and `helm upgrade` would, after changing the specs where the
test says so. The tests build on each other, in file order, as the life of one
cluster does. What the Job did is checked with Kafka's own tools in a broker
pod and with kafka-python, never with the Job's own report alone.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler import tools
from compiler.cli import cli
from compiler.verify import render

from ..log_format import events
from ..util import documents
from . import clients, kafka_tools, topicjob
from .conftest import NAMESPACE, boot, compile_example

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).resolve().parent / "topics-spec"
PLAIN = 9092
TOPICS = {"orders": (6, 3), "payments.v1": (3, 3), "Audit_Log": (1, 2), "clicks": (12, 1),
          "defaults": (1, 3), "no-cleanup": (2, 2)}
EXIT_REFUSED = 3


class Deployment:
    """The booted cluster, and what `helm install` or `helm upgrade` would apply to it: its namespace
    in the tests' API server (topicjob.ReleaseApi), where the Job's record step writes."""

    def __init__(self, cluster, work: Path):
        self.cluster = cluster
        self.work = work
        self.specs = work / "specs"
        shutil.copytree(SPEC, self.specs)
        self.upgrades = 0
        self.manifests = self._render()
        self.api = topicjob.api_server(cluster, self.manifests)
        self.api.apply(self.manifests)
        self.runs: list[topicjob.JobRun] = []
        self.writes_seen = len(self.api.writes())  # the namespace's name is used by module after module

    def new_writes(self) -> list[str]:
        """What the Jobs wrote through the API since the last call (or since the cluster booted)."""
        writes = self.api.writes()
        new, self.writes_seen = writes[self.writes_seen:], len(writes)
        return new

    def _render(self) -> list[dict]:
        chart = compile_example(str(self.specs), self.work / f"chart-{self.upgrades}")
        return documents(render(chart, tools.DEFAULT_KUBE_VERSIONS[-1], self.cluster.release, NAMESPACE))

    def upgrade(self, old: str, new: str) -> None:
        """Change the topics spec (one exact piece of text), recompile, apply the chart's ConfigMaps."""
        topics = self.specs / "topics.yaml"
        text = topics.read_text()
        assert text.count(old) == 1, old
        topics.write_text(text.replace(old, new))
        self.redeploy()

    def redeploy(self) -> None:
        """Recompile the specs as they are now, and apply the chart's ConfigMaps (`helm upgrade`)."""
        self.upgrades += 1
        self.manifests = self._render()
        self.api.apply(self.manifests)

    def run_job(self) -> topicjob.JobRun:
        run = topicjob.run_topics_job(self.cluster, self.manifests, self.api)
        self.runs.append(run)
        return run

    def kafka_tool(self, *args: str) -> str:
        """A Kafka tool in the first broker pod, on its plain listener, as `kubectl exec` would run it."""
        return kafka_tools.on_plain_listener(self.cluster, self.cluster.brokers[0], PLAIN, *args)

    def topic_configs(self, topic: str) -> dict[str, str]:
        """The topic's own settings (its dynamic topic configs), as kafka-configs.sh describes them."""
        out = self.kafka_tool("kafka-configs.sh", "--describe", "--entity-type", "topics", "--entity-name", topic)
        configs = {}
        for line in out.splitlines():
            if line.startswith("  ") and "=" in line:
                key, _, rest = line.strip().partition("=")
                configs[key] = rest.rsplit(" sensitive=", 1)[0]
        return configs

    def layout(self, topic: str) -> tuple[int, int]:
        """(partitions, replicas of each partition) of the topic."""
        partitions = clients.describe_topic(self.cluster.bootstrap(PLAIN), topic)
        replicas = {len(p["replica_nodes"]) for p in partitions}
        assert len(replicas) == 1, partitions
        return len(partitions), replicas.pop()


@pytest.fixture(scope="module")
def deployment(e2e, tmp_path_factory):
    work = tmp_path_factory.mktemp("topics")
    with boot(str(SPEC), e2e, work, address_block=5) as cluster:
        yield Deployment(cluster, work)


def test_first_run_creates_every_topic_as_specified(deployment):
    run = deployment.run_job()
    assert run.exit_code == 0, run.log
    report = run.report
    assert report["status"] == "ok"
    assert sorted(report["created"]) == sorted(TOPICS)
    for topic, layout in TOPICS.items():
        assert deployment.layout(topic) == layout, topic
    assert deployment.topic_configs("orders") == {
        "min.insync.replicas": "2", "retention.ms": "604800000", "segment.bytes": "268435456"}
    assert deployment.topic_configs("payments.v1") == {
        "cleanup.policy": "compact", "min.compaction.lag.ms": "60000", "min.cleanable.dirty.ratio": "0.2"}
    # Written as Kafka keeps it ("compact, delete" in the spec).
    assert deployment.topic_configs("Audit_Log") == {"retention.bytes": "1073741824",
                                                     "cleanup.policy": "compact,delete"}
    assert deployment.topic_configs("clicks") == {"compression.type": "lz4", "retention.ms": "3600000",
                                                  "message.timestamp.type": "LogAppendTime"}
    assert deployment.topic_configs("defaults") == {}
    # An empty value cannot go on kafka-topics.sh's command line; it is set right after creating.
    assert deployment.topic_configs("no-cleanup") == {"cleanup.policy": "", "unclean.leader.election.enable": "false"}
    # The record: one ConfigMap write, every topic in it.
    (state_name,) = [m["metadata"]["name"] for m in deployment.manifests
                     if m.get("kind") == "ConfigMap" and "-state-" in m["metadata"]["name"]]
    assert deployment.new_writes() == [f"patch configmap {NAMESPACE}/{state_name}"]
    record = deployment.api.config_map(state_name)["data"]["state.jsonl"]
    assert sorted(line.split('"')[3] for line in record.splitlines()) == sorted(TOPICS)


def test_second_run_changes_nothing_and_says_so(deployment):
    writes, versions = deployment.api.writes(), deployment.api.versions()
    run = deployment.run_job()
    assert run.exit_code == 0, run.log
    assert run.report_lines[-1] == "kafkac-topics: 6 topics: nothing to change, Kafka matches the spec", run.log
    report = run.report
    assert (report["created"], report["updated"], report["changes"], report["unchanged"]) == ([], [], [], 6)
    assert "the record is unchanged" in run.output("record")
    assert deployment.api.writes() == writes
    assert deployment.api.versions() == versions


def test_raising_partitions_and_changing_configs_is_applied(deployment):
    deployment.upgrade("  partitions: 12\n  replicas: 1\n", "  partitions: 16\n  replicas: 1\n")
    deployment.upgrade("    retention.ms: 604800000\n", "    retention.ms: 86400000\n")
    deployment.upgrade("    segment.bytes: 268435456\n", "")
    run = deployment.run_job()
    assert run.exit_code == 0, run.log
    report = run.report
    assert sorted(report["updated"]) == ["clicks", "orders"]
    assert {"topic": "clicks", "setting": "partitions", "from": 12, "to": 16} in report["changes"]
    assert "kafkac-topics: topic clicks: partitions raised from 12 to 16" in run.report_lines
    assert deployment.layout("clicks") == (16, 1)
    # A removed option goes back to Kafka's default.
    assert deployment.topic_configs("orders") == {"min.insync.replicas": "2", "retention.ms": "86400000"}


def test_change_made_in_kafka_survives_the_next_run_and_is_reported(deployment):
    deployment.kafka_tool("kafka-configs.sh", "--alter", "--entity-type", "topics", "--entity-name", "payments.v1",
                          "--add-config", "min.compaction.lag.ms=120000")
    deployment.kafka_tool("kafka-topics.sh", "--alter", "--topic", "defaults", "--partitions", "4")
    run = deployment.run_job()
    assert run.exit_code == 0, run.log
    report = run.report
    assert report["status"] == "ok" and report["updated"] == [] and report["created"] == []
    assert {"topic": "payments.v1", "setting": "min.compaction.lag.ms", "spec": "60000",
            "lastApplied": "60000", "kafka": "120000"} in report["kept"]
    assert {"topic": "defaults", "setting": "partitions", "spec": 1, "lastApplied": 1, "kafka": 4} in report["kept"]
    assert any(line.startswith("kafkac-topics: topic payments.v1: KEPT: min.compaction.lag.ms was changed "
                               "in Kafka to 120000") for line in run.report_lines), run.log
    assert deployment.topic_configs("payments.v1")["min.compaction.lag.ms"] == "120000"
    assert deployment.layout("defaults") == (4, 3)


def test_conflict_on_one_option_applies_the_spec_and_is_reported(deployment):
    deployment.kafka_tool("kafka-configs.sh", "--alter", "--entity-type", "topics", "--entity-name", "clicks",
                          "--add-config", "retention.ms=7200000")
    deployment.upgrade("    retention.ms: 3600000\n", "    retention.ms: 10800000\n")
    run = deployment.run_job()
    assert run.exit_code == 0, run.log
    assert run.report["conflicts"] == [{"topic": "clicks", "setting": "retention.ms", "spec": "10800000",
                                        "lastApplied": "3600000", "kafka": "7200000"}]
    assert deployment.topic_configs("clicks")["retention.ms"] == "10800000"


def test_what_kafka_cannot_do_is_refused_and_the_rest_still_applied(deployment):
    deployment.upgrade("  partitions: 6\n  replicas: 3\n", "  partitions: 4\n  replicas: 2\n")
    deployment.upgrade("    compression.type: lz4\n", "    compression.type: zstd\n")
    run = deployment.run_job()
    assert run.exit_code == EXIT_REFUSED, run.log
    report = run.report
    assert report["status"] == "refused"
    assert sorted((r["setting"], r["spec"], r["kafka"]) for r in report["refused"]) == [
        ("partitions", 4, 6), ("replicas", 2, 3)]
    assert any("REFUSED: Kafka cannot lower the number of partitions (it has 6, the spec says 4)" in line
               for line in run.report_lines), run.log
    assert deployment.layout("orders") == (6, 3)
    assert deployment.topic_configs("clicks")["compression.type"] == "zstd"
    # The refusal stays until the spec changes: the next run refuses again, and applies nothing.
    again = deployment.run_job()
    assert again.exit_code == EXIT_REFUSED and again.report["changes"] == [], again.log


def test_kafkac_topics_diff_and_pull_read_the_live_cluster(deployment, tmp_path):
    """From a workstation: the same comparison as the Job, and topics that only Kafka has."""
    deployment.upgrade("  partitions: 4\n  replicas: 2\n", "  partitions: 6\n  replicas: 3\n")
    assert deployment.run_job().exit_code == 0
    (state,) = [m for m in deployment.manifests if m.get("kind") == "ConfigMap" and "-state-" in m["metadata"]["name"]]
    record = tmp_path / "state.jsonl"
    record.write_text(deployment.api.config_map(state["metadata"]["name"])["data"]["state.jsonl"])
    bootstrap = deployment.cluster.bootstrap(PLAIN)
    runner = CliRunner()
    diff = runner.invoke(cli, ["topics", "diff", str(deployment.specs), "--bootstrap", bootstrap,
                               "--last-applied", str(record), "--format", "json"])
    # What the Job would do next: nothing but report the two changes made in Kafka.
    assert diff.exit_code == 1, diff.output
    assert json.loads(diff.output)["kept"] and json.loads(diff.output) == deployment.run_job().report

    deployment.kafka_tool("kafka-topics.sh", "--create", "--topic", "Made_By_Hand", "--partitions", "2",
                          "--replication-factor", "2", "--config", "retention.ms=60000")
    pulled = tmp_path / "pulled.yaml"
    pull = runner.invoke(cli, ["topics", "pull", str(deployment.specs), "--bootstrap", bootstrap,
                               "-o", str(pulled)])
    assert pull.exit_code == 0, pull.output
    text = pulled.read_text()
    assert "topicName: \"Made_By_Hand\"" in text and "retention.ms: \"60000\"" in text
    assert "__consumer_offsets" not in text and "orders" not in text
    # Committed beside the specs, it is one more topic the Job manages, in sync already.
    shutil.copy(pulled, deployment.specs / "pulled.yaml")
    deployment.redeploy()
    run = deployment.run_job()
    assert run.exit_code == 0 and run.report["topics"] == 7 and run.report["created"] == [], run.log


def test_every_line_every_container_wrote_is_in_the_log_format(deployment):
    """What a log shipper reads: the brokers' and controllers' whole output since boot (each
    start of each pod), their init containers', and every step of every Job run above,
    successful, refused and failed alike; each line parses with the README's expression."""
    outputs = {}
    for pod in deployment.cluster.pods.values():
        for path in pod.logs:
            outputs[f"pod log {path.name}"] = path.read_text(errors="replace")
        for path in pod.dir.glob("init-*.log"):
            outputs[f"{pod.name} {path.name}"] = path.read_text(errors="replace")
    for number, run in enumerate(deployment.runs, 1):
        for step in run.steps:
            outputs[f"Job run {number}, step {step.name}"] = step.output
    assert len(deployment.runs) >= 9 and len(deployment.cluster.pods) == 3
    parsed = {what: events(text, what) for what, text in outputs.items()}
    nodes = [e for what, found in parsed.items() if what.startswith("pod log") for e in found]
    # Kafka's own events, through the chart's log4j2 configuration, and kafka-run.sh's.
    assert any(e["logger"].startswith(("kafka.", "org.apache.kafka.")) for e in nodes)
    assert any(e["logger"] == "kafka-run" and e["message"].startswith("kafka-storage format: ") for e in nodes)
    # Refused runs end with an ERROR event; the reports' WARN lines are there too.
    steps = [e for what, found in parsed.items() if what.startswith("Job run") for e in found]
    assert {"INFO", "WARN", "ERROR"} <= {e["level"] for e in steps}
