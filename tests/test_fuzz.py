"""Property-based fuzzing of the front end: any input ends in success or in positioned errors.

Specs are generated from the input JSON Schema, mutated from the examples (types,
bounds, unicode classes, control characters, nesting, duplicate resources, broken
references) and written as raw YAML text. Each one goes in process through load,
validate, normalize and, when accepted, plan and emit, and must end with no error
(exit 0) or with errors that each name file:line:col (exit 1), within a time and
memory bound; an exception is a crash.

The default run uses a fixed seed and a fixed number of examples per strategy. A
long run: `pytest tests/test_fuzz.py --fuzz-examples 5000` (or KAFKAC_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import copy
import json
import re
import resource
import tempfile
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.emit import emit
from compiler.findings import Finding
from compiler.load import Documents, load_text
from compiler.pipeline import read_documents
from compiler.plan import plan
from compiler.schemas import schema_file
from compiler.validate import SCHEMA_NAMES

from .conftest import EXAMPLES
from .util import tree_paths

SPEC = "fuzz.yaml"
MAX_SECONDS_PER_CASE = 10
MAX_RSS_BYTES = 3 * 2 ** 30
EXAMPLE_SPECS = [p for p in sorted(EXAMPLES.rglob("*.yaml")) if "ci" not in p.relative_to(EXAMPLES).parts]


def _examples(request) -> int:
    return request.config.getoption("--fuzz-examples")


def fuzz_settings(request):
    return settings(max_examples=_examples(request), derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True)


# --- the property ------------------------------------------------------------------------------------

def run_front_end(text: str) -> list[Finding]:
    """What `kafkac compile --no-verify` runs before the policies, in process; the error findings."""
    started = time.monotonic()
    documents, findings = load_text(text, SPEC)
    model, findings = read_documents(Documents(documents, findings))
    if model is not None and model.clusters:
        with tempfile.TemporaryDirectory() as staging:
            for chart_plan in plan(model.clusters):
                emit(chart_plan, Path(staging) / chart_plan.name)
    elapsed = time.monotonic() - started
    assert elapsed < MAX_SECONDS_PER_CASE, f"took {elapsed:.1f} s"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 < MAX_RSS_BYTES
    errors = [f for f in findings if f.is_error]
    for finding in errors:
        assert finding.span.file == SPEC and finding.span.line > 0 and finding.span.col > 0, finding
        assert finding.message and finding.rule, finding
    return errors


def dump(documents: list) -> str:
    return yaml.safe_dump_all(documents, allow_unicode=True, sort_keys=False, width=1 << 20)


# --- values ------------------------------------------------------------------------------------------

HOSTILE_TEXT = st.sampled_from([
    "{{ .Release.Name }}", "{{- fail \"x\" -}}", "${HOME}", "$(id)", "`id`", "a;rm -rf /", "'\"", "\\", "#x",
    "a\nb", "a\rb", "a\tb", "a\u2028b", "a\u2029b", "a\u0085b", "a\x00b", "\x1b[31m", "\ufeff", "\U0001f600",
    "key: value", "- item", "&anchor", "*alias", "!!python/object", "---", "...", "x=y", "a:b", "a=b\nc=d",
    "", " ", "0", "-1", "1e9999", "0x10", "true", "null", "~", "9" * 40, "x" * 300, "é", "ǅ", "\u202e",
])
STRINGS = st.one_of(HOSTILE_TEXT, st.text(max_size=30),
                    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Zl", "Zp", "Cf", "So"]),
                            max_size=8))
NUMBERS = st.one_of(st.integers(-2 ** 70, 2 ** 70), st.sampled_from([0, -1, 1, 2 ** 31, 2 ** 31 - 1, 2 ** 63, 65536]),
                    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([3.0, 9092.0, 0.5, -0.0]))
PLAIN_TEXT = st.from_regex(r"[a-z0-9][a-z0-9.-]{0,12}", fullmatch=True)
SCALARS = st.one_of(STRINGS, NUMBERS, st.booleans(), st.none())


def _nested(depth: int):
    return st.one_of(st.lists(st.none(), max_size=1).map(lambda _: _deep(depth, list)),
                     st.just(_deep(depth, dict)))


def _deep(depth: int, kind):
    value = "leaf"
    for _ in range(depth):
        value = [value] if kind is list else {"k": value}
    return value


VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(STRINGS, inner, max_size=3)),
                      max_leaves=8)
ODD_VALUES = st.one_of(VALUES, st.integers(1, 150).flatmap(_nested))


# --- specs from the JSON Schema ----------------------------------------------------------------------

def _resolve(schema, root):
    while isinstance(schema, dict) and "$ref" in schema:
        node = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _string_for(schema) -> st.SearchStrategy:
    pattern = schema.get("pattern")
    if pattern:
        try:
            re.compile(pattern)
            valid = st.from_regex(pattern, fullmatch=True)
            return st.one_of(valid, valid, STRINGS)
        except re.error:
            pass
    return STRINGS


def from_schema(schema, root, depth: int = 0) -> st.SearchStrategy:
    """Mostly valid values of `schema`, sometimes anything: specs that get far into the pipeline."""
    schema = _resolve(schema, root)
    if schema is True or not isinstance(schema, dict) or depth > 12:
        return SCALARS
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for union in ("oneOf", "anyOf"):
        if union in schema and all(isinstance(b, dict) for b in schema[union]):
            base = {k: v for k, v in schema.items() if k != union}
            return st.one_of([from_schema({**base, **_resolve(b, root)}, root, depth + 1) for b in schema[union]])
    if "allOf" in schema:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for branch in schema["allOf"]:
            merged.update(_resolve(branch, root))
        return from_schema(merged, root, depth + 1)
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = [name for name in schema.get("required", []) if name in properties]
        optional = [name for name in properties if name not in required]
        extra = schema.get("additionalProperties")

        @st.composite
        def objects(draw):
            value = {name: draw(from_schema(properties[name], root, depth + 1)) for name in required}
            for name in draw(st.lists(st.sampled_from(optional), max_size=4, unique=True)) if optional else ():
                value[name] = draw(from_schema(properties[name], root, depth + 1))
            if isinstance(extra, dict):
                for key in draw(st.lists(STRINGS, max_size=2)):
                    value[key] = draw(from_schema(extra, root, depth + 1))
            return value
        return objects()
    if kind == "array":
        return st.lists(from_schema(schema.get("items", True), root, depth + 1), max_size=3)
    if kind == "integer":
        low, high = schema.get("minimum", -2 ** 40), schema.get("maximum", 2 ** 40)
        return st.one_of(st.integers(low, max(low, min(high, low + 20))), st.integers(low, high), NUMBERS)
    if kind == "number":
        return NUMBERS
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return _string_for(schema)
    return SCALARS


def _schema_strategy(name: str):
    schema = json.loads(schema_file(name).read_text(encoding="utf-8"))
    return from_schema(schema, schema)


SCHEMA_DOCUMENTS = st.sampled_from(sorted(set(SCHEMA_NAMES.values()))).flatmap(_schema_strategy)


# --- mutations of the examples -----------------------------------------------------------------------

def _example_documents() -> list[list]:
    """The documents of each example directory, one cluster with its pools, topics and users."""
    by_directory: dict[Path, list] = {}
    for path in EXAMPLE_SPECS:
        by_directory.setdefault(path.parent, []).extend(
            d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None)
    return list(by_directory.values())


EXAMPLE_DOCUMENTS = _example_documents()


def _set(node, path, value):
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _get(node, path):
    for part in path:
        node = node[part]
    return node


def _like(value) -> st.SearchStrategy:
    """A value of the same type: what a spec that passes the schema may hold."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.one_of(st.integers(0, 3 * max(value, 3)),
                         st.sampled_from([0, 1, 999, 1000, 1001, 65535, 2 ** 31 - 1, 2 ** 31]))
    if isinstance(value, str):
        return st.one_of(PLAIN_TEXT.map(lambda v: value + v), PLAIN_TEXT, STRINGS)
    return ODD_VALUES


