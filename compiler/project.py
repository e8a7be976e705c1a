"""The project file, `.kafkac.yaml`: settings a repository keeps beside its specs.

kafkac looks for it in the directory of the first path given (the path itself
when it is a directory) and then in each parent, up to the repository root (the
first directory holding `.git`) or the file system's root. The first one found
applies; options on the command line win over it.

    # .kafkac.yaml
    profile: prod             # dev or prod: the policies enforce this profile in compile too
    policies: [policies/acme] # extra Rego folders, relative to this file (like --policy)
    kubernetesVersions: ["1.33", "1.35"]   # like --kube-version
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .findings import Finding, Span, error
from .document import Document
from .load import load_text

FILE_NAME = ".kafkac.yaml"
PROFILES = ("dev", "prod")
KEYS = ("profile", "policies", "kubernetesVersions")


@dataclass(frozen=True)
class Project:
    """What a `.kafkac.yaml` says; `file` is None when there is none."""

    file: Path | None = None
    profile: str | None = None
    policy_dirs: tuple[str, ...] = ()
    kube_versions: tuple[str, ...] = ()
    findings: list[Finding] = field(default_factory=list, compare=False)


def find(paths) -> Path | None:
    """The `.kafkac.yaml` that applies to `paths`: beside the first one, or in a parent up to the
    repository root."""
    if not paths:
        return None
    start = Path(paths[0]).absolute()
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        if (candidate / FILE_NAME).is_file():
            return candidate / FILE_NAME
        if (candidate / ".git").exists():
            return None
    return None


def read(paths, normalize_kube_version=None) -> Project:
    """The project settings for `paths`, with a finding for each setting kafkac cannot use."""
    file = find(paths)
    if file is None:
        return Project()
    documents, findings = load_text(file.read_text(encoding="utf-8"), str(file))
    if findings:
        return Project(file, findings=list(findings))
    if not documents or documents[0].data is None:
        return Project(file)
    document = documents[0]
    if len(documents) > 1 or not isinstance(document.data, dict):
        return Project(file, findings=[_problem(document, (), "is not one mapping of settings",
                                                f"a mapping with {', '.join(KEYS)}")])
    problems: list[Finding] = []
    for key in document.data:
        if key not in KEYS:
            problems.append(_problem(document, (key,), f"{key!r} is not a setting of {FILE_NAME}",
                                     ", ".join(KEYS), key=True))
    profile = document.data.get("profile")
    if profile is not None and profile not in PROFILES:
        problems.append(_problem(document, ("profile",), f"{profile!r} is not a kafkac profile",
                                 " or ".join(PROFILES)))
        profile = None
    policy_dirs = []
    for index, entry in enumerate(_list(document, "policies", problems)):
        folder = file.parent / str(entry)
        if not isinstance(entry, str) or not folder.is_dir():
            problems.append(_problem(document, ("policies", index), f"{entry!r} is not a folder "
                                     f"beside {FILE_NAME}", "a folder of Rego rules, relative to "
                                     "the project file"))
            continue
        policy_dirs.append(str(folder))
    kube_versions = []
    for index, entry in enumerate(_list(document, "kubernetesVersions", problems)):
        try:
            version = str(entry)
            kube_versions.append(normalize_kube_version(version) if normalize_kube_version else version)
        except ValueError as exc:
            problems.append(_problem(document, ("kubernetesVersions", index), str(exc),
                                     "a Kubernetes version kafkac supports, e.g. \"1.35\""))
    return Project(file, profile, tuple(policy_dirs), tuple(dict.fromkeys(kube_versions)), problems)


def _list(document: Document, key: str, problems: list[Finding]) -> list:
    value = document.data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(_problem(document, (key,), f"{key} is not a list", f"a YAML list under {key}"))
        return []
    return value


def _problem(document: Document, path: tuple, message: str, expected: str, key: bool = False) -> Finding:
    span = document.span_of(path, key=key) if path else Span(document.file, 1, 1)
    return error("project.setting", message, span, path, expected)
