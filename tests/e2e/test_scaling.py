"""Scaling with the data moving by itself, on real brokers: the chart's rebalance Jobs.

The cluster (scaling-spec/: one controller, a pool of five brokers) boots once with three of
its brokers running, as the chart at three replicas would have it. The tests then do what
`helm upgrade` does, in file order, as the life of one cluster: brokers 3 and 4 start and the
post-upgrade Job spreads replicas and leaders onto them; the chart goes back to three and the
pre-upgrade drain Job, stopped mid-move and started again, empties brokers 3 and 4 before
their pods stop; a chart of two brokers is refused, since a topic has three replicas, and
changes nothing. A producer at acks=all and a consumer run from the moment brokers 3 and 4
are ready to the end, and no acknowledged record may be lost. What moved is checked with Kafka's own answers (the Admin API, a broker's
tools), never with the Job's log alone. The figures (partitions moved, time, records) are
printed at the end.
"""

from __future__ import annotations

import re
import contextlib
import io
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from compiler import cli, tools
from compiler.verify import render

from ..util import documents
from . import clients, kafka_tools, podrunner, topicjob
from ..kube.api_namespace import ApiNamespace
from .conftest import NAMESPACE, _stopped_on_sigterm, compile_example, issue_certificates, resolving, set_values

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).resolve().parent / "scaling-spec"
PLAIN = 9092
EXIT_REFUSED = 3
BROKERS_LINE = "replicas: 5  # brokers"
# Slow enough that a drain of a few MiB is still moving when the test stops its Job.
THROTTLE = 100 * 1024
JOB_TIMEOUT = 600.0
TOPICS = {"events": (12, 3), "bulk": (6, 2)}


class Traffic:
    """A producer at acks=all and a consumer in a group, running until stopped."""

    def __init__(self, bootstrap: str, topic: str, **config):
        self.bootstrap, self.topic, self.config = bootstrap, topic, config
        self.acked: set[bytes] = set()
        self.failed = 0
        self.seen: set[bytes] = set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._produce, daemon=True),
                         threading.Thread(target=self._consume, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _produce(self) -> None:
        producer = clients.KafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=5,
                                         retries=1000, max_block_ms=60000, **clients.CLIENT_TIMEOUTS, **self.config)

        def acked(value):
            def record(_):
                with self._lock:
                    self.acked.add(value)
            return record

        def failed(_):
            with self._lock:
                self.failed += 1

        number = 0
        try:
            while not self._stop.is_set():
                value = f"record-{number}".encode()
                producer.send(self.topic, value=value).add_callback(acked(value)).add_errback(failed)
                number += 1
                time.sleep(0.05)
            producer.flush(120)
        finally:
            producer.close(timeout=30)

    def _consume(self) -> None:
        consumer = clients.KafkaConsumer(self.topic, bootstrap_servers=self.bootstrap, group_id="scaling-traffic",
                                         auto_offset_reset="earliest", **clients.CLIENT_TIMEOUTS, **self.config)
        try:
            while not self._stop.is_set():
                for records in consumer.poll(timeout_ms=500).values():
                    self.seen.update(record.value for record in records)
        finally:
            consumer.close()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(180)


