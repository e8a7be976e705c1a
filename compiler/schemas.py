"""Generate the JSON Schemas from the CUE sources in schemas/.

Input: the CUE package `schemas/*.cue` is the truth for the resources kafkac
reads. Each kind's definition is exported with `cue def --out jsonschema -e
'#Kind'` (a Draft 2020-12 schema; the output format is experimental in cue
since v0.15). The generated text is kept byte for byte as cue prints it; the
generator only checks that it is a valid Draft 2020-12 schema and that it ends
with a newline.

Output: the CUE package `schemas/values/*.cue` is the truth for the values of
a compiled chart. Its `values` is a JSON Schema written as CUE data, each key
with a `doc`; `cue export` gives it in the order written, and the generator
splits it into charts/kafka/values.schema.json (the schema without the docs)
and schemas/json/values.docs.json (each key's doc by dotted path), from which
emit writes the comments of values.yaml.

    python -m compiler.schemas            # rewrite all of them
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from . import tools
from .project_files import CHARTS, SCHEMAS

JSON_DIR = SCHEMAS / "json"
VALUES_SOURCE_DIR = SCHEMAS / "values"
VALUES_SCHEMA_FILE = CHARTS / "kafka" / "values.schema.json"
VALUES_DOCS_FILE = JSON_DIR / "values.docs.json"
# Chart folder under charts/ -> the CUE expression of its values contract (in the package
# schemas/values/), its values.schema.json and its docs file.
VALUES_CONTRACTS: dict[str, tuple[str, Path, Path]] = {
    "kafka": ("values", VALUES_SCHEMA_FILE, VALUES_DOCS_FILE),
    "connect": ("connectValues", CHARTS / "connect" / "values.schema.json", JSON_DIR / "connect-values.docs.json"),
}

# schema name (file `<name>.schema.json`) -> CUE definition it is generated from
DEFINITIONS: dict[str, str] = {
    "kafka": "#Kafka",
    "kafkanodepool": "#KafkaNodePool",
    "configmap": "#ConfigMap",
    "kafkatopic": "#KafkaTopic",
    "kafkauser": "#KafkaUser",
    "kafkaconnect": "#KafkaConnect",
    "kafkaconnector": "#KafkaConnector",
    "kafkamirrormaker2": "#KafkaMirrorMaker2",
    "kafkarebalance": "#KafkaRebalance",
}


def schema_file(name: str, directory: Path = JSON_DIR) -> Path:
    return directory / f"{name}.schema.json"


def cue_sources(source_dir: Path = SCHEMAS) -> list[Path]:
    """The CUE files of the schema package, in a stable order."""
    return sorted(source_dir.glob("*.cue"))


def render(definition: str, source_dir: Path = SCHEMAS) -> str:
    """The JSON Schema text of one CUE definition, as cue prints it."""
    from jsonschema import Draft202012Validator  # imported here: validate reads the schemas without it

    sources = [str(path) for path in cue_sources(source_dir)]
    done = tools.run("cue", "def", "--out", "jsonschema", "-e", definition, *sources)
    text = done.stdout
    Draft202012Validator.check_schema(json.loads(text))
    return text if text.endswith("\n") else text + "\n"


def generate(dest: Path = JSON_DIR) -> list[Path]:
    """Write one `<name>.schema.json` per kind into `dest`; return the files written."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name, definition in DEFINITIONS.items():
        target = schema_file(name, dest)
        target.write_text(render(definition), encoding="utf-8")
        written.append(target)
    return written


class ValuesContractError(ValueError):
    """The values contract breaks one of its rules (schemas/values/values.cue states them)."""


# What a node of the values contract may hold besides `doc`: Draft 2020-12's
# validation keywords and the annotations the contract uses. A misspelt
# keyword is an error, not a constraint silently dropped.
@functools.cache
def _values_keywords() -> frozenset[str]:
    from jsonschema import Draft202012Validator

    return frozenset(Draft202012Validator.VALIDATORS) | {"$schema", "$defs", "title", "description"}


# Keywords whose subschemas describe the same key: list items share their list's path.
_SAME_KEY = frozenset({"items", "oneOf", "anyOf", "allOf"})
# Keywords holding subschemas by name rather than values' keys.
_NAMED_SUBSCHEMAS = frozenset({"$defs", "patternProperties", "dependentSchemas"})


def values_sources(source_dir: Path = VALUES_SOURCE_DIR) -> list[Path]:
    """The CUE files of the values contract, in a stable order."""
    return sorted(Path(source_dir).glob("*.cue"))


def values_docs_file(library: str) -> Path:
    return VALUES_CONTRACTS[library][2]


def render_values(source_dir: Path = VALUES_SOURCE_DIR, expression: str = "values") -> tuple[str, str]:
    """The texts of values.schema.json and values.docs.json, from the CUE values contract."""
    sources = [str(path) for path in values_sources(source_dir)]
    done = tools.run("cue", "export", "--out", "json", "-e", expression, *sources)
    schema, docs = split_values_contract(json.loads(done.stdout))
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema)
    return _json_text(schema), _json_text(docs)


