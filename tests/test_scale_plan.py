"""`kafkac check --base --bootstrap`: what a change of the brokers moves, planned on what the live
cluster answers by the rebalance Jobs' own planner (compiler/scale_plan.py). The live cluster
itself: tests/e2e/test_scaling.py."""

from __future__ import annotations

import contextlib
import sys
import warnings
from pathlib import Path


from compiler import cli, scale_plan, topics_live
from compiler.pipeline import read_specs
from compiler.scale_plan import (LiveCluster, broker_changes, parse_brokers, parse_log_dirs, parse_topics,
                                 plan_change, read_cluster, report_lines)

SPEC = Path(__file__).resolve().parent / "e2e" / "scaling-spec" / "kafka.yaml"
BROKERS_LINE = "replicas: 5  # brokers"


def specs(tmp_path: Path, brokers: int) -> Path:
    folder = tmp_path / f"specs-{brokers}"
    folder.mkdir(exist_ok=True)
    (folder / "kafka.yaml").write_text(SPEC.read_text().replace(BROKERS_LINE, f"replicas: {brokers}"))
    return folder


def change(tmp_path: Path, base: int, head: int):
    (model, _), (base_model, _) = read_specs([str(specs(tmp_path, head))]), read_specs([str(specs(tmp_path, base))])
    return broker_changes(model, base_model)


# --- what kafka-python's admin client answers ------------------------------------------------

def test_log_dirs_give_each_partitions_largest_copy_and_skip_a_directory_with_an_error():
    answer = [
        {"broker": 0, "log_dirs": [
            {"error_code": 0, "log_dir": "/var/lib/kafka/data-0", "total_bytes": 1 << 30, "topics": [
                {"name": "orders", "partitions": [
                    {"partition_index": 0, "partition_size": 4096, "offset_lag": 0, "is_future_key": False},
                    {"partition_index": 1, "partition_size": 10, "offset_lag": 0, "is_future_key": False}]}]},
            {"error_code": 57, "log_dir": "/var/lib/kafka/data-1", "topics": [
                {"name": "orders", "partitions": [{"partition_index": 0, "partition_size": 999999}]}]}]},
        {"broker": 1, "log_dirs": [
            {"error_code": 0, "log_dir": "/var/lib/kafka/data-0", "topics": [
                {"name": "orders", "partitions": [
                    {"partition_index": 0, "partition_size": 4000, "offset_lag": 96, "is_future_key": False},
                    {"partition_index": 1, "partition_size": 12, "offset_lag": 0, "is_future_key": True}]},
                {"name": "my-topic-2", "partitions": [{"partition_index": 3, "partition_size": 0}]}]}]},
    ]
    assert parse_log_dirs(answer) == {"orders-0": 4096, "orders-1": 12, "my-topic-2-3": 0}


def test_fenced_brokers_do_not_answer_and_a_missing_rack_is_none():
    answer = {"brokers": [{"broker_id": 0, "host": "a", "port": 9092, "rack": "zone-a", "is_fenced": False},
                          {"broker_id": 1, "host": "b", "port": 9092, "rack": None, "is_fenced": False},
                          {"broker_id": 2, "host": "c", "port": 9092, "rack": None, "is_fenced": True}]}
    assert parse_brokers(answer) == {0: "zone-a", 1: None}


def test_partitions_keep_kafkas_replica_order_and_a_topic_with_an_error_is_left_out():
    answer = [{"error_code": 0, "name": "__consumer_offsets", "is_internal": True, "partitions": [
                  {"partition_index": 1, "replica_nodes": [2, 0, 1]},
                  {"partition_index": 0, "replica_nodes": [0, 1, 2]}]},
              {"error_code": 3, "name": "gone", "partitions": []}]
    assert parse_topics(answer) == {("__consumer_offsets", 1): (2, 0, 1), ("__consumer_offsets", 0): (0, 1, 2)}


# --- planning with the Job's planner ------------------------------------------------------------

def spread_over(brokers: int) -> dict[tuple[str, int], tuple[int, ...]]:
    return {(topic, p): tuple((p + i) % brokers for i in range(3)) for topic in ("events", "__consumer_offsets")
            for p in range(6)}


def test_a_scale_down_lists_each_partition_on_the_brokers_that_go_with_its_size(tmp_path):
    [scale_down] = change(tmp_path, 5, 3)
    assert (scale_down.removed, scale_down.added) == ((3, 4), ())
    assignment = spread_over(5)
    sizes = {f"{topic}-{p}": 1000 * (p + 1) for topic, p in assignment}
    plan = plan_change(scale_down, LiveCluster({b: None for b in range(5)}, assignment, sizes))
    drain, grow = plan.phases
    leaving = {f"{t}-{p}" for (t, p), replicas in assignment.items() if {3, 4} & set(replicas)}
    assert {line.split(":")[0] for line in drain.lines} == leaving
    assert drain.bytes == sum(sizes[name] for name in leaving) and drain.moves == len(leaving)
    assert "events-3: 3,4,0 -> 2,1,0 (4000 bytes)" in drain.lines
    assert grow.moves == 0 and not plan.refused
    lines = report_lines(plan, "kafka:9092")
    assert lines[0] == "Kafka scaling: the change removes brokers 3,4; read from kafka:9092:"
    assert lines[1] == f"  before the upgrade, the drain Job moves {len(leaving)} partitions, {drain.bytes} bytes:"
    assert "    events-3: 3,4,0 -> 2,1,0 (4000 bytes)" in lines
    assert lines[-2:] == ["  after the upgrade, the rebalance Job moves nothing",
                          f"  total: {len(leaving)} partition moves, {drain.bytes} bytes"]


