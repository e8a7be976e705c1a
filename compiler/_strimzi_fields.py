"""Build schemas/strimzi-fields.json: the field paths of Strimzi's API.

kafkac supports a subset of Strimzi's custom resources. To tell a user that a
refused field is real Strimzi API that kafkac does not support yet (rather than
a typo), validate needs the set of field paths Strimzi defines. This module
derives that set from Strimzi's CRDs (field names, enums; no descriptions) and
writes it as data, so nothing reads the CRDs at run time:

    python -m compiler._strimzi_fields path/to/strimzi/crds

Path notation: `spec.kafka.listeners[].port`; `[]` is any item of an array,
`*` any key of a map, and a trailing `**` means the object takes any fields.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .project_files import SCHEMAS

FIELDS_FILE = SCHEMAS / "strimzi-fields.json"
KINDS = ("Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "KafkaConnect", "KafkaConnector",
         "KafkaMirrorMaker2")
CRD_VERSION = "v1"
ANY_ITEM = "[]"
ANY_KEY = "*"
ANY_FIELDS = "**"


def build(crd_dir: Path) -> dict:
    """Field paths and enums of each kind in KINDS, from the CRDs in crd_dir."""
    result = {}
    for crd_file in sorted(Path(crd_dir).glob("*.yaml")):
        crd = yaml.safe_load(crd_file.read_text(encoding="utf-8"))
        kind = crd["spec"]["names"]["kind"]
        if kind not in KINDS:
            continue
        schema = _version_schema(crd, CRD_VERSION)
        fields: set[str] = set()
        enums: dict[str, list] = {}
        _walk(schema, "", fields, enums, skip_top=("status",))
        result[kind] = {
            "fields": sorted(fields | {"status"}),
            "enums": {path: enums[path] for path in sorted(enums)},
        }
    missing = set(KINDS) - set(result)
    if missing:
        raise SystemExit(f"no CRD for {', '.join(sorted(missing))} in {crd_dir}")
    return {"source": f"Strimzi CRDs, API version {CRD_VERSION}",
            "kinds": {kind: result[kind] for kind in KINDS}}


def _version_schema(crd: dict, version: str) -> dict:
    for entry in crd["spec"]["versions"]:
        if entry["name"] == version:
            return entry["schema"]["openAPIV3Schema"]
    raise SystemExit(f"{crd['spec']['names']['kind']} CRD has no version {version}")


def _join(prefix: str, name: str) -> str:
    if any(c in name for c in ".[]*"):
        raise SystemExit(f"field name {name!r} under {prefix!r} cannot be written in path notation")
    return f"{prefix}.{name}" if prefix else name


def _walk(schema: dict, prefix: str, fields: set[str], enums: dict[str, list], skip_top=()) -> None:
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        fields.add(f"{prefix}.{ANY_FIELDS}")
    if "enum" in schema and prefix:
        enums[prefix] = list(schema["enum"])
    for name, sub in schema.get("properties", {}).items():
        if not prefix and name in skip_top:
            continue
        path = _join(prefix, name)
        fields.add(path)
        _walk(sub, path, fields, enums)
    if isinstance(schema.get("items"), dict):
        _walk(schema["items"], prefix + ANY_ITEM, fields, enums)
    if isinstance(schema.get("additionalProperties"), dict):
        path = f"{prefix}.{ANY_KEY}"
        fields.add(path)
        _walk(schema["additionalProperties"], path, fields, enums)
    for combinator in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(combinator, []):
            _walk(sub, prefix, fields, enums)


def write(data: dict, dest: Path = FIELDS_FILE) -> Path:
    dest.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return dest


def main(argv: list[str] | None = None) -> None:
    import argparse  # here: validate imports this module for ANY_ITEM on every run

    parser = argparse.ArgumentParser(prog="python -m compiler._strimzi_fields", description=__doc__.split("\n")[0])
    parser.add_argument("crd_dir", type=Path, help="directory holding Strimzi's CRD YAML files")
    parser.add_argument("-o", "--out", type=Path, default=FIELDS_FILE)
    args = parser.parse_args(argv)
    print(write(build(args.crd_dir), args.out))


if __name__ == "__main__":
    main()
