"""The topics Job's three-way comparison, for `kafkac topics diff`: same rules, same report.

The Job (charts/kafka/files/topics-sync.sh) compares, per topic and per setting
(partitions, replicas, each config option), the spec, the record of what it
applied last, and the live topic; this module does the same from a
workstation or CI, so that a person sees beforehand what the next Job run
would do. `tests/test_topics_sync.py` runs both on the same inputs and checks
that they agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .model import Topic


@dataclass(frozen=True)
class TopicState:
    """A topic as the spec, the record or Kafka has it; config values as Kafka keeps them."""

    name: str
    partitions: int
    replicas: int
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """One finding of the comparison.

    kind: created, raised, changed, conflict, kept, refused or unchanged.
    For created, spec/last/kafka are partitions, replicas and the number of options.
    None stands for "not set".
    """

    topic: str
    kind: str
    setting: str = ""
    spec: object = None
    last: object = None
    kafka: object = None


def from_topic(topic: Topic) -> TopicState:
    return TopicState(topic.name, topic.partitions, topic.replicas, dict(topic.config))


def read_record(lines: Iterable[str]) -> dict[str, TopicState]:
    """What the Job recorded (state.jsonl), topic by topic."""
    record = {}
    for line in lines:
        if line.strip():
            data = json.loads(line)
            record[data["name"]] = TopicState(data["name"], int(data["partitions"]), int(data["replicas"]),
                                              dict(data.get("config") or {}))
    return record


def compare(spec: Iterable[TopicState], record: Mapping[str, TopicState],
            live: Mapping[str, TopicState]) -> list[Event]:
    """What the Job would do and report, in its order."""
    events: list[Event] = []
    for topic in spec:
        name = topic.name
        if name not in live:
            events.append(Event(name, "created", "", topic.partitions, topic.replicas, len(topic.config)))
            continue
        now, last = live[name], record.get(name)
        first = last is None
        head, tail, applies = [], [], False
        if first or topic.partitions != last.partitions:
            if topic.partitions > now.partitions:
                applies = True
                tail.append(Event(name, "raised", "partitions", topic.partitions,
                                  None if first else last.partitions, now.partitions))
            elif topic.partitions < now.partitions:
                head.append(Event(name, "refused", "partitions", topic.partitions,
                                  None if first else last.partitions, now.partitions))
        elif topic.partitions != now.partitions:
            head.append(Event(name, "kept", "partitions", topic.partitions, last.partitions, now.partitions))
        if topic.replicas != now.replicas:
            if first or topic.replicas != last.replicas:
                head.append(Event(name, "refused", "replicas", topic.replicas,
                                  None if first else last.replicas, now.replicas))
            else:
                head.append(Event(name, "kept", "replicas", topic.replicas, last.replicas, now.replicas))
        options = list(dict.fromkeys([*topic.config, *(last.config if last else {}), *now.config]))
        for option in options:
            s = topic.config.get(option)
            l = None if first else last.config.get(option)
            v = now.config.get(option)
            if s == l:
                if v != s:
                    tail.append(Event(name, "kept", option, s, l, v))
            elif v != s:
                applies = True
                tail.append(Event(name, "changed" if v == l else "conflict", option, s, l, v))
        events += head + tail
        if not applies:
            events.append(Event(name, "unchanged"))
    return events


def differs(events: Iterable[Event]) -> bool:
    """Whether Kafka and the spec differ in anything (what `kafkac topics diff` exits 1 for)."""
    return any(event.kind != "unchanged" for event in events)


# --- the report, in the Job's words ----------------------------------------------------------

def _words(value) -> str:
    if value is None:
        return "not set"
    return '"" (empty)' if value == "" else str(value)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def report_lines(events: list[Event]) -> list[str]:
    """The report for a person, as the Job prints it (without its progress lines)."""
    lines = []
    created = updated = unchanged = kept = conflicts = refused = 0
    updated_topics: set[str] = set()
    for e in events:
        prefix = f"topic {e.topic}: "
        if e.kind == "unchanged":
            unchanged += 1
            continue
        if e.kind == "created":
            created += 1
            lines.append(f"{prefix}created with {_plural(e.spec, 'partition')} of {_plural(e.last, 'replica')} "
                         f"and {_plural(e.kafka, 'config option')}")
            continue
        if e.kind in ("raised", "changed", "conflict") and e.topic not in updated_topics:
            updated_topics.add(e.topic)
            updated += 1
        if e.kind == "raised":
            lines.append(f"{prefix}partitions raised from {e.kafka} to {e.spec}")
        elif e.kind == "changed":
            change = "removed (Kafka default applies)" if e.spec is None else f"set to {_words(e.spec)}"
            lines.append(f"{prefix}{e.setting} {change}, was {_words(e.kafka)}")
        elif e.kind == "conflict":
            conflicts += 1
            lines.append(f"{prefix}CONFLICT on {e.setting}: Kafka had {_words(e.kafka)}, the last applied value "
                         f"was {_words(e.last)} and the spec changed it to {_words(e.spec)}: the spec was applied")
        elif e.kind == "kept":
            kept += 1
            if e.setting in ("partitions", "replicas"):
                what = (f"has {e.kafka} {e.setting} in Kafka; the spec and the last applied value are {e.spec}")
            elif e.last is None:
                what = f"{e.setting} was set in Kafka to {_words(e.kafka)} and is not in the spec"
            elif e.kafka is None:
                what = f"{e.setting} was removed in Kafka; the spec and the last applied value are {_words(e.spec)}"
            else:
                what = (f"{e.setting} was changed in Kafka to {_words(e.kafka)}; the spec and the last applied "
                        f"value are {_words(e.spec)}")
            lines.append(f"{prefix}KEPT: {what}: the change made in Kafka is kept (change the spec to take it over)")
        elif e.kind == "refused":
            refused += 1
            if e.setting == "partitions":
                why = (f"Kafka cannot lower the number of partitions (it has {e.kafka}, the spec says {e.spec}); "
                       f"set spec.partitions to {e.kafka} or more")
            else:
                why = (f"the replication factor of an existing topic is not changed by this Job (Kafka has "
                       f"{e.kafka}, the spec says {e.spec}): that needs a partition reassignment "
                       f"(kafka-reassign-partitions.sh); set spec.replicas to {e.kafka} to match")
            lines.append(f"{prefix}REFUSED: {why}")
    total = created + updated + unchanged
    if created + updated == 0 and not refused:
        summary = f"{_plural(total, 'topic')}: nothing to change" + ("" if kept else ", Kafka matches the spec")
    else:
        summary = (f"{_plural(total, 'topic')}: {created} created, {updated} updated, {unchanged} unchanged, "
                   "0 failed")
    if refused:
        summary += f"; {_plural(refused, 'change')} refused"
    if kept:
        summary += f"; {_plural(kept, 'change')} made in Kafka kept"
    if conflicts:
        summary += f"; {_plural(conflicts, 'conflict')} resolved from the spec"
    return lines + [summary]


def report_json(events: list[Event]) -> dict:
    """The report for a machine, as the Job prints it."""
    report = {"report": "kafkac-topics", "status": "ok", "topics": 0, "created": [], "updated": [],
              "unchanged": 0, "changes": [], "kept": [], "conflicts": [], "refused": [], "failed": []}
    topics = set()
    for e in events:
        topics.add(e.topic)
        if e.kind == "unchanged":
            report["unchanged"] += 1
        elif e.kind == "created":
            report["created"].append(e.topic)
        elif e.kind in ("raised", "changed", "conflict"):
            if e.topic not in report["updated"]:
                report["updated"].append(e.topic)
            if e.kind == "conflict":
                report["conflicts"].append({"topic": e.topic, "setting": e.setting, "spec": e.spec,
                                            "lastApplied": e.last, "kafka": e.kafka})
            else:
                report["changes"].append({"topic": e.topic, "setting": e.setting,
                                          "from": e.kafka, "to": e.spec})
        elif e.kind == "kept":
            report["kept"].append({"topic": e.topic, "setting": e.setting, "spec": e.spec,
                                   "lastApplied": e.last, "kafka": e.kafka})
        elif e.kind == "refused":
            report["status"] = "refused"
            report["refused"].append({"topic": e.topic, "setting": e.setting, "spec": e.spec, "kafka": e.kafka})
    report["topics"] = len(topics)
    return report
