"""The topics Job's three-way comparison, for `kafkac topics diff`: the Job's own awk programs.

The Job (charts/kafka/files/topics-sync.sh) compares, per topic and per setting
(partitions, replicas, each config option), the spec, the record of what it
applied last, and the live topic, with charts/kafka/files/topics-compare.awk,
and reports with topics-report.awk. This module runs those same programs
through the system's awk from a workstation or CI, on the topics read from
Kafka written as Kafka's tools print them, so that a person sees beforehand
what the next Job run would do: same rules, same report, one implementation.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import tools
from .model import Topic
from .project_files import CHARTS
from .plan.topics import spec_line

SCRIPTS = CHARTS / "kafka" / "files"
_JSON = SCRIPTS / "topics-json.awk"
_COMPARE = SCRIPTS / "topics-compare.awk"
_REPORT = SCRIPTS / "topics-report.awk"
_PREFIX = "kafkac-topics: "


@dataclass(frozen=True)
class TopicState:
    """A topic as Kafka has it; config values as Kafka keeps them."""

    name: str
    partitions: int
    replicas: int
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """What the Job would report: its lines for a person, its JSON line, and whether anything differs."""

    lines: list[str]
    json: dict
    differs: bool


class CompareError(Exception):
    """The comparison could not read its inputs (a record file that is not the Job's)."""


def described_topics(live: Iterable[TopicState]) -> str:
    """The topics as `kafka-topics.sh --describe` prints them (the lines the comparison reads)."""
    return "".join(f"Topic: {t.name}\tTopicId: -\tPartitionCount: {t.partitions}\t"
                   f"ReplicationFactor: {t.replicas}\tConfigs: \n" for t in live)


def described_configs(live: Iterable[TopicState]) -> str:
    """The topics' own options as `kafka-configs.sh --describe --entity-type topics` prints them."""
    lines = []
    for topic in live:
        lines.append(f"Dynamic configs for topic {topic.name} are:\n")
        lines += [f"  {key}={value} sensitive=false synonyms={{DYNAMIC_TOPIC_CONFIG:{key}={value}}}\n"
                  for key, value in topic.config.items()]
    return "".join(lines)


def compare(spec: Iterable[Topic], records: Iterable[Path], live: Iterable[TopicState]) -> Report:
    """What the topics Job would do and report, given the spec, its records (state.jsonl) and Kafka."""
    with tempfile.TemporaryDirectory(prefix="kafkac-topics-") as folder:
        work = Path(folder)
        (work / "actions").mkdir()
        (work / "topics.jsonl").write_text("".join(spec_line(t) + "\n" for t in spec))
        live = list(live)
        (work / "live-topics.txt").write_text(described_topics(live))
        (work / "live-configs.txt").write_text(described_configs(live))
        state = [arg for path in records for arg in ("kind=state", str(path))]
        _awk(_COMPARE, f"work={work}", "kind=spec", "shard=0", str(work / "topics.jsonl"), *state,
             "kind=topics", str(work / "live-topics.txt"), "kind=configs", str(work / "live-configs.txt"))
        # Nothing runs here: every action counts as done, as the report of a successful run says.
        actions = (work / "actions.tsv").read_text().splitlines()
        (work / "results.tsv").write_text("".join(f"{line.split(chr(9))[0]}\tok\t-\n" for line in actions))
        events = (work / "events.tsv").read_text().splitlines()
        report = _awk(_REPORT, f"work={work}", "shards=1", "kind=results", str(work / "results.tsv"),
                      "kind=events", str(work / "events.tsv"), *state,
                      "kind=next", str(work / "next-state.tsv"))
    *lines, machine = [line.removeprefix(_PREFIX) for line in report.splitlines()]
    return Report(lines, json.loads(machine),
                  any(event.split("\t")[1] != "unchanged" for event in events))


def _awk(program: Path, *args: str) -> str:
    try:
        return tools.awk("-f", str(_JSON), "-f", str(program), *args)
    except tools.ToolError as exc:
        raise CompareError(exc.stderr.strip() or str(exc)) from None
