"""The one line format of everything the chart runs, as the README's "Logging" section gives it.

Kafka nodes and the Jobs' Kafka tools write it through log4j2 (compiler/plan/broker_config.py
LOG4J2_PATTERN, charts/kafka/files/tools-log4j2.properties), the chart's scripts
through charts/kafka/files/log.sh. The README shows this expression in Fluent
Bit's (Onigmo's) named-group syntax, `(?<name>...)`; tests/test_logging.py checks
that the two are the same.
"""

from __future__ import annotations

import re

LOG_LINE = (r"^(?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) (?P<level>TRACE|DEBUG|INFO|WARN|ERROR|FATAL)"
            r" \[(?P<thread>.*?)\] (?P<logger>[^ :]*): (?P<message>.*)$")
LOG_LINE_RE = re.compile(LOG_LINE)


def events(text: str, what: str = "the output") -> list[re.Match]:
    """Every line of `text` as a parsed event; a line off the format fails the assertion, naming it."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        match = LOG_LINE_RE.match(line)
        assert match, f"line {number} of {what} is not in the chart's log format: {line!r}"
        found.append(match)
    return found


def messages(text: str, logger: str) -> list[str]:
    """The messages of `logger`'s events in `text`, skipping lines in no format (other output)."""
    return [m["message"] for m in map(LOG_LINE_RE.match, text.splitlines()) if m and m["logger"] == logger]
