"""Hostile and odd input: each defect found by trying it, as a test that would have caught it.

Every case must end in a positioned error (exit 1 from the command line), never a
crash, a hang, or a value that reaches a generated file in a form the spec did not
write.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import yaml

from compiler import properties
from compiler.findings import Finding
from compiler.load import MAX_DEPTH, load_text
from compiler.pipeline import read_documents
from compiler.load import Documents

from .conftest import EXAMPLES, ROOT

QUICKSTART = (EXAMPLES / "quickstart" / "kafka.yaml").read_text(encoding="utf-8")


def findings_of(text: str, name: str = "spec.yaml") -> list[Finding]:
    documents, findings = load_text(text, name)
    model, more = read_documents(Documents(documents, findings))
    return more


def errors_of(text: str) -> list[tuple[int, int, str]]:
    return [(f.span.line, f.span.col, f.rule) for f in findings_of(text) if f.is_error]


def assert_positioned_error(text: str, rule: str | None = None) -> list[Finding]:
    errors = [f for f in findings_of(text) if f.is_error]
    assert errors, "accepted"
    for finding in errors:
        assert finding.span.line > 0 and finding.span.col > 0, finding
        assert finding.expected, finding
    if rule:
        assert rule in {f.rule for f in errors}, [(f.rule, f.message) for f in errors]
    return errors


def with_kafka(*lines: str, indent: str = "    ") -> str:
    """The quickstart with lines added under spec.kafka."""
    return QUICKSTART.replace("    config:\n", "".join(indent + line + "\n" for line in lines) + "    config:\n", 1)


def with_pool(old: str, new: str) -> str:
    assert old in QUICKSTART
    return QUICKSTART.replace(old, new, 1)


def test_the_quickstart_is_accepted():
    assert errors_of(QUICKSTART) == []


# --- 1. properties injection ------------------------------------------------------------------

@pytest.mark.parametrize("key", ['"x.y\\nlistener.name.replication-9091.ssl.client.auth"',
                                 '"x.z\\rprocess.roles"', '"a\\u2028b"', '"a\\tb"'])
def test_a_line_break_in_a_config_key_is_refused_at_its_position(key):
    text = QUICKSTART.replace("    config:\n", f"    config:\n      {key}: none\n", 1)
    errors = assert_positioned_error(text, "yaml.control-character")
    assert (errors[0].span.line, errors[0].span.col) == (19, 7)


def test_a_line_break_in_a_logger_name_is_refused():
    text = with_kafka("logging:", "  type: inline", "  loggers:", '    "logger.a\\nappender.evil.type.name": INFO')
    assert_positioned_error(text, "yaml.control-character")


@pytest.mark.parametrize("key", ["x.y\nlistener.name.a.ssl.client.auth", "a\rb", "a\u2028b", "a\u0085b", "é=:#! \\",
                                 "\ud7ff\U0001f600", "a\fb"])
def test_a_properties_entry_is_always_one_line_of_printable_ascii(key):
    line = properties.property_line(key, key)
    assert "\n" not in line and "\r" not in line and line.isascii() and line.isprintable()


def test_properties_escapes_read_back_as_written():
    # java.util.Properties.load, for the escapes kafkac writes
    def unescape(text: str) -> str:
        return text.encode("latin-1").decode("unicode_escape").encode("utf-16", "surrogatepass").decode("utf-16")
    for value in ("a\nb", "é", "\U0001f600", "tab\there", "back\\slash"):
        assert unescape(properties.escape_value(value)) == value


# --- 2. the loader ------------------------------------------------------------------------------

@pytest.mark.parametrize("scalar", [".inf", "-.inf", ".nan", "+.INF", ".NaN"])
def test_non_finite_numbers_are_refused_with_a_position(scalar):
    documents, findings = load_text(f"a: 1\nb: {scalar}\n", "spec.yaml")
    assert [(f.span.line, f.span.col, f.rule) for f in findings] == [(2, 4, "yaml.non-finite")]


@pytest.mark.parametrize("text, position", [
    ("a: 1\nb: x\x01y\n", (2, 5)), ("a: 1\nb: \x7f\n", (2, 4)), ('a: "x\\0y"\n', (1, 4)),
    ('a: "\\x1b[31m"\n', (1, 4)), ("a: x\u2028y\n", (1, 5)), ("a: x\x85y\n", (1, 5)), ('a: "\\L"\n', (1, 4))])
def test_control_characters_and_ambiguous_line_breaks_are_refused_with_a_position(text, position):
    documents, findings = load_text(text, "spec.yaml")
    assert [(f.span.line, f.span.col) for f in findings if f.is_error] == [position], findings


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 5000])
@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_nesting_is_refused_before_anything_recurses(depth, style):
    if style == "flow":
        text = "a: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v: 1\n"
    documents, findings = load_text(text, "spec.yaml")
    assert [f.rule for f in findings] == ["yaml.too-deep"]
    assert findings[0].span.line >= 1


def test_nesting_at_the_limit_is_read():
    documents, findings = load_text("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n", "spec.yaml")
    assert findings == []


def test_fifty_thousand_levels_in_a_file_exit_1_not_a_crash(tmp_path):
    spec = tmp_path / "deep.yaml"
    spec.write_text("a: " + "[" * 50_000 + "]" * 50_000 + "\n")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "compiler", "validate", str(spec)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{spec}:1:" in done.stdout and "yaml.too-deep" in done.stdout
    assert time.monotonic() - started < 60


# --- 3. bounds, 4. integers only ----------------------------------------------------------------

@pytest.mark.parametrize("replicas", ["100000000", "2147483648", "10000000", "70000", "1001"])
def test_replicas_beyond_the_bound_are_refused_fast(replicas):
    started = time.monotonic()
    errors = assert_positioned_error(with_pool("\n  replicas: 1\n", f"\n  replicas: {replicas}\n"), "limits.maximum")
    assert errors[0].span.line == 33
    assert time.monotonic() - started < 5


def test_node_ids_beyond_a_java_int_are_refused():
    text = with_pool("  labels:\n    strimzi.io/cluster: my-cluster\n",
                     "  labels:\n    strimzi.io/cluster: my-cluster\n"
                     '  annotations:\n    strimzi.io/next-node-ids: "[2147483647]"\n').replace(
        "\n  replicas: 1\n", "\n  replicas: 2\n")
    assert_positioned_error(text)


@pytest.mark.parametrize("old, new", [("\n  replicas: 1\n", "\n  replicas: 3.0\n"), ("port: 9092\n", "port: 9092.0\n"),
                                      ("\n  replicas: 1\n", "\n  replicas: 1e0\n")])
def test_integer_fields_take_integers_only(old, new):
    errors = assert_positioned_error(QUICKSTART.replace(old, new, 1), "schema.type")
    assert "integers only" in errors[0].expected


# --- 6. Kubernetes syntax -------------------------------------------------------------------------

@pytest.mark.parametrize("key, value, rule", [
    ('"{{ .Release.Name }}"', "x", "kubernetes.label-key"),
    ("ok", '"{{ .Release.Name }}"', "kubernetes.label-value"),
    ('"emoji\U0001f600"', "x", "kubernetes.label-key"),
    ("ok", '"a\\nb"', "kubernetes.label-value"),
    ("ok", "x" * 64, "kubernetes.label-value"),
    ("Bad_Prefix/x", "y", "kubernetes.label-key"),
    ("/x", "y", "kubernetes.label-key"),
])
def test_labels_follow_kubernetes_rules(key, value, rule):
    text = QUICKSTART.replace("  annotations:\n", f"  labels:\n    {key}: {value}\n  annotations:\n", 1)
    assert_positioned_error(text, rule)


def test_annotation_keys_follow_kubernetes_rules():
    text = QUICKSTART.replace("    kafkac.io/profile: dev\n", '    kafkac.io/profile: dev\n    "a b": c\n', 1)
    errors = assert_positioned_error(text, "kubernetes.annotation-key")
    assert (errors[0].span.line, errors[0].span.col) == (10, 5)


def test_template_labels_are_checked_too():
    text = with_kafka("template:", "  pod:", "    metadata:", "      labels:", '        "x y": z')
    assert_positioned_error(text, "kubernetes.label-key")


def test_a_template_label_under_strimzi_io_is_refused_at_its_key():
    text = with_kafka("template:", "  pod:", "    metadata:", "      labels:", "        strimzi.io/name: mine")
    errors = assert_positioned_error(text, "kubernetes.reserved-label")
    assert "strimzi.io/name" in errors[0].message and "remove it" in errors[0].message


def test_a_template_label_the_chart_sets_itself_is_dropped_with_a_warning():
    text = with_kafka("template:", "  pod:", "    metadata:", "      labels:",
                      "        app.kubernetes.io/name: mine", "        app.kubernetes.io/part-of: shop")
    findings = findings_of(text)
    assert not [f for f in findings if f.is_error]
    dropped = [f for f in findings if f.rule == "kubernetes.dropped-label"]
    assert [f.path[-1] for f in dropped] == ["app.kubernetes.io/name"]  # part-of is kept, as Strimzi keeps it
    assert dropped[0].span.line > 0


def test_names_kafkac_builds_stay_within_kubernetes_limits():
    long_pool = "p" * 45
    text = QUICKSTART.replace("name: dual-role", f"name: {long_pool}")
    errors = assert_positioned_error(text, "kubernetes.name-length")
    assert all(e.span.line == 29 for e in errors if e.rule == "kubernetes.name-length")


def test_a_cluster_name_starting_with_a_digit_is_refused():
    text = QUICKSTART.replace("name: my-cluster", "name: 1cluster").replace("cluster: my-cluster", "cluster: 1cluster")
    assert_positioned_error(text, "kubernetes.name")


# --- 7. characters helm cannot render, hosts with ports, NUL in JVM options ------------------------

@pytest.mark.parametrize("value", ['"a\\Lb"', '"a\\Pb"', '"a\\Nb"', "\"a\u2028b\""])
def test_line_and_paragraph_separators_are_refused_in_config_values(value):
    text = QUICKSTART.replace("    config:\n", f"    config:\n      x.y: {value}\n", 1)
    assert_positioned_error(text)


def test_a_host_with_a_port_is_refused_at_validate_time():
    text = QUICKSTART.replace("""      - name: plain
        port: 9092
        type: internal
        tls: false
