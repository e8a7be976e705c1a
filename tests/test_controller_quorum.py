"""The KRaft controller quorum: static (controller.quorum.voters, the default) or dynamic
(kafkac.io/controller-quorum: dynamic): what normalize accepts, what the plan writes, and how
kafka-run.sh configures and formats each node, run with stand-in Kafka tools under dash and
BusyBox."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from compiler.load import load
from compiler.normalize import normalize
from compiler.plan import plan

from .conftest import BUSYBOX, EXAMPLES, ROOT, with_busybox
from .util import env_values

FILES = ROOT / "charts" / "kafka" / "files"
SHELLS = [["dash"], with_busybox([BUSYBOX, "sh"])]
KRAFT = (EXAMPLES / "kraft-3x3" / "kafka.yaml").read_text()
POOLS = (EXAMPLES / "kraft-3x3" / "node-pools.yaml").read_text()
PROFILE = "    kafkac.io/profile: dev\n"


def with_quorum(value: str, spec: str = KRAFT) -> str:
    assert PROFILE in spec
    return spec.replace(PROFILE, f"{PROFILE}    kafkac.io/controller-quorum: {value}\n", 1)


def normalized(tmp_path: Path, kafka: str, pools: str = POOLS):
    (tmp_path / "kafka.yaml").write_text(kafka)
    (tmp_path / "node-pools.yaml").write_text(pools)
    return normalize(load([tmp_path]))


def pools_of(model) -> dict[str, dict]:
    (chart,) = plan(model.clusters)
    return {pool["name"]: pool for pool in chart.values["nodePools"]}


def env_of(pool: dict) -> dict:
    return {e["name"]: e["value"] for e in pool["env"] if "value" in e}


def quorum_errors(model) -> list:
    return [f for f in model.findings if f.rule == "cluster.controller-quorum"]


def annotation_line(spec: str) -> int:
    return spec.splitlines().index("    kafkac.io/controller-quorum: " + spec.split(
        "kafkac.io/controller-quorum: ")[1].split("\n")[0]) + 1


# --- normalize ---------------------------------------------------------------------------


def test_static_is_the_default_and_may_be_written(tmp_path):
    assert normalized(tmp_path, KRAFT).clusters[0].controller_quorum == "static"
    model = normalized(tmp_path, with_quorum("static"))
    assert model.clusters[0].controller_quorum == "static" and not quorum_errors(model)


def test_dynamic_is_accepted_on_kafka_4_2_and_later(tmp_path):
    for version in ("4.2.1", "4.3.1"):
        spec = with_quorum("dynamic").replace("version: 4.3.1\n    metadataVersion: 4.3-IV0\n",
                                              f"version: {version}\n")
        model = normalized(tmp_path, spec)
        assert not quorum_errors(model), model.findings
        assert model.clusters[0].controller_quorum == "dynamic"


@pytest.mark.parametrize("value, change, said", [
    ("elastic", {}, "'elastic' is neither static nor dynamic"),
    ("dynamic", {"version: 4.3.1\n    metadataVersion: 4.3-IV0\n": "version: 4.1.2\n"},
     "Kafka 4.2 or later (controller.quorum.auto.join.enable), and spec.kafka.version is 4.1.2"),
    ("dynamic", {"metadataVersion: 4.3-IV0": "metadataVersion: 3.8-IV0"},
     "metadata version 3.9-IV0 or later (kraft.version 1)"),
])
def test_other_values_and_older_clusters_are_refused_at_the_annotation(tmp_path, value, change, said):
    spec = with_quorum(value)
    for old, new in change.items():
        assert old in spec
        spec = spec.replace(old, new)
    model = normalized(tmp_path, spec)
    (found,) = quorum_errors(model)
    assert said in found.message
    assert found.span.line == annotation_line(spec) and found.span.col == 34
    assert found.span.file.endswith("kafka.yaml")
    assert found.path == ("metadata", "annotations", "kafkac.io/controller-quorum")
    assert "on a KRaft cluster of Kafka 4.2 or later" in found.expected


def test_a_zookeeper_cluster_cannot_have_a_dynamic_quorum(tmp_path):
    spec = (EXAMPLES / "zookeeper" / "kafka.yaml").read_text()
    spec = spec.replace("metadata:\n  name: legacy\n",
                        "metadata:\n  name: legacy\n  annotations:\n    kafkac.io/controller-quorum: dynamic\n", 1)
    (tmp_path / "kafka.yaml").write_text(spec)
    (tmp_path / "metrics.yaml").write_text((EXAMPLES / "zookeeper" / "metrics.yaml").read_text())
    (found,) = quorum_errors(normalize(load([tmp_path])))
    assert "a KRaft cluster, and this one keeps its metadata in ZooKeeper" in found.message


# --- plan ---------------------------------------------------------------------------------


def test_a_static_quorum_keeps_its_configuration(tmp_path):
    pools = pools_of(normalized(tmp_path, KRAFT))
    for pool in pools.values():
        assert "KAFKAC_CONTROLLER_QUORUM" not in env_of(pool)
        assert "auto.join" not in pool["serverProperties"]
        assert "controller.quorum.voters and\n" in pool["serverProperties"]


def test_a_dynamic_quorum_lets_controllers_join(tmp_path):
    pools = pools_of(normalized(tmp_path, with_quorum("dynamic")))
    controller, broker = pools["controller"], pools["broker"]
    for pool in (controller, broker):
        assert env_of(pool)["KAFKAC_CONTROLLER_QUORUM"] == "dynamic"
        assert env_of(pool)["KAFKAC_CONTROLLER_VOTERS"] == (
            "3@my-cluster-controller-3:9090 4@my-cluster-controller-4:9090 5@my-cluster-controller-5:9090")
    assert "controller.quorum.auto.join.enable=true" in controller["serverProperties"].splitlines()
    assert "auto.join" not in broker["serverProperties"]


# --- kafka-run.sh -------------------------------------------------------------------------


def _stand_in_kafka(tmp_path: Path, quorum_answers: bool) -> Path:
    """Kafka tools that print how they were called; kafka-metadata-quorum.sh answers or not."""
    home = tmp_path / "kafka"
    (home / "bin").mkdir(parents=True)
    tools = {
        "kafka-server-start.sh": 'echo "started"\ncat "$1"\n',
        "kafka-storage.sh": 'echo "format args: $*"\n',
        "kafka-metadata-quorum.sh": 'echo "quorum asked: $*"\n' + ("exit 0\n" if quorum_answers else "exit 1\n"),
    }
    for name, body in tools.items():
        (home / "bin" / name).write_text("#!/bin/sh\n" + body)
        (home / "bin" / name).chmod(0o755)
    return home


def _start(shell: list[str], pool: dict, pod: str, tmp_path: Path, quorum_answers: bool = False,
           formatted: bool = False) -> subprocess.CompletedProcess:
    config = tmp_path / "config"
    config.mkdir(parents=True)
    (config / "server.properties").write_text(pool["serverProperties"])
    certs = tmp_path / "node-certs"
    certs.mkdir()
    (certs / "node.password").write_text("s3cret")
    data = tmp_path / "data"
    env = env_of(pool)
    node_id = pod.rsplit("-", 1)[1]
    if formatted:
        (data / f"kafka-log{node_id}").mkdir(parents=True)
        (data / f"kafka-log{node_id}" / "meta.properties").write_text("version=1\n")
    env.update(POD_NAME=pod, POD_NAMESPACE="kafka", KAFKA_HOME=str(_stand_in_kafka(tmp_path, quorum_answers)),
               KAFKAC_CONFIG_DIR=str(config), KAFKAC_NODE_CERTS_DIR=str(certs),
               KAFKAC_CLUSTER_CA_CERTS_DIR=str(tmp_path / "ca"), KAFKAC_WORK_DIR=str(tmp_path / "work"),
               KAFKAC_LOG_DIRS=str(data), KAFKAC_METADATA_LOG_DIR=str(data),
               KAFKAC_CUSTOM_CERT_LISTENERS="")  # a listener certificate is no part of this
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name in ("kafka-run.sh", "log.sh", "node-client.sh"):
        (scripts / name).write_text((FILES / name).read_text())
    return subprocess.run([*shell, str(scripts / "kafka-run.sh")], capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], **env})


def _added(done: subprocess.CompletedProcess, pod: str) -> list[str]:
    assert done.returncode == 0, done.stderr
    return done.stdout.split(f"# Added by kafka-run.sh for pod {pod}\n")[1].splitlines()


def _format_args(done: subprocess.CompletedProcess) -> str:
    return next(line for line in done.stdout.splitlines() if "format args:" in line)


CONTROLLER_ADDRESSES = ",".join(f"my-cluster-controller-{n}.my-cluster-kafka-brokers.kafka.svc:9090"
                                for n in (3, 4, 5))


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
def test_a_static_quorum_names_its_voters_and_formats_as_before(shell, tmp_path):
    (tmp_path / "spec").mkdir()
    pool = pools_of(normalized(tmp_path / "spec", KRAFT))
    done = _start(shell, pool["controller"], "my-cluster-controller-3", tmp_path)
    added = _added(done, "my-cluster-controller-3")
    assert "controller.quorum.voters=" + ",".join(
        f"{n}@my-cluster-controller-{n}.my-cluster-kafka-brokers.kafka.svc:9090" for n in (3, 4, 5)) in added
    assert not any("bootstrap.servers" in line for line in added)
    assert _format_args(done).endswith("--ignore-formatted --release-version 4.3-IV0")
    assert not (tmp_path / "work" / "quorum.out").exists()


def _dynamic_pools(tmp_path: Path) -> dict[str, dict]:
    (tmp_path / "spec").mkdir()
    return pools_of(normalized(tmp_path / "spec", with_quorum("dynamic")))


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
def test_the_lowest_controller_starts_a_new_quorum_alone(shell, tmp_path):
    pools = _dynamic_pools(tmp_path)
    done = _start(shell, pools["controller"], "my-cluster-controller-3", tmp_path, quorum_answers=False)
    added = _added(done, "my-cluster-controller-3")
    assert f"controller.quorum.bootstrap.servers={CONTROLLER_ADDRESSES}" in added
    assert not any(line.startswith("controller.quorum.voters") for line in added)
    # It asks the others, never itself.
    asked = (tmp_path / "work" / "quorum.out").read_text()
    assert "--bootstrap-controller my-cluster-controller-4.my-cluster-kafka-brokers.kafka.svc:9090," \
           "my-cluster-controller-5.my-cluster-kafka-brokers.kafka.svc:9090 " in asked
    assert "describe --status" in asked
    assert _format_args(done).endswith("--ignore-formatted --release-version 4.3-IV0 --standalone")
    client = (tmp_path / "work" / "quorum-client.properties").read_text().splitlines()
    assert "security.protocol=SSL" in client and "ssl.keystore.password=s3cret" in client


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
def test_the_lowest_controller_joins_a_quorum_that_answers(shell, tmp_path):
    pools = _dynamic_pools(tmp_path)
    done = _start(shell, pools["controller"], "my-cluster-controller-3", tmp_path, quorum_answers=True)
    assert _format_args(done).endswith("--no-initial-controllers")
    assert "controller 3 joins it" in done.stdout


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
def test_a_formatted_controller_asks_nobody(shell, tmp_path):
    pools = _dynamic_pools(tmp_path)
    done = _start(shell, pools["controller"], "my-cluster-controller-3", tmp_path, formatted=True)
    assert not (tmp_path / "work" / "quorum.out").exists()
    assert _format_args(done).endswith("--no-initial-controllers")


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
def test_other_controllers_join_and_brokers_format_as_before(shell, tmp_path):
    pools = _dynamic_pools(tmp_path)
    done = _start(shell, pools["controller"], "my-cluster-controller-5", tmp_path / "c")
    assert not (tmp_path / "c" / "work" / "quorum.out").exists()
    assert _format_args(done).endswith("--no-initial-controllers")
    done = _start(shell, pools["broker"], "my-cluster-broker-0", tmp_path / "b")
    added = _added(done, "my-cluster-broker-0")
    assert f"controller.quorum.bootstrap.servers={CONTROLLER_ADDRESSES}" in added
    assert _format_args(done).endswith("--ignore-formatted --release-version 4.3-IV0")


# --- rebalance-run.sh: removing the voters that are no controllers of the chart -----------------

_QUORUM_TOOL = r'''#!/bin/sh
# A stand-in kafka-metadata-quorum.sh: voters in $0.voters ("<id> <directory> <last fetch>"),
# the first one leads; every call is appended to $0.calls.
voters="$0.voters"
echo "$*" >> "$0.calls"
case "$*" in
  *"describe --status"*)
    awk 'BEGIN { printf "ClusterId: x\nCurrentVoters: [" }
      { printf "%s{\"id\": %s, \"directoryId\": \"%s\", \"endpoints\": [\"CONTROLPLANE-9090://c-%s:9090\"]}",
          (NR > 1 ? ", " : ""), $1, $2, $1 }
      END { printf "]\nCurrentObservers: [{\"id\": 0, \"directoryId\": \"b0\"}]\n" }' "$voters" ;;
  *"describe --replication"*)
    echo "NodeId DirectoryId LogEndOffset Lag LastFetchTimestamp LastCaughtUpTimestamp Status"
    awk '{ print $1, $2, 10, 0, $3, $3, (NR == 1 ? "Leader" : "Follower") }' "$voters"
    echo "0 b0 10 0 100000 100000 Observer" ;;
  *remove-controller*)
    set -- $*
    while [ "$1" != --controller-id ]; do shift; done
    id=$2; directory=$4
    awk -v id="$id" -v d="$directory" '!($1 == id && $2 == d)' "$voters" > "$voters.new"
    mv "$voters.new" "$voters"
    echo "Removed KRaft controller $id with directory id $directory" ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
'''


def _rebalance_home(tmp_path: Path, voters: str) -> Path:
    home = tmp_path / "kafka"
    (home / "bin").mkdir(parents=True)
    tools = {
        "kafka-metadata-quorum.sh": _QUORUM_TOOL,
        "kafka-broker-api-versions.sh": '#!/bin/sh\necho "b-0:9091 (id: 0 rack: null isFenced: false) -> ("\n',
        "kafka-reassign-partitions.sh": '#!/bin/sh\necho "No partition reassignments found."\n',
        "kafka-topics.sh": "#!/bin/sh\n",
    }
    for name, body in tools.items():
        (home / "bin" / name).write_text(body)
        (home / "bin" / name).chmod(0o755)
    (home / "bin" / "kafka-metadata-quorum.sh.voters").write_text(voters)
    return home


def _grow(shell: list[str], tmp_path: Path, home: Path, controller_ids: str, **extra: str):
    scripts = tmp_path / "scripts"
    scripts.mkdir(exist_ok=True)
    for name in ("rebalance-run.sh", "rebalance-plan.awk", "kafka-tools.sh", "log.sh"):
        (scripts / name).write_text((FILES / name).read_text())
    (tmp_path / "client").mkdir(exist_ok=True)
    env = {"PATH": os.environ["PATH"], "KAFKA_HOME": str(home), "KAFKAC_BOOTSTRAP_SERVERS": "b-0:9091",
           "KAFKAC_WORK_DIR": str(tmp_path / "work"), "KAFKAC_CLIENT_DIR": str(tmp_path / "client"),
           "KAFKAC_REBALANCE_PHASE": "grow", "KAFKAC_REBALANCE_KEEP": "0", "KAFKAC_POLL_SECONDS": "0",
           "KAFKAC_CONTROLLER_QUORUM": "dynamic", "KAFKAC_CONTROLLER_IDS": controller_ids, **extra}
    return subprocess.run([*shell, str(scripts / "rebalance-run.sh")], capture_output=True, text=True, env=env)


def test_the_rebalance_job_knows_the_charts_controllers_in_a_dynamic_quorum_only(tmp_path):
    (tmp_path / "static").mkdir()
    (chart,) = plan(normalized(tmp_path / "static", KRAFT).clusters)
    assert "KAFKAC_CONTROLLER_QUORUM" not in {e["name"] for e in chart.values["rebalance"]["job"]["env"]}
    (tmp_path / "dynamic").mkdir()
    (chart,) = plan(normalized(tmp_path / "dynamic", with_quorum("dynamic")).clusters)
    env = env_values(chart.values["rebalance"]["job"]["env"])
    assert env["KAFKAC_CONTROLLER_QUORUM"] == "dynamic" and env["KAFKAC_CONTROLLER_IDS"] == "3 4 5"


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
def test_voters_that_are_no_controllers_are_removed_one_at_a_time_and_once(shell, tmp_path):
    home = _rebalance_home(tmp_path, "3 d3 100000\n4 d4 99990\n5 d5 99990\n6 d6 50000\n7 d7 40000\n")
    done = _grow(shell, tmp_path, home, "3 4 5")
    assert done.returncode == 0, done.stdout + done.stderr
    calls = (home / "bin" / "kafka-metadata-quorum.sh.calls").read_text().splitlines()
    removals = [c for c in calls if "remove-controller" in c]
    assert [r.split("remove-controller ")[1] for r in removals] == [
        "--controller-id 6 --controller-directory-id d6", "--controller-id 7 --controller-directory-id d7"]
    assert all(c.startswith("--bootstrap-server b-0:9091 --command-config ") for c in calls)
    assert "voter 6 (directory d6) removed from the quorum" in done.stdout
    assert "controllers: the quorum's voters are 3 4 5" in done.stdout
    again = _grow(shell, tmp_path, home, "3 4 5")
    assert again.returncode == 0, again.stderr
    calls = (home / "bin" / "kafka-metadata-quorum.sh.calls").read_text().splitlines()
    assert len([c for c in calls if "remove-controller" in c]) == 2


@pytest.mark.parametrize("shell", SHELLS, ids=["dash", "busybox"])
def test_a_voter_that_still_runs_is_not_removed(shell, tmp_path):
    home = _rebalance_home(tmp_path, "3 d3 100000\n4 d4 99990\n5 d5 99990\n6 d6 99995\n")
    done = _grow(shell, tmp_path, home, "3 4 5", KAFKAC_WAIT_SECONDS="0")
    assert done.returncode == 1
    assert "voter 6 still runs after 0s" in done.stderr
    assert "remove-controller" not in (home / "bin" / "kafka-metadata-quorum.sh.calls").read_text()
