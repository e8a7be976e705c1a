"""The topics Job's scripts, case by case, against fakes of Kafka's tools.

charts/kafka/files/topics-sync.sh runs as the chart runs it, with its inputs
in files and its environment set, against tests/fake_kafka_tools.py (a pretend
cluster that answers in the output format of Kafka's own tools). Each case
runs under two shells: the machine's /bin/sh with its awk, and BusyBox's sh,
awk, sed and grep, as in the Kafka image. The end-to-end tests
(tests/e2e/test_topics.py) run the same script against real brokers; the
record step, which needs an API server, is tested case by case in
tests/e2e/test_topics_record.py.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.project_files import CHARTS
from compiler.topics_sync import CompareError, TopicState, compare

from . import fake_kafka_tools
from .conftest import BUSYBOX, with_busybox
from .log_format import events, messages

SYNC = CHARTS / "kafka" / "files" / "topics-sync.sh"
BUSYBOX_APPLETS = ("sh", "awk", "sed", "grep", "tr", "cat", "mv", "rm", "mkdir", "date", "sleep", "wc",
                   "tail", "head", "printf", "echo", "cp", "ls")
SHELLS = ["system", with_busybox("busybox")]


def topic(name: str, partitions: int = 1, replicas: int = 1, **config: str) -> dict:
    return {"name": name, "partitions": partitions, "replicas": replicas,
            "config": {k.replace("_", "."): v for k, v in config.items()}}


class Job:
    """One chart's topics Job: its spec files, its record, the pretend cluster."""

    def __init__(self, root: Path, shell: str):
        self.root = root
        self.shell = shell
        self.home = root / "kafka"
        fake_kafka_tools.install(self.home, sys.executable)
        self.cluster = {"brokers": 3, "topics": {}}
        self.save_cluster()
        self.topics_dir = root / "topics"
        self.work = root / "work"
        self.client = root / "client"
        for folder in (self.topics_dir, self.work, self.client):
            folder.mkdir(parents=True)
        self.shards = 1
        self.env = {}
        if shell == "busybox":
            applets = root / "busybox"
            applets.mkdir()
            for name in BUSYBOX_APPLETS:
                (applets / name).symlink_to(BUSYBOX)
            self.path = str(applets)
        else:
            self.path = "/usr/local/bin:/usr/bin:/bin"

    def save_cluster(self) -> None:
        (self.home / "cluster.json").write_text(json.dumps(self.cluster))

    def load_cluster(self) -> dict:
        self.cluster = json.loads((self.home / "cluster.json").read_text())
        return self.cluster

    def spec(self, *shards: list[dict]) -> None:
        self.shards = len(shards)
        shutil.rmtree(self.topics_dir / "spec", ignore_errors=True)
        for i, topics in enumerate(shards):
            folder = self.topics_dir / "spec" / str(i)
            folder.mkdir(parents=True)
            (folder / "topics.jsonl").write_text(
                "".join(json.dumps(t, separators=(",", ":")) + "\n" for t in topics))

    def calls(self) -> list[list[str]]:
        log = self.home / "calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def changes(self) -> list[list[str]]:
        """The calls that change something: the tools' arguments after the connection options."""
        result = []
        for call in self.calls():
            if "--describe" in call or call[0] == "kafka-broker-api-versions.sh":
                continue
            args = call[1:]
            while args and args[0] in ("--bootstrap-server", "--command-config"):
                args = args[2:]
            result.append([call[0], *args])
        return result

    def run(self, record: bool = True) -> subprocess.CompletedProcess:
        (self.home / "calls.jsonl").unlink(missing_ok=True)
        shell = [BUSYBOX, "sh"] if self.shell == "busybox" else ["/bin/sh"]
        env = {"PATH": self.path, "KAFKA_HOME": str(self.home), "KAFKAC_BOOTSTRAP_SERVERS": "broker:9091",
               "KAFKAC_TOPICS_DIR": str(self.topics_dir), "KAFKAC_WORK_DIR": str(self.work),
               "KAFKAC_TOPICS_SHARDS": str(self.shards), "KAFKAC_CLIENT_DIR": str(self.client),
               "KAFKAC_CLIENT_PROPERTIES": "security.protocol=PLAINTEXT\n", "KAFKAC_PARALLELISM": "2",
               "KAFKAC_WAIT_SECONDS": "30", "KAFKAC_MAX_REPLICAS": "1", **self.env}
        done = subprocess.run([*shell, str(SYNC)], env=env, capture_output=True, text=True, timeout=120)
        if record and done.returncode == 0:  # what the record step stores, read back on the next run
            for i in range(self.shards):
                folder = self.topics_dir / "state" / str(i)
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copy(self.work / f"state-{i}.jsonl", folder / "state.jsonl")
        return done

    def record(self, shard: int = 0) -> list[dict]:
        return [json.loads(line) for line in (self.work / f"state-{shard}.jsonl").read_text().splitlines()]

    def status(self) -> str:
        return (self.work / "status").read_text().strip()