""", """      - name: plain
        port: 9092
        type: internal
        tls: false
      - name: ext
        port: 9094
        type: nodeport
        tls: false
        configuration:
          brokers:
            - broker: 0
              advertisedHost: host:9095
""")
    errors = assert_positioned_error(text, "listener.host")
    assert errors[0].span.line == 25


def test_an_ipv6_advertised_host_is_accepted():
    from compiler.input_limits import host_problem
    assert host_problem("fd00::1") is None and host_problem("broker-0.example.com") is None
    assert host_problem("host:9095")


@pytest.mark.parametrize("lines", [
    ("jvmOptions:", "  javaSystemProperties:", "    - name: a", '      value: "x\\0y"'),
    ("jvmOptions:", "  javaSystemProperties:", "    - name: a", '      value: "x -javaagent:/tmp/evil.jar"'),
    ("jvmOptions:", '  "-XX":', '    "UseG1GC true": "true"'),
    ("jvmOptions:", '  "-XX":', '    "MaxGCPauseMillis": "20 -Dx=*"'),
    ("template:", "  kafkaContainer:", "    env:", "      - name: A", '        value: "x\\0y"'),
])
def test_jvm_options_and_env_values_that_the_start_script_would_split_are_refused(lines):
    assert_positioned_error(with_kafka(*lines))


# --- 8. a heap larger than the pod ---------------------------------------------------------------

def test_a_heap_larger_than_the_memory_limit_is_an_error():
    text = with_kafka("jvmOptions:", '  "-Xmx": 8g')
    errors = assert_positioned_error(text, "jvm.heap-over-limit")
    assert errors[0].span.line == 19


def test_a_heap_below_the_memory_limit_is_accepted():
    assert errors_of(with_kafka("jvmOptions:", '  "-Xmx": 512m')) == []


def test_findings_come_from_the_command_line_with_exit_1(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(with_pool("\n  replicas: 1\n", "\n  replicas: 3.0\n"))
    done = subprocess.run([sys.executable, "-m", "compiler", "validate", str(spec)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and f"{spec}:33:13" in done.stdout, done.stdout + done.stderr


def test_every_yaml_document_kind_is_still_read():
    assert yaml.safe_load(QUICKSTART.split("---")[0])["kind"] == "Kafka"


@pytest.mark.parametrize("key", ["listeners", "x.y\nlistener.name.a.ssl.client.auth", " lead", "a=b", "é😀", "a\\"])
def test_a_properties_file_reads_back_exactly_the_keys_it_was_given(key):
    text = properties.properties_text([(key, "v"), ("next", "w")])
    assert text.count("\n") == 2
    assert properties._key_of(text.splitlines()[0]) == key


def test_the_input_files_together_are_bounded(tmp_path, monkeypatch):
    from compiler import load as load_module
    monkeypatch.setattr(load_module, "MAX_INPUT_BYTES", 1000)
    for index in range(3):
        (tmp_path / f"{index}.yaml").write_text("a: " + "x" * 400 + "\n")
    findings = load_module.load([tmp_path]).findings
    assert [(f.span.file, f.rule) for f in findings] == [(str(tmp_path / "2.yaml"), "yaml.too-large")]


def test_services_per_broker_are_bounded():
    listeners = "".join(f"      - name: ext{i}\n        port: {9094 + i}\n        type: nodeport\n        tls: false\n"
                        for i in range(4))
    text = QUICKSTART.replace("    config:\n", "", 0).replace("        tls: false\n", "        tls: false\n" + listeners, 1)
    text = text.replace("\n  replicas: 1\n", "\n  replicas: 1000\n")
    assert_positioned_error(text, "limits.services")


def test_listeners_are_bounded():
    listeners = "".join(f"      - name: l{i}\n        port: {9094 + i}\n        type: internal\n        tls: false\n"
                        for i in range(40))
    text = QUICKSTART.replace("        tls: false\n", "        tls: false\n" + listeners, 1)
    assert_positioned_error(text, "limits.maxItems")


def test_brackets_inside_quotes_do_not_count_as_nesting():
    documents, findings = load_text('a: "' + "[" * (MAX_DEPTH * 2) + '"\n', "spec.yaml")
    assert findings == [] and documents[0].data == {"a": "[" * (MAX_DEPTH * 2)}


def test_compact_block_nesting_is_measured_too():
    text = "a:\n" + "".join("  " + "- " * 60 + "x\n" for _ in range(1)) + "b: " + "- " * 0 + "1\n"
    assert load_text("".join("- " * (MAX_DEPTH + 5)) + "x\n", "spec.yaml")[1][0].rule == "yaml.too-deep"
    assert load_text(text, "spec.yaml")[1] == []


# --- lists of resources (`kubectl get -o yaml`) -------------------------------------------------

def test_a_list_of_ten_thousand_topics_is_read_in_one_pass():
    topic = ("- apiVersion: kafka.strimzi.io/v1\n  kind: KafkaTopic\n  metadata:\n    name: topic-{i}\n"
             "    labels: {{strimzi.io/cluster: my-cluster}}\n  spec: {{partitions: 3, replicas: 1}}\n")
    text = "apiVersion: v1\nkind: List\nitems:\n" + "".join(topic.format(i=i) for i in range(10_000))
    started = time.monotonic()
    documents, findings = load_text(text, "topics.yaml")
    assert time.monotonic() - started < 20
    assert findings == [] and len(documents) == 10_000
    last = documents[-1]
    assert (last.name, str(last.span_of(("metadata", "name")))) == ("topic-9999", f"topics.yaml:{3 + 6 * 9999 + 4}:11")


def test_a_list_item_repeated_by_an_alias_is_a_positioned_duplicate_not_a_crash():
    text = """\
apiVersion: v1
kind: List
items:
- apiVersion: kafka.strimzi.io/v1
  kind: Kafka
  metadata: {name: my-cluster}
  spec:
    kafka:
      listeners: [{name: plain, port: 9092, type: internal, tls: false}]
    entityOperator: {topicOperator: {}}
- apiVersion: kafka.strimzi.io/v1
  kind: KafkaNodePool
  metadata: {name: dual-role, labels: {strimzi.io/cluster: my-cluster}}
  spec: {replicas: 1, roles: [controller, broker], storage: {type: ephemeral}}
- &topic
  apiVersion: kafka.strimzi.io/v1
  kind: KafkaTopic
  metadata: {name: orders, labels: {strimzi.io/cluster: my-cluster}}
  spec: {partitions: 1, replicas: 1}
- *topic
"""
    errors = assert_positioned_error(text, "topic.duplicate")
    # The alias's nodes are the anchor's, and so are their positions: the name at line 18.
    assert [(f.rule, f.span.line) for f in errors] == [("topic.duplicate", 18)]
