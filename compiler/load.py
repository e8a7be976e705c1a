"""Stage 1: strict YAML loading with a source position for every node.

YAML is read with the YAML 1.2 core schema. Anything that YAML 1.1 readers
(Go's yaml used by Kubernetes tooling, older PyYAML) would read differently
is refused rather than guessed at, so a spec means the same thing to every
tool that reads it.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import yaml

from .document import Document, Documents
from .findings import FieldPath, Finding, Span, error

MAX_FILE_BYTES = 2 * 1024 * 1024
# A path argument that means standard input: `kustomize build overlays/prod | kafkac compile - -o out`.
STDIN = "-"
STDIN_NAME = "<stdin>"
# All files of one run together: far more than any cluster's specs (tens of thousands of
# topics), and a bound on what one run reads, holds and checks.
MAX_INPUT_BYTES = 16 * 1024 * 1024
MAX_ALIASES_PER_DOCUMENT = 64
MAX_NODES_PER_DOCUMENT = 200_000
# Strimzi's deepest field (a template's affinity terms) is about 12 levels down. The
# limit is checked on the parser's events, which libyaml produces without recursing,
# before any recursive step (libyaml's composer, kafkac's builder) sees the document.
MAX_DEPTH = 100
YAML_SUFFIXES = (".yaml", ".yml")

_CORE_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_CORE_BOOL = {"true": True, "True": True, "TRUE": True,
              "false": False, "False": False, "FALSE": False}
_CORE_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_CORE_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_YAML11_BOOL = re.compile(r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
_YAML11_OCTAL = re.compile(r"^[-+]?0[0-9_]+$")
_YAML11_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_YAML11_UNDERSCORE_NUMBER = re.compile(r"^[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)$")
# The first characters of every text the patterns above match (null, booleans of YAML 1.2 and
# 1.1, numbers); a plain scalar starting otherwise is a string.
_SPECIAL_FIRST = frozenset("~nNtTfFyYoO+-.0123456789")

# Characters that YAML readers treat as line breaks inconsistently (PyYAML folds them to
# a space or a new line, Go's YAML and JSON keep them), so a spec with them would mean
# different things to different tools: refused wherever they are written.
_AMBIGUOUS_BREAKS = re.compile("[\u0085\u2028\u2029]")
# Control characters refused in every scalar: C0 but tab, line feed and carriage return,
# DEL, and C1. In a mapping key no control character is accepted at all: keys become
# property names, label keys and file names, where a line break starts a new entry.
# The line and paragraph separators too, which a double-quoted "\\L" or "\\P" writes.
_VALUE_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_KEY_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CHARACTER_NAMES = {"\x00": "NUL", "\t": "a tab", "\n": "a line break", "\r": "a carriage return",
                    "\x85": "NEL", "\u2028": "a line separator", "\u2029": "a paragraph separator"}

_PLAIN = "!kafkac/plain"
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null")}


class ScalarFloat(float):
    """A float that remembers how it was written, so `2.10` is not printed as `2.1`."""

    text: str

    def __new__(cls, value: float, text: str):
        obj = super().__new__(cls, value)
        obj.text = text
        return obj

    def __getnewargs__(self) -> tuple[float, str]:  # copy.deepcopy and pickle rebuild it with its text
        return float(self), self.text


class _StrictLoader(yaml.SafeLoader):
    """Composes nodes only; every plain scalar is tagged `_PLAIN` and resolved by us."""


_StrictLoader.yaml_implicit_resolvers = {}
_StrictLoader.add_implicit_resolver(_PLAIN, re.compile(r".*", re.S), None)

if yaml.__with_libyaml__:
    class _FastStrictLoader(yaml.CSafeLoader):
        """The same, composed by libyaml: several times faster on large inputs.

        libyaml asks the Python resolver for every node's tag; with the one resolver
        above (every plain scalar is `_PLAIN`) and no path resolvers, the answer needs
        no lookup, and that was a fifth of composing a large file.
        """

        def resolve(self, kind, value, implicit):
            if kind is yaml.ScalarNode:
                return _PLAIN if implicit[0] else self.DEFAULT_SCALAR_TAG
            return self.DEFAULT_SEQUENCE_TAG if kind is yaml.SequenceNode else self.DEFAULT_MAPPING_TAG

        def descend_resolver(self, current_node, current_index):
            pass

        def ascend_resolver(self):
            pass

    _FastStrictLoader.yaml_implicit_resolvers = {}
    _FastStrictLoader.add_implicit_resolver(_PLAIN, re.compile(r".*", re.S), None)
else:
    _FastStrictLoader = None


class _Refused(Exception):
    def __init__(self, finding: Finding):
        self.finding = finding


def load(paths: list[str | os.PathLike]) -> Documents:
    """Read every YAML file under `paths` (files or directories, in a stable order)."""
    documents: list[Document] = []
    findings: list[Finding] = []
    total = 0
    for file in _expand(paths, findings):
        total += _size(file)
        if total > MAX_INPUT_BYTES:
            findings.append(error("yaml.too-large", f"the input files together are over the limit of "
                                  f"{MAX_INPUT_BYTES} bytes from this file on", Span(str(file), 1, 1),
                                  expected="fewer or smaller files in one run"))
            break
        docs, file_findings = load_file(file)
        documents.extend(docs)
        findings.extend(file_findings)
    return Documents(documents, findings)


def _size(file: Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return 0


def _expand(paths, findings: list[Finding]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if str(raw) == STDIN:
            files.append(path)
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.suffix in YAML_SUFFIXES
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            if not found:
                findings.append(error("input.empty-directory",
                                      f"no .yaml or .yml files under {path}", Span(str(path)),
                                      expected="a directory holding Strimzi resources as YAML files"))
            files.extend(found)
        elif path.exists():  # a file, or a pipe such as /dev/stdin or <(kustomize build)
            files.append(path)
        else:
            findings.append(error("input.not-found", f"{path} does not exist", Span(str(path)),
                                  expected="an existing YAML file or directory"))
    unique: dict[Path, None] = {}
    for f in files:
        unique.setdefault(f, None)
    return list(unique)


def load_file(path: Path) -> tuple[list[Document], list[Finding]]:
    name = STDIN_NAME if str(path) == STDIN else str(path)
    try:
        raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1) if name == STDIN_NAME else path.read_bytes()
    except OSError as exc:
        return [], [error("input.unreadable", f"cannot read {name}: {exc.strerror}", Span(name))]
    if len(raw) > MAX_FILE_BYTES:
        return [], [error("yaml.too-large",
                          f"file is {len(raw)} bytes, over the limit of {MAX_FILE_BYTES}",
                          Span(name, 1, 1), expected="split the resources into several files")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], [error("yaml.encoding", f"file is not UTF-8 (byte {exc.start})", Span(name, 1, 1),
                          expected="a UTF-8 encoded file")]
    return load_text(text, name)


def character_name(char: str) -> str:
    """How a refused character is named in a message: `a line break (U+000A)`."""
    return f"{_CHARACTER_NAMES.get(char, 'a control character')} (U+{ord(char):04X})"


def load_text(text: str, name: str) -> tuple[list[Document], list[Finding]]:
    refused = _ambiguous_break_finding(text, name) or _depth_finding(text, name)
    if refused is not None:
        return [], [refused]
    if _FastStrictLoader is not None:
        documents, findings = _load_with(_FastStrictLoader, text, name)
        if not any(f.rule == "yaml.syntax" for f in findings):
            return documents, findings
    # Without libyaml, or for the words of a syntax error (PyYAML's are clearer).
    return _load_with(_StrictLoader, text, name)


def _position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _ambiguous_break_finding(text: str, name: str) -> Finding | None:
    found = _AMBIGUOUS_BREAKS.search(text)
    if found is None:
        return None
    return error("yaml.character", f"{character_name(found[0])} is read differently by different YAML "
                 "readers (as a line break or as a character), so kafkac does not accept it",
                 Span(name, *_position(text, found.start())),
                 expected="a plain line break, or the character left out")


_FLOW_BRACKETS = re.compile(r"[\[\]{}]")


def _may_nest_deeper(text: str, limit: int) -> bool:
    """False when the collections of `text` surely nest at most `limit` deep, from an upper bound
    on their depth read from indentation and brackets.

    A nested block collection starts further right, or after an indicator ("- ",
    "? ", ": ") on the same line, or (a sequence in a mapping) at its parent's
    indentation with its own items further right: so block depth is at most twice
    the columns and indicators of a line. Flow depth is bounded by counting every
    bracket, even inside quotes. A line's columns and indicators are at most its
    length (each indicator ends with its own blank), so a short line is not looked into.
    """
    flow = deepest = 0
    for bracket in _FLOW_BRACKETS.finditer(text):
        flow = flow + 1 if bracket[0] in "[{" else max(flow - 1, 0)
        deepest = max(deepest, flow)
    budget = limit - deepest
    for line in text.split("\n"):
        if 2 * (len(line) + 1) <= budget:
            continue
        stripped = line.lstrip(" ")
        indicators = stripped.count("- ") + stripped.count("? ") + stripped.count(": ") + stripped.count("-\t")
        if 2 * (len(line) - len(stripped) + indicators + 1) > budget:
            return True
    return False


def _depth_finding(text: str, name: str) -> Finding | None:
    """A finding for the first collection nested deeper than MAX_DEPTH, read from parser events.

    Syntax errors are left to the loader, which words them better. Most texts are
    shown shallow enough by a cheap bound on their depth, without parsing them.
    """
    if not _may_nest_deeper(text, MAX_DEPTH):
        return None
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_FastStrictLoader or _StrictLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return error("yaml.too-deep", f"collections nested more than {MAX_DEPTH} deep",
                                 Span(name, mark.line + 1, mark.column + 1),
                                 expected=f"at most {MAX_DEPTH} levels of nested mappings and lists")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.DocumentStartEvent):
                depth = 0
    except yaml.YAMLError:
        return None
    return None


def _load_with(loader_class, text: str, name: str) -> tuple[list[Document], list[Finding]]:
    documents: list[Document] = []
    findings: list[Finding] = []
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:
        return [], [_reader_finding(exc, text, name)]
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            builder = _Builder(name)
            try:
                data = builder.build(node, ())
            except _Refused as refused:
                findings.append(refused.finding)
            else:
                findings.extend(builder.findings)
                if data is not None:
                    document = Document(name, index, data, builder.spans, builder.key_spans)
                    documents.extend(_unwrapped(document, findings))
            index += 1
    except yaml.reader.ReaderError as exc:
        findings.append(_reader_finding(exc, text, name))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        findings.append(error("yaml.syntax", f"{problem}", Span(name, line, col),
                              expected="well-formed YAML"))
    except yaml.YAMLError as exc:
        findings.append(error("yaml.syntax", str(exc), Span(name, 1, 1), expected="well-formed YAML"))
    finally:
        loader.dispose()
    return documents, findings


def _is_list(data) -> bool:
    """Whether a document is a list of resources, as `kubectl get -o yaml` writes them: `kind: List`
    (apiVersion v1), or a kind ending in List with `items` (`KafkaList`, what the API server lists).
    kubectl applies each item; so does kafkac."""
    if not isinstance(data, dict):
        return False
    kind = data.get("kind")
    return isinstance(kind, str) and (kind == "List" or (kind.endswith("List") and "items" in data))


def _unwrapped(document: Document, findings: list[Finding]) -> list[Document]:
    """The document, or the items of a List (of Lists within it too), each a document of its own
    whose positions are still those in the file."""
    if not _is_list(document.data):
        return [document]
    items = document.data.get("items")
    if items is None:  # `items:` with no value, or none written: nothing in it, as kubectl reads it
        return []
    if not isinstance(items, list):
        findings.append(error("input.list-items", f"items: {_kind_of_value(items)}, not a list: a "
                              f"{document.kind} holds its resources in a list, so kafkac read none of this one",
                              document.span_of(("items",)), ("items",),
                              "items: a list of resources, each a mapping with apiVersion, kind and metadata",
                              document.kind))
        return []
    spans = _spans_by_item(document.spans)
    key_spans = _spans_by_item(document.key_spans)
    documents = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            findings.append(error("input.list-items", f"items[{index}]: {_kind_of_value(item)}, not a resource "
                                  f"of the {document.kind}", document.span_of(("items", index)), ("items", index),
                                  "a mapping with apiVersion, kind and metadata", document.kind))
            continue
        item_document = Document(document.file, document.index, item, spans.get(index, {}),
                                 key_spans.get(index, {}))
        documents.extend(_unwrapped(item_document, findings))
    return documents


def _kind_of_value(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "empty" if value is None else f"the scalar {str(value)[:40]!r}"


def _spans_by_item(spans: dict[FieldPath, Span]) -> dict[int, dict[FieldPath, Span]]:
    """The spans below `items[i]`, by i, each with paths from the item; in one pass over the
    document, which for an exported list of ten thousand topics holds hundreds of thousands."""
    by_item: dict[int, dict[FieldPath, Span]] = {}
    for path, span in spans.items():
        if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
            by_item.setdefault(path[1], {})[path[2:]] = span
    return by_item


def _reader_finding(exc: yaml.reader.ReaderError, text: str, name: str) -> Finding:
    """PyYAML's reader refuses non-printable characters before any parsing, with an offset only."""
    char = chr(exc.character) if isinstance(exc.character, int) else "?"
    return error("yaml.character", f"{character_name(char)} is not allowed in YAML text",
                 Span(name, *_position(text, exc.position)),
                 expected='printable characters; write a control character as an escape in a double-quoted '
                          'string ("\\t") where a field accepts it')


