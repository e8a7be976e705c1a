"""The chart's one log format: the log4j2 configurations, the scripts' log.sh, the README's parser.

The scripts run for real under the system shell and BusyBox's; the Kafka nodes
and the Jobs' tools writing the format are checked in tests/e2e/test_topics.py.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from compiler.model import Logging
from compiler.plan.broker_config import LOG4J2_PATTERN, log4j2_properties, log4j_java_option, logging_file
from compiler.plan.metrics import METRICS_AGENT_COPY_SCRIPT, kafka_exporter_logging_args
from compiler.project_files import CHARTS

from .conftest import BUSYBOX, with_busybox
from .log_format import LOG_LINE, LOG_LINE_RE, events

FILES = CHARTS / "kafka" / "files"
README = Path(__file__).resolve().parent.parent / "README.md"
SHELLS = [["/bin/sh"], with_busybox([BUSYBOX, "sh"])]


def properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_the_nodes_log_to_stdout_one_event_per_line_in_utc():
    config = properties(log4j2_properties(Logging(type="inline", loggers={"kafka.request.logger": "DEBUG"})))
    assert config["appender.stdout.target"] == "SYSTEM_OUT"
    assert config["appender.stdout.layout.pattern"] == LOG4J2_PATTERN
    # The pattern places the stack trace inside %enc{...}{CRLF}; log4j2 must not append it again.
    assert config["appender.stdout.layout.alwaysWriteExceptions"] == "false"
    assert "%enc{%m%notEmpty{ %ex}}{CRLF}%n" in LOG4J2_PATTERN and "{UTC}" in LOG4J2_PATTERN
    assert config["logger.kafka_request_logger.level"] == "DEBUG"


def test_the_jobs_tools_log_warnings_in_the_same_pattern_to_stderr():
    config = properties((FILES / "tools-log4j2.properties").read_text())
    assert config["appender.stderr.layout.pattern"] == LOG4J2_PATTERN
    assert config["appender.stderr.target"] == "SYSTEM_ERR"
    assert config["rootLogger.level"] == "WARN"
    tools = (FILES / "kafka-tools.sh").read_text()
    assert 'KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=${0%/*}/tools-log4j2.properties"' in tools


def test_the_readme_parser_is_the_expression_the_tests_use():
    (regex,) = re.findall(r"^    Regex +(.*)$", README.read_text(), re.MULTILINE)
    assert regex.replace("(?<", "(?P<") == LOG_LINE


def run_script(shell: list[str], tmp_path: Path, body: str, path: str | None = None) -> subprocess.CompletedProcess:
    script = tmp_path / "demo-step.sh"
    script.write_text(f'log_name=demo\n. "{FILES}/log.sh"\n{body}')
    env = {"PATH": path or os.environ["PATH"]}
    return subprocess.run([*shell, str(script)], capture_output=True, text=True, env=env, timeout=30)


@pytest.mark.parametrize("shell", SHELLS)
def test_log_sh_writes_one_event_per_line_errors_on_stderr(shell, tmp_path):
    (tmp_path / "tool.out").write_text("first\n  second\nlast without a line end")
    done = run_script(shell, tmp_path, f"""
log "plain $(printf 'x')"
log_warn "two
lines"
log_tail WARN "{tmp_path}/tool.out"
fail "it broke"
log "never"
""")
    assert done.returncode == 1
    out = [(m["level"], m["thread"], m["logger"], m["message"]) for m in events(done.stdout)]
    assert out == [("INFO", "demo-step", "demo", "plain x"), ("WARN", "demo-step", "demo", "two\\nlines"),
                   ("WARN", "demo-step", "demo", "  first"), ("WARN", "demo-step", "demo", "    second"),
                   ("WARN", "demo-step", "demo", "  last without a line end")]
    assert [(m["level"], m["message"]) for m in events(done.stderr)] == [("ERROR", "it broke")]


@pytest.mark.parametrize("shell", SHELLS)
def test_log_run_logs_a_commands_answer_and_fails_with_its_error(shell, tmp_path):
    done = run_script(shell, tmp_path, 'log_run echo "secret/a created"\nlog_run ls /no/such/folder\n')
    assert done.returncode == 1
    assert [m["message"] for m in events(done.stdout)] == ["secret/a created"]
    (error,) = events(done.stderr)
    assert error["level"] == "ERROR" and error["message"].startswith("ls /no/such/folder failed: ")


def test_a_date_without_nanoseconds_still_gives_the_format(tmp_path):
    """BusyBox builds without FEATURE_DATE_NANO print %N back; the milliseconds are then 000."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "date").write_text('#!/bin/sh\nprintf "2026-05-04T09:12:02.N\\n"\n')
    (bin_dir / "date").chmod(0o755)
    done = run_script(["/bin/sh"], tmp_path, 'log "hello"\n', path=f"{bin_dir}:/usr/bin:/bin")
    (event,) = events(done.stdout)
    assert event["time"] == "2026-05-04T09:12:02.000Z"


