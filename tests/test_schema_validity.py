"""schema_validity says "valid" exactly when jsonschema finds no error.

validate asks jsonschema for errors only when schema_validity's check says a
document is not valid, so a check that said yes where jsonschema finds an
error would hide it. Held here against jsonschema on every document of the
examples, the test cases and the corpora (when present), on each
Kubernetes-typed subtree of them, and on mutants of all of these: values of
other types, out of range, removed, unknown fields added.
"""

from __future__ import annotations

import random

import pytest

from compiler import validate as validate_module
from compiler.load import load_text
from compiler.schema_validity import Unsupported, compile_check

from .conftest import EXAMPLES, ROOT, STRIMZI_CORPUS, require_strimzi_corpus
from .util import tree_paths

MUTANTS_PER_DOCUMENT = 25
REPLACEMENTS = (None, True, False, 0, -1, 1, 3.0, 2.5, 2 ** 40, "", "x", "Equal", "1Gi", "-1",
                "a" * 300, [], [1], ["a", "a"], {}, {"unknown": 1}, {"name": "x"})
SOURCES = [EXAMPLES, ROOT / "tests" / "cases", STRIMZI_CORPUS / "examples",
           ROOT.parent / "shared" / "corpus" / "wild"]


def _documents() -> list:
    documents = []
    for source in SOURCES:
        for path in sorted(source.rglob("*.y*ml")) if source.is_dir() else ():
            try:
                loaded, _ = load_text(path.read_text(encoding="utf-8"), str(path))
            except (UnicodeDecodeError, OSError):
                continue
            documents += [d for d in loaded if isinstance(d.data, dict)]
    return documents


DOCUMENTS = _documents()


def _schema_name(data: dict) -> str | None:
    return validate_module.SCHEMA_NAMES.get((data.get("apiVersion"), data.get("kind")))


def _clone(node):
    """A copy of the containers; scalars are immutable (and ScalarFloat does not deepcopy)."""
    if isinstance(node, dict):
        return {key: _clone(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_clone(item) for item in node]
    return node


def _mutants(data, rng: random.Random, count: int):
    paths = [p for p in tree_paths(data) if p]
    for _ in range(count if paths else 0):
        mutant = _clone(data)
        path = rng.choice(paths)
        parent = mutant
        for part in path[:-1]:
            parent = parent[part]
        how = rng.random()
        if how < 0.15 and isinstance(parent, dict):
            del parent[path[-1]]
        elif how < 0.25 and isinstance(parent, dict):
            parent[f"unknown{rng.randrange(3)}"] = rng.choice(REPLACEMENTS)
        elif how < 0.3 and isinstance(parent, list):
            parent.append(_clone(parent[path[-1]]))
        else:
            parent[path[-1]] = _clone(rng.choice(REPLACEMENTS))
        yield mutant


def _agrees(check, validator, instance) -> bool:
    try:
        said = check(instance)
    except Unsupported:
        said = False  # validate then asks jsonschema: never a wrong "valid"
    found = next(iter(validator.iter_errors(instance)), None)
    assert said == (found is None), (said, found, instance)
    return said


def test_the_documents_are_many_and_of_every_kind():
    require_strimzi_corpus()  # the only KafkaRebalances are Strimzi's examples
    assert len(DOCUMENTS) > 100
    kinds = {_schema_name(d.data) for d in DOCUMENTS}
    assert set(validate_module.SCHEMA_NAMES.values()) <= kinds


@pytest.mark.parametrize("name", sorted(set(validate_module.SCHEMA_NAMES.values())))
def test_every_schema_agrees_with_jsonschema(name):
    require_strimzi_corpus()
    check = compile_check(validate_module._schema(name))
    validator = validate_module._validator(name)
    rng = random.Random(name)
    documents = [d.data for d in DOCUMENTS if _schema_name(d.data) == name]
    answers = [_agrees(check, validator, data) for data in documents]
    answers += [_agrees(check, validator, mutant) for data in documents
                for mutant in _mutants(data, rng, MUTANTS_PER_DOCUMENT)]
    assert True in answers and False in answers, name


def test_every_kubernetes_subtree_agrees_with_jsonschema():
    rng = random.Random(7)
    seen = set()
    for document in DOCUMENTS:
        if _schema_name(document.data) is None:
            continue
        for _, definition, value in validate_module.kubernetes_subtrees(document):
            seen.add(definition)
            check = validate_module._kubernetes_validity_check(definition)
            validator = validate_module.kubernetes_validator(definition)
            _agrees(check, validator, value)
            for mutant in _mutants(value, rng, 10):
                _agrees(check, validator, mutant)
    assert len(seen) >= 5, seen


@pytest.mark.parametrize("schema, instance, valid", [
    ({"type": "integer"}, 3.0, False),              # validate's integers are ints only
    ({"type": "integer"}, True, False),
    ({"type": "number"}, False, False),
    ({"const": 1}, True, False),                    # JSON's true is not 1
    ({"enum": [0]}, False, False),
    ({"enum": [[1, 2]]}, [1, 2], True),
    ({"uniqueItems": True}, [1, True], True),
    ({"uniqueItems": True}, [{"a": 1}, {"a": 1}], False),
    ({"uniqueItems": True}, [1, 1.0], False),
    ({"minimum": 1}, "0", True),                    # bounds apply to numbers only
    ({"pattern": "^a"}, 1, True),
    ({"pattern": "b"}, "abc", True),                # search, not match
    ({"prefixItems": [{"type": "string"}], "items": False}, ["a"], True),
    ({"prefixItems": [{"type": "string"}], "items": False}, ["a", "b"], False),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 1, False),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"a": "x", "b": 1}, False),
    ({"additionalProperties": {"type": "string"}}, {"b": 1}, False),
    ({"$ref": "#/$defs/x", "$defs": {"x": {"type": "string"}}, "maxLength": 1}, "ab", False),
])
def test_keywords_as_jsonschema_reads_them(schema, instance, valid):
    assert compile_check(schema)(instance) is valid
    found = next(iter(validate_module.strict_validator_class()(schema).iter_errors(instance)), None)
    assert (found is None) is valid


@pytest.mark.parametrize("schema", [
    {"if": {"type": "string"}, "then": {"minLength": 2}},
    {"dependentRequired": {"a": ["b"]}},
    {"$ref": "https://example.com/x.json"},
    {"properties": {"a": {"unevaluatedProperties": False}}},
])
def test_a_keyword_it_does_not_know_leaves_the_answer_to_jsonschema(schema):
    with pytest.raises(Unsupported):
        compile_check(schema)({"a": {"b": 1}})


def test_recursive_references_are_followed():
    schema = {"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}},
                                 "additionalProperties": False}},
              "$ref": "#/$defs/node"}
    check = compile_check(schema)
    assert check({"next": {"next": {}}})
    assert not check({"next": {"next": {"other": 1}}})


def test_the_subtree_definitions_are_the_narrowed_ones():
    reached = validate_module._derived().subtree_definitions["$defs"]
    full = validate_module.kubernetes_definitions()["$defs"]
    for name, definition in reached.items():
        assert definition == full[name], name
    assert set(validate_module.KUBERNETES_SUBTREES.values()) <= set(reached)
