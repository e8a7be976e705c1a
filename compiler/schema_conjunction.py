"""One JSON Schema that a document satisfies exactly when it satisfies each of several.

kubeconform checks a rendered chart against one Kubernetes version's schemas
per run, and most of a run is compiling the schemas. The schemas of
neighbouring versions differ in a few fields of large trees (a Pod's spec in
a StatefulSet), so their conjunction, built node by node, is hardly larger
than one of them: where the versions agree it is that node once, where they
differ only in which properties an object has it is one object whose
properties are the conjunctions of each version's, and elsewhere it is an
`allOf` of the versions' nodes. One run against it answers whether the
chart is valid for every version.

Input schemas are self-contained draft 2020-12 schemas whose only references
are `#/$defs/<name>` (what `kube_schemas.kube_schema_dir` writes), and whose
keywords are the ones below; the conjunction is self-contained the same way.
Annotations (descriptions, `x-kubernetes-*`) are left out: they never decide
validity.
"""

from __future__ import annotations

import json
from typing import Any

_DEFS = "#/$defs/"
_PROPERTIES = "properties"
_ADDITIONAL = "additionalProperties"
# Keywords by what their value is: a map of subschemas, a list of them, one subschema, or
# a value that holds no schema. A schema with any other keyword is refused.
_SCHEMA_MAPS = frozenset({_PROPERTIES, "patternProperties", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_ONE = frozenset({"items", _ADDITIONAL, "not", "if", "then", "else", "contains", "propertyNames",
                         "unevaluatedItems", "unevaluatedProperties"})
_VALUES = frozenset({"$ref", "type", "format", "enum", "const", "required", "pattern", "multipleOf",
                     "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
                     "maxLength", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties"})
_ANNOTATIONS = frozenset({"description", "title", "default", "examples", "$comment", "readOnly",
                          "writeOnly", "deprecated"})
# What the node-by-node conjunction takes apart; the keywords of _SAME are kept when every
# node that has one has the same value. Nodes with other keywords are conjoined as an `allOf`.
_STRUCTURAL = frozenset({"$ref", _PROPERTIES, _ADDITIONAL, "required", "items"})
_SAME = _VALUES - _STRUCTURAL

Versioned = tuple[int, Any]  # (index of the schema among the inputs, one of its nodes)


def conjunction(schemas: list[dict]) -> dict:
    """A self-contained schema that holds for a document exactly when every one of `schemas` does.

    ValueError for a schema this module cannot take apart: another kind of reference, a
    keyword it does not know, schemas of different dialects.
    """
    return Conjunction([schema.get("$defs", {}) for schema in schemas]).schema(schemas)


def _is_annotation(keyword: str) -> bool:
    return keyword in _ANNOTATIONS or keyword.startswith("x-")


def _subschemas(node: Any, change) -> Any:
    """`node` (a schema) with `change` applied to each of its direct subschemas, annotations left
    out; ValueError for a keyword not known."""
    if not isinstance(node, dict):
        return node  # true or false
    changed = {}
    for keyword, value in node.items():
        if _is_annotation(keyword):
            continue
        if keyword in _SCHEMA_MAPS:
            changed[keyword] = {name: change(schema) for name, schema in value.items()}
        elif keyword in _SCHEMA_LISTS:
            changed[keyword] = [change(schema) for schema in value]
        elif keyword in _SCHEMA_ONE:
            changed[keyword] = change(value)
        elif keyword in _VALUES:
            changed[keyword] = value
        else:
            raise ValueError(f"a schema keyword this conjunction does not know: {keyword!r}")
    return changed


def _without_annotations(node: Any) -> Any:
    return _subschemas(node, _without_annotations)


def _refs(node: Any):
    """The names of the definitions `node` refers to directly."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"][len(_DEFS):]
        for keyword, value in node.items():
            if keyword in _SCHEMA_MAPS:
                for schema in value.values():
                    yield from _refs(schema)
            elif keyword in _SCHEMA_LISTS:
                for schema in value:
                    yield from _refs(schema)
            elif keyword in _SCHEMA_ONE:
                yield from _refs(value)


def _text(node: Any) -> str:
    return json.dumps(node, sort_keys=True, separators=(",", ":"))


class Conjunction:
    """Conjunctions of schemas whose references go into one table of definitions per input
    (the `$defs` of several self-contained schemas of one version, each a part of the same
    table): what is conjoined once is not conjoined again for the next schema."""

    def __init__(self, definitions: list[dict]):
        self._definitions = [{name: _without_annotations(definition) for name, definition in table.items()}
                             for table in definitions]
        self._defs: dict[str, Any] = {}
        self._def_names: dict[tuple[tuple[int, str], ...], str] = {}

    def schema(self, schemas: list[dict]) -> dict:
        """The conjunction of `schemas` (the n-th resolving its references in the n-th table), with
        the definitions it reaches under its `$defs`."""
        if len(schemas) != len(self._definitions):
            raise ValueError(f"{len(schemas)} schemas for {len(self._definitions)} tables of definitions")
        dialects = {schema.get("$schema") for schema in schemas}
        if len(dialects) != 1:
            raise ValueError(f"schemas of different dialects: {sorted(map(str, dialects))}")
        roots = [(index, _without_annotations({key: value for key, value in schema.items()
                                                if key not in ("$schema", "$defs")}))
                 for index, schema in enumerate(schemas)]
        merged = self._conjoin(roots)
        if not isinstance(merged, dict):  # `false`: still a schema document, one that nothing passes
            merged = {"not": {}}
        result = {"$schema": dialects.pop(), **merged}
        reached = self._reached(merged)
        if reached:
            result["$defs"] = {name: self._defs[name] for name in sorted(reached)}
        return result

    def _reached(self, node: Any) -> set[str]:
        reached: set[str] = set()
        pending = [node]
        while pending:
            for name in _refs(pending.pop()):
                if name not in reached:
                    reached.add(name)
                    pending.append(self._defs[name])
        return reached

    # --- definitions ------------------------------------------------------------------------

    def _ref(self, refs: list[tuple[int, Any]]) -> str:
        """A reference to the definition that conjoins the ones `refs` (index, `$ref`) name,
        made on first use."""
        names = []
        for index, ref in refs:
            if not (isinstance(ref, str) and ref.startswith(_DEFS) and "/" not in ref[len(_DEFS):]
                    and "~" not in ref[len(_DEFS):]):
                raise ValueError(f"a reference this conjunction does not follow: {ref!r}")
            names.append((index, ref[len(_DEFS):]))
        key = tuple(sorted(set(names)))
        name = self._def_names.get(key)
        if name is None:
            name = self._def_name(key)
            self._def_names[key] = name
            self._defs[name] = None  # reserved first: a definition may reach itself
            self._defs[name] = self._conjoin([(index, self._definition(index, ref)) for index, ref in key])
        return _DEFS + name

    def _def_name(self, key: tuple[tuple[int, str], ...]) -> str:
        names = sorted({ref for _, ref in key})
        indexes = sorted({index for index, _ in key})
        base = "+".join(names)
        name = base if len(indexes) == len(self._definitions) and len(names) == 1 \
            else f"{base}@{','.join(map(str, indexes))}"
        taken = 1
        while name in self._defs:  # the same names and inputs, paired otherwise
            taken += 1
            name = f"{base}@{','.join(map(str, indexes))}-{taken}"
        return name

    def _definition(self, index: int, name: str) -> Any:
        try:
            return self._definitions[index][name]
        except KeyError:
            raise ValueError(f"schema {index} has no definition {name!r}") from None

    # --- nodes ------------------------------------------------------------------------------

    def _conjoin(self, nodes: list[Versioned]) -> Any:
        """One schema that holds exactly when each of `nodes` holds (each within its own schema)."""
        if any(node is False for _, node in nodes):
            return False
        nodes = [(index, node) for index, node in nodes if node is not True and node != {}]
        if not nodes:
            return {}
        alike: dict[str, tuple[Any, list[int]]] = {}
        for index, node in nodes:
            alike.setdefault(_text(node), (node, []))[1].append(index)
        if len(alike) == 1:
            ((node, indexes),) = alike.values()
            return self._shared(node, indexes)
        if all(isinstance(node, dict) for _, node in nodes):
            merged = self._conjoin_objects(nodes)
            if merged is not None:
                return merged
        return {"allOf": [self._shared(node, indexes) for node, indexes in alike.values()]}

    def _shared(self, node: Any, indexes: list[int]) -> Any:
        """`node`, the same in the schemas `indexes`, with each reference conjoining theirs."""
        node = _subschemas(node, lambda schema: self._shared(schema, indexes))
        if isinstance(node, dict) and "$ref" in node:
            node["$ref"] = self._ref([(index, node["$ref"]) for index in indexes])
        return node

    def _conjoin_objects(self, nodes: list[Versioned]) -> dict | None:
        """The node-by-node conjunction of schema objects, or None when their keywords do not allow it."""
        keywords = set().union(*(node.keys() for _, node in nodes))
        if not keywords <= _STRUCTURAL | _SAME:
            return None
        merged: dict[str, Any] = {}
        for keyword in sorted(keywords & _SAME):
            having = [(index, node[keyword]) for index, node in nodes if keyword in node]
            if len({_text(value) for _, value in having}) != 1:
                return None
            merged[keyword] = having[0][1]  # a value, never a schema
        refs = [(index, node["$ref"]) for index, node in nodes if "$ref" in node]
        if refs:
            merged["$ref"] = self._ref(refs)
        required = sorted(set().union(*(node.get("required", ()) for _, node in nodes)))
        if required:
            merged["required"] = required
        items = [(index, node["items"]) for index, node in nodes if "items" in node]
        if items:
            merged["items"] = self._conjoin(items)
        if any(_PROPERTIES in node or _ADDITIONAL in node for _, node in nodes):
            merged.update(self._conjoin_properties(nodes))
        return merged

    def _conjoin_properties(self, nodes: list[Versioned]) -> dict:
        """`properties` and `additionalProperties` of the conjunction: a property one node does
        not list is held to that node's `additionalProperties` (none: anything)."""
        names = sorted(set().union(*(node.get(_PROPERTIES, {}).keys() for _, node in nodes)))
        merged: dict[str, Any] = {}
        if names:
            merged[_PROPERTIES] = {
                name: self._conjoin([(index, node[_PROPERTIES][name] if name in node.get(_PROPERTIES, {})
                                      else node.get(_ADDITIONAL, True)) for index, node in nodes])
                for name in names}
        additional = self._conjoin([(index, node[_ADDITIONAL]) for index, node in nodes if _ADDITIONAL in node])
        if additional != {}:
            merged[_ADDITIONAL] = additional
        return merged
