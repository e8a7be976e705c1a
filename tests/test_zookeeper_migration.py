"""The way off ZooKeeper: Strimzi's strimzi.io/kraft states compile to the charts of Kafka's
ZooKeeper to KRaft migration (examples/zookeeper-migration at each step), and kafka-run.sh
formats the migration's controllers with ZooKeeper's cluster id."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from compiler.load import load
from compiler.normalize import normalize

from .conftest import EXAMPLES
from .test_zookeeper import _node_certs, _run
from .util import compiled_manifests

EXAMPLE = EXAMPLES / "zookeeper-migration"
STATES = ("disabled", "migration", "enabled", "rollback")


def specs_at(state: str, folder: Path, zookeeper: bool = True) -> Path:
    """examples/zookeeper-migration with strimzi.io/kraft: `state` (and without spec.zookeeper)."""
    shutil.copytree(EXAMPLE, folder)
    kafka = folder / "kafka.yaml"
    text = kafka.read_text().replace("strimzi.io/kraft: migration", f"strimzi.io/kraft: {state}")
    if not zookeeper:
        text = text[:text.index("  zookeeper:\n")] + text[text.index("  entityOperator:\n"):]
    kafka.write_text(text)
    return folder


@pytest.fixture(scope="module")
def charts(tmp_path_factory, installed_tools) -> dict[str, dict]:
    """Each step's values.yaml and manifests."""
    charts = {}
    for state in STATES:
        work = tmp_path_factory.mktemp(state)
        manifests = compiled_manifests(specs_at(state, work / "specs"), work / "out")
        values = yaml.safe_load((work / "out" / "legacy" / "values.yaml").read_text())
        charts[state] = {"values": values, "manifests": manifests}
    return charts


def pools(chart: dict) -> dict[str, dict]:
    return {p["name"]: p for p in chart["values"]["nodePools"]}


def env(pool: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in pool["env"] if "value" in e}


def statefulsets(chart: dict) -> list[str]:
    return sorted(m["metadata"]["name"] for m in chart["manifests"] if m["kind"] == "StatefulSet")


def test_before_the_migration_the_controllers_are_not_deployed(charts):
    chart = charts["disabled"]
    assert statefulsets(chart) == ["legacy-kafka", "legacy-zookeeper"]
    properties = pools(chart)["kafka"]["serverProperties"]
    assert "zookeeper.metadata.migration.enable" not in properties and "CONTROLPLANE" not in properties


def test_the_migration_step_runs_migrating_controllers_and_brokers_that_register_with_them(charts):
    chart = charts["migration"]
    assert statefulsets(chart) == ["legacy-controller", "legacy-kafka", "legacy-zookeeper"]
    controller, broker = pools(chart)["controller"], pools(chart)["kafka"]
    lines = controller["serverProperties"].splitlines()
    for line in ("process.roles=controller", "zookeeper.metadata.migration.enable=true",
                 "zookeeper.connect=legacy-zookeeper-client:2181", "inter.broker.listener.name=REPLICATION-9091",
                 "listener.name.replication-9091.ssl.keystore.type=PKCS12",
                 "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer"):
        assert line in lines, line
    assert env(controller)["KAFKAC_CLUSTER_ID_FROM_ZOOKEEPER"] == "true"
    assert env(controller)["KAFKAC_ZOOKEEPER_CLIENT"] == "true" and "KAFKAC_ZOOKEEPER_MODE" not in env(controller)
    lines = broker["serverProperties"].splitlines()
    for line in ("zookeeper.metadata.migration.enable=true", "controller.listener.names=CONTROLPLANE-9090",
                 "authorizer.class.name=kafka.security.authorizer.AclAuthorizer",
                 "listener.name.controlplane-9090.ssl.keystore.type=PKCS12"):
        assert line in lines, line
    assert not any(line.startswith("process.roles") for line in lines)
    assert env(broker)["KAFKAC_ZOOKEEPER_MODE"] == "true"
    # Controllers 3-5, after the brokers' ids 0-2.
    assert env(broker)["KAFKAC_CONTROLLER_VOTERS"].split() == [
        f"{n}@legacy-controller-{n}:9090" for n in (3, 4, 5)]


