"""Kafka's configuration definitions (schemas/kafka-config/) and the checks made with them.

The committed definitions are regenerated from Kafka's real jars and compared
byte for byte; `pytest tests/test_kafka_configs.py --update-golden` rewrites
them (after a version is added to SUPPORTED_KAFKA_VERSIONS, for instance).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from compiler.findings import Severity
from compiler.kafka_configs import DEFINITIONS_DIR, check_config, definitions_file, for_version, minor_version
from compiler.load import load_text
from compiler.model import SUPPORTED_KAFKA_VERSIONS

DUMPER = DEFINITIONS_DIR / "DumpKafkaConfigs.java"
DUMP_TIMEOUT = 300


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


# Minors whose definitions come from an older patch release than the newest: Maven Central
# has no connect-api, connect-json or connect-transforms 4.0.1, which Kafka 4.0.1's
# runtime dependencies name, so its jars cannot be resolved there.
DUMPED_FROM = {"4.0": "4.0.0"}


def newest_patches() -> dict[str, str]:
    """Each supported minor and the release its definitions are dumped from: the newest
    supported one ({"4.3": "4.3.1"}), unless DUMPED_FROM says otherwise."""
    newest: dict[str, str] = {}
    for version in sorted(SUPPORTED_KAFKA_VERSIONS, key=_release):
        newest[minor_version(version)] = version
    return {**newest, **DUMPED_FROM}


def generate(kafka_home: Path, version: str, dest: Path) -> Path:
    """Dump the definitions of the Kafka in `kafka_home` (which must be `version`) to `dest`."""
    command = ["java", "-cp", str(kafka_home / "libs" / "*"), str(DUMPER)]
    result = subprocess.run(command, capture_output=True, timeout=DUMP_TIMEOUT)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr.decode(errors='replace')[-4000:]}")
    dumped = json.loads(result.stdout)["kafka_version"]
    if dumped != version:
        raise RuntimeError(f"the jars in {kafka_home} are Kafka {dumped}, not {version}")
    dest.write_bytes(result.stdout)
    return dest


def _prerequisite_problem() -> str | None:
    if shutil.which("java") is None:
        return "dumping Kafka's config definitions needs java (17 or newer) on PATH"
    output = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)', output)
    if not match or int(match.group(1)) < 17:
        return ("dumping Kafka's config definitions needs Java 17 or newer; "
                f"`java -version` says: {output.strip()}")
    return None


def _skip_or_fail(problem: str):
    if os.environ.get("CI"):
        pytest.fail(problem)
    pytest.skip(problem)


@pytest.fixture(scope="session")
def kafka_homes():
    """version -> KAFKA_HOME with Kafka's jars (resolved from Maven Central the first time)."""
    problem = _prerequisite_problem()
    if problem:
        _skip_or_fail(problem)
    from . import kafka_dist

    homes = {}

    def home(version: str) -> Path:
        if version not in homes:
            try:
                homes[version] = kafka_dist.kafka_home(version)
            except kafka_dist.MissingPrerequisite as exc:
                _skip_or_fail(f"dumping Kafka's config definitions: {exc}")
        return homes[version]

    return home


# --- the committed definitions ----------------------------------------------------------

@pytest.mark.e2e
@pytest.mark.parametrize("minor, version", sorted(newest_patches().items()))
def test_definitions_are_what_kafkas_jars_say(minor, version, kafka_homes, update_golden, tmp_path):
    committed = definitions_file(version)
    dumped = generate(kafka_homes(version), version, tmp_path / committed.name)
    if update_golden:
        committed.write_bytes(dumped.read_bytes())
        return
    assert committed.is_file(), (f"{committed} is missing; write it with: "
                                 f"python3 -m pytest tests/{Path(__file__).name} --update-golden")
    if committed.read_bytes() != dumped.read_bytes():
        diff = "".join(list(difflib.unified_diff(
            committed.read_text().splitlines(True), dumped.read_text().splitlines(True),
            str(committed), f"dumped from Kafka {version}"))[:200])
        pytest.fail(f"{committed} differs from what Kafka {version}'s jars define:\n{diff}\n"
                    f"update it with: python3 -m pytest tests/{Path(__file__).name} --update-golden")


def test_every_supported_minor_has_definitions_from_its_newest_release():
    expected = newest_patches()
    on_disk = sorted(p.stem for p in DEFINITIONS_DIR.glob("*.json"))
    assert on_disk == sorted(expected), "one definitions file per minor of SUPPORTED_KAFKA_VERSIONS"
    for minor, version in expected.items():
        assert for_version(version).kafka_version == version
        assert for_version(f"{minor}.0").kafka_version == version