def _span(name: str, node: yaml.Node) -> Span:
    return Span(name, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns one composed node tree into plain data, refusing ambiguous YAML."""

    def __init__(self, name: str):
        self.name = name
        self.spans: dict[FieldPath, Span] = {}
        self.key_spans: dict[FieldPath, Span] = {}
        self.findings: list[Finding] = []
        self.nodes = 0
        self.aliases = 0
        self.seen: set[int] = set()
        self.active: set[int] = set()

    def refuse(self, rule: str, message: str, node: yaml.Node, path: FieldPath, expected: str):
        raise _Refused(error(rule, message, _span(self.name, node), path, expected))

    def build(self, node: yaml.Node, path: FieldPath):
        self.nodes += 1
        if self.nodes > MAX_NODES_PER_DOCUMENT:
            self.refuse("yaml.too-large", f"document has more than {MAX_NODES_PER_DOCUMENT} nodes",
                        node, path, "a smaller document, with fewer aliases")
        if id(node) in self.active:
            self.refuse("yaml.recursive-alias", "an alias refers to a node that contains it",
                        node, path, "a tree without recursive anchors")
        if id(node) in self.seen and not isinstance(node, yaml.ScalarNode):
            self.aliases += 1
            if self.aliases > MAX_ALIASES_PER_DOCUMENT:
                self.refuse("yaml.too-many-aliases",
                            f"more than {MAX_ALIASES_PER_DOCUMENT} aliases of collections in one document",
                            node, path, "write the repeated parts out")
        self.seen.add(id(node))
        self.spans.setdefault(path, _span(self.name, node))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                self.expect_tag(node, path, _TAG + "seq")
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            self.expect_tag(node, path, _TAG + "map")
            return self.mapping(node, path)
        finally:
            self.active.discard(id(node))

    def note(self, rule: str, message: str, node: yaml.Node, path: FieldPath, expected: str):
        """Record a problem that does not stop reading the rest of the document."""
        self.findings.append(error(rule, message, _span(self.name, node), path, expected))

    def expect_tag(self, node: yaml.Node, path: FieldPath, tag: str) -> None:
        if node.tag != tag:
            self.refuse("yaml.tag", f"tag {node.tag!r} is not allowed", node, path,
                        "plain YAML without custom tags")

    def mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict:
        result: dict = {}
        first_seen: dict[str, yaml.Node] = {}
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if self.is_merge_key(key_node, path):
                merged.extend(self.merged_pairs(value_node, path))
                continue
            key = key_node.value
            control = _KEY_CONTROLS.search(key)
            if control:
                self.note("yaml.control-character",
                          f"key {key!r} holds {character_name(control[0])} at character {control.start() + 1}",
                          key_node, path + (key,), "a key without control characters or line breaks")
            if key_node.tag == _PLAIN and _YAML11_BOOL.match(key):
                self.note("yaml.ambiguous-key",
                          f"key {key!r} is read as a boolean by YAML 1.1 tools",
                          key_node, path + (key,), f'quote it: "{key}"')
            if key in first_seen:
                first = first_seen[key].start_mark
                self.note("yaml.duplicate-key",
                          f"duplicate key {key!r} (first defined at line {first.line + 1})",
                          key_node, path + (key,), "each key once per mapping")
                continue
            first_seen[key] = key_node
            self.key_spans[path + (key,)] = _span(self.name, key_node)
            result[key] = self.build(value_node, path + (key,))
        for key_node, value_node in merged:  # YAML 1.1 merge keys, as kubectl reads them
            if key_node.value not in result:
                self.key_spans[path + (key_node.value,)] = _span(self.name, key_node)
                result[key_node.value] = self.build(value_node, path + (key_node.value,))
        return result

    def is_merge_key(self, key_node: yaml.Node, path: FieldPath) -> bool:
        """Whether the key is YAML 1.1's merge key (<<); a key that is no plain string is refused."""
        if not isinstance(key_node, yaml.ScalarNode):
            self.refuse("yaml.complex-key", "a mapping key must be a plain string", key_node, path,
                        "a string key")
        return key_node.tag == _PLAIN and key_node.value == "<<"

    def merged_pairs(self, source: yaml.Node, path: FieldPath) -> list[tuple[yaml.Node, yaml.Node]]:
        """The key and value nodes a merge key (<<) brings: of its mapping, or of each mapping of
        its list, the earlier first; a mapping's own keys before those it merges in turn."""
        mappings = source.value if isinstance(source, yaml.SequenceNode) else [source]
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        for mapping in mappings:
            if id(mapping) in self.active:
                self.refuse("yaml.recursive-alias", "a merge key (<<) merges a mapping into itself",
                            mapping, path, "a tree without recursive anchors")
            if not isinstance(mapping, yaml.MappingNode):
                self.refuse("yaml.merge-key", "a merge key (<<) takes a mapping, or a list of mappings",
                            mapping, path, "an alias of a mapping (<<: *defaults), or a list of them")
            self.active.add(id(mapping))
            try:
                own, inner = [], []
                for key_node, value_node in mapping.value:
                    if self.is_merge_key(key_node, path):
                        inner.extend(self.merged_pairs(value_node, path))
                    else:
                        own.append((key_node, value_node))
                pairs.extend(own + inner)
            finally:
                self.active.discard(id(mapping))
        return pairs

    def scalar(self, node: yaml.ScalarNode, path: FieldPath):
        text = node.value
        control = _VALUE_CONTROLS.search(text)
        if control:
            self.note("yaml.control-character",
                      f"{text[:40]!r} holds {character_name(control[0])} at character {control.start() + 1}",
                      node, path, "text without control characters (tabs and line breaks are accepted)")
        if node.tag == _PLAIN:
            return self.plain(node, text, path)
        if node.tag not in _SCALAR_TAGS:
            self.refuse("yaml.tag", f"tag {node.tag!r} is not allowed", node, path,
                        "plain YAML without custom tags")
        if node.tag == _TAG + "str":
            return text
        value = self.plain(node, text, path)
        wanted = node.tag[len(_TAG):]
        actual = {bool: "bool", int: "int", ScalarFloat: "float", type(None): "null", str: "str"}[type(value)]
        if actual != wanted and not (wanted == "float" and actual == "int"):
            self.refuse("yaml.tag", f"{text!r} is not a valid !!{wanted}", node, path,
                        f"a value of type {wanted}")
        return float(value) if wanted == "float" and actual == "int" else value

    def plain(self, node: yaml.ScalarNode, text: str, path: FieldPath):
        if text and text[0] not in _SPECIAL_FIRST:  # a string no pattern below can match
            return text
        if _CORE_NULL.match(text):
            return None
        if text in _CORE_BOOL:
            return _CORE_BOOL[text]
        if _YAML11_BOOL.match(text):
            self.note("yaml.ambiguous-boolean",
                      f"{text!r} is a boolean in YAML 1.1 but a string in YAML 1.2",
                      node, path, f'true or false for a boolean, "{text}" (quoted) for a string')
            return text
        if _YAML11_OCTAL.match(text):
            self.note("yaml.ambiguous-number",
                      f"{text!r} has a leading zero: YAML 1.1 reads it as octal or a string, YAML 1.2 as decimal",
                      node, path, f'0o{text.lstrip("+-")[1:]} for octal, or "{text}" (quoted) for a string')
        if _YAML11_SEXAGESIMAL.match(text):
            self.note("yaml.ambiguous-number",
                      f"{text!r} is a base-60 number in YAML 1.1 but a string in YAML 1.2",
                      node, path, f'"{text}" (quoted)')
        if "_" in text and _YAML11_UNDERSCORE_NUMBER.match(text):
            self.note("yaml.ambiguous-number",
                      f"{text!r} is a number in YAML 1.1 but a string in YAML 1.2",
                      node, path, f'{text.replace("_", "")} for a number, or "{text}" (quoted) for a string')
        if _CORE_INT.match(text):
            if text.startswith("0o"):
                return int(text[2:], 8)
            if text.startswith("0x"):
                return int(text[2:], 16)
            return int(text)
        if _CORE_FLOAT.match(text):
            if "inf" in text.lower() or "nan" in text.lower():
                self.refuse("yaml.non-finite", f"{text!r} is not a finite number, and no field takes one",
                            node, path, f'a finite number, or "{text}" (quoted) for a string')
            return ScalarFloat(float(text.replace("Inf", "inf").replace("INF", "inf")
                                     .replace("NaN", "nan").replace("NAN", "nan")), text)
        return text
