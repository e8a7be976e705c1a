"""Generate schemas/json/*.schema.json from the CUE sources in schemas/.

The CUE package `schemas/*.cue` is the truth. Each kind's definition is
exported with `cue def --out jsonschema -e '#Kind'` (a Draft 2020-12 schema;
the output format is experimental in cue since v0.15). The generated text is
kept byte for byte as cue prints it; the generator only checks that it is a
valid Draft 2020-12 schema and that it ends with a newline.

    python -m compiler.schemas            # rewrite schemas/json/
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from jsonschema import Draft202012Validator

from . import tools
from .project_files import SCHEMAS

JSON_DIR = SCHEMAS / "json"

# schema name (file `<name>.schema.json`) -> CUE definition it is generated from
DEFINITIONS: dict[str, str] = {
    "kafka": "#Kafka",
    "kafkanodepool": "#KafkaNodePool",
    "configmap": "#ConfigMap",
    "kafkatopic": "#KafkaTopic",
    "kafkauser": "#KafkaUser",
}


def schema_file(name: str, directory: Path = JSON_DIR) -> Path:
    return directory / f"{name}.schema.json"


def cue_sources(source_dir: Path = SCHEMAS) -> list[Path]:
    """The CUE files of the schema package, in a stable order."""
    return sorted(source_dir.glob("*.cue"))


def render(definition: str, source_dir: Path = SCHEMAS) -> str:
    """The JSON Schema text of one CUE definition, as cue prints it."""
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m compiler.schemas",
                                     description="Regenerate the JSON Schema files from the CUE sources.")
    parser.add_argument("-o", "--out", type=Path, default=JSON_DIR, help=f"output directory (default {JSON_DIR})")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(path)


if __name__ == "__main__":
    main()
