"""Whether a document is valid against a JSON Schema: yes or no, fast, for the schemas kafkac reads.

validate asks jsonschema for the errors of a document, and an answer of "none"
is by far the most common one; jsonschema's import and its way of walking a
schema cost more than the rest of a `kafkac validate`, and 0.7 ms for every
KafkaTopic. `compile_check(schema)` turns a schema into nested functions once;
the check it returns says whether jsonschema would report no error (Draft
2020-12, integers as validate's StrictValidator takes them, formats not
asserted), and validate asks jsonschema for the errors only when it says no.

It knows the keywords kafkac's schemas and Kubernetes' definitions use. A
check that reaches any other keyword (other than annotations, which jsonschema
ignores too) raises Unsupported, and the document is left to jsonschema: a
check never says yes where jsonschema would not.
tests/test_schema_validity.py holds it to jsonschema's answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from numbers import Number

Check = Callable[[object], bool]

# Keywords that assert nothing (annotations) or that another keyword reads ($defs).
_ANNOTATIONS = frozenset({"$schema", "$defs", "$comment", "description", "title", "default", "examples",
                          "format", "deprecated", "readOnly", "writeOnly"})


class Unsupported(Exception):
    """The schema uses a keyword, a type or a reference that compile_check does not know."""


def compile_check(schema, root: Mapping | None = None) -> Check:
    """A function telling whether an instance is valid against `schema`.

    Local references (`#/...`) resolve in `root`, the document that holds `schema`
    (by default `schema` itself). Each part of the schema is turned into a function
    the first time an instance reaches it (a document uses little of a large schema),
    so the check raises Unsupported when it reaches a keyword not known here.
    """
    return _Compiler(schema if root is None else root).compile(schema, top=True)


class _Compiler:
    def __init__(self, root):
        self.root = root
        self.compiled: dict[int, Check] = {}

    def compile(self, schema, top: bool = False) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise Unsupported(f"a schema that is a {type(schema).__name__}")
        key = id(schema)
        if key not in self.compiled:
            self.compiled[key] = self._when_reached(schema, top)
        return self.compiled[key]

    def _when_reached(self, schema: dict, top: bool) -> Check:
        """A check that builds the schema's own check when it first runs (recursive references
        then need nothing more)."""
        built: list[Check] = []

        def check(instance) -> bool:
            if not built:
                built.append(self._schema(schema, top))
            return built[0](instance)
        return check

    def _schema(self, schema: dict, top: bool) -> Check:
        checks: list[Check] = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword.startswith("x-") or (keyword == "$id" and top):
                continue
            build = _KEYWORDS.get(keyword)
            if build is None:
                raise Unsupported(f"keyword {keyword}")
            check = build(self, value, schema)
            if check is not None:
                checks.append(check)
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            first, second = checks
            return lambda instance: first(instance) and second(instance)
        return _every(checks)

    def resolve(self, reference: str):
        if not isinstance(reference, str) or not reference.startswith("#") or "%" in reference:
            raise Unsupported(f"reference {reference!r}")
        node = self.root
        pointer = reference[1:]
        if pointer and not pointer.startswith("/"):
            raise Unsupported(f"reference {reference!r}")
        for part in pointer.split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise Unsupported(f"unresolvable reference {reference!r}")
        return node


def _every(checks: list[Check]) -> Check:
    def check(instance) -> bool:
        for each in checks:
            if not each(instance):
                return False
        return True
    return check


def _always(instance) -> bool:
    return True


def _never(instance) -> bool:
    return False


# --- types --------------------------------------------------------------------------------

def _is_integer(instance) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


def _is_number(instance) -> bool:
    return isinstance(instance, Number) and not isinstance(instance, bool)


_TYPES: dict[str, Check] = {
    "object": lambda instance: isinstance(instance, dict),
    "array": lambda instance: isinstance(instance, list),
    "string": lambda instance: isinstance(instance, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda instance: isinstance(instance, bool),
    "null": lambda instance: instance is None,
}


def _type(compiler: _Compiler, types, schema: dict) -> Check:
    names = [types] if isinstance(types, str) else types
    if not isinstance(names, list) or not names or any(name not in _TYPES for name in names):
        raise Unsupported(f"type {types!r}")
    if len(names) == 1:
        return _TYPES[names[0]]
    predicates = [_TYPES[name] for name in names]
    return lambda instance: any(predicate(instance) for predicate in predicates)


# --- objects ------------------------------------------------------------------------------

def _properties(compiler: _Compiler, properties, schema: dict) -> Check:
    if not isinstance(properties, dict):
        raise Unsupported("properties that are not an object")
    checks = [(name, compiler.compile(subschema)) for name, subschema in properties.items()]

    def check(instance) -> bool:
        if not isinstance(instance, dict):
            return True
        for name, subcheck in checks:
            if name in instance and not subcheck(instance[name]):
                return False
        return True
    return check


def _additional_properties(compiler: _Compiler, additional, schema: dict) -> Check:
    if "patternProperties" in schema:
        raise Unsupported("additionalProperties beside patternProperties")
    named = schema.get("properties", {})
    if not isinstance(named, dict):
        raise Unsupported("properties that are not an object")
    if additional is False or (not isinstance(additional, dict) and not additional):
        names = named.keys()
        return lambda instance: not isinstance(instance, dict) or instance.keys() <= names
    if not isinstance(additional, dict):
        return None  # true: anything goes
    subcheck = compiler.compile(additional)
    return lambda instance: not isinstance(instance, dict) or all(
        subcheck(value) for key, value in instance.items() if key not in named)


def _required(compiler: _Compiler, required, schema: dict) -> Check:
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        raise Unsupported("required that is not a list of names")
    names = frozenset(required)
    return lambda instance: not isinstance(instance, dict) or names <= instance.keys()


def _min_properties(compiler: _Compiler, least, schema: dict) -> Check:
    return lambda instance: not isinstance(instance, dict) or len(instance) >= least


def _max_properties(compiler: _Compiler, most, schema: dict) -> Check:
    return lambda instance: not isinstance(instance, dict) or len(instance) <= most


# --- arrays -------------------------------------------------------------------------------

def _items(compiler: _Compiler, items, schema: dict) -> Check:
    prefix = schema.get("prefixItems", [])
    if not isinstance(prefix, list):
        raise Unsupported("prefixItems that is not a list")
    start = len(prefix)
    subcheck = compiler.compile(items)
    return lambda instance: not isinstance(instance, list) or all(subcheck(item) for item in instance[start:])


def _prefix_items(compiler: _Compiler, prefix, schema: dict) -> Check:
    if not isinstance(prefix, list):
        raise Unsupported("prefixItems that is not a list")
    checks = [compiler.compile(subschema) for subschema in prefix]
    return lambda instance: not isinstance(instance, list) or all(
        subcheck(item) for subcheck, item in zip(checks, instance))


def _min_items(compiler: _Compiler, least, schema: dict) -> Check:
    return lambda instance: not isinstance(instance, list) or len(instance) >= least


def _max_items(compiler: _Compiler, most, schema: dict) -> Check:
    return lambda instance: not isinstance(instance, list) or len(instance) <= most


def _unique_items(compiler: _Compiler, unique, schema: dict) -> Check | None:
    if not unique:
        return None
    return lambda instance: not isinstance(instance, list) or _unique(instance)


# --- strings and numbers ------------------------------------------------------------------

def _pattern(compiler: _Compiler, pattern, schema: dict) -> Check:
    try:
        search = re.compile(pattern).search
    except (re.error, TypeError):
        raise Unsupported(f"pattern {pattern!r}") from None
    return lambda instance: not isinstance(instance, str) or search(instance) is not None


def _min_length(compiler: _Compiler, least, schema: dict) -> Check:
    return lambda instance: not isinstance(instance, str) or len(instance) >= least


def _max_length(compiler: _Compiler, most, schema: dict) -> Check:
    return lambda instance: not isinstance(instance, str) or len(instance) <= most


def _minimum(compiler: _Compiler, least, schema: dict) -> Check:
    return lambda instance: not _is_number(instance) or not instance < least


def _maximum(compiler: _Compiler, most, schema: dict) -> Check:
    return lambda instance: not _is_number(instance) or not instance > most


def _exclusive_minimum(compiler: _Compiler, bound, schema: dict) -> Check:
    return lambda instance: not _is_number(instance) or not instance <= bound


def _exclusive_maximum(compiler: _Compiler, bound, schema: dict) -> Check:
    return lambda instance: not _is_number(instance) or not instance >= bound


# --- values -------------------------------------------------------------------------------

def _const(compiler: _Compiler, value, schema: dict) -> Check:
    return lambda instance: _equal(instance, value)


def _enum(compiler: _Compiler, values, schema: dict) -> Check:
    if not isinstance(values, list):
        raise Unsupported("enum that is not a list")
    return lambda instance: any(_equal(value, instance) for value in values)


# --- combinations -------------------------------------------------------------------------

def _subschemas(compiler: _Compiler, schemas) -> list[Check]:
    if not isinstance(schemas, list) or not schemas:
        raise Unsupported("a combination that is not a non-empty list")
    return [compiler.compile(subschema) for subschema in schemas]


def _all_of(compiler: _Compiler, schemas, schema: dict) -> Check:
    return _every(_subschemas(compiler, schemas))


def _any_of(compiler: _Compiler, schemas, schema: dict) -> Check:
    checks = _subschemas(compiler, schemas)
    return lambda instance: any(check(instance) for check in checks)


def _one_of(compiler: _Compiler, schemas, schema: dict) -> Check:
    checks = _subschemas(compiler, schemas)
    return lambda instance: sum(1 for check in checks if check(instance)) == 1


def _not(compiler: _Compiler, subschema, schema: dict) -> Check:
    check = compiler.compile(subschema)
    return lambda instance: not check(instance)


def _ref(compiler: _Compiler, reference, schema: dict) -> Check:
    return compiler.compile(compiler.resolve(reference))


_KEYWORDS: dict[str, Callable[[_Compiler, object, dict], Check | None]] = {
    "type": _type, "properties": _properties, "additionalProperties": _additional_properties,
    "required": _required, "minProperties": _min_properties, "maxProperties": _max_properties,
    "items": _items, "prefixItems": _prefix_items, "minItems": _min_items, "maxItems": _max_items,
    "uniqueItems": _unique_items, "pattern": _pattern, "minLength": _min_length, "maxLength": _max_length,
    "minimum": _minimum, "maximum": _maximum, "exclusiveMinimum": _exclusive_minimum,
    "exclusiveMaximum": _exclusive_maximum, "const": _const, "enum": _enum, "allOf": _all_of,
    "anyOf": _any_of, "oneOf": _one_of, "not": _not, "$ref": _ref,
}


# --- equality as JSON Schema means it (jsonschema's _utils.equal and uniq) ---------------

_TRUE, _FALSE = object(), object()


def _unbool(value):
    """True and 1 (False and 0) are equal in Python but not in JSON."""
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    return value


def _equal(one, two) -> bool:
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(key in two and _equal(value, two[key]) for key, value in one.items())
    return _unbool(one) == _unbool(two)


def _unique(items: list) -> bool:
    try:
        ordered = sorted(_unbool(item) for item in items)
        return not any(_equal(a, b) for a, b in zip(ordered, ordered[1:]))
    except (NotImplementedError, TypeError):
        seen: list = []
        for item in map(_unbool, items):
            if any(_equal(earlier, item) for earlier in seen):
                return False
            seen.append(item)
        return True
