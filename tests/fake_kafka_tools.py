"""Fakes of Kafka's command-line tools, for testing the topics Job's script without a broker.

`install(home, python)` writes bin/kafka-topics.sh, bin/kafka-configs.sh and
bin/kafka-broker-api-versions.sh into `home`. They keep a pretend cluster in
`home/cluster.json` ({"brokers": N, "topics": {name: {"partitions", "replicas",
"configs"}}, "fail": {topic: message}, "fenced_calls": N, "down": true}), answer the calls the Job's script makes
in the output format of Kafka 4's tools (TopicCommand, ConfigCommand,
BrokerApiVersionsCommand, which lists only the unfenced brokers), refuse what those tools refuse, and log every call's arguments
to `home/calls.jsonl`. The end-to-end tests run the same script against real
brokers; these fakes make the three-way logic quick to test case by case.
"""

from __future__ import annotations

import fcntl
import json
import re
import sys
from pathlib import Path

TOOLS = ("kafka-topics.sh", "kafka-configs.sh", "kafka-broker-api-versions.sh")


def install(home: Path, python: str) -> None:
    (home / "bin").mkdir(parents=True, exist_ok=True)
    for tool in TOOLS:
        path = home / "bin" / tool
        path.write_text(f"#!{python}\nimport sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
                        "import fake_kafka_tools\nfake_kafka_tools.main(sys.argv)\n")
        path.chmod(0o755)


def _properties(text: str) -> dict[str, str]:
    """java.util.Properties.load for the subset the script writes: key=value lines, escapes."""
    result = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "!")):
            continue
        key, _, value = line.partition("=")
        out, i = "", 0
        while i < len(value):
            c = value[i]
            if c == "\\" and i + 1 < len(value):
                nxt = value[i + 1]
                out += {"n": "\n", "t": "\t", "r": "\r", "f": "\f"}.get(nxt, nxt)
                i += 2
            else:
                out += c
                i += 1
        result[key.strip()] = out
    return result


def _option(args: list[str], name: str, many: bool = False):
    values = [args[i + 1] for i, a in enumerate(args) if a == name and i + 1 < len(args)]
    return values if many else (values[-1] if values else None)


def main(argv: list[str]) -> None:
    home = Path(argv[0]).resolve().parent.parent
    with open(home / "cluster.lock", "a") as lock:  # the Job runs several tools at once
        fcntl.flock(lock, fcntl.LOCK_EX)
        _main(home, argv)


def _main(home: Path, argv: list[str]) -> None:
    args = argv[1:]
    with open(home / "calls.jsonl", "a") as log:
        log.write(json.dumps([Path(argv[0]).name, *args]) + "\n")
    state_file = home / "cluster.json"
    state = json.loads(state_file.read_text())
    topics = state.setdefault("topics", {})
    tool = Path(argv[0]).name

    def fail(message: str) -> None:
        print(f"Error while executing command: {message}", file=sys.stderr)
        print(f"java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.{message}",
              file=sys.stderr)
        print("\tat org.apache.kafka.Example.run(Example.java:1)", file=sys.stderr)
        sys.exit(1)

    if "--bootstrap-server" not in args or "--command-config" not in args:
        fail("InvalidArgumentException: the script must give --bootstrap-server and --command-config")
    if state.get("down"):
        fail("TimeoutException: Timed out waiting for a node assignment. Call: listNodes")

    if tool == "kafka-broker-api-versions.sh":
        fenced_now = state.get("fenced", 0)
        if state.get("fenced_calls", 0) > 0:  # brokers still starting: fenced for this many calls
            state["fenced_calls"] -= 1
            fenced_now = state.get("brokers", 3)
            state_file.write_text(json.dumps(state))
        for broker in range(state.get("brokers", 3) - fenced_now):
            print(f"broker-{broker}:9091 (id: {broker} rack: null isFenced: false) -> (\n"
                  "\tProduce(0): 0 to 13 [usable: 13],\n\tFetch(1): 4 to 18 [usable: 18]\n)")
        return

    if tool == "kafka-topics.sh":
        if "--describe" in args:
            for name in sorted(topics):
                t = topics[name]
                print(f"Topic: {name}\tTopicId: x{len(name)}\tPartitionCount: {t['partitions']}\t"
                      f"ReplicationFactor: {t['replicas']}\tConfigs: min.insync.replicas=1")
                for p in range(t["partitions"]):
                    print(f"\tTopic: {name}\tPartition: {p}\tLeader: 0\tReplicas: 0\tIsr: 0")
            return
        if "--create" in args:
            name = _option(args, "--topic")
            if name in topics:
                fail(f"TopicExistsException: Topic '{name}' already exists.")
            configs = {}
            for config in _option(args, "--config", many=True):
                parts = re.split(r"\s*=\s*", config)
                if len(parts) != 2:
                    fail('IllegalArgumentException: Invalid topic config: all configs to be added must be '
                         'in the format "key=val".')
                configs[parts[0].strip()] = parts[1].strip()
            replicas = int(_option(args, "--replication-factor"))
            if replicas > state.get("brokers", 3):
                fail(f"InvalidReplicationFactorException: Replication factor: {replicas} larger than "
                     f"available brokers: {state.get('brokers', 3)}.")
            if name in state.get("fail", {}):
                fail(state["fail"][name])
            topics[name] = {"partitions": int(_option(args, "--partitions")), "replicas": replicas,
                            "configs": configs}
            print(f"Created topic {name}.")
        elif "--alter" in args:
            pattern = re.compile(_option(args, "--topic"))
            matched = [n for n in topics if pattern.fullmatch(n)]
            if not matched:
                fail("IllegalArgumentException: Topic(s) matching the pattern do not exist")
            for name in matched:
                partitions = int(_option(args, "--partitions"))
                if partitions <= topics[name]["partitions"]:
                    fail(f"InvalidPartitionsException: Topic currently has {topics[name]['partitions']} "
                         f"partitions, which is higher than the requested {partitions}.")
                topics[name]["partitions"] = partitions
        else:
            fail(f"IllegalArgumentException: unexpected call {args}")
        state_file.write_text(json.dumps(state))
        return

    if tool == "kafka-configs.sh":
        if "--describe" in args:
            for name in sorted(topics):
                print(f"Dynamic configs for topic {name} are:")
                for key, value in topics[name]["configs"].items():
                    print(f"  {key}={value} sensitive=false synonyms={{DYNAMIC_TOPIC_CONFIG:{key}={value}}}")
            return
        name = _option(args, "--entity-name")
        if "--alter" not in args or name is None:
            fail(f"IllegalArgumentException: unexpected call {args}")
        if name not in topics:
            fail(f"UnknownTopicOrPartitionException: The topic '{name}' does not exist.")
        if name in state.get("fail", {}):
            fail(state["fail"][name])
        configs = topics[name]["configs"]
        add_file = _option(args, "--add-config-file")
        if add_file:
            configs.update(_properties(Path(add_file).read_text()))
        for key in (_option(args, "--delete-config") or "").split(","):
            configs.pop(key, None)
        state_file.write_text(json.dumps(state))
        print(f"Completed updating config for topic {name}.")
        return
    fail(f"IllegalArgumentException: unknown tool {tool}")
