"""OPA, the engine of the check stage, driven through its REST API.

By default the policy library (`policies/`, and every `--policy` directory)
is loaded by a local `opa run --server` when it starts, modules and data.json
files alike, compiled once; the server lives for one kafkac run. OPA 1.x reads
Rego v1 only, so a module in the old syntax fails to load instead of being
changed behind the author's back. With an OPA URL an existing server is used
as it is: it must hold the same bundle (`opa run --server policies/`).

Either way, all inputs of a run are evaluated in one request: the input
`{"inputs": [...]}` to `data.kafkac.main.bulk`, which evaluates
`data.kafkac.main.findings` with each of them as input (split only when very
large). opa-python-client's own `bulk_query_rule` does the same by writing
every input into the text of one ad-hoc query; OPA then parses the inputs as
Rego, which takes three times as long as decoding them as JSON
(benchmarks/README.md). The requests go through opa_http, opa-python-client's
synchronous client without its asyncio half. The local server starts before kafkac
reads the specs and is waited for when the policies first run (`starting`).
An OPA that is missing, unreachable or without kafkac's policies is a
PolicyError, which the command line reports as an environment error: never a
silent pass.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import tools
from .opa_http import Connection, HTTPException, OpaRefused, UrlError
from .project_files import POLICIES, ROOT

ENTRY_PACKAGE = "kafkac.main"
ENTRY_RULE = "findings"
BULK_RULE = "bulk"
ENTRY = f"data.{ENTRY_PACKAGE}.{ENTRY_RULE}"
DATA_FILE = "data.json"
# What `opa run` leaves out of the folders it loads: the rules' tests, hidden files.
NOT_LOADED = ("*_test.rego", ".*")
# Past this size the inputs of one run are split over several requests.
MAX_REQUEST_BYTES = 32 * 1024 * 1024
REQUEST_TIMEOUT = 300.0


class PolicyError(Exception):
    """The policies cannot be evaluated: OPA missing or unreachable, or a module or result is wrong."""


@dataclass(frozen=True)
class Rule:
    """A rule's documentation, from the `# METADATA` block of its module."""

    id: str
    title: str
    description: str
    sources: tuple[tuple[str, str], ...]  # (URL, what it is)
    file: str
    input: str = "spec"

    @property
    def help_uri(self) -> str:
        return self.sources[0][0] if self.sources else ""


# --- the library's files ------------------------------------------------------------------

def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def modules(policy_dirs: Sequence[str | Path] = ()) -> list[Path]:
    """Every Rego module OPA loads (tests and hidden files left out, as NOT_LOADED says):
    the built-in library, then each directory's."""
    found: list[Path] = []
    for directory in library_dirs(policy_dirs):
        found += sorted(p for p in directory.rglob("*.rego")
                        if not p.name.endswith("_test.rego")
                        and not any(part.startswith(".") for part in p.relative_to(directory).parts))
    return found


def data_documents(policy_dirs: Sequence[str | Path] = ()) -> dict:
    """The `data.json` files of the library and the directories, merged (later ones win), as
    OPA's data holds them."""
    merged: dict = {}
    for directory in library_dirs(policy_dirs):
        for file in sorted(Path(directory).rglob(DATA_FILE)):
            try:
                document = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise PolicyError(f"{_display(file)}: not a JSON document: {exc}") from None
            for part in reversed(file.parent.relative_to(directory).parts):
                document = {part: document}
            _merge(merged, document)
    return merged


def _merge(into: dict, document: dict) -> None:
    for key, value in document.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


_METADATA_START = re.compile(r"^#\s*METADATA\s*$")
# libyaml's reader when PyYAML has it: the pure-Python one took a quarter of a second per run.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def metadata_blocks(text: str) -> list[dict]:
    """The YAML of every `# METADATA` comment block of a Rego module."""
    blocks, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if not _METADATA_START.match(line):
            continue
        body = []
        for following in lines[i + 1:]:
            if not following.startswith("#"):
                break
            body.append(following[2:] if following.startswith("# ") else following[1:])
        try:
            parsed = yaml.load("\n".join(body), Loader=_YAML_LOADER)
        except yaml.YAMLError:
            continue  # `opa check` reports it; the rule then has no documentation here
        if isinstance(parsed, dict):
            blocks.append(parsed)
    return blocks