def test_a_scale_up_moves_replicas_onto_the_brokers_it_adds_which_do_not_run_yet(tmp_path):
    [scale_up] = change(tmp_path, 3, 5)
    plan = plan_change(scale_up, LiveCluster({b: None for b in range(3)}, spread_over(3), {}))
    drain, grow = plan.phases
    assert drain.moves == 0 and grow.moves > 0 and grow.bytes == 0
    placed = [int(b) for line in grow.lines for b in line.split(" -> ")[1].split(",")]
    # the new brokers get about their share (36 replicas over 5 brokers), leaders evened out too
    assert placed.count(3) >= 6 and placed.count(4) >= 6, grow.lines
    assert report_lines(plan, "kafka:9092")[0] == "Kafka scaling: the change adds brokers 3,4; read from kafka:9092:"


def test_a_scale_down_below_a_topics_replicas_says_what_the_job_refuses(tmp_path):
    [scale_down] = change(tmp_path, 3, 2)
    plan = plan_change(scale_down, LiveCluster({b: None for b in range(3)}, spread_over(3), {}))
    assert plan.refused and len(plan.phases) == 1
    lines = report_lines(plan, "kafka:9092")
    assert lines[1] == "  before the upgrade, the drain Job refuses, and the upgrade changes nothing:"
    assert "    topic events cannot move: replication factor 3 is above the 2 brokers that remain" in lines
    assert not any("total" in line for line in lines)


def test_without_the_sizes_the_same_moves_are_planned_and_no_byte_count_is_shown(tmp_path, monkeypatch):
    class RefusingLogDirs:
        """What kafka-python's admin client answers a principal that may describe topics but not
        the cluster's log directories."""

        def describe_cluster(self):
            return {"brokers": [{"broker_id": b, "rack": None} for b in range(5)]}

        def describe_topics(self):
            return [{"name": topic, "error_code": 0, "partitions": []} for topic in ("events",)]

        def describe_log_dirs(self, brokers):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # kafka-python's, on import
                from kafka.errors import ClusterAuthorizationFailedError
            raise ClusterAuthorizationFailedError("not allowed")

    @contextlib.contextmanager
    def admin_client(connection, what):
        yield RefusingLogDirs()

    monkeypatch.setattr(scale_plan, "admin_client", admin_client)
    live = read_cluster(topics_live.Connection("kafka:9092"))
    assert live.sizes == {} and live.sizes_unknown.startswith("DescribeLogDirs failed: ")

    [scale_down] = change(tmp_path, 5, 3)
    assignment = spread_over(5)
    known = plan_change(scale_down, LiveCluster(live.brokers, assignment, {}))
    unknown = plan_change(scale_down, LiveCluster(live.brokers, assignment, {}, live.sizes_unknown))
    assert [p.lines for p in unknown.phases] == [p.lines for p in known.phases] and unknown.phases[0].moves > 0
    lines = report_lines(unknown, "kafka:9092")
    assert lines[1].startswith("  the partitions' sizes are unknown (DescribeLogDirs failed: ")
    assert lines[2] == f"  before the upgrade, the drain Job moves {unknown.phases[0].moves} partitions:"
    assert lines[-1] == f"  total: {unknown.phases[0].moves} partition moves"


def test_the_same_brokers_plan_nothing(tmp_path):
    assert change(tmp_path, 5, 5) == []


# --- the command line ---------------------------------------------------------------------------

def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["kafkac", *args])
    try:
        cli.main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_an_unreachable_address_exits_2_with_one_line_naming_it(tmp_path, monkeypatch, capsys):
    config = topics_live.Connection.client_config
    # kafka-python tries to bootstrap for 30 seconds; two are enough to find nothing at port 1
    monkeypatch.setattr(topics_live.Connection, "client_config",
                        lambda self: {**config(self), "bootstrap_timeout_ms": 2000})
    code, out, err = run_main(monkeypatch, capsys, "check", str(specs(tmp_path, 3)), "--base",
                              str(specs(tmp_path, 5)), "--bootstrap", "127.0.0.1:1")
    assert code == 2
    assert "[policy.upgrade.broker-drain]" in out
    assert err.startswith("Error: cannot connect to 127.0.0.1:1: ") and err.count("\n") == 1, err
    assert "Traceback" not in out + err


def test_bootstrap_needs_a_base(tmp_path, monkeypatch, capsys):
    code, _, err = run_main(monkeypatch, capsys, "check", str(specs(tmp_path, 3)), "--bootstrap", "kafka:9092")
    assert code == 2 and "--bootstrap plans a change of the brokers against --base" in err, err


def test_without_a_change_of_the_brokers_the_cluster_is_not_read(tmp_path, monkeypatch, capsys):
    code, out, _ = run_main(monkeypatch, capsys, "check", str(specs(tmp_path, 5)), "--base",
                            str(specs(tmp_path, 5)), "--bootstrap", "127.0.0.1:1")
    assert code == 0
    assert out.rstrip().endswith("no Kafka's brokers change, so the rebalance Jobs move nothing; "
                                 "127.0.0.1:1 was not read")
