"""The base version of the specs, which `kafkac check --base` compares with for upgrade rules.

`--base` names either an existing file or directory that holds the base
version (for example the specs of a checkout of the target branch), read like
the SPEC paths, or else a git revision (`origin/main`, a commit): then the
SPEC paths are read as they are at that revision of the repository that holds
the working directory. Clusters are matched between base and head by
namespace and name, wherever their files are.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from . import tools
from .findings import Finding
from .document import Document, Documents
from .load import STDIN, YAML_SUFFIXES, load, load_text


class BaseNotFound(Exception):
    """`--base` is neither an existing path nor a revision of the repository here."""


def load_base(base: str, spec_paths: Sequence[str]) -> Documents:
    """The base version's documents, from a path or from a git revision."""
    if Path(base).exists():
        return load([base])
    return load_revision(base, spec_paths)


def load_revision(revision: str, spec_paths: Sequence[str], cwd: str | os.PathLike | None = None) -> Documents:
    """The YAML files under `spec_paths` as they are at `revision`; names read `REV:path`."""
    here = Path(cwd or Path.cwd()).resolve()
    try:
        top = Path(tools.git("rev-parse", "--show-toplevel", cwd=here).strip()).resolve()
        commit = tools.git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", cwd=here).strip()
    except tools.ToolError:
        raise BaseNotFound(f"--base {revision}: not an existing file or directory, nor a git revision "
                           f"of a repository holding {here}") from None
    relative = []
    for spec in spec_paths:
        if str(spec) == STDIN:
            raise BaseNotFound(f"--base {revision}: standard input (-) has no version at a git revision; "
                               "give --base the base specs as a file or directory instead")
        path = (here / spec).resolve()
        try:
            relative.append(path.relative_to(top).as_posix() or ".")
        except ValueError:
            raise BaseNotFound(f"--base {revision}: {spec} is outside the git repository {top}") from None
    listed = tools.git("ls-tree", "-r", "-z", "--name-only", commit, "--", *relative, cwd=top)
    documents: list[Document] = []
    findings: list[Finding] = []
    for name in sorted(n for n in listed.split("\0") if n):
        if not name.endswith(YAML_SUFFIXES) or _hidden(name, relative):
            continue
        docs, problems = load_text(tools.git("show", f"{commit}:{name}", cwd=top), f"{revision}:{name}")
        documents += docs
        findings += problems
    return Documents(documents, findings)


def _hidden(name: str, roots: list[str]) -> bool:
    """Hidden below the SPEC path it was found under, as load() skips them in directories."""
    for root in roots:
        prefix = "" if root == "." else root.rstrip("/") + "/"
        if name == root:
            return False
        if name.startswith(prefix):
            return any(part.startswith(".") for part in name[len(prefix):].split("/"))
    return False