def report(done: subprocess.CompletedProcess) -> dict:
    (line,) = [m for m in messages(done.stdout, "kafkac-topics") if m.startswith('{"report":')]
    return json.loads(line)


def lines(done: subprocess.CompletedProcess) -> list[str]:
    """The report for a person: the sync step's messages on stdout, every line of which is an event."""
    return [m for m in (e["message"] for e in events(done.stdout)) if not m.startswith('{"report":')]


@pytest.fixture(params=SHELLS)
def job(request, tmp_path) -> Job:
    return Job(tmp_path, request.param)


def test_creates_the_topics_then_a_second_run_changes_nothing(job):
    job.spec([topic("orders", 6, 3, retention_ms="604800000", cleanup_policy="compact,delete"),
              topic("users.v1", 2, 2)])
    first = job.run()
    assert first.returncode == 0, first.stderr
    assert sorted(job.changes()) == [
        ["kafka-topics.sh", "--create", "--topic", "orders", "--partitions", "6", "--replication-factor", "3",
         "--config", "retention.ms=604800000", "--config", "cleanup.policy=compact,delete"],
        ["kafka-topics.sh", "--create", "--topic", "users.v1", "--partitions", "2", "--replication-factor", "2"],
    ]
    assert job.load_cluster()["topics"]["orders"]["configs"] == {"retention.ms": "604800000",
                                                                 "cleanup.policy": "compact,delete"}
    assert report(first)["created"] == ["orders", "users.v1"] and job.status() == "ok"
    assert "topic orders: created with 6 partitions of 3 replicas and 2 config options" in lines(first)
    assert [r["name"] for r in job.record()] == ["orders", "users.v1"]

    second = job.run()
    assert second.returncode == 0, second.stderr
    assert job.changes() == []
    assert lines(second)[-1] == "2 topics: nothing to change, Kafka matches the spec"
    assert report(second) == {"report": "kafkac-topics", "status": "ok", "topics": 2, "created": [],
                              "updated": [], "unchanged": 2, "changes": [], "kept": [], "conflicts": [],
                              "refused": [], "failed": []}


def test_three_way_comparison_per_option(job):
    job.spec([topic("t", 1, 1, a_ms="1", b_ms="1", c_ms="1", d_ms="1", e_ms="1")])
    assert job.run().returncode == 0
    configs = job.load_cluster()["topics"]["t"]["configs"]
    configs.update({"b.ms": "20", "d.ms": "40", "x.ms": "90"})  # changed in Kafka
    del configs["e.ms"]  # removed in Kafka
    job.save_cluster()
    # a: spec changes it; b: Kafka changed it, spec did not; c: spec removes it;
    # d: both changed it (conflict); e: removed in Kafka; x: only in Kafka; f: new in the spec.
    job.spec([topic("t", 1, 1, a_ms="2", b_ms="1", d_ms="4", e_ms="1", f_ms="6")])
    done = job.run()
    assert done.returncode == 0, done.stderr
    assert job.changes() == [["kafka-configs.sh", "--alter", "--entity-type", "topics", "--entity-name", "t",
                              "--add-config-file", f"{job.work}/actions/1.add", "--delete-config", "c.ms"]]
    assert job.load_cluster()["topics"]["t"]["configs"] == {
        "a.ms": "2", "b.ms": "20", "d.ms": "4", "x.ms": "90", "f.ms": "6"}
    result = report(done)
    assert result["changes"] == [
        {"topic": "t", "setting": "a.ms", "from": "1", "to": "2"},
        {"topic": "t", "setting": "f.ms", "from": None, "to": "6"},
        {"topic": "t", "setting": "c.ms", "from": "1", "to": None}]
    assert result["conflicts"] == [{"topic": "t", "setting": "d.ms", "spec": "4", "lastApplied": "1",
                                    "kafka": "40"}]
    assert result["kept"] == [
        {"topic": "t", "setting": "b.ms", "spec": "1", "lastApplied": "1", "kafka": "20"},
        {"topic": "t", "setting": "e.ms", "spec": "1", "lastApplied": "1", "kafka": None},
        {"topic": "t", "setting": "x.ms", "spec": None, "lastApplied": None, "kafka": "90"}]
    assert result["updated"] == ["t"] and result["status"] == "ok"
    assert lines(done)[-1] == "1 topic: 0 created, 1 updated, 0 unchanged, 0 failed; " \
                              "3 changes made in Kafka kept; 1 conflict resolved from the spec"
    assert "topic t: KEPT: x.ms was set in Kafka to 90 and is not in the spec: the change made in Kafka is kept " \
           "(change the spec to take it over)" in lines(done)
    assert "topic t: CONFLICT on d.ms: Kafka had 40, the last applied value was 1 and the spec changed it to 4: " \
           "the spec was applied" in lines(done)
    assert job.record()[0]["config"] == {"a.ms": "2", "b.ms": "1", "d.ms": "4", "e.ms": "1", "f.ms": "6"}
    # What was kept stays kept: the next run applies nothing and reports it again.
    again = job.run()
    assert job.changes() == [] and len(report(again)["kept"]) == 3