def test_the_enabled_step_runs_kraft_brokers_and_controllers_that_wait_for_them(charts):
    chart = charts["enabled"]
    # ZooKeeper still runs, for the controllers in migration mode until they restart.
    assert statefulsets(chart) == ["legacy-controller", "legacy-kafka", "legacy-zookeeper"]
    controller, broker = pools(chart)["controller"], pools(chart)["kafka"]
    assert "zookeeper" not in controller["serverProperties"] and "zookeeper" not in broker["serverProperties"]
    assert "process.roles=broker\n" in broker["serverProperties"]
    assert env(controller)["KAFKAC_MIGRATION_BROKER_IDS"] == "0 1 2"
    assert "KAFKAC_MIGRATION_BROKER_IDS" not in env(broker)
    assert "KAFKAC_ZOOKEEPER_MODE" not in env(broker) and "KAFKAC_ZOOKEEPER_CLIENT" not in env(controller)
    assert "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n" in broker["serverProperties"]
    # The brokers' replicas move again (the rebalance Jobs) once they are in KRaft mode.
    assert chart["values"]["rebalance"] is not None


def test_the_rollback_step_removes_the_controllers_and_leaves_the_brokers_as_they_run(charts):
    chart = charts["rollback"]
    assert statefulsets(chart) == ["legacy-kafka", "legacy-zookeeper"]
    assert pools(chart)["kafka"]["serverProperties"] == pools(charts["migration"])["kafka"]["serverProperties"]


def test_the_last_step_has_no_zookeeper_and_nothing_left_of_the_migration(tmp_path, installed_tools):
    specs = specs_at("enabled", tmp_path / "specs", zookeeper=False)
    model = normalize(load([specs]))
    assert model.clusters[0].kraft_migration is None and model.clusters[0].zookeeper is None
    assert not [f for f in model.findings if f.rule.startswith("zookeeper.")]


def findings_of(folder: Path) -> dict[str, list]:
    model = normalize(load([folder]))
    found: dict[str, list] = {}
    for finding in model.findings:
        found.setdefault(finding.rule, []).append(finding)
    return found


def test_each_step_says_what_it_does_how_to_see_it_finished_and_what_comes_next(tmp_path):
    notes = {}
    for state in STATES:
        (note,) = findings_of(specs_at(state, tmp_path / state))["zookeeper.migration-step"]
        assert note.path == ("metadata", "annotations", "strimzi.io/kraft") and note.span.line == 18
        notes[state] = note.message
    assert "Step 1 of 3: set strimzi.io/kraft: migration" in notes["disabled"]
    assert "Completed migration of metadata from ZooKeeper to KRaft" in notes["migration"]
    assert "ZkMigrationState is 1" in notes["migration"] and "strimzi.io/kraft: rollback" in notes["migration"]
    assert "no way back to ZooKeeper" in notes["enabled"] and "remove spec.zookeeper" in notes["enabled"]
    assert "deleteall /controller" in notes["rollback"] and "strimzi.io/kraft: disabled" in notes["rollback"]


def edited(folder: Path, name: str, old: str, new: str) -> Path:
    path = folder / name
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    return folder


def test_what_the_migration_cannot_run_with_is_refused_at_its_position(tmp_path):
    both_roles = edited(specs_at("migration", tmp_path / "roles"), "pools.yaml", "roles: [controller]",
                        "roles: [controller, broker]")
    (finding,) = findings_of(both_roles)["zookeeper.controller-pool"]
    assert finding.span.file.endswith("pools.yaml") and "roles: [controller]" in finding.expected

    same_ids = edited(specs_at("migration", tmp_path / "ids"), "pools.yaml",
                      '  annotations:\n    strimzi.io/next-node-ids: "[3-5]"\n', "")
    (finding,) = findings_of(same_ids)["zookeeper.controller-node-ids"]
    assert "0, 1, 2" in finding.message and 'strimzi.io/next-node-ids: "[3-5]"' in finding.expected

    protocol = edited(specs_at("migration", tmp_path / "ibp"), "kafka.yaml",
                      'inter.broker.protocol.version: "3.9"', 'inter.broker.protocol.version: "3.8"')
    (finding,) = findings_of(protocol)["zookeeper.migration-protocol"]
    assert finding.path[-1] == "inter.broker.protocol.version" and finding.expected.startswith('"3.9"')

    no_controllers = edited(specs_at("migration", tmp_path / "none"), "pools.yaml", "  replicas: 3\n  roles: [controller]",
                            "  replicas: 0\n  roles: [controller]")
    assert "zookeeper.migration-controllers" in findings_of(no_controllers)

    unknown = edited(specs_at("migration", tmp_path / "unknown"), "kafka.yaml", "strimzi.io/kraft: migration",
                     "strimzi.io/kraft: halfway")
    (finding,) = findings_of(unknown)["zookeeper.migration"]
    assert "'disabled' or 'migration' or 'enabled' or 'rollback'" == finding.expected