@pytest.mark.parametrize("path", sorted(DEFINITIONS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_definitions_are_in_canonical_form(path):
    """What the dumper prints is json.dumps(sort_keys=True, indent=2): easy to diff and to read."""
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_definitions_hold_what_the_checks_rely_on():
    configs = for_version("4.3.1")
    assert configs.broker["num.partitions"].type == "INT"
    assert configs.broker["num.partitions"].validator.minimum == 1
    assert configs.broker["auto.create.topics.enable"].dynamic == "read-only"
    assert configs.broker["compression.type"].validator.values == (
        "uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")
    assert configs.topic["retention.ms"].broker_synonym == "log.retention.ms"
    assert configs.topic["cleanup.policy"].type == "LIST"


# --- the checks -------------------------------------------------------------------------

def check(config: str, version: str = "4.3.1", kind: str = "broker"):
    text = "config:\n" + textwrap.indent(textwrap.dedent(config).strip() + "\n", "  ")
    documents, problems = load_text(text, "spec.yaml")
    assert problems == []
    (doc,) = documents
    return check_config(doc.get("config"), kind, version, doc, ("config",))


def rules(config: str, version: str = "4.3.1", kind: str = "broker") -> list[str]:
    return [f.rule for f in check(config, version, kind)]


@pytest.mark.parametrize("value", ["true", "false", '"TRUE"', '"False"', '" true "'])
def test_boolean_takes_yaml_booleans_and_their_text_in_any_case(value):
    assert rules(f"auto.create.topics.enable: {value}") == []


@pytest.mark.parametrize("value", ['"maybe"', "1", '""'])
def test_boolean_refuses_anything_else(value):
    (finding,) = check(f"auto.create.topics.enable: {value}")
    assert finding.rule == "config.type" and finding.severity is Severity.ERROR
    assert finding.expected == "true or false (in any letter case)"


@pytest.mark.parametrize("value", ["12", '"12"', '" 12 "', '"+12"', "0x10"])
def test_integer_takes_numbers_and_numeric_text(value):
    assert rules(f"num.partitions: {value}") == []


@pytest.mark.parametrize("value", ["1.5", '"12a"', "true", "1e3", '"1_000"'])
def test_integer_refuses_what_parseInt_would(value):
    assert rules(f"num.partitions: {value}") == ["config.type"]


def test_integer_out_of_the_java_type_range():
    (finding,) = check("num.partitions: 3000000000")
    assert finding.rule == "config.range"
    assert "out of the range of a 32-bit integer" in finding.message
    assert finding.expected == "a whole number from 1 to 2147483647"
    assert rules("log.retention.ms: 3000000000") == []  # a LONG
    assert rules("log.retention.ms: 9223372036854775808") == ["config.range"]


def test_range_minimum_and_maximum():
    (finding,) = check("num.partitions: 0")
    assert finding.rule == "config.range"
    assert finding.message == ('config["num.partitions"]: Kafka 4.3 refuses 0: '
                               "less than the minimum of 1")
    assert rules("log.cleaner.min.cleanable.ratio: 1.5") == ["config.range"]
    assert rules('log.cleaner.min.cleanable.ratio: "0.5"') == []
    assert rules("log.cleaner.min.cleanable.ratio: 1") == []


def test_negative_where_the_range_starts_at_zero():
    configs = for_version("4.3.1")
    option = configs.broker["log.cleaner.threads"]
    assert (option.validator.minimum, option.validator.maximum) == (0, None)
    (finding,) = check("log.cleaner.threads: -1")
    assert finding.rule == "config.range"
    assert finding.expected == "a whole number from 0 to 2147483647"
    assert rules("log.cleaner.threads: 0") == []


def test_double_takes_what_parseDouble_takes():
    for value in ("0.25", '"2.5e-1"', "1", '"0.5d"'):
        assert rules(f"log.cleaner.min.cleanable.ratio: {value}") == [], value
    assert rules('log.cleaner.min.cleanable.ratio: "half"') == ["config.type"]
    assert rules("log.cleaner.min.cleanable.ratio: true") == ["config.type"]


def test_enum_value_with_suggestion():
    (finding,) = check("compression.type: zstdx")
    assert finding.rule == "config.value"
    assert finding.message == ('config["compression.type"]: Kafka 4.3 refuses \'zstdx\': '
                               "not one of its values (did you mean 'zstd'?)")
    assert finding.expected == "one of uncompressed, zstd, lz4, snappy, gzip, producer"
    assert rules("compression.type: ' gzip '") == []  # Kafka trims strings
    assert rules("compression.type: GZIP") == ["config.value"]  # but compares them exactly


def test_case_insensitive_enum():
    assert rules("group.consumer.migration.policy: upgrade") == []
    assert rules("group.consumer.migration.policy: Bidirectional") == []
    (finding,) = check("group.consumer.migration.policy: upgrades")
    assert finding.rule == "config.value" and "(did you mean 'UPGRADE'?)" in finding.message
    assert finding.expected == "one of BIDIRECTIONAL, DISABLED, DOWNGRADE, UPGRADE (in any letter case)"


def test_list_items_against_the_allowed_values():
    assert rules('log.cleanup.policy: "compact, delete"') == []
    assert rules("log.cleanup.policy: compact,compacted") == ["config.value"]
    (finding,) = check("log.cleanup.policy: compact,compacted")
    assert "'compacted' is not one of its values (did you mean 'compact'?)" in finding.message
    assert rules('log.cleanup.policy: ""') == []  # an empty list: no cleanup


def test_list_duplicates_are_refused_since_kafka_4_2():
    assert rules("log.cleanup.policy: delete,delete", "4.3.1") == ["config.value"]
    assert rules("log.cleanup.policy: delete,delete", "4.2.1") == ["config.value"]
    assert rules("log.cleanup.policy: delete,delete", "4.1.1") == []


def test_class_takes_a_class_name():
    assert rules("create.topic.policy.class.name: org.example.Policy$Strict") == []
    assert rules("create.topic.policy.class.name: 5") == ["config.type"]
    assert rules("create.topic.policy.class.name: true") == ["config.type"]
    assert rules('create.topic.policy.class.name: "org.example..Policy"') == ["config.type"]


def test_string_takes_any_text_unless_its_validator_says_otherwise():
    assert rules("replica.selector.class: org.apache.kafka.common.replica.RackAwareReplicaSelector") == []
    assert rules("log.message.timestamp.type: CreateTime") == []
    assert rules("log.message.timestamp.type: 5") == ["config.value"]
    assert rules('remote.log.storage.manager.class.name: " "') == ["config.value"]  # non-empty
    assert rules("ssl.cipher.suites: TLS_AES_256_GCM_SHA384") == []


def test_unknown_key_is_a_warning_with_a_suggestion():
    (finding,) = check("num.partition: 3")
    assert finding.rule == "config.unknown" and finding.severity is Severity.WARNING
    assert finding.message == ('config["num.partition"]: not a broker option of Kafka 4.3 '
                               "(did you mean 'num.partitions'?); kept as given, e.g. for a plugin")
    assert finding.expected == "num.partitions"
    assert (finding.span.line, finding.span.col) == (2, 3)  # the key


def test_unknown_key_far_from_any_option_has_no_suggestion():
    (finding,) = check("my.plugin.endpoint: https://example.com")
    assert "did you mean" not in finding.message
    assert finding.expected.startswith("a broker option of Kafka 4.3")


def test_tiered_storage_plugin_options_are_not_unknown():
    assert rules("rsm.config.bucket: kafka-tiers") == []
    assert rules("rlmm.config.remote.log.metadata.topic.num.partitions: 10") == []
    assert rules("remote.log.storage.manager.impl.prefix: tiers.\ntiers.bucket: b") == []
    assert rules("remote.log.storage.manager.impl.prefix: tiers.\nrsm.config.bucket: b") == [
        "config.unknown"]


def test_listener_prefixed_option_is_checked_as_the_option():
    assert rules("listener.name.plain-9092.max.connections: 100") == []
    assert rules("listener.name.plain-9092.max.connections: -1") == ["config.range"]


def test_errors_point_at_the_value():
    (finding,) = check("num.partitions: 0")
    assert (finding.span.line, finding.span.col) == (2, 19)
    assert finding.path == ("config", "num.partitions")


def test_definitions_follow_the_version():
    only_newer = sorted(set(for_version("4.3.1").broker) - set(for_version("4.1.1").broker))
    assert only_newer, "Kafka 4.3 defines broker options that 4.1 does not"
    key = next(k for k in only_newer if for_version("4.3.1").broker[k].type == "BOOLEAN")
    assert rules(f"{key}: true", "4.3.0") == []
    (finding,) = check(f"{key}: true", "4.1.0")
    assert finding.rule == "config.unknown" and "Kafka 4.1" in finding.message


def test_topic_options():
    assert rules("cleanup.policy: compact\nretention.ms: 604800000", kind="topic") == []
    assert rules("min.cleanable.dirty.ratio: 2", kind="topic") == ["config.range"]
    (finding,) = check("retention.msec: 1000", kind="topic")
    assert finding.rule == "config.unknown" and "not a topic option" in finding.message
    assert "'retention.ms'" in finding.message
    # A broker-only prefix means nothing to a topic.
    assert rules("rsm.config.bucket: b", kind="topic") == ["config.unknown"]
