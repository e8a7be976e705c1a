"""examples/quickstart, run for real: one node that is both controller and broker."""

from __future__ import annotations

import pytest

from . import clients
from .conftest import assert_within_size_limits, boot

pytestmark = pytest.mark.e2e

PLAIN = 9092


@pytest.fixture(scope="module")
def quickstart(e2e, tmp_path_factory):
    with boot("quickstart", e2e, tmp_path_factory.mktemp("quickstart"), address_block=1) as cluster:
        yield cluster


def test_quickstart_writes_and_reads_back_1000_records(quickstart):
    bootstrap = quickstart.bootstrap(PLAIN)
    clients.create_topic(bootstrap, "quickstart-records", partitions=3, replication_factor=1)
    sent = [f"record-{i}".encode() for i in range(1000)]

    clients.produce(bootstrap, "quickstart-records", sent)
    received = clients.consume_all(bootstrap, "quickstart-records")

    assert len(received) == 1000
    assert sorted(received) == sorted(sent)
    assert_within_size_limits(quickstart)


def test_restarted_node_keeps_its_storage(quickstart):
    """A container restart in the same pod finds its data directory and does not format it again."""
    (pod,) = quickstart.pods.values()
    bootstrap = quickstart.bootstrap(PLAIN)
    data_dir = quickstart.host_path(pod, "/var/lib/kafka/data") / f"kafka-log{pod.ordinal}"
    meta_before = (data_dir / "meta.properties").read_text()
    assert "Formatting" in pod.log_text(0), "the first start did not format the empty data directory"
    clients.create_topic(bootstrap, "quickstart-kept", partitions=1, replication_factor=1)
    sent = [f"kept-{i}".encode() for i in range(100)]
    clients.produce(bootstrap, "quickstart-kept", sent)

    quickstart.stop_container(pod)
    assert not quickstart.probe(pod).ok, "ready while the node is stopped"
    quickstart.start_container(pod)
    quickstart.wait_ready([pod], timeout=300)

    second_start = pod.log_text()
    assert "already formatted" in second_start
    assert "Formatting" not in second_start
    assert (data_dir / "meta.properties").read_text() == meta_before
    assert sorted(clients.consume_all(bootstrap, "quickstart-kept")) == sorted(sent)
