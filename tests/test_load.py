"""The strict YAML reader: every refusal is positioned and says what to write instead."""

import pytest

from compiler import load as load_module
from compiler.load import ScalarFloat, load, load_text


def findings_of(text: str) -> list[tuple[str, int, int]]:
    _, findings = load_text(text, "spec.yaml")
    return [(f.rule, f.span.line, f.span.col) for f in findings]


@pytest.mark.parametrize("text, expected", [
    ("a: 1\nb: 2\na: 3\n", [("yaml.duplicate-key", 3, 1)]),
    ("tls: yes\n", [("yaml.ambiguous-boolean", 1, 6)]),
    ("enabled: off\n", [("yaml.ambiguous-boolean", 1, 10)]),
    ("y: 1\n", [("yaml.ambiguous-key", 1, 1)]),
    ("mode: 0755\n", [("yaml.ambiguous-number", 1, 7)]),
    ("time: 1:30\n", [("yaml.ambiguous-number", 1, 7)]),
    ("size: 1_000\n", [("yaml.ambiguous-number", 1, 7)]),
    ("a: !!python/object:os.system x\n", [("yaml.tag", 1, 4)]),
    ("base: &b [1]\nother:\n  <<: *b\n", [("yaml.merge-key", 1, 11)]),
    ("base: &b {<<: *b}\n", [("yaml.recursive-alias", 1, 7)]),
    ("a: [1, 2\n", [("yaml.syntax", 2, 1)]),
    ("a: &a [*a]\n", [("yaml.recursive-alias", 1, 4)]),
])
def test_ambiguous_or_unsafe_yaml_is_refused_with_position(text, expected):
    assert findings_of(text) == expected


def test_every_problem_of_a_document_is_reported_not_only_the_first():
    assert findings_of("a: yes\nb: 1\nb: 2\nc: 0644\n") == [
        ("yaml.ambiguous-boolean", 1, 4), ("yaml.duplicate-key", 3, 1), ("yaml.ambiguous-number", 4, 4)]