def rules(policy_dirs: Sequence[str | Path] = ()) -> dict[str, Rule]:
    """Documentation of every rule (a METADATA block with `custom.id`), by id; read once per
    content of the modules, then from kafkac's cache (derived_cache)."""
    from .derived_cache import cached

    found = modules(policy_dirs)
    return cached("policy-rules", [*found, Path(__file__)], lambda: _rules(found))


def _rules(found_modules: list[Path]) -> dict[str, Rule]:
    found: dict[str, Rule] = {}
    for module in found_modules:
        for block in metadata_blocks(module.read_text(encoding="utf-8")):
            custom = block.get("custom") or {}
            rule_id = custom.get("id")
            if not isinstance(rule_id, str):
                continue
            sources = tuple((str(r.get("ref", "")), str(r.get("description", "")))
                            for r in block.get("related_resources") or [] if isinstance(r, dict))
            found[rule_id] = Rule(
                id=rule_id, title=str(block.get("title", rule_id)),
                description=" ".join(str(block.get("description", "")).split()),
                sources=sources, file=_display(module), input=str(custom.get("input", "spec")))
    return found


# --- the engine ---------------------------------------------------------------------------

class Engine:
    """An OPA server holding kafkac's policies, and the rules' documentation."""

    def __init__(self, client, where: str, rules_by_id: dict[str, Rule]):
        self.client = client
        self.where = where
        self.rules = rules_by_id
        self._one_query_at_a_time = threading.Lock()  # verify checks charts from several threads

    def evaluate(self, inputs: list[dict]) -> list[list[dict]]:
        """`data.kafkac.main.findings` for each input, in as few requests as possible."""
        results: list[list[dict]] = []
        for batch in _batches(inputs):
            results += self._bulk(batch)
        return results

    def _bulk(self, inputs: list[dict]) -> list[list[dict]]:
        try:
            with self._one_query_at_a_time:
                answer = self.client.query(ENTRY_PACKAGE, BULK_RULE, {"inputs": inputs})
        except OpaRefused as exc:
            raise PolicyError(f"OPA at {self.where} refused the query: {_opa_message(exc)}") from None
        except (OSError, HTTPException, ValueError) as exc:
            raise PolicyError(f"OPA at {self.where} did not answer: {exc}") from None
        values = answer.get("result") if isinstance(answer, dict) else None  # none when undefined
        if not isinstance(values, list) or len(values) != len(inputs):
            raise PolicyError(
                f"OPA at {self.where} has no kafkac policies: data.{ENTRY_PACKAGE}.{BULK_RULE} is "
                f"undefined. Load the same bundle into it, e.g. `opa run --server {_display(POLICIES)}`.")
        return [list(value or []) for value in values]


def _batches(inputs: list[dict]) -> Iterator[list[dict]]:
    batch: list[dict] = []
    size = 0
    for item in inputs:
        item_size = len(json.dumps(item))
        if batch and size + item_size > MAX_REQUEST_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item_size
    if batch:
        yield batch


def _opa_message(refused: OpaRefused) -> str:
    try:
        body = json.loads(refused.body)
    except ValueError:
        return f"HTTP {refused.status}: {refused.body.strip()[:500]}"
    if not isinstance(body, dict):
        return f"HTTP {refused.status}"
    details = "; ".join(_located(e) for e in body.get("errors") or [])
    message = body.get("message", f"HTTP {refused.status}")
    return f"{message}: {details}" if details else message


def _located(error: dict) -> str:
    location = error.get("location") or {}
    where = ":".join(str(location[k]) for k in ("file", "row", "col") if location.get(k))
    return f"{where}: {error.get('message', '')}" if where else str(error.get("message", ""))