class Deployment:
    """The running cluster, the charts of each broker count, and the Jobs `helm upgrade` runs."""

    def __init__(self, cluster: podrunner.LocalCluster, work: Path):
        self.cluster = cluster
        self.work = work
        self.figures: dict[str, dict] = {}
        self.traffic: Traffic | None = None
        # What `kafkac check --bootstrap` said the drain Job would move: partition -> its replicas after.
        self.planned: dict[str, str] = {}
        self._charts: dict[int, list[dict]] = {}

    def manifests(self, brokers: int) -> list[dict]:
        """What the chart with `brokers` brokers renders (the Jobs throttled to THROTTLE)."""
        if brokers not in self._charts:
            specs = self.work / f"specs-{brokers}"
            shutil.copytree(SPEC, specs)
            pools = specs / "kafka.yaml"
            pools.write_text(pools.read_text().replace(BROKERS_LINE, f"replicas: {brokers}"))
            chart = compile_example(str(specs), self.work / f"chart-{brokers}")
            set_values(chart / "values.yaml", {"rebalance.throttleBytesPerSecond": THROTTLE})
            self._charts[brokers] = documents(render(chart, tools.DEFAULT_KUBE_VERSIONS[-1], self.cluster.release,
                                                     NAMESPACE))
        return self._charts[brokers]

    def run_job(self, brokers: int, name: str, stop_on: str | None = None) -> tuple[int, str]:
        """Run the Job `name` of the chart with `brokers` brokers to its end (or, with `stop_on`,
        kill it once its log has that text): its exit code and log."""
        manifests = self.manifests(brokers)
        job = next(m for m in manifests if m.get("kind") == "Job" and m["metadata"]["name"] == name)
        spec = job["spec"]["template"]["spec"]
        self.cluster.config_maps.update({m["metadata"]["name"]: m for m in manifests if m.get("kind") == "ConfigMap"})
        empty_dirs = [v["name"] for v in spec["volumes"] if "emptyDir" in v]
        address = f"{next(iter(self.cluster.pods.values())).address.rsplit('.', 1)[0]}.{topicjob.JOB_POD_ADDRESS}"
        pod = topicjob._container_pod(self.cluster, spec, spec["containers"][0], name, address, empty_dirs,
                                      kubectl=False)
        log_file = self.work / f"{name}-{time.monotonic_ns()}.log"
        self.cluster.create_pod(pod)
        try:
            with log_file.open("wb") as log:
                process = self.cluster._spawn(self.cluster._in_pod(pod, spec["containers"][0]["command"]), log)
                deadline = time.monotonic() + JOB_TIMEOUT
                while process.poll() is None and time.monotonic() < deadline:
                    if stop_on and stop_on in log_file.read_text(errors="replace"):
                        break
                    time.sleep(0.5)
                if process.poll() is None:
                    self.cluster._kill_group(process)
                process.wait()
            return process.returncode, log_file.read_text(errors="replace")
        finally:
            self.cluster.delete_pod(pod, grace=0)
            for volume in empty_dirs:
                shutil.rmtree(topicjob._claims_dir(self.cluster) / f"{volume}-{name}", ignore_errors=True)

    def kafka_tool(self, *args: str) -> str:
        """A Kafka tool in broker 0's pod, on its plain listener, as `kubectl exec` would run it."""
        return kafka_tools.on_plain_listener(self.cluster, self.cluster.pods["scaling-brokers-0"], PLAIN, *args)

    def sizes(self) -> dict[str, int]:
        """Each partition's largest replica in bytes, as kafka-log-dirs.sh reports them."""
        answer = json.loads(next(line for line in self.kafka_tool("kafka-log-dirs.sh", "--describe").splitlines()
                                 if line.startswith("{")))
        sizes: dict[str, int] = {}
        for broker in answer["brokers"]:
            for log_dir in broker["logDirs"]:
                for replica in log_dir["partitions"]:
                    sizes[replica["partition"]] = max(sizes.get(replica["partition"], 0), replica["size"])
        return sizes

    def partitions(self) -> list[tuple[str, dict]]:
        """Every partition of every topic (the consumer group's __consumer_offsets too)."""
        admin = clients.admin(self.bootstrap)
        try:
            topics = admin.describe_topics(sorted(admin.list_topics()))
        finally:
            admin.close()
        return [(t.get("name", t.get("topic")), p) for t in topics for p in t["partitions"]]

    def assignment(self) -> dict[tuple[str, int], list[int]]:
        """Each partition's replicas, the preferred leader first."""
        return {(topic, p["partition_index"]): list(p["replica_nodes"]) for topic, p in self.partitions()}

    def leaders(self) -> dict[tuple[str, int], int]:
        return {(topic, p["partition_index"]): p["leader_id"] for topic, p in self.partitions()}

    @property
    def bootstrap(self) -> str:
        return ",".join(f"{pod.address}:{PLAIN}" for pod in self.running_brokers())

    def running_brokers(self) -> list[podrunner.Pod]:
        return [pod for pod in self.cluster.brokers if pod.running]


def _moves(log: str) -> list[int]:
    return [int(n) for n in re.findall(r": moves=(\d+) ", log)]