def test_alias_bombs_are_refused():
    lines = ["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 40)]
    rules = [rule for rule, _, _ in findings_of("\n".join(lines) + "\n")]
    assert rules and set(rules) <= {"yaml.too-many-aliases", "yaml.too-large"}


def test_core_schema_values():
    docs, findings = load_text('a: [true, false, null, ~, 12, 0x1f, 0o17, 2.10, "yes", on-call]\n', "s.yaml")
    assert not findings
    assert docs[0].data["a"] == [True, False, None, None, 12, 31, 15, 2.1, "yes", "on-call"]
    number = docs[0].data["a"][7]
    assert isinstance(number, ScalarFloat) and number.text == "2.10"


def test_explicit_string_tag_keeps_text():
    docs, findings = load_text("a: !!str 0755\nb: '1:30'\n", "s.yaml")
    assert not findings
    assert docs[0].data == {"a": "0755", "b": "1:30"}


def test_spans_point_at_keys_and_values():
    docs, _ = load_text("spec:\n  kafka:\n    listeners:\n      - port: 9092\n", "s.yaml")
    doc = docs[0]
    assert str(doc.span_of(("spec", "kafka", "listeners", 0, "port"))) == "s.yaml:4:15"
    assert str(doc.span_of(("spec", "kafka", "listeners", 0, "port"), key=True)) == "s.yaml:4:9"
    assert str(doc.span_of(("spec", "kafka", "nothing", "here"))) == "s.yaml:3:5"


def test_multi_document_files_and_directories(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.yaml").write_text("kind: A\n---\n---\nkind: B\n")
    (tmp_path / "b" / "c.yml").write_text("kind: C\n")
    (tmp_path / "notes.txt").write_text("kind: ignored\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "d.yaml").write_text("kind: ignored\n")
    result = load([tmp_path])
    assert not result.findings
    assert [(d.kind, d.index) for d in result.documents] == [("A", 0), ("B", 2), ("C", 0)]


def test_oversized_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(load_module, "MAX_FILE_BYTES", 10)
    big = tmp_path / "big.yaml"
    big.write_text("a: 123456789012\n")
    result = load([big])
    assert [(f.rule, str(f.span)) for f in result.findings] == [("yaml.too-large", f"{big}:1:1")]


def test_missing_path_and_empty_directory(tmp_path):
    result = load([tmp_path / "nope.yaml", tmp_path])
    assert [f.rule for f in result.findings] == ["input.not-found", "input.empty-directory"]


# --- lists of resources, as `kubectl get -o yaml` writes them ---------------------------------

EXPORTED_LIST = """\
apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
- apiVersion: kafka.strimzi.io/v1
  kind: KafkaTopic
  metadata:
    name: orders
  spec:
    partitions: 3
-   apiVersion: kafka.strimzi.io/v1
    kind: KafkaTopic
    metadata: {name: payments}
    spec:
      partitions: 6
"""


def test_each_item_of_a_list_is_a_document_with_its_positions_in_the_file():
    docs, findings = load_text(EXPORTED_LIST, "s.yaml")
    assert findings == []
    assert [(d.kind, d.name, d.file) for d in docs] == [("KafkaTopic", "orders", "s.yaml"),
                                                        ("KafkaTopic", "payments", "s.yaml")]
    assert docs[0].data == {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
                            "metadata": {"name": "orders"}, "spec": {"partitions": 3}}
    assert str(docs[0].span) == "s.yaml:6:3"
    assert str(docs[0].span_of(("spec", "partitions"))) == "s.yaml:11:17"
    assert str(docs[0].span_of(("spec", "partitions"), key=True)) == "s.yaml:11:5"
    assert str(docs[1].span_of(("metadata", "name"))) == "s.yaml:14:22"
    assert str(docs[1].span_of(("spec", "partitions"))) == "s.yaml:16:19"
    assert str(docs[1].span_of(("spec", "nothing"))) == "s.yaml:16:7"


def test_a_kind_list_of_the_api_server_and_lists_within_lists_are_unwrapped_too():
    text = ("apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaList\nitems:\n"
            "- {apiVersion: kafka.strimzi.io/v1beta2, kind: Kafka, metadata: {name: a}}\n"
            "- apiVersion: v1\n  kind: List\n  items:\n"
            "  - {apiVersion: kafka.strimzi.io/v1beta2, kind: Kafka, metadata: {name: b}}\n")
    docs, findings = load_text(text, "s.yaml")
    assert findings == []
    assert [(d.name, str(d.span_of(("metadata", "name")))) for d in docs] == [("a", "s.yaml:4:72"),
                                                                              ("b", "s.yaml:8:74")]


def test_a_list_with_nothing_in_it_gives_no_document():
    for text in ("apiVersion: v1\nkind: List\nitems: []\n", "apiVersion: v1\nkind: List\nitems:\n",
                 "apiVersion: v1\nkind: List\n"):
        assert load_text(text, "s.yaml") == ([], [])


def test_a_kind_ending_in_list_without_items_is_a_resource_of_its_own():
    docs, findings = load_text("apiVersion: example.com/v1\nkind: AllowList\nspec: {}\n", "s.yaml")
    assert findings == [] and [d.kind for d in docs] == ["AllowList"]


def test_items_that_are_not_a_list_of_resources_are_refused_with_their_position():
    docs, findings = load_text("apiVersion: v1\nkind: List\nitems:\n  name: orders\n", "s.yaml")
    assert docs == []
    assert [(f.rule, str(f.span), f.path) for f in findings] == [("input.list-items", "s.yaml:4:3", ("items",))]
    assert findings[0].message.startswith("items: a mapping, not a list")
    docs, findings = load_text("apiVersion: v1\nkind: List\nitems:\n- orders\n- kind: KafkaTopic\n- \n",
                               "s.yaml")
    assert [d.kind for d in docs] == ["KafkaTopic"]
    assert [(f.rule, str(f.span), f.path) for f in findings] == [
        ("input.list-items", "s.yaml:4:3", ("items", 0)), ("input.list-items", "s.yaml:6:2", ("items", 2))]
    assert findings[0].message == "items[0]: the scalar 'orders', not a resource of the List"
    assert all(f.expected for f in findings)


def test_merge_keys_merge_as_kubectl_reads_them():
    text = ("defaults: &defaults {cpu: 1, memory: 1Gi}\nlimits: &limits {memory: 2Gi, <<: *defaults}\n"
            "pool:\n  <<: [*limits, {disk: 10Gi}]\n  cpu: 2\n")
    docs, findings = load_text(text, "s.yaml")
    assert findings == []
    assert docs[0].data["pool"] == {"cpu": 2, "memory": "2Gi", "disk": "10Gi"}
    # A merged value points at where it is written: the anchor's mapping.
    assert str(docs[0].span_of(("pool", "memory"))) == "s.yaml:2:26"
    assert str(docs[0].span_of(("pool", "cpu"))) == "s.yaml:5:8"