def test_a_topic_already_in_kafka_is_taken_over(job):
    job.cluster["topics"]["legacy.events"] = {"partitions": 3, "replicas": 2,
                                              "configs": {"retention.ms": "100", "segment.ms": "5"}}
    job.save_cluster()
    job.spec([topic("legacy.events", 6, 2, retention_ms="100", cleanup_policy="compact")])
    done = job.run()
    assert done.returncode == 0, done.stderr
    # Raised with the name as kafka-topics.sh --alter reads it: a regular expression.
    assert job.changes()[0] == ["kafka-topics.sh", "--alter", "--topic", "legacy\\.events", "--partitions", "6"]
    assert job.load_cluster()["topics"]["legacy.events"] == {
        "partitions": 6, "replicas": 2, "configs": {"retention.ms": "100", "segment.ms": "5",
                                                    "cleanup.policy": "compact"}}
    result = report(done)
    assert result["kept"] == [{"topic": "legacy.events", "setting": "segment.ms", "spec": None,
                               "lastApplied": None, "kafka": "5"}]
    assert result["conflicts"] == []


def test_what_kafka_cannot_do_is_refused_and_the_rest_applied(job):
    job.spec([topic("a", 6, 3), topic("b", 2, 2, retention_ms="1")])
    assert job.run().returncode == 0
    job.spec([topic("a", 4, 2), topic("b", 2, 2, retention_ms="2")])
    done = job.run()
    assert done.returncode == 0, done.stderr
    assert job.status() == "refused"
    assert job.changes() == [["kafka-configs.sh", "--alter", "--entity-type", "topics", "--entity-name", "b",
                              "--add-config-file", f"{job.work}/actions/1.add"]]
    assert report(done)["refused"] == [{"topic": "a", "setting": "partitions", "spec": 4, "kafka": 6},
                                       {"topic": "a", "setting": "replicas", "spec": 2, "kafka": 3}]
    assert "topic a: REFUSED: Kafka cannot lower the number of partitions (it has 6, the spec says 4); " \
           "set spec.partitions to 6 or more" in lines(done)
    # The record keeps what was applied, so the refusal stands until the spec changes.
    assert [(r["name"], r["partitions"], r["replicas"]) for r in job.record()] == [("a", 6, 3), ("b", 2, 2)]
    assert job.run().returncode == 0 and job.status() == "refused"
    job.spec([topic("a", 8, 3), topic("b", 2, 2, retention_ms="2")])
    assert job.run().returncode == 0 and job.status() == "ok"
    assert job.load_cluster()["topics"]["a"]["partitions"] == 8


def test_partitions_raised_in_kafka_are_kept(job):
    job.spec([topic("a", 2, 1)])
    assert job.run().returncode == 0
    job.cluster = job.load_cluster()
    job.cluster["topics"]["a"]["partitions"] = 5
    job.save_cluster()
    done = job.run()
    assert job.changes() == [] and job.status() == "ok"
    assert report(done)["kept"] == [{"topic": "a", "setting": "partitions", "spec": 2, "lastApplied": 2,
                                     "kafka": 5}]


