"""compiler.schema_conjunction: one schema that holds exactly when each of several does.

Held to that on small schemas, then on Kubernetes' own schemas of the default
versions, with documents made from each version's schema (so that they use the
fields one version has and another has not) and mutants of them: by jsonschema,
and by kubeconform itself against the conjoined schemas verify uses.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import jsonschema
import pytest
import yaml

from compiler import kube_schemas, tools
from compiler.schema_conjunction import conjunction

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _valid(schema: dict, document) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(document)


def _same_answer(schemas: list[dict], documents: list) -> None:
    conjoined = conjunction(schemas)
    jsonschema.Draft202012Validator.check_schema(conjoined)
    for document in documents:
        expected = all(_valid(schema, document) for schema in schemas)
        assert _valid(conjoined, document) == expected, (document, conjoined)


def _object(properties: dict, **more) -> dict:
    return {"type": "object", "properties": properties, "additionalProperties": False, **more}


def test_a_field_one_version_lacks_is_refused_by_the_conjunction():
    old = {"$schema": DIALECT, **_object({"a": {"type": "string"}})}
    new = {"$schema": DIALECT, **_object({"a": {"type": "string"}, "b": {"type": "integer"}})}
    _same_answer([old, new], [{}, {"a": "x"}, {"b": 1}, {"a": 1}, {"c": 1}, {"a": "x", "b": "y"}])
    assert conjunction([old, new])["properties"]["b"] is False


def test_a_map_in_one_version_and_an_object_in_another():
    as_map = {"$schema": DIALECT, "type": "object", "additionalProperties": {"type": "string"}}
    as_object = {"$schema": DIALECT, **_object({"a": {"type": "string"}, "n": {"type": "integer"}})}
    _same_answer([as_map, as_object], [{}, {"a": "x"}, {"n": 1}, {"n": "1"}, {"z": "x"}, {"a": 1}])


def test_references_into_definitions_that_differ_and_reach_themselves():
    def version(extra: dict) -> dict:
        node = _object({"name": {"type": "string"}, "child": {"$ref": "#/$defs/Node"}, **extra})
        return {"$schema": DIALECT, "$ref": "#/$defs/Node", "$defs": {"Node": node}}

    old, new = version({}), version({"size": {"type": "integer"}})
    documents = [{}, {"name": "a", "child": {"name": "b"}}, {"child": {"child": {"size": 2}}},
                 {"size": 1}, {"child": {"name": 3}}, {"child": {"child": {"name": "c"}}}]
    _same_answer([old, new], documents)
    # The definition that both versions share in part is made once, as one node.
    assert "allOf" not in json.dumps(conjunction([old, new]))


def test_keywords_that_differ_become_all_of():
    old = {"$schema": DIALECT, "type": "string", "enum": ["a", "b"]}
    new = {"$schema": DIALECT, "type": "string", "enum": ["a", "c"]}
    _same_answer([old, new], ["a", "b", "c", "d", 1, None])
    loose = {"$schema": DIALECT, **_object({"s": {"type": ["string", "null"]}})}
    strict = {"$schema": DIALECT, **_object({"s": {"type": "string"}})}
    _same_answer([loose, strict], [{"s": None}, {"s": "x"}, {"s": 1}, {}])


def test_property_names_that_are_keywords_stay_property_names():
    schema = {"$schema": DIALECT, **_object({
        "description": {"type": "string", "description": "a property, not an annotation"},
        "$ref": {"type": "string"}, "x-kubernetes-thing": {"type": "integer"}})}
    other = {"$schema": DIALECT, **_object({"description": {"type": "string"}, "$ref": {"type": "string"},
                                              "x-kubernetes-thing": {"type": "integer"}, "more": {}})}
    conjoined = conjunction([schema, other])
    assert set(conjoined["properties"]) == {"description", "$ref", "x-kubernetes-thing", "more"}
    _same_answer([schema, other], [{"description": "x", "$ref": "y", "x-kubernetes-thing": 1},
                                   {"description": 1}, {"$ref": 2}, {"x-kubernetes-thing": "z"}, {"more": 1}])


def test_definitions_named_alike_but_paired_otherwise_stay_apart():
    def version(first: str, second: str, a: list, b: list) -> dict:
        return {"$schema": DIALECT, **_object({"a": {"$ref": f"#/$defs/{first}"}, "b": {"$ref": f"#/$defs/{second}"}}),
                "$defs": {"A": {"enum": a}, "B": {"enum": b}}}

    one, other = version("A", "B", [1, 2], [2, 3]), version("B", "A", [1, 3], [1, 2, 3])
    conjoined = conjunction([one, other])
    assert len(conjoined["$defs"]) == 2
    _same_answer([one, other], [{"a": n} for n in (1, 2, 3)] + [{"b": n} for n in (1, 2, 3)])


def test_what_it_cannot_take_apart_is_refused():
    with pytest.raises(ValueError, match="keyword"):
        conjunction([{"$schema": DIALECT, "$dynamicRef": "#x"}, {"$schema": DIALECT}])
    with pytest.raises(ValueError, match="reference"):
        conjunction([{"$schema": DIALECT, "$ref": "other.json"}, {"$schema": DIALECT, "type": "string"}])
    with pytest.raises(ValueError, match="dialects"):
        conjunction([{"$schema": DIALECT}, {"$schema": "http://json-schema.org/draft-07/schema#"}])


# --- Kubernetes' schemas --------------------------------------------------------------------

KINDS = ("statefulset-apps-v1.json", "deployment-apps-v1.json", "job-batch-v1.json", "cronjob-batch-v1.json",
         "pod-v1.json", "service-v1.json", "configmap-v1.json", "secret-v1.json",
         "poddisruptionbudget-policy-v1.json", "networkpolicy-networking-v1.json", "role-rbac-v1.json",
         "persistentvolumeclaim-v1.json", "ingress-networking-v1.json")
VERSIONS = tools.DEFAULT_KUBE_VERSIONS


class _Documents:
    """Documents made from a schema: some optional fields of every object, values of the right type."""

    def __init__(self, schema: dict, seed: int, chance: float = 0.5, depth: int = 6):
        self._defs = schema.get("$defs", {})
        self._random = random.Random(seed)
        self._chance, self._depth = chance, depth

    def make(self, schema: dict, depth: int = 0):
        schema = self._resolved(schema)
        for branch_keyword in ("oneOf", "anyOf"):
            if branch_keyword in schema:
                return self.make(self._random.choice(schema[branch_keyword]), depth + 1)
        if "enum" in schema:
            return self._random.choice(schema["enum"])
        kind = schema.get("type", "object")
        kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
        if kind == "object":
            properties = schema.get("properties", {})
            chosen = [name for name in properties
                      if name in schema.get("required", ()) or (depth < self._depth and self._random.random() < self._chance)]
            made = {name: self.make(properties[name], depth + 1) for name in chosen}
            if not properties and isinstance(schema.get("additionalProperties"), dict):
                made = {"k": self.make(schema["additionalProperties"], depth + 1)}
            return made
        if kind == "array":
            return [self.make(schema.get("items", {}), depth + 1)] if depth < 8 else []
        return {"integer": 1, "number": 1.5, "boolean": True}.get(kind, "x")

    def _resolved(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = {**self._defs[schema["$ref"].removeprefix("#/$defs/")],
                      **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema


def _mutants(document: dict, rng: random.Random) -> list[dict]:
    """The document with one field of an object dropped, retyped, or a field added."""
    paths = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                paths.append(path + (key,))
                walk(value, path + (key,))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, path + (index,))

    walk(document, ())
    mutants = []
    for path in rng.sample(paths, min(len(paths), 6)):
        for mutation in ("drop", "retype", "add"):
            mutant = copy.deepcopy(document)
            parent = mutant
            for step in path[:-1]:
                parent = parent[step]
            if mutation == "drop":
                del parent[path[-1]]
            elif mutation == "retype":
                parent[path[-1]] = 7 if isinstance(parent[path[-1]], str) else "seven"
            elif isinstance(parent[path[-1]], dict):
                parent[path[-1]]["unknownField"] = "x"
            else:
                continue
            mutants.append(mutant)
    return mutants


def _documents(kind: str, per_version: int = 2) -> list[dict]:
    documents = []
    for seed, version in enumerate(VERSIONS):
        schema = json.loads((kube_schemas.kube_schema_dir(version) / kind).read_text())
        made = _Documents(schema, seed)
        # and one with every field down to a depth: the fields this version has and another lacks
        for document in [made.make(schema) for _ in range(per_version)] + \
                [_Documents(schema, seed, chance=1.0, depth=3).make(schema)]:
            documents += [document, *_mutants(document, random.Random(len(documents)))]
    return documents


@pytest.fixture(scope="module")
def conjoined_dir() -> Path:
    return kube_schemas.conjoined_schema_dir(VERSIONS)


@pytest.mark.parametrize("kind", KINDS)
def test_kubernetes_schemas_conjoined_answer_as_every_version(kind, conjoined_dir):
    conjoined = json.loads((conjoined_dir / kind).read_text())
    per_version = [jsonschema.Draft202012Validator(json.loads((kube_schemas.kube_schema_dir(v) / kind).read_text()))
                   for v in VERSIONS]
    validator = jsonschema.Draft202012Validator(conjoined)
    answers = set()
    for document in _documents(kind):
        each = [v.is_valid(document) for v in per_version]
        assert validator.is_valid(document) == all(each), (kind, document, each)
        answers.add(tuple(each))
    # The documents tell the versions apart where their schemas differ, and hold valid ones.
    assert (True,) * len(VERSIONS) in answers


def test_conjoined_schemas_are_made_once_for_every_kind_of_all_versions(conjoined_dir):
    assert conjoined_dir.name == f"v{'+v'.join(VERSIONS)}-conjoined-strict-1"
    assert kube_schemas.conjoined_schema_dir(list(reversed(VERSIONS))) == conjoined_dir
    in_all = set.intersection(*({p.name for p in kube_schemas.kube_schema_dir(v).iterdir()} for v in VERSIONS))
    assert {p.name for p in conjoined_dir.iterdir()} == in_all
    statefulset = (conjoined_dir / "statefulset-apps-v1.json").read_text()
    assert len(statefulset) < len((kube_schemas.kube_schema_dir(VERSIONS[-1]) /
                                   "statefulset-apps-v1.json").read_text()) / 2


def test_kubeconform_answers_the_conjoined_schemas_as_every_version(conjoined_dir, tmp_path):
    tools.install(["kubeconform"])
    documents = [document for kind in KINDS for document in _documents(kind, per_version=1)]
    for number, document in enumerate(documents):  # a file each: kubeconform reports by file
        (tmp_path / f"{number:05}.yaml").write_text(yaml.safe_dump(document))

    def statuses(version: str, location: str) -> dict[str, str]:
        done = tools.run("kubeconform", "-strict", "-summary", "-verbose", "-output", "json",
                         "-kubernetes-version", version, "-schema-location", location, str(tmp_path),
                         check=False)
        return {Path(result["filename"]).name: result["status"] for result in json.loads(done.stdout)["resources"]}

    each = [statuses(v, kube_schemas.kubeconform_schema_location(v)) for v in VERSIONS]
    conjoined = statuses(VERSIONS[-1], kube_schemas.conjoined_schema_location(VERSIONS))
    assert len(conjoined) > len(documents) * 0.9
    for file, status in conjoined.items():
        answers = [version[file] for version in each]
        valid = all(answer == "statusValid" for answer in answers)
        assert (status == "statusValid") == valid, (file, status, answers)
        if not valid and status != "statusInvalid":  # a document kubeconform could not read, or a kind it lacks
            assert status in answers, (file, status, answers)
    assert all(version.keys() == conjoined.keys() for version in each)
    valid = [status == "statusValid" for status in conjoined.values()]
    assert any(valid) and not all(valid)
    differ = [file for file in conjoined if len({version[file] for version in each}) > 1]
    assert differ, "no document told the versions apart"