def _delete(node, path):
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


@st.composite
def mutated_examples(draw):
    documents = copy.deepcopy(draw(st.sampled_from(EXAMPLE_DOCUMENTS)))
    documents = [d for d in documents if d is not None]
    for _ in range(draw(st.integers(1, 2))):
        index = draw(st.integers(0, len(documents) - 1))
        document = documents[index]
        # deepest first: hypothesis leans towards the first choices, and apiVersion and kind come first
        paths = sorted((p for p in tree_paths(document) if p), key=lambda p: (-len(p), str(p)))
        action = draw(st.sampled_from(["same-type", "same-type", "same-type", "replace", "delete", "add-key",
                                       "duplicate", "break-reference", "rename-key"]))
        if action == "duplicate":
            documents.append(copy.deepcopy(document))
        elif action == "break-reference":
            labels = document.get("metadata", {}).get("labels") if isinstance(document.get("metadata"), dict) else None
            if isinstance(labels, dict):
                labels["strimzi.io/cluster"] = draw(STRINGS)
        elif not paths:
            continue
        else:
            path = draw(st.sampled_from(paths))
            if action == "same-type":
                _set(document, path, draw(_like(_get(document, path))))
            elif action == "replace":
                _set(document, path, draw(ODD_VALUES))
            elif action == "delete":
                _delete(document, path)
            elif action == "add-key":
                parent = document
                for part in path[:-1]:
                    parent = parent[part]
                if isinstance(parent, dict):
                    parent[draw(STRINGS)] = draw(VALUES)
            elif action == "rename-key" and isinstance(path[-1], str):
                parent = document
                for part in path[:-1]:
                    parent = parent[part]
                parent[path[-1] + draw(HOSTILE_TEXT)] = parent.pop(path[-1])
    return documents