def test_a_failed_change_keeps_the_old_record_and_fails_the_run(job):
    job.spec([topic("a", 1, 1, retention_ms="1"), topic("b", 1, 1)])
    assert job.run().returncode == 0
    job.cluster = job.load_cluster()
    job.cluster["fail"] = {"a": "PolicyViolationException: retention.ms is too short for this cluster"}
    job.save_cluster()
    job.spec([topic("a", 1, 1, retention_ms="2"), topic("b", 1, 1, retention_ms="3"), topic("c", 1, 1)])
    done = job.run()
    assert done.returncode == 0, done.stderr
    assert job.status() == "failed"
    assert report(done)["failed"] == [{"topic": "a", "error": "PolicyViolationException: retention.ms is too "
                                                              "short for this cluster"}]
    assert "topic a: FAILED: PolicyViolationException: retention.ms is too short for this cluster" in lines(done)
    assert "\tat org.apache" not in done.stdout  # the tool's output is shown without its stack trace
    assert [r["config"] for r in job.record()] == [{"retention.ms": "1"}, {"retention.ms": "3"}, {}]


def test_values_are_data(job):
    # Printable ASCII that a shell, awk, sed or a properties file would read as syntax.
    tricky = {"q.ms": 'a"b', "b.ms": "back\\slash", "e.ms": "a=b", "d.ms": "$(touch pwned)", "s.ms": " x",
              "g.ms": "*.[a]?", "n.ms": ""}
    job.spec([topic("tricky", 1, 1, **{k.replace(".", "_"): v for k, v in tricky.items()})])
    done = job.run()
    assert done.returncode == 0, done.stderr
    assert job.load_cluster()["topics"]["tricky"]["configs"] == tricky
    (create, alter) = job.changes()
    # Values kafka-topics.sh would split at "=", trim, or cannot take go through a properties file.
    assert create[-8:] == ["--config", 'q.ms=a"b', "--config", "b.ms=back\\slash",
                           "--config", "d.ms=$(touch pwned)", "--config", "g.ms=*.[a]?"]
    assert (job.work / "actions" / "1.add").read_text() == "e.ms=a=b\ns.ms=\\ x\nn.ms=\n"
    assert not any(job.root.rglob("pwned")) and not Path("pwned").exists()
    assert job.record()[0]["config"] == tricky
    assert job.run().returncode == 0 and job.changes() == []
    # A value changed in Kafka to something odd is reported as JSON, escaped.
    job.cluster = job.load_cluster()
    job.cluster["topics"]["tricky"]["configs"]["q.ms"] = 'tab\there "quoted" \\'
    job.save_cluster()
    done = job.run()
    assert report(done)["kept"][0]["kafka"] == 'tab\there "quoted" \\'


def test_each_shard_keeps_its_own_record(job):
    job.spec([topic("a"), topic("b")], [topic("c")])
    done = job.run()
    assert done.returncode == 0, done.stderr
    assert [r["name"] for r in job.record(0)] == ["a", "b"]
    assert [r["name"] for r in job.record(1)] == ["c"]
    # A topic that moves to another shard keeps its record (read from every shard).
    job.cluster = job.load_cluster()
    job.cluster["topics"]["c"]["configs"]["x.ms"] = "1"
    job.save_cluster()
    job.spec([topic("a"), topic("b"), topic("c")], [topic("d")])
    done = job.run()
    assert report(done)["created"] == ["d"]
    assert report(done)["kept"] == [{"topic": "c", "setting": "x.ms", "spec": None, "lastApplied": None,
                                     "kafka": "1"}]
    assert [r["name"] for r in job.record(0)] == ["a", "b", "c"]


def test_a_broken_spec_line_stops_the_job_before_any_change(job):
    job.spec([topic("a")])
    (job.topics_dir / "spec" / "0" / "topics.jsonl").write_text('{"name":"a","partitions":1}\n')
    done = job.run()
    assert done.returncode != 0
    assert "topics.jsonl:1: not a topic line as kafkac writes them" in done.stderr
    assert job.changes() == []