def _stand_in_kafka(tmp_path: Path, zookeeper_answer: str) -> Path:
    """Kafka tools that print what they are asked; ZooKeeper's shell answers `zookeeper_answer`."""
    home = tmp_path / "kafka"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "kafka-server-start.sh").write_text('#!/bin/sh\necho "started $0"\ncat "$1"\n')
    (home / "bin" / "kafka-storage.sh").write_text('#!/bin/sh\necho "kafka-storage $*"\n')
    (home / "bin" / "kafka-run-class.sh").write_text(
        f'#!/bin/sh\necho "WATCHER::"\necho \'{zookeeper_answer}\'\n')
    for tool in (home / "bin").iterdir():
        tool.chmod(0o755)
    return home


def _run_controller(charts: dict, tmp_path: Path, zookeeper_answer: str):
    controller = pools(charts["migration"])["controller"]
    config = tmp_path / "config"
    config.mkdir()
    (config / "server.properties").write_text(controller["serverProperties"])
    variables = env(controller)
    variables.update(POD_NAME="legacy-controller-4", POD_NAMESPACE="kafka",
                     KAFKA_HOME=str(_stand_in_kafka(tmp_path, zookeeper_answer)), KAFKAC_CONFIG_DIR=str(config),
                     KAFKAC_NODE_CERTS_DIR=str(_node_certs(tmp_path)), KAFKAC_WORK_DIR=str(tmp_path / "work"),
                     KAFKAC_LOG_DIRS=str(tmp_path / "data"))
    return _run("kafka-run.sh", variables, tmp_path)


def test_a_migrating_controller_is_formatted_with_zookeepers_cluster_id(charts, tmp_path):
    done = _run_controller(charts, tmp_path, '{"version":"1","id":"ZkMadeThisId-_0123456"}')
    assert done.returncode == 0, done.stderr
    assert "--cluster-id ZkMadeThisId-_0123456 " in done.stdout
    added = done.stdout.split("# Added by kafka-run.sh for pod legacy-controller-4\n")[1].splitlines()
    assert "node.id=4" in added and "zookeeper.ssl.keystore.password=s3cret\\\\x" in added
    assert "formatting with ZooKeeper's cluster id ZkMadeThisId-_0123456" in done.stderr + done.stdout


def test_a_migrating_controller_without_zookeepers_cluster_id_does_not_start(charts, tmp_path):
    done = _run_controller(charts, tmp_path, "Node does not exist: /cluster/id")
    assert done.returncode == 1
    assert "cannot read the cluster id from ZooKeeper's /cluster/id" in done.stderr + done.stdout
    assert "started" not in done.stdout and "kafka-storage" not in done.stdout


def test_the_rollback_step_rolls_no_broker(charts):
    def broker_template(chart: dict) -> dict:
        (sts,) = [m for m in chart["manifests"] if m["kind"] == "StatefulSet" and m["metadata"]["name"] == "legacy-kafka"]
        return sts["spec"]["template"]

    assert broker_template(charts["rollback"]) == broker_template(charts["migration"])


def test_a_node_with_a_formatted_directory_keeps_its_cluster_id(charts, tmp_path):
    """A broker leaving ZooKeeper (or a controller leaving migration mode) has ZooKeeper's cluster
    id in meta.properties, not the chart's: kafka-storage format would refuse the chart's."""
    broker = pools(charts["enabled"])["kafka"]
    config = tmp_path / "config"
    config.mkdir()
    (config / "server.properties").write_text(broker["serverProperties"])
    data = tmp_path / "data"
    (data / "kafka-log1").mkdir(parents=True)
    (data / "kafka-log1" / "meta.properties").write_text("version=0\nbroker.id=1\ncluster.id=FromZooKeeper01\n")
    variables = env(broker)
    variables.update(POD_NAME="legacy-kafka-1", POD_NAMESPACE="kafka",
                     KAFKA_HOME=str(_stand_in_kafka(tmp_path, "")), KAFKAC_CONFIG_DIR=str(config),
                     KAFKAC_NODE_CERTS_DIR=str(_node_certs(tmp_path)), KAFKAC_WORK_DIR=str(tmp_path / "work"),
                     KAFKAC_LOG_DIRS=str(data))
    done = _run("kafka-run.sh", variables, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "--cluster-id FromZooKeeper01 " in done.stdout
