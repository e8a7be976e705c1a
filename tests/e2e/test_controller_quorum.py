"""A dynamic KRaft quorum on real nodes: controllers that join by themselves and the
post-upgrade Job that removes the ones a chart no longer has.

The cluster (quorum-spec/: kafkac.io/controller-quorum: dynamic, a controller pool, one broker)
boots once with three controllers, 10 to 12, as the chart at three replicas would have it:
controller 10 formats the quorum alone and 11 and 12 join it. The tests then do what
`helm upgrade` does, in file order: controllers 13 and 14 start and join the quorum by
themselves; the chart goes back to three, their pods stop, and the post-upgrade rebalance Job
removes them from the quorum. The voters are read with Kafka's own kafka-metadata-quorum
describe --status. A producer at acks=all runs from the first change to the end, and no
acknowledged record may be lost. The figures (time of each step, records) are printed at the end.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from compiler import tools
from compiler.verify import render

from ..util import documents
from . import clients, kafka_tools, podrunner
from .conftest import NAMESPACE, _stopped_on_sigterm, compile_example, issue_certificates, resolving
from .test_scaling import Deployment, Traffic

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).resolve().parent / "quorum-spec"
PLAIN = 9092
CONTROLLERS_LINE = "replicas: 5  # controllers"
JOIN_TIMEOUT = 180.0


class QuorumDeployment(Deployment):
    """The charts by controller count; the Kafka tools run in the broker's pod."""

    def manifests(self, controllers: int) -> list[dict]:
        if controllers not in self._charts:
            specs = self.work / f"specs-{controllers}"
            shutil.copytree(SPEC, specs)
            spec = specs / "kafka.yaml"
            spec.write_text(spec.read_text().replace(CONTROLLERS_LINE, f"replicas: {controllers}"))
            chart = compile_example(str(specs), self.work / f"chart-{controllers}")
            self._charts[controllers] = documents(render(chart, tools.DEFAULT_KUBE_VERSIONS[-1],
                                                         self.cluster.release, NAMESPACE))
        return self._charts[controllers]

    def kafka_tool(self, *args: str) -> str:
        return kafka_tools.on_plain_listener(self.cluster, self.cluster.pods["quorum-brokers-0"], PLAIN, *args)

    def voters(self) -> list[int]:
        """The quorum's voters, as the active controller lists them."""
        status = self.kafka_tool("kafka-metadata-quorum.sh", "describe", "--status")
        line = next(line for line in status.splitlines() if line.startswith("CurrentVoters:"))
        return sorted(int(n) for n in re.findall(r'"id": (\d+)', line))

    def wait_for_voters(self, expected: list[int], timeout: float = JOIN_TIMEOUT) -> list[int]:
        deadline = time.monotonic() + timeout
        while (voters := self.voters()) != expected and time.monotonic() < deadline:
            time.sleep(2)
        return voters


def _controllers(cluster: podrunner.LocalCluster, ids) -> list[podrunner.Pod]:
    return [cluster.pods[f"quorum-controller-{n}"] for n in ids]


@pytest.fixture(scope="module")
def deployment(e2e, tmp_path_factory):
    work = tmp_path_factory.mktemp("quorum")
    chart = compile_example(str(SPEC), work / "chart-boot")
    cluster = podrunner.LocalCluster(
        chart, work / "run", kafka_home=e2e.kafka_home("4.3.1"), shim=e2e.shim, java_home=e2e.java_home,
        namespace=NAMESPACE, secrets=issue_certificates(chart, e2e), address_prefix=e2e.slot.address_prefix(25),
        registry=e2e.slot.registry)
    # The chart at three controllers: 10-12 and the broker.
    first = [*_controllers(cluster, (10, 11, 12)), cluster.pods["quorum-brokers-0"]]
    with _stopped_on_sigterm():
        try:
            with resolving(cluster):
                started = time.monotonic()
                cluster.start(first)
                cluster.wait_ready(first, timeout=420)
                deployment = QuorumDeployment(cluster, work)
                deployment.figures["boot, 3 controllers"] = {"seconds": round(time.monotonic() - started)}
                clients.create_topic(deployment.bootstrap, "events", 3, 1)
                yield deployment
                if deployment.traffic is not None:
                    deployment.traffic.stop()
                print("\ncontroller quorum figures:", deployment.figures)
        finally:
            cluster.close()


def test_a_new_cluster_starts_its_quorum_from_the_lowest_controller(deployment):
    assert deployment.voters() == [10, 11, 12]
    log = "".join(path.read_text(errors="replace") for path in deployment.cluster.pods["quorum-controller-10"].logs)
    assert "starts the quorum alone" in log
    for joined in (11, 12):
        log = "".join(path.read_text(errors="replace")
                      for path in deployment.cluster.pods[f"quorum-controller-{joined}"].logs)
        assert "starts the quorum alone" not in log


def test_controllers_a_scale_up_adds_join_the_quorum_by_themselves(deployment):
    cluster = deployment.cluster
    deployment.traffic = Traffic(deployment.bootstrap, "events")
    started = time.monotonic()
    added = _controllers(cluster, (13, 14))
    cluster.start(added)
    cluster.wait_ready(added, timeout=420)
    assert deployment.wait_for_voters([10, 11, 12, 13, 14]) == [10, 11, 12, 13, 14]
    deployment.figures["scale-up 3 -> 5"] = {"seconds": round(time.monotonic() - started)}


def test_a_scale_down_removes_the_stopped_controllers_from_the_quorum(deployment):
    cluster = deployment.cluster
    started = time.monotonic()
    # Helm shrinks the StatefulSet, then runs the post-upgrade hook.
    for pod in _controllers(cluster, (14, 13)):
        cluster.stop_container(pod)
    code, log = deployment.run_job(3, "quorum-kafka-rebalance")
    assert code == 0, log
    assert "voter 13 (directory" in log and "voter 14 (directory" in log, log
    assert deployment.voters() == [10, 11, 12]
    assert "controllers: the quorum's voters are 10 11 12" in log
    deployment.figures["scale-down 5 -> 3"] = {"seconds": round(time.monotonic() - started)}
    # A second run finds nothing to remove.
    code, log = deployment.run_job(3, "quorum-kafka-rebalance")
    assert code == 0 and "removed from the quorum" not in log, log
    assert "controllers: the quorum's voters are 10 11 12" in log


def test_no_acknowledged_record_was_lost(deployment):
    traffic = deployment.traffic
    time.sleep(2)
    traffic.stop()
    stored = set(clients.consume_all(deployment.bootstrap, "events", timeout=300))
    lost = traffic.acked - stored
    assert traffic.acked and not lost, f"{len(lost)} of {len(traffic.acked)} acknowledged records lost"
    deployment.figures["records"] = {"produced (acknowledged)": len(traffic.acked), "lost": len(lost),
                                     "send failures": traffic.failed}
