"""values.schema.json and the values.yaml comments are exactly what schemas/values/ generates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from compiler import schemas, tools
from compiler.emit import values_docs, values_yaml
from compiler.schemas import ValuesContractError, split_values_contract


@pytest.fixture(scope="module")
def cue() -> Path:
    tools.install(["cue"])
    return tools.path("cue")


@pytest.mark.tools
def test_regenerating_gives_the_committed_bytes(cue, tmp_path: Path):
    written = schemas.generate_values(tmp_path / "values.schema.json", tmp_path / "values.docs.json")
    for fresh, committed in zip(written, (schemas.VALUES_SCHEMA_FILE, schemas.VALUES_DOCS_FILE)):
        assert fresh.read_bytes() == committed.read_bytes(), \
            f"{committed} is stale: run `python -m compiler.schemas`"


@pytest.mark.tools
def test_generation_is_deterministic(cue):
    assert schemas.render_values() == schemas.render_values()


def test_committed_values_schema_is_valid_draft_2020_12():
    schema = json.loads(schemas.VALUES_SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _key_paths(node: dict, defs: dict, path: str = ""):
    """Dotted paths of the keys a schema node allows; list items share their list's path."""
    if "$ref" in node:
        yield from _key_paths(defs[node["$ref"].removeprefix("#/$defs/")], defs, path)
    for name, sub in node.get("properties", {}).items():
        key = f"{path}.{name}" if path else name
        yield key
        yield from _key_paths(sub, defs, key)
    for keyword in ("oneOf", "anyOf"):
        for sub in node.get(keyword, []):
            yield from _key_paths(sub, defs, path)
    if isinstance(node.get("items"), dict):
        yield from _key_paths(node["items"], defs, path)


def test_every_comment_is_of_a_key_the_schema_allows():
    schema = json.loads(schemas.VALUES_SCHEMA_FILE.read_text(encoding="utf-8"))
    keys = set(_key_paths(schema, schema["$defs"]))
    assert set(values_docs()) <= keys
    assert all(doc and "\n" not in doc for doc in values_docs().values())


def test_values_yaml_comments_come_from_the_contract():
    text = values_yaml({"cluster": {"name": "c"}, "nodePools": [{"name": "a", "replicas": 3}]})
    docs = values_docs()
    assert f"# {docs['cluster']}\ncluster:\n  # {docs['cluster.name']}\n  name: \"c\"\n" in text
    assert f"#   name: {docs['nodePools.name']}\n#   replicas: {docs['nodePools.replicas']}\nnodePools:" in text


def test_docs_leave_the_schema_and_keep_their_paths():
    contract = {
        "type": "object",
        "properties": {
            "pools": {"doc": "The pools.", "type": "array",
                      "items": {"type": "object", "properties": {"name": {"doc": "Its\nname.", "type": "string"}}}},
            "issuer": {"doc": "An issuer.", "oneOf": [
                {"type": "null"},
                {"$ref": "#/$defs/issuer", "properties": {"kind": {"doc": "Its kind."}}}]},
        },
        "$defs": {"issuer": {"type": "object", "description": "kept", "properties": {"kind": {"type": "string"}}}},
    }
    schema, docs = split_values_contract(contract)
    assert docs == {"pools": "The pools.", "pools.name": "Its name.", "issuer": "An issuer.",
                    "issuer.kind": "Its kind."}
    assert "doc" not in json.dumps(schema)
    assert schema["properties"]["issuer"]["oneOf"][1] == {"$ref": "#/$defs/issuer", "properties": {}}
    assert schema["$defs"] == contract["$defs"]


@pytest.mark.parametrize("contract, said", [
    ({"properties": {"a": {"type": "string", "maxLenght": 3}}},
     "values.properties.a: maxLenght: not a JSON Schema keyword"),
    ({"properties": {"a": {"$ref": "#/$defs/x", "properties": {"b": {"doc": "B."}}}},
      "$defs": {"x": {"properties": {"c": {}}}}},
     "values.properties.a.properties.b: holds only a doc, but no $ref beside it defines 'b'"),
    ({"$defs": {"x": {"properties": {"c": {"doc": "C."}}}}},
     'values."$defs".x.properties.c: a doc in $defs'),
    ({"properties": {"a": {"anyOf": [{"properties": {"b": {"doc": "B.", "minItems": 1}}},
                                     {"properties": {"b": {"doc": "B.", "minItems": 2}}}]}}},
     "values.properties.a.anyOf[1].properties.b: a.b is documented twice"),
    ({"properties": {"a": {"doc": 3}}},
     "values.properties.a: doc must be a non-empty string"),
])
def test_contract_mistakes_are_named(contract, said):
    with pytest.raises(ValuesContractError, match=re.escape(said)):
        split_values_contract(contract)


@pytest.mark.tools
def test_every_chart_folders_contract_regenerates_to_the_committed_bytes(cue, tmp_path: Path):
    for library, (expression, schema_file, docs_file) in schemas.VALUES_CONTRACTS.items():
        written = schemas.generate_values(tmp_path / f"{library}.schema.json", tmp_path / f"{library}.docs.json",
                                          expression)
        for fresh, committed in zip(written, (schema_file, docs_file)):
            assert fresh.read_bytes() == committed.read_bytes(), \
                f"{committed} is stale: run `python -m compiler.schemas`"