def split_values_contract(contract: dict) -> tuple[dict, dict[str, str]]:
    """The values schema without its `doc`s, and each doc by the dotted path of its key."""
    docs: dict[str, str] = {}
    schema = _ContractWalk(contract.get("$defs", {}), docs).node(contract, "", "values")
    return schema, docs


class _ContractWalk:
    """One pass over the contract: `path` is a node's values key (dotted; None where no key
    has one, in $defs or a map's values), `where` its CUE path for messages."""

    def __init__(self, defs: dict, docs: dict[str, str]):
        self.defs = defs
        self.docs = docs

    def node(self, node, path: str | None, where: str):
        if not isinstance(node, dict):
            return node
        unknown = sorted(set(node) - _values_keywords() - {"doc"})
        if unknown:
            raise ValuesContractError(f"{_at(where)}: {', '.join(unknown)}: not a JSON Schema keyword")
        schema = {}
        for keyword, value in node.items():
            inner = f"{where}.{_cue_label(keyword)}"
            if keyword == "doc":
                continue
            if keyword == "properties":
                schema[keyword] = self.properties(value, path, inner, node.get("$ref"))
            elif keyword in _NAMED_SUBSCHEMAS:
                schema[keyword] = {name: self.node(sub, None, f"{inner}.{_cue_label(name)}")
                                   for name, sub in value.items()}
            elif keyword in ("enum", "const", "required", "type"):
                schema[keyword] = value
            else:
                key = path if keyword in _SAME_KEY else None
                schema[keyword] = [self.node(sub, key, f"{inner}[{index}]") for index, sub in enumerate(value)] \
                    if isinstance(value, list) else self.node(value, key, inner)
        return schema

    def properties(self, properties: dict, path: str | None, where: str, ref: str | None) -> dict:
        kept = {}
        for name, node in properties.items():
            key = None if path is None else (f"{path}.{name}" if path else name)
            inner = f"{where}.{_cue_label(name)}"
            if isinstance(node, dict) and "doc" in node:
                self.add_doc(key, node["doc"], inner)
            if isinstance(node, dict) and set(node) == {"doc"}:
                self.check_referenced(name, ref, inner)
                continue
            kept[name] = self.node(node, key, inner)
        return kept

    def add_doc(self, key: str | None, doc, where: str) -> None:
        if key is None:
            raise ValuesContractError(
                f"{_at(where)}: a doc in $defs or in a map's values has no key of its own; "
                "document the key that refers to it")
        if not isinstance(doc, str) or not doc.strip():
            raise ValuesContractError(f"{_at(where)}: doc must be a non-empty string")
        if key in self.docs:
            raise ValuesContractError(f"{_at(where)}: {key} is documented twice")
        self.docs[key] = doc.replace("\n", " ")

    def check_referenced(self, name: str, ref: str | None, where: str) -> None:
        """A property holding only a doc documents a key of the `$ref` beside it."""
        target = self.defs.get((ref or "").removeprefix("#/$defs/"), {})
        if name not in target.get("properties", {}):
            raise ValuesContractError(
                f"{_at(where)}: holds only a doc, but no $ref beside it defines {name!r}")


_CUE_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


def _cue_label(name: str) -> str:
    return name if _CUE_IDENTIFIER.match(name) else json.dumps(name)


def _at(where: str) -> str:
    return f"{VALUES_SOURCE_DIR.relative_to(SCHEMAS.parent)}: {where}"


def _json_text(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def generate_values(schema_file: Path = VALUES_SCHEMA_FILE, docs_file: Path = VALUES_DOCS_FILE,
                    expression: str = "values") -> list[Path]:
    """Write values.schema.json and values.docs.json from the values contract; return them."""
    schema_text, docs_text = render_values(expression=expression)
    for target, text in ((Path(schema_file), schema_text), (Path(docs_file), docs_text)):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return [Path(schema_file), Path(docs_file)]


def main(argv: list[str] | None = None) -> None:
    import argparse  # here: validate imports this module on every run

    parser = argparse.ArgumentParser(prog="python -m compiler.schemas",
                                     description="Regenerate the JSON Schema files from the CUE sources.")
    parser.add_argument("-o", "--out", type=Path, default=JSON_DIR,
                        help=f"output directory of the input schemas (default {JSON_DIR})")
    args = parser.parse_args(argv)
    try:
        written = generate(args.out)
        for expression, schema_path, docs_path in VALUES_CONTRACTS.values():
            written += generate_values(schema_path, docs_path, expression)
    except (ValuesContractError, tools.ToolError, tools.ToolMissing) as exc:
        raise SystemExit(f"error: {exc}") from None
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