def test_waits_with_backoff_until_the_brokers_are_unfenced(job):
    job.cluster["fenced_calls"] = 2
    job.save_cluster()
    job.spec([topic("a", 1, 3)])
    job.env = {"KAFKAC_MAX_REPLICAS": "3"}
    done = job.run()
    assert done.returncode == 0, done.stderr
    assert lines(done)[:3] == [
        "waiting for the cluster (0 of the 3 brokers the topics need are registered and unfenced); next try in 2s",
        "waiting for the cluster (0 of the 3 brokers the topics need are registered and unfenced); next try in 4s",
        "the cluster answers, with 3 brokers registered and unfenced"]
    assert report(done)["created"] == ["a"]


def test_waits_for_enough_brokers_then_fails_with_the_reason(job):
    job.cluster["brokers"], job.cluster["fenced"] = 3, 2
    job.save_cluster()
    job.spec([topic("a", 1, 3)])
    job.env = {"KAFKAC_MAX_REPLICAS": "3", "KAFKAC_WAIT_SECONDS": "1"}
    done = job.run()
    assert done.returncode == 1
    assert "the cluster did not get ready in 1s: 1 of the 3 brokers the topics need are registered and " \
           "unfenced" in done.stderr
    job.cluster["down"] = True
    job.save_cluster()
    done = job.run()
    assert "TimeoutException: Timed out waiting for a node assignment" in done.stderr


def test_key_store_password_goes_into_the_client_file_only(job, tmp_path):
    password = tmp_path / "node.password"
    password.write_text("pa\\ss=word\n")
    job.env = {"KAFKAC_CLIENT_KEY_STORE_PASSWORD_FILE": str(password),
               "KAFKAC_CLIENT_PROPERTIES": "security.protocol=SSL\nssl.keystore.type=PKCS12\n"}
    job.spec([topic("a")])
    done = job.run()
    assert done.returncode == 0, done.stderr
    client = (job.client / "client.properties").read_text()
    assert "ssl.keystore.password=pa\\\\ss=word\nssl.key.password=pa\\\\ss=word\n" in client
    assert oct((job.client / "client.properties").stat().st_mode & 0o777) == "0o600"
    assert "pa\\ss" not in done.stdout + done.stderr


# --- the same programs from a workstation: compiler/topics_sync.py -----------------------------

def random_state(rng, name: str) -> TopicState:
    keys = rng.sample(["a.ms", "b.ms", "c.ms", "d.ms"], rng.randint(0, 3))
    return TopicState(name, rng.randint(1, 4), rng.randint(1, 3), {k: rng.choice(["1", "2", ""]) for k in keys})


@pytest.mark.parametrize("seed", range(12))
def test_kafkac_topics_diff_reports_what_the_job_does(tmp_path, seed):
    """Random spec, record and Kafka: `kafkac topics diff` reports what the Job does."""
    rng = random.Random(seed)
    job = Job(tmp_path, "system")
    names = [f"t{i}" for i in range(4)]
    spec = [random_state(rng, name) for name in names]
    record = {n: random_state(rng, n) for n in names if rng.random() < 0.6}
    live = {n: random_state(rng, n) for n in names if rng.random() < 0.7}
    job.spec([topic(s.name, s.partitions, s.replicas, **{k.replace(".", "_"): v for k, v in s.config.items()})
              for s in spec])
    folder = job.topics_dir / "state" / "0"
    folder.mkdir(parents=True)
    (folder / "state.jsonl").write_text("".join(
        json.dumps({"name": r.name, "partitions": r.partitions, "replicas": r.replicas, "config": r.config}) + "\n"
        for r in record.values()))
    job.cluster["topics"] = {n: {"partitions": t.partitions, "replicas": t.replicas, "configs": dict(t.config)}
                             for n, t in live.items()}
    job.save_cluster()
    done = job.run(record=False)
    assert done.returncode == 0, done.stderr
    diff = compare(spec, [folder / "state.jsonl"], live.values())
    assert diff.json == report(done)
    assert diff.lines == lines(done)[1:]
    assert diff.differs == (lines(done)[-1] != "4 topics: nothing to change, Kafka matches the spec")


def test_kafkac_topics_diff_names_a_record_line_it_cannot_read(tmp_path):
    record = tmp_path / "state.jsonl"
    record.write_text('{"name":"a","partitions":1,"replicas":1,"config":{}}\n{"name":"b"}\n')
    with pytest.raises(CompareError, match=f"^{record}:2: not a topic line as kafkac writes them$"):
        compare([TopicState("a", 1, 1)], [record], [])
