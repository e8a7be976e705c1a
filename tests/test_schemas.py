"""The JSON Schema in schemas/json/ is exactly what the CUE sources generate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from compiler import schemas, tools

COMMITTED = sorted(schemas.JSON_DIR.glob("*.schema.json"))


@pytest.fixture(scope="module")
def cue(installed_tools) -> Path:
    return tools.path("cue")


def test_regenerating_gives_the_committed_bytes(cue, tmp_path: Path):
    written = schemas.generate(tmp_path)
    assert sorted(p.name for p in written) == [p.name for p in COMMITTED], \
        "schemas/json/ holds files the generator does not write, or lacks some"
    for fresh in written:
        committed = schemas.JSON_DIR / fresh.name
        assert fresh.read_bytes() == committed.read_bytes(), \
            f"{committed} is stale: run `python -m compiler.schemas`"


def test_generation_is_deterministic(cue, tmp_path: Path):
    first = {p.name: p.read_bytes() for p in schemas.generate(tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in schemas.generate(tmp_path / "b")}
    assert first == second


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_committed_schema_is_valid_draft_2020_12(path: Path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _is_presence_check(node: dict) -> bool:
    """A branch of cue's `matchN(1, [{a!: _, ...}, ...])`: it only says that one field is present."""
    return node.get("required") == list(node.get("properties", {})) and \
        all(value is True for value in node["properties"].values())


def _object_schemas(node):
    if isinstance(node, dict):
        if "properties" in node and not _is_presence_check(node):
            yield node
        for value in node.values():
            yield from _object_schemas(value)
    elif isinstance(node, list):
        for item in node:
            yield from _object_schemas(item)


def _open_objects(node, where=""):
    if isinstance(node, dict):
        if node.get("additionalProperties") is True and not _is_presence_check(node):
            yield where
        for key, value in node.items():
            yield from _open_objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _open_objects(item, f"{where}/{index}")


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_every_field_is_documented_and_every_object_closed(path: Path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    for node in _object_schemas(schema):
        assert node.get("additionalProperties") is False, node
        for name, field in node["properties"].items():
            assert field.get("description"), f"{path.name}: field {name} has no comment in the CUE source"


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_only_kubernetes_typed_values_are_open(path: Path):
    """Open objects are values of Kubernetes types, which validate checks against Kubernetes' schema."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert set(_open_objects(schema)) <= {"/$defs/KubernetesObject"}


def test_every_definition_is_generated():
    assert set(schemas.DEFINITIONS) == {p.name.removesuffix(".schema.json") for p in COMMITTED}
    sources = "".join(p.read_text(encoding="utf-8") for p in schemas.cue_sources())
    for definition in schemas.DEFINITIONS.values():
        assert f"\n{definition}: {{" in sources