@contextmanager
def engine(opa_url: str | None = None, policy_dirs: Sequence[str | Path] = ()) -> Iterator[Engine]:
    """An engine for the block: a local OPA with the library loaded, or the server at `opa_url`."""
    with starting(opa_url, policy_dirs) as ready:
        yield ready()


@contextmanager
def starting(opa_url: str | None = None, policy_dirs: Sequence[str | Path] = ()
             ) -> Iterator[Callable[[], Engine]]:
    """`engine()` in two steps: a local OPA starts when the block starts, and compiles the library
    while kafkac reads the specs; the block's `ready()` waits for it and gives the Engine. Whatever
    would have stopped `engine()` (no OPA, a library that does not compile, a wrong --opa-url) is
    raised by `ready()`, so a run that never needs the policies never hears of it."""
    with ExitStack() as stack:
        pending = _Pending(stack, opa_url, policy_dirs)
        yield pending.ready


class _Pending:
    """An engine on its way: the local server started (or what stopped it), not yet waited for."""

    def __init__(self, stack: ExitStack, opa_url: str | None, policy_dirs: Sequence[str | Path]):
        self.stack = stack
        self.opa_url = opa_url
        self.policy_dirs = policy_dirs
        self.server: tools.OpaServer | None = None
        self.failure: Exception | None = None
        self.engine: Engine | None = None
        if not opa_url:
            try:
                dirs = library_dirs(policy_dirs)
                self.server = tools.OpaServer(dirs, ignore=NOT_LOADED)
                stack.callback(self.server.stop)
            except Exception as exc:  # noqa: BLE001 - raised by ready(), where engine() raised it
                self.failure = exc

    def ready(self) -> Engine:
        if self.engine is None:
            self.engine = self._connect()
        return self.engine

    def _connect(self) -> Engine:
        documentation = rules(self.policy_dirs)
        if self.opa_url:
            return self._remote(self.opa_url, documentation)
        if self.failure is not None:
            raise self.failure
        try:
            port = self.server.port()
        except tools.ToolError as exc:
            raise PolicyError(f"the policies do not compile as Rego v1:\n{_opa_load_errors(exc.stderr)}") from None
        where = f"http://{tools.OPA_HOST}:{port}"
        client = _client(where)
        self.stack.callback(client.close)
        return Engine(client, f"{where} (started by kafkac)", documentation)

    def _remote(self, opa_url: str, documentation: dict[str, Rule]) -> Engine:
        if self.policy_dirs:
            raise PolicyError("--policy cannot be combined with --opa-url: kafkac does not change a "
                              "server it did not start; load your rules into that server instead")
        client = _client(opa_url)
        self.stack.callback(client.close)
        _check_reachable(client, opa_url)
        return Engine(client, opa_url, documentation)


def _client(url: str) -> Connection:
    try:
        return Connection(url, REQUEST_TIMEOUT)
    except UrlError:
        raise PolicyError(f"--opa-url {url}: expected http://HOST:PORT or https://HOST:PORT") from None


def _check_reachable(client: Connection, url: str) -> None:
    try:
        client.policies()
    except (OSError, HTTPException, OpaRefused, ValueError):
        raise PolicyError(f"OPA at {url} is unreachable (GET /v1/policies failed); start it, "
                          "or leave out --opa-url to let kafkac run its own") from None


def library_dirs(policy_dirs: Sequence[str | Path] = ()) -> list[Path]:
    """The folders OPA loads, modules and data.json files alike: the library, then each --policy."""
    for directory in map(Path, policy_dirs):
        if not directory.is_dir():
            raise PolicyError(f"--policy {directory}: no such directory")
    return [POLICIES, *map(Path, policy_dirs)]


def _opa_load_errors(said: str) -> str:
    """OPA's complaint about the modules it could not load, without its start-up noise."""
    lines = [line.strip() for line in said.splitlines()
             if line.strip() and not line.lstrip().startswith("{")]
    return "\n".join(lines) or said.strip()