def test_every_script_that_logs_uses_log_sh():
    """No script prints a free-form line of its own: each sources log.sh and sets its name."""
    scripts = sorted(FILES.glob("*.sh"))
    sourced = {name for script in scripts for name in re.findall(r'\. "\$\{0%/\*\}/([\w.-]+)"', script.read_text())}
    assert {"log.sh", "tls-tools.sh", "certs-ca.sh"} <= sourced
    for script in scripts:
        text = script.read_text()
        if script.name in sourced or script.name in ("kafka-ready.sh", "zookeeper-ready.sh"):
            continue  # log.sh itself, and the files sourced after it; the probes (their output is the probe's)
        assert '. "${0%/*}/log.sh"' in text and "log_name=" in text, script.name
        assert not re.search(r'echo "[a-z-]+: ', text), script.name


def test_the_metrics_agent_copy_logs_in_the_format(tmp_path):
    (tmp_path / "jmx_prometheus_javaagent-1.0.1.jar").write_text("jar")
    (tmp_path / "agent").mkdir()
    env = {"PATH": os.environ["PATH"], "KAFKAC_AGENT_SOURCE": f"{tmp_path}/jmx_prometheus_javaagent-*.jar",
           "KAFKAC_AGENT_DIR": str(tmp_path / "agent"), "KAFKAC_AGENT_JAR": "agent.jar"}
    done = subprocess.run(["/bin/sh", "-c", METRICS_AGENT_COPY_SCRIPT], capture_output=True, text=True, env=env)
    (event,) = events(done.stdout)
    assert (event["level"], event["logger"]) == ("INFO", "metrics-agent") and done.returncode == 0
    env["KAFKAC_AGENT_SOURCE"] = f"{tmp_path}/none-*.jar"
    done = subprocess.run(["/bin/sh", "-c", METRICS_AGENT_COPY_SCRIPT], capture_output=True, text=True, env=env)
    (event,) = events(done.stderr)
    assert event["level"] == "ERROR" and done.returncode == 1


class Exporter:
    def __init__(self, logging: str, sarama: bool):
        self.logging = logging
        self.enable_sarama_logging = sarama


@pytest.mark.parametrize(("logging", "sarama", "args"), [
    ("info", False, ["--verbosity=0"]),
    ("debug", False, ["--verbosity=1"]),
    ("trace", True, ["--log.enable-sarama", "--verbosity=2"]),
])
def test_the_exporter_logs_at_the_specs_level(logging, sarama, args):
    assert kafka_exporter_logging_args(Exporter(logging, sarama)) == args


def test_the_format_matches_kafkas_own_lines_and_rejects_others():
    assert LOG_LINE_RE.match("2026-05-04T09:12:02.418Z INFO [kafka-0-raft-io-thread] "
                             "org.apache.kafka.raft.KafkaRaftClient: [RaftManager id=0] Completed transition")
    assert LOG_LINE_RE.match("2026-05-04T09:12:02.418Z ERROR [main] : a root logger's event")
    assert not LOG_LINE_RE.match("[2026-05-04 09:12:02,418] WARN message (org.apache.kafka.Foo)")
    assert not LOG_LINE_RE.match("Formatting metadata directory /var/lib/kafka with metadata.version 4.3")


def test_kafka_3_nodes_and_workers_log_through_log4j_1_in_the_same_format():
    logging = Logging(type="inline", loggers={"kafka.root.logger.level": "WARN",
                                              "log4j.logger.kafka.coordinator": "DEBUG"})
    assert logging_file(logging, "4.0.0")["fileName"] == "log4j2.properties"
    file = logging_file(logging, "3.9.1")
    assert file["fileName"] == "log4j.properties"
    config = properties(file["content"])
    assert config["log4j.rootLogger"] == "WARN, CONSOLE"
    assert config["log4j.appender.CONSOLE.layout"] == "org.apache.log4j.EnhancedPatternLayout"
    assert config["log4j.appender.CONSOLE.layout.ConversionPattern"].startswith(LOG4J2_PATTERN.split(" %c")[0])
    assert config["log4j.logger.kafka.coordinator"] == "DEBUG"
    assert config["log4j.logger.kafka.request.logger"] == "WARN"
    assert log4j_java_option("log4j.properties", "/d") == "-Dlog4j.configuration=file:/d/log4j.properties"
    assert log4j_java_option("log4j2.properties", "/d") == "-Dlog4j2.configurationFile=/d/log4j2.properties"
