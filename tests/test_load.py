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
    ("base: &b {x: 1}\nother:\n  <<: *b\n", [("yaml.merge-key", 3, 3)]),
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