# --- raw YAML ----------------------------------------------------------------------------------------

YAML_PIECES = st.sampled_from([
    "a: 1\n", "- x\n", "  ", "\t", "[", "]", "{", "}", ",", ": ", "&a ", "*a", "!!str ", "!!int ", "!custom ", "<<: *a\n",
    "? ", "|\n", ">\n", "'", '"', "\\u2028", "\\x00", "\\L", "---\n", "...\n", "%YAML 1.1\n", "#c\n", ".inf", ".nan",
    "0o17", "0x1F", "1_000", "yes", "on", "~", "null", "1e400", "\n", "kind: Kafka\n", "apiVersion: v1\n",
    "metadata: {name: x}\n", "\u2028", "\u0085", "\x01", "\ufeff", "\U0001f600",
])
RAW_YAML = st.one_of(
    st.lists(YAML_PIECES, max_size=40).map("".join),
    st.text(max_size=200),
    st.builds(lambda depth, open_: "a: " + open_ * depth, st.integers(1, 3000), st.sampled_from(["[", "{", "- "])),
    st.builds(lambda text, cut, junk: text[:cut] + junk + text[cut:],
              st.sampled_from([p.read_text(encoding="utf-8") for p in EXAMPLE_SPECS]),
              st.integers(0, 3000), st.lists(YAML_PIECES, max_size=3).map("".join)),
)


# --- the tests ---------------------------------------------------------------------------------------

def test_specs_generated_from_the_schema(request):
    @fuzz_settings(request)
    @given(st.lists(SCHEMA_DOCUMENTS, min_size=1, max_size=3))
    def run(documents):
        run_front_end(dump(documents))
    run()


def test_mutated_examples(request):
    @fuzz_settings(request)
    @given(mutated_examples())
    def run(documents):
        run_front_end(dump(documents))
    run()


def test_raw_yaml(request):
    @fuzz_settings(request)
    @given(RAW_YAML)
    def run(text):
        run_front_end(text)
    run()