def _kafkac(*args: str) -> subprocess.CompletedProcess:
    stdout, stderr = io.StringIO(), io.StringIO()
    argv, sys.argv = sys.argv, ["kafkac", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            cli.main()
    except SystemExit as exit_:
        code = exit_.code
    finally:
        sys.argv = argv
    return subprocess.CompletedProcess(args, code, stdout.getvalue(), stderr.getvalue())


def _drain_proposal(log: str) -> dict[str, str]:
    """The drain Job's proposal lines: partition -> its replicas after the move."""
    return dict(re.findall(r"drain:\s+(\S+): [\d,]+ -> ([\d,]+)", log))


@pytest.fixture(scope="module")
def deployment(e2e, tmp_path_factory):
    work = tmp_path_factory.mktemp("scaling")
    chart = compile_example(str(SPEC), work / "chart-boot")
    # The chart's namespace in the tests' API server, held while the cluster runs (as boot() does).
    with ApiNamespace.created(e2e.plane, NAMESPACE) as api:
        cluster = podrunner.LocalCluster(
            chart, work / "run", kafka_home=e2e.kafka_home("4.3.1"), shim=e2e.shim, java_home=e2e.java_home,
            namespace=NAMESPACE, secrets=issue_certificates(chart, e2e, api=api),
            address_prefix=e2e.slot.address_prefix(21), registry=e2e.slot.registry, api=api)
        # The chart at three brokers: the controller and brokers 0-2.
        first = [cluster.pods[name] for name in ("scaling-controller-10", "scaling-brokers-0",
                                                 "scaling-brokers-1", "scaling-brokers-2")]
        with _stopped_on_sigterm():
            try:
                with resolving(cluster):
                    cluster.start(first)
                    cluster.wait_ready(first, timeout=420)
                    deployment = Deployment(cluster, work)
                    for topic, (partitions, replicas) in TOPICS.items():
                        clients.create_topic(deployment.bootstrap, topic, partitions, replicas)
                    # The consumer offsets topic, before brokers 3 and 4 join, as a cluster that ran a while
                    # has it.
                    clients.commit_offsets(deployment.bootstrap, "scaling-setup", "events", {0: 0})
                    # A few MiB, so that a throttled move takes a while.
                    clients.produce(deployment.bootstrap, "bulk", [bytes([n % 251]) * 4096 for n in range(1500)])
                    yield deployment
                    if deployment.traffic is not None:
                        deployment.traffic.stop()
                    print("\nscaling figures:", deployment.figures)
            finally:
                cluster.close()


def test_a_scale_up_puts_replicas_and_leaders_on_the_new_brokers(deployment):
    cluster = deployment.cluster
    added = [cluster.pods["scaling-brokers-3"], cluster.pods["scaling-brokers-4"]]
    assert all(3 not in replicas and 4 not in replicas for replicas in deployment.assignment().values())
    cluster.start(added)
    cluster.wait_ready(added, timeout=420)
    # From here on, through the scale-up, the scale-down and the refusal (started once the new
    # brokers are ready: their readiness probes start JVMs, which the clients would starve).
    deployment.traffic = Traffic(deployment.bootstrap, "events")
    started = time.monotonic()
    code, log = deployment.run_job(5, "scaling-kafka-rebalance")
    assert code == 0, log
    after = deployment.assignment()
    counts = {b: sum(b in replicas for replicas in after.values()) for b in range(5)}
    share = sum(counts.values()) // 5
    assert min(counts[3], counts[4]) >= share - 1 and max(counts.values()) - min(counts.values()) <= 2, counts
    preferred = {b: sum(replicas[0] == b for replicas in after.values()) for b in range(5)}
    assert min(preferred[3], preferred[4]) >= len(after) // 5 - 1, preferred
    leaders = deployment.leaders()
    assert sum(leader in (3, 4) for leader in leaders.values()) >= 2 * (len(after) // 5 - 1), leaders
    assert "scale-up: started, replication throttled" in log and "preferred leaders elected" in log
    deployment.figures["scale-up 3 -> 5"] = {"partitions moved": _moves(log)[-1],
                                              "seconds": round(time.monotonic() - started)}
    # A second run finds no broker that holds nothing.
    code, log = deployment.run_job(5, "scaling-kafka-rebalance")
    assert code == 0 and "scale-up: every broker holds its share, nothing to move" in log, log
    assert deployment.assignment() == after


def test_check_with_a_bootstrap_address_prints_what_the_drain_will_move(deployment):
    """`kafkac check --base --bootstrap` on the scale-down to come: the partitions on brokers 3 and 4
    and their sizes, as Kafka reports them."""
    deployment.manifests(3)
    # In this process, where the brokers' advertised names resolve (as in a pod of the cluster).
    done = _kafkac("check", str(deployment.work / "specs-3"), "--base", str(deployment.work / "specs-5"),
                   "--bootstrap", deployment.bootstrap)
    assert done.returncode == 0, done.stdout + done.stderr
    sizes = deployment.sizes()
    before = {f"{topic}-{partition}": ",".join(map(str, replicas))
              for (topic, partition), replicas in deployment.assignment().items()}
    printed = re.findall(r"^    (\S+): ([\d,]+) -> ([\d,]+) \((\d+) bytes\)$", done.stdout, re.MULTILINE)
    assert {name for name, *_ in printed} == {name for name, replicas in before.items()
                                              if {"3", "4"} & set(replicas.split(","))}, done.stdout
    for name, old, new, size in printed:
        assert old == before[name], (name, done.stdout)
        assert set(new.split(",")) <= {"0", "1", "2"} and len(set(new.split(","))) == len(old.split(","))
        # bulk takes no records any more; events only grew since check read it (the consumer
        # offsets' partitions may have been compacted since: only their presence is compared).
        if name.startswith("bulk-"):
            assert int(size) == sizes[name], (name, sizes[name], done.stdout)
        elif name.startswith("events-"):
            assert int(size) <= sizes[name], (name, sizes[name], done.stdout)
    assert "after the upgrade, the rebalance Job moves nothing" in done.stdout, done.stdout
    total = sum(int(size) for *_, size in printed)
    assert f"  total: {len(printed)} partition moves, {total} bytes" in done.stdout, done.stdout
    assert total > 0, done.stdout
    deployment.planned = {name: new for name, _, new, _ in printed}


def test_a_scale_down_drains_the_brokers_before_they_go_and_a_restarted_job_resumes(deployment):
    cluster = deployment.cluster
    started = time.monotonic()
    code, log = deployment.run_job(3, "scaling-kafka-drain", stop_on="drain: started, replication throttled")
    assert code != 0 and "drain: started" in log, log
    if deployment.planned:  # what `kafkac check --bootstrap` printed is what the Job moves
        assert _drain_proposal(log) == deployment.planned, log
    moved = _moves(log)[-1]
    listed = deployment.kafka_tool("kafka-reassign-partitions.sh", "--list")
    assert "Current partition reassignments" in listed, listed
    # The Job again, as Kubernetes restarts it: it waits for the move in progress, then finds nothing left.
    code, log = deployment.run_job(3, "scaling-kafka-drain")
    assert code == 0, log
    assert "a reassignment is in progress (a previous run stopped)" in log
    assert "the reassignment in progress: complete" in log
    assert "drain: no broker to empty" in log
    after = deployment.assignment()
    assert all(set(replicas) <= {0, 1, 2} for replicas in after.values()), after
    assert "No partition reassignments found" in deployment.kafka_tool("kafka-reassign-partitions.sh", "--list")
    for broker in (0, 1, 2):
        configs = deployment.kafka_tool("kafka-configs.sh", "--describe", "--entity-type", "brokers",
                                        "--entity-name", str(broker))
        assert "throttled.rate" not in configs, configs
    # Only now does the StatefulSet shrink.
    for name in ("scaling-brokers-4", "scaling-brokers-3"):
        cluster.stop_container(cluster.pods[name])
    clients.wait_for_leaders(deployment.bootstrap, "events", 12)
    deployment.figures["scale-down 5 -> 3"] = {"partitions moved": moved,
                                                "seconds": round(time.monotonic() - started)}


def test_a_scale_down_below_a_topics_replicas_is_refused_and_changes_nothing(deployment):
    before = deployment.assignment()
    started = time.monotonic()
    code, log = deployment.run_job(2, "scaling-kafka-drain")
    assert code == EXIT_REFUSED, log
    assert "topic events cannot move: replication factor 3 is above the 2 brokers that remain" in log
    assert "refused, nothing was moved" in log
    assert deployment.assignment() == before
    deployment.figures["scale-down 3 -> 2 (refused)"] = {"partitions moved": 0,
                                                          "seconds": round(time.monotonic() - started)}


def test_no_acknowledged_record_was_lost(deployment):
    traffic = deployment.traffic
    time.sleep(3)
    traffic.stop()
    stored = set(clients.consume_all(deployment.bootstrap, "events", timeout=300))
    lost = traffic.acked - stored
    assert traffic.acked and not lost, f"{len(lost)} of {len(traffic.acked)} acknowledged records lost"
    assert traffic.acked <= traffic.seen | stored
    deployment.figures["records"] = {"produced (acknowledged)": len(traffic.acked), "lost": len(lost),
                                     "send failures": traffic.failed, "consumed live": len(traffic.seen)}
