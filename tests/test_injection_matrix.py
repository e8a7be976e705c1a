"""Every user string that reaches a template, a properties file, a script or a Job's data, times hostile strings.

Each (field, hostile string) pair is first validated on its own: it must be refused
with positioned errors, or accepted. The accepted strings of a field are then put
into one spec together, compiled, and rendered with `helm template` once; each must
come out literally: in the rendered manifests, in the properties files the pods read
(parsed as `java.util.Properties` reads them) and in the JSON the Jobs read. A Go
template that ran, YAML that broke out of its scalar or a property line that split
would each leave the string missing.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from compiler import tools
from compiler.emit import emit
from compiler.document import Documents
from compiler.load import load_text
from compiler.pipeline import read_documents
from compiler.plan import plan
from compiler.verify import render

from .conftest import EXAMPLES

HOSTILE = {
    "go-template": "{{ .Release.Name }}",
    "go-template-fail": '{{- fail "boom" -}}',
    "go-raw": "{{`x`}}",
    "yaml-mapping": "a: b",
    "yaml-sequence": "- x",
    "yaml-quotes": "'\"",
    "yaml-anchor": "&a *a",
    "yaml-tag": "!!binary AA",
    "yaml-comment": "x #not a comment",
    "yaml-document": "---",
    "shell-subst": "$(touch /tmp/kafkac-pwned)",
    "shell-backtick": "`id`",
    "shell-list": "a;b|c&&d",
    "shell-variable": "${HOME}$HOME",
    "properties-line": "a=b\nc=d",
    "properties-escape": "x\\ny\\u0041\\",
    "properties-separators": "k:v=w !#",
    "line-separator": "a\u2028b",
    "paragraph-separator": "a\u2029b",
    "next-line": "a\u0085b",
    "nul": "a\x00b",
    "newline": "line1\nline2",
    "unicode": "é😀",
}


def _base() -> list[dict]:
    return copy.deepcopy(_BASE)


def _read_base() -> list[dict]:
    documents = [d for p in sorted((EXAMPLES / "secure").glob("*.yaml"))
                 for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]
    kafka = _kafka(documents)
    kafka["spec"]["entityOperator"]["topicOperator"] = {}
    documents.append({"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
                      "metadata": {"name": "base-topic", "namespace": "kafka", "labels": {"strimzi.io/cluster": "secure"}},
                      "spec": {"partitions": 1, "replicas": 3}})
    return documents


def _kafka(documents):
    return next(d for d in documents if d["kind"] == "Kafka")


def _pool(documents):
    return next(d for d in documents if d["kind"] == "KafkaNodePool" and d["metadata"]["name"] == "brokers")


def _user(documents):
    return next(d for d in documents if d["kind"] == "KafkaUser")


def _topic(documents, index):
    topic = copy.deepcopy(next(d for d in documents if d["kind"] == "KafkaTopic"))
    topic["metadata"]["name"] = f"topic-{index}"
    documents.append(topic)
    return topic


def _template(document, *path):
    node = document["spec"]
    for part in path:
        node = node.setdefault(part, {})
    return node


_BASE = _read_base()


# field -> how one hostile string (number i of the batch) goes into the documents
FIELDS: dict[str, Callable[[list, str, int], None]] = {
    "metadata.labels value": lambda d, v, i: _kafka(d)["metadata"].setdefault("labels", {}).__setitem__(f"l{i}", v),
    "metadata.labels key": lambda d, v, i: _kafka(d)["metadata"].setdefault("labels", {}).__setitem__(f"{v}{i}", "v"),
    "metadata.annotations value":
        lambda d, v, i: _kafka(d)["metadata"].setdefault("annotations", {}).__setitem__(f"example.com/a{i}", v),
    "metadata.annotations key":
        lambda d, v, i: _kafka(d)["metadata"].setdefault("annotations", {}).__setitem__(f"{v}{i}", "v"),
    "config key": lambda d, v, i: _kafka(d)["spec"]["kafka"]["config"].__setitem__(f"x.k{i}.{v}", "v"),
    "config value": lambda d, v, i: _kafka(d)["spec"]["kafka"]["config"].__setitem__(f"x.v{i}", v),
    "jvmOptions -XX value": lambda d, v, i: _template(_pool(d), "jvmOptions", "-XX").__setitem__(f"Opt{i}", v),
    "jvmOptions system property value": lambda d, v, i: _template(_pool(d), "jvmOptions").setdefault(
        "javaSystemProperties", []).append({"name": f"p{i}", "value": v}),
    "logging logger name": lambda d, v, i: _logging(d).__setitem__(f"logger.x{i}.name", v),
    "logging logger key": lambda d, v, i: _logging(d).__setitem__(f"{v}{i}", "INFO"),
    "superUsers": lambda d, v, i: _kafka(d)["spec"]["kafka"]["authorization"]["superUsers"].append(f"CN={v}{i}"),
    "listener name": lambda d, v, i: _kafka(d)["spec"]["kafka"]["listeners"][0].__setitem__("name", v),
    "listener annotation value": lambda d, v, i: _kafka(d)["spec"]["kafka"]["listeners"][2]["configuration"][
        "bootstrap"].setdefault("annotations", {}).__setitem__(f"example.com/a{i}", v),
    "advertisedHost": lambda d, v, i: _kafka(d)["spec"]["kafka"]["listeners"][2]["configuration"]["brokers"][
        0].__setitem__("advertisedHost", v),
    "perBrokerAnnotationsTemplate value": lambda d, v, i: _kafka(d)["spec"]["kafka"]["listeners"][2][
        "configuration"].setdefault("perBrokerAnnotationsTemplate", {}).__setitem__(f"example.com/a{i}", v),
    "listener finalizer": lambda d, v, i: _kafka(d)["spec"]["kafka"]["listeners"][2]["configuration"].setdefault(
        "finalizers", []).append(f"example.com/f{i}{v}"),
    "env value": lambda d, v, i: _template(_pool(d), "template", "kafkaContainer").setdefault("env", []).append(
        {"name": f"E{i}", "value": v}),
    "pod annotation value": lambda d, v, i: _template(_pool(d), "template", "pod", "metadata").setdefault(
        "annotations", {}).__setitem__(f"example.com/a{i}", v),
    "pod label value": lambda d, v, i: _template(_pool(d), "template", "pod", "metadata").setdefault(
        "labels", {}).__setitem__(f"l{i}", v),
    "topic name": lambda d, v, i: _topic(d, i)["spec"].__setitem__("topicName", f"t{i}{v}"),
    "ACL resource name": lambda d, v, i: _user(d)["spec"]["authorization"]["acls"].append(
        {"resource": {"type": "topic", "name": f"t{i}{v}", "patternType": "literal"}, "operations": ["Read"]}),
    "ACL host": lambda d, v, i: _user(d)["spec"]["authorization"]["acls"].append(
        {"resource": {"type": "topic", "name": f"h{i}", "patternType": "literal"}, "operations": ["Read"],
         "host": v}),
}


# The Kafka resource's own labels and annotations are not copied to any object (kafkac, like
# Strimzi, labels what it writes itself): their strings are validated, and must not show up.
NOT_WRITTEN = frozenset({"metadata.labels value", "metadata.labels key", "metadata.annotations value",
                         "metadata.annotations key"})


def _logging(documents) -> dict:
    logging = _kafka(documents)["spec"]["kafka"].setdefault("logging", {"type": "inline", "loggers": {}})
    return logging["loggers"]


def _text(documents) -> str:
    return yaml.safe_dump_all(documents, allow_unicode=True, sort_keys=False, width=1 << 20)


def _validate(documents):
    loaded, findings = load_text(_text(documents), "spec.yaml")
    model, findings = read_documents(Documents(loaded, findings))
    return model, [f for f in findings if f.is_error]


# --- reading back what the pods and Jobs read ---------------------------------------------------------

def java_properties(text: str) -> dict[str, str]:
    """java.util.Properties.load, for what kafkac writes (one logical line an entry)."""
    entries = {}
    for line in text.splitlines():
        line = line.lstrip(" \t\f")
        if not line or line[0] in "#!":
            continue
        key, rest = _read(line, separators=True)
        rest = rest.lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        entries[key] = _read(rest, separators=False)[0]
    return entries


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "f": "\f"}


def _read(text: str, separators: bool) -> tuple[str, str]:
    units: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following == "u":
                units.append(chr(int(text[index + 2:index + 6], 16)))
                index += 6
                continue
            units.append(_ESCAPES.get(following, following))
            index += 2
            continue
        if separators and char in "=: \t\f":
            break
        units.append(char)
        index += 1
    joined = "".join(units).encode("utf-16", "surrogatepass").decode("utf-16")
    return joined, text[index:]


def _strings(node, into: set[str]) -> None:
    if isinstance(node, str):
        into.add(node)
    elif isinstance(node, dict):
        for key, value in node.items():
            into.add(str(key))
            _strings(value, into)
    elif isinstance(node, list):
        for item in node:
            _strings(item, into)


def readable_strings(rendered: str) -> set[str]:
    """Every string in the manifests, and in the properties and JSON files they carry, as read."""
    found: set[str] = set()
    for manifest in yaml.safe_load_all(rendered):
        if not manifest:
            continue
        _strings(manifest, found)
        for name, content in (manifest.get("data") or {}).items() if manifest.get("kind") == "ConfigMap" else ():
            if name.endswith(".properties") or "properties" in name.lower():
                _strings(java_properties(content), found)
            elif name.endswith(".json"):
                try:
                    _strings(json.loads(content), found)
                except ValueError:
                    pass
            for line in content.splitlines():
                if "=" in line and not line.startswith("#"):
                    _strings(java_properties(line), found)
    return found


def _literal(value: str, strings: set[str]) -> bool:
    return any(value in s for s in strings)


# --- the matrix ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def helm():
    tools.install(["helm"])


@pytest.fixture(scope="module")
def outcomes():
    table: dict[tuple[str, str], str] = {}
    yield table
    counts = {outcome: sum(v == outcome for v in table.values()) for outcome in ("refused", "literal", "not written")}
    print(f"\ninjection matrix: {len(table)} pairs, {counts['refused']} refused with a position, "
          f"{counts['literal']} literal in the rendered chart, {counts['not written']} accepted and not written")


@pytest.mark.parametrize("field", list(FIELDS))
def test_each_hostile_string_is_refused_with_a_position_or_comes_out_literally(field, helm, outcomes, tmp_path):
    inject = FIELDS[field]
    accepted = []
    for name, value in HOSTILE.items():
        documents = _base()
        inject(documents, value, 0)
        model, errors = _validate(documents)
        if errors:
            for finding in errors:
                assert finding.span.line > 0 and finding.span.col > 0, (field, name, finding)
                assert finding.expected, (field, name, finding)
            outcomes[(field, name)] = "refused"
        else:
            accepted.append((name, value))
    if not accepted:
        return
    documents = _base()
    for index, (name, value) in enumerate(accepted):
        inject(documents, value, index)
    model, errors = _validate(documents)
    assert not errors, [(f.span, f.message) for f in errors]
    with tempfile.TemporaryDirectory(dir=tmp_path) as staging:
        charts = [emit(chart_plan, Path(staging) / chart_plan.name) for chart_plan in plan(model.clusters)]
        rendered = "".join(render(chart, tools.DEFAULT_KUBE_VERSIONS[-1], chart.name, "kafka") for chart in charts)
    assert "kafkac-pwned" not in "".join(p.name for p in Path("/tmp").iterdir())
    strings = readable_strings(rendered)
    for index, (name, value) in enumerate(accepted):
        wanted = _expected_text(field, value, index)
        if field in NOT_WRITTEN:
            outcomes[(field, name)] = "not written"
            continue
        assert _literal(wanted, strings), f"{field} × {name}: {wanted!r} is not in the rendered chart as written"
        outcomes[(field, name)] = "literal"


def _expected_text(field: str, value: str, index: int) -> str:
    if field in ("topic name", "ACL resource name"):
        return f"t{index}{value}"
    if field == "superUsers":
        return f"CN={value}{index}"
    if field.endswith(" key"):
        return f"{value}{index}" if not field.startswith("config") else f"x.k{index}.{value}"
    return value


def test_the_properties_reader_reads_what_java_reads():
    assert java_properties("a\\ b=c\\nd\nx:\\u00e9\\ud83d\\ude00\n# c\n") == {"a b": "c\nd", "x": "é😀"}
