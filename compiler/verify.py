"""Stage "verify": the emitted chart lints, renders, and its manifests match Kubernetes.

`helm lint --strict`, `helm template` into a folder (one file per template, so
findings point at the template that made the resource), and `kubeconform
-strict` against local schemas of each Kubernetes version. kafkac's templates
never ask for the Kubernetes version, so the chart is linted and rendered once
(for the newest version) and that rendering is checked against every version's
schemas side by side; a chart whose templates use `.Capabilities` is linted
and rendered for each version. kubeconform checks a rendering once for all the
versions, against their conjoined schemas (`kube_schemas.conjoined_schema_dir`),
and for each version on its own only when that run finds a problem, so that
findings name the versions they hold for. The charts of one compile are verified together
(`verify_charts`): `helm lint` runs on batches of them and kubeconform once on all their
renderings, each finding mapped back to its chart. A resource that kubeconform cannot check is an
error, never a silent skip; PodMonitors and PrometheusRules are checked against
schemas made from the Prometheus Operator's CRDs, and `promtool check rules`
checks every rule once. The same problem seen for several versions is one
finding that lists them. Given a `rendered_check` (check.RenderedCheck), the
policies on rendered manifests (pod security, probes, images, disruption
budget) run on the rendering for the newest Kubernetes version.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import kube_schemas, tools
from .findings import FieldPath, Finding, Span, dotted, error
from .manifests import manifests
from .tools import DEFAULT_KUBE_VERSIONS


@dataclass(frozen=True)
class _Problem:
    """A finding before versions are merged: the same problem may show up per version."""

    rule: str
    file: str
    message: str
    line: int = 0
    col: int = 0
    path: FieldPath = ()
    resource: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart to verify: its folder, how findings name it, and the policies on its rendering."""

    folder: Path
    shown: Path
    rendered_check: Callable[[Path, Path], list[Finding]] | None = None


def verify(chart_dir: Path, kube_versions: Sequence[str] = DEFAULT_KUBE_VERSIONS,
           release: str = "kafkac-verify", namespace: str = "kafka",
           extra_kinds_skip: Sequence[str] = (), display_dir: str | Path | None = None,
           rendered_check: Callable[[Path, Path], list[Finding]] | None = None,
           ) -> list[Finding]:
    """Lint, render and schema-check `chart_dir` for every Kubernetes version.

    `extra_kinds_skip` names kinds kubeconform may skip (`Kind` or
    `group/version/Kind`, as kubeconform's `-skip`). `display_dir` is how
    findings name the chart folder (e.g. `out/my-cluster` while the chart
    still sits in a temporary folder); it defaults to `chart_dir`.
    """
    shown = Path(display_dir) if display_dir is not None else Path(chart_dir)
    return verify_charts([Chart(Path(chart_dir), shown, rendered_check)], kube_versions, release, namespace,
                         extra_kinds_skip)


def verify_charts(charts: Sequence[Chart], kube_versions: Sequence[str] = DEFAULT_KUBE_VERSIONS,
                  release: str = "kafkac-verify", namespace: str = "kafka",
                  extra_kinds_skip: Sequence[str] = ()) -> list[Finding]:
    """`verify` for several charts (a compile's): the charts whose templates do not depend on the
    Kubernetes version share one `helm lint` run and one kubeconform run, which spends most of
    its time compiling the schemas; each is rendered on its own."""
    versions = [tools.normalize_kube_version(v) for v in kube_versions]
    if not versions:
        return []
    newest = max(versions, key=_version_key)
    kinds = tuple(extra_kinds_skip)
    findings: list[Finding] = []
    together: list[Chart] = []
    for chart in charts:
        # Absolute, so that helm never reads a missing relative path as "<repo>/<chart>".
        folder = chart.folder.resolve()
        if not (folder / "Chart.yaml").is_file():
            findings.append(error("verify.not-a-chart", f"no Chart.yaml in {folder}", Span(chart.shown.as_posix())))
        elif _depends_on_kube_version(folder):
            seen = _verify_each_version(folder, chart.shown, versions, release, namespace, kinds)
            findings += [_finding(problem, found_in) for problem, found_in in seen.items()]
            if chart.rendered_check is not None:
                findings += _check_rendered(folder, chart.shown, newest, release, namespace, chart.rendered_check)
        else:
            together.append(Chart(folder, chart.shown, chart.rendered_check))
    if together:
        findings += _verify_one_rendering(together, versions, newest, release, namespace, kinds)
    return sorted(findings, key=Finding.sort_key)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _depends_on_kube_version(chart_dir: Path) -> bool:
    """Whether a template asks for the Kubernetes version (or the cluster's APIs): kafkac's do not,
    so one rendering serves every version."""
    return any("Capabilities" in file.read_text(errors="replace")
               for file in (chart_dir / "templates").rglob("*") if file.is_file())


def _parallel(tasks: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, min(tasks, os.cpu_count() or 1)))


@dataclass(frozen=True)
class _Rendering:
    """A chart rendered into `folder` (which holds `<chart name>/templates/...`), or the problem that
    stopped helm."""

    chart: Chart
    folder: Path
    failure: _Problem | None


def _verify_one_rendering(charts: list[Chart], versions: list[str], newest: str, release: str,
                          namespace: str, kinds_skip: tuple[str, ...]) -> list[Finding]:
    """Lint and render each chart once, for the newest version, and check the renderings against
    the schemas of every version. What lint, the renderings and the alert rules say holds for
    every version; what kubeconform says, for the versions it says it of."""
    seen: dict[_Problem, list[str]] = {}
    common: list[_Problem] = []
    batches = _lint_batches(charts)
    # helm's runs go to one pool, a thread for each core. Beside them, as the renderings come:
    # kafkac's reading of each (the policies, which hold Python's lock) on a thread of its own,
    # and kubeconform on a few chunks of them, on another, so that little is left at the end.
    chunk = max(16, -(-len(charts) // 4))
    with tempfile.TemporaryDirectory(prefix="kafkac-verify-") as root, \
            _parallel(len(charts) + len(batches)) as pool, ThreadPoolExecutor(max_workers=1) as reading, \
            ThreadPoolExecutor(max_workers=1) as checking:
        def render(index: int) -> tuple[_Rendering, list[_Rules]]:
            rendering = _render_into(Path(root) / str(index), charts[index], newest, release, namespace)
            return rendering, [] if rendering.failure else _write_rules(rendering, Path(root) / f"{index}-rules")

        lints, renders = [], []
        for index, batch in _interleaved(range(len(charts)), batches):
            if batch is None:
                renders.append(pool.submit(render, index))
            else:
                lints.append(pool.submit(_lint_all, batch, newest, namespace))
        rendered, rules, policies, schema_checks = [], [], [], []
        for rendering, written in (future.result() for future in renders):
            rules += written
            if rendering.failure:
                common.append(rendering.failure)
                continue
            rendered.append(rendering)
            policies.append(reading.submit(_policies, rendering))
            if len(rendered) % chunk == 0:
                schema_checks.append(checking.submit(_kubeconform_all, rendered[-chunk:], versions, kinds_skip))
        if len(rendered) % chunk:
            schema_checks.append(checking.submit(_kubeconform_all, rendered[-(len(rendered) % chunk):], versions,
                                                 kinds_skip))
        checked_rules = pool.submit(_promtool, rules)
        if rendered:
            found = [problem for check in schema_checks for problem in check.result()]
            each = _kubeconform_each(found, rendered, versions, kinds_skip, pool)
            for version, problems in zip(versions, each):
                for problem in problems:
                    seen.setdefault(problem, []).append(version)
        common = [problem for lint in lints for problem in lint.result()] + common + checked_rules.result()
        findings = [finding for future in policies for finding in future.result()]
    for problem in common:
        seen.setdefault(problem, list(versions))
    return [_finding(problem, found_in) for problem, found_in in seen.items()] + findings


def _interleaved(indexes: range, batches: list[list[Chart]]) -> list[tuple[int, list[Chart] | None]]:
    """The charts' renderings, with the lint batches spread among them rather than first: the
    renderings, which kafkac reads as they come, then come from the start."""
    every = max(1, len(indexes) // max(1, len(batches)))
    tasks: list[tuple[int, list[Chart] | None]] = []
    pending = list(batches)
    for index in indexes:
        if index % every == 0 and pending:
            tasks.append((index, pending.pop(0)))
        tasks.append((index, None))
    return tasks + [(-1, batch) for batch in pending]


def _render_into(folder: Path, chart: Chart, kube_version: str, release: str, namespace: str) -> _Rendering:
    """`helm template --output-dir folder`, with the manifests the chart's Jobs apply beside the
    templates that hold them (`_write_applied_manifests`)."""
    done = tools.run("helm", "template", release, str(chart.folder), "--namespace", namespace,
                     "--kube-version", kube_version, "--output-dir", str(folder), check=False)
    if done.returncode != 0:
        return _Rendering(chart, folder, _helm_failure("helm.template", done, chart.shown))
    _write_applied_manifests(folder)
    return _Rendering(chart, folder, None)


def _lint_batches(charts: list[Chart]) -> list[list[Chart]]:
    """The charts in batches for `helm lint`, one process each: enough batches to keep every core
    busy beside the renderings, each large enough that starting helm is a small part of it."""
    size = max(1, -(-len(charts) // (4 * (os.cpu_count() or 1))))
    return [charts[i:i + size] for i in range(0, len(charts), size)]


def _policies(rendering: _Rendering) -> list[Finding]:
    """The policies on the rendering's manifests."""
    charts_rendered = [p for p in rendering.folder.iterdir() if p.is_dir()]
    if rendering.chart.rendered_check is None or len(charts_rendered) != 1:
        return []
    return rendering.chart.rendered_check(charts_rendered[0], rendering.chart.shown)


def _verify_each_version(chart_dir: Path, shown: Path, versions: list[str], release: str,
                         namespace: str, kinds_skip: tuple[str, ...]) -> dict[_Problem, list[str]]:
    """Lint, render and check the chart for each version side by side (a chart whose templates
    depend on the version). Alert rules do not: promtool checks them once."""
    def check(kube_version: str, check_rules: bool) -> list[_Problem]:
        return _verify_one_version(chart_dir, shown, kube_version, release, namespace, kinds_skip,
                                   check_rules)

    with _parallel(len(versions)) as pool:
        results = list(pool.map(check, versions, [index == 0 for index in range(len(versions))]))
    seen: dict[_Problem, list[str]] = {}
    for kube_version, problems in zip(versions, results):
        for problem in problems:
            seen.setdefault(problem, []).append(kube_version)
    return seen


def _check_rendered(chart_dir: Path, shown: Path, kube_version: str, release: str, namespace: str,
                    rendered_check: Callable[[Path, Path], list[Finding]]) -> list[Finding]:
    """The policies on the rendered manifests, one file per template (a failed render is reported above)."""
    with tempfile.TemporaryDirectory(prefix="kafkac-policy-") as rendered:
        done = tools.run("helm", "template", release, str(chart_dir), "--namespace", namespace,
                         "--kube-version", kube_version, "--output-dir", rendered, check=False)
        charts = [p for p in Path(rendered).iterdir() if p.is_dir()]
        if done.returncode != 0 or len(charts) != 1:
            return []
        return rendered_check(charts[0], shown)


def render(chart_dir: Path, kube_version: str, release: str, namespace: str,
           values_files: Sequence[Path] = ()) -> str:
    """The chart's manifests as one YAML stream (`helm template` to stdout)."""
    args = ["template", release, str(Path(chart_dir).resolve()), "--namespace", namespace,
            "--kube-version", tools.normalize_kube_version(kube_version)]
    for values_file in values_files:
        args += ["--values", str(values_file)]
    return tools.run("helm", *args).stdout


def _finding(problem: _Problem, versions: list[str]) -> Finding:
    message = f"{problem.message} (Kubernetes {', '.join(versions)})"
    return error(problem.rule, message, Span(problem.file, problem.line, problem.col),
                 path=problem.path, resource=problem.resource)


def _verify_one_version(chart_dir: Path, shown: Path, kube_version: str, release: str,
                        namespace: str, kinds_skip: tuple[str, ...],
                        check_rules: bool = True) -> list[_Problem]:
    problems = _lint(chart_dir, shown, kube_version, namespace)
    with tempfile.TemporaryDirectory(prefix="kafkac-verify-") as folder:
        rendering = _render_into(Path(folder) / "rendered", Chart(chart_dir, shown), kube_version, release,
                                 namespace)
        if rendering.failure:
            return problems + [rendering.failure]
        problems += _kubeconform([rendering], kube_version, kinds_skip)
        if check_rules:
            problems += _promtool(_write_rules(rendering, Path(folder) / "rules"))
    return problems


# --- helm ---------------------------------------------------------------------------------

_LINT_SUMMARY = re.compile(r"\d+ chart\(s\) linted")
_LINT_LINE = re.compile(r"^\[(?P<level>WARNING|ERROR)\] (?P<file>[^:]*): (?P<message>.*)$")
# Helm names templates "<chart name>/templates/x.yaml" (or ".../charts/<sub>/...") in its
# errors, often with line:col: "execution error at (tiny/templates/x.yaml:6:12): ...".
_TEMPLATE_POSITION = re.compile(r"(?:^|[\s(])[^/\s:()]+/(?P<file>(?:templates|charts)/[^\s:()]+)"
                                r"(?::(?P<line>\d+))?(?::(?P<col>\d+))?")


def _lint(chart_dir: Path, shown: Path, kube_version: str, namespace: str) -> list[_Problem]:
    return _lint_all([Chart(chart_dir, shown)], kube_version, namespace)


_LINT_HEADER = re.compile(r"^==> Linting (?P<chart>.+)$", re.MULTILINE)


def _lint_all(charts: Sequence[Chart], kube_version: str, namespace: str) -> list[_Problem]:
    """One `helm lint --strict` run for the charts: every WARNING and ERROR line is a problem of
    the chart whose section it is in (strict fails on both)."""
    done = tools.run("helm", "lint", "--strict", "--kube-version", kube_version,
                     "--namespace", namespace, *(str(chart.folder) for chart in charts), check=False)
    shown_of = {str(chart.folder): chart.shown for chart in charts}
    headers = list(_LINT_HEADER.finditer(done.stdout))
    problems = []
    for i, header in enumerate(headers):
        shown = shown_of.get(header["chart"].strip())
        if shown is None:
            continue
        section = done.stdout[header.end():headers[i + 1].start() if i + 1 < len(headers) else None]
        for found, details in _lint_entries(section):
            message = " ".join([found["message"], *details])
            problems.append(_helm_problem("helm.lint", message, shown, found["file"]))
    if done.returncode != 0 and not problems:
        problems += [_helm_failure("helm.lint", done, chart.shown) for chart in charts]
    return problems


def _lint_entries(output: str) -> list[tuple[re.Match, list[str]]]:
    """Each WARNING/ERROR line of helm lint with the detail lines that follow it
    (a values schema error lists its causes on the next lines)."""
    entries: list[tuple[re.Match, list[str]]] = []
    for raw in output.splitlines():
        line = raw.strip()
        found = _LINT_LINE.match(line)
        if found:
            entries.append((found, []))
        elif entries and line and not line.startswith(("[", "==> ", "Error: ")) \
                and not _LINT_SUMMARY.search(line):
            entries[-1][1].append(line)
    return entries


def _helm_failure(rule: str, done, shown: Path) -> _Problem:
    """A failed helm run without lines we recognise: keep what it said."""
    lines = [line.strip() for line in (done.stderr + "\n" + done.stdout).splitlines()]
    errors = [line.removeprefix("Error: ") for line in lines
              if line.startswith("Error") and not _LINT_SUMMARY.search(line)]
    said = errors or [line for line in lines if line and not line.startswith(("==> ", "wrote "))]
    message = " ".join(said) or f"helm exited with code {done.returncode}"
    return _helm_problem(rule, message, shown, "")


def _helm_problem(rule: str, message: str, shown: Path, file: str) -> _Problem:
    """Point at `file`, or when that is only a folder, at the template helm's message names."""
    position = None if file and not file.endswith("/") else _TEMPLATE_POSITION.search(message)
    if position:
        return _Problem(rule, (shown / position["file"]).as_posix(), message,
                        int(position["line"] or 0), int(position["col"] or 0))
    target = shown / file if file and file != "." else shown
    return _Problem(rule, target.as_posix(), message)


# --- Prometheus Operator resources --------------------------------------------------------

_PROMETHEUS_OPERATOR_API = "apiVersion: monitoring.coreos.com/"


def _has_prometheus_operator_resources(rendered: Path) -> bool:
    return any(_PROMETHEUS_OPERATOR_API in f.read_text() for f in rendered.rglob("*.yaml"))


@dataclass(frozen=True)
class _Rules:
    """The rule groups of one rendered PrometheusRule, in a file of their own for promtool."""

    path: Path
    template: str  # the chart's template that holds the PrometheusRule, as findings name it
    resource: str


def _write_rules(rendering: _Rendering, folder: Path) -> list[_Rules]:
    """The rule groups of every PrometheusRule of the rendering, each written in `folder`."""
    rules: list[_Rules] = []
    for file in sorted(rendering.folder.rglob("*.yaml")):
        text = file.read_text()
        if "PrometheusRule" not in text:  # the other files need no parsing
            continue
        for document in manifests(text):
            if not (isinstance(document, dict) and document.get("kind") == "PrometheusRule"):
                continue
            folder.mkdir(exist_ok=True)
            path = folder / f"rules-{len(rules)}.yaml"
            path.write_text(yaml.safe_dump({"groups": document["spec"]["groups"]}))
            rules.append(_Rules(path, _template_file(str(file), {rendering.folder: rendering.chart.shown}),
                                f"PrometheusRule/{document['metadata']['name']}"))
    return rules


def _promtool(rules: Sequence[_Rules]) -> list[_Problem]:
    """One `promtool check rules` run for all the rule files; each error line names its file."""
    if not rules:
        return []
    done = tools.run("promtool", "check", "rules", *(str(r.path) for r in rules), check=False)
    if done.returncode == 0:
        return []
    said: dict[Path, list[str]] = {}
    of_path = {str(r.path): r.path for r in rules}
    current = None
    for line in done.stderr.splitlines():
        path, separator, rest = line.partition(": ")
        if separator and path in of_path:
            current = of_path[path]
            said.setdefault(current, []).append(f"rules: {rest}")
        elif current is not None and line.strip() and line.strip() != "FAILED:":
            said[current].append(line.strip())
    if not said:  # promtool failed without naming a file: every file has its words
        output = (done.stderr or done.stdout).strip() or f"promtool exited with code {done.returncode}"
        said = {r.path: [output] for r in rules}
    return [_Problem("promtool.rules", r.template, f"{r.resource}: {' '.join(said[r.path])}", resource=r.resource)
            for r in rules if r.path in said]


# --- manifests a Job applies ---------------------------------------------------------------

# A ConfigMap key holding manifests (a JSON list) that a Job of the chart applies; kubeconform
# checks them as if the chart held them, in a file named after the ConfigMap's plus this suffix.
APPLIED_MANIFESTS_KEY = "cert-manager-certificates.json"
_APPLIED_SUFFIX = "~applied.yaml"


def _write_applied_manifests(rendered: Path) -> None:
    for file in sorted(rendered.rglob("*.yaml")):
        text = file.read_text()
        if APPLIED_MANIFESTS_KEY not in text:  # parsing every rendered file would cost each verify
            continue
        applied = [manifest for document in manifests(text)
                   if isinstance(document, dict) and document.get("kind") == "ConfigMap"
                   for key, value in (document.get("data") or {}).items() if key == APPLIED_MANIFESTS_KEY
                   for manifest in json.loads(value)]
        if applied:
            file.with_name(file.name + _APPLIED_SUFFIX).write_text(yaml.safe_dump_all(applied))


def _has_cert_manager_resources(rendered: Path) -> bool:
    return any(rendered.rglob("*" + _APPLIED_SUFFIX))


# --- kubeconform --------------------------------------------------------------------------

def _kubeconform_all(renderings: list[_Rendering], versions: list[str],
                     kinds_skip: tuple[str, ...]) -> list[_Problem]:
    """One kubeconform run for every version and all the renderings given: against the versions'
    conjoined schemas, which a resource passes exactly when it passes each version's. Most of a
    run is compiling the schemas, which the versions mostly share, so it costs what one version's
    run of one chart did, plus the validation of each resource."""
    newest = max(versions, key=_version_key)
    # A worker a core once the resources to validate cost more than compiling the schemas again
    # (about 16 renderings).
    workers = max(1, min(os.cpu_count() or 1, len(renderings) // 16))
    location = kube_schemas.conjoined_schema_location(versions) if len(versions) > 1 else None
    return _kubeconform(renderings, newest, kinds_skip, location, workers)


def _kubeconform_each(found: list[_Problem], renderings: list[_Rendering], versions: list[str],
                      kinds_skip: tuple[str, ...], pool: ThreadPoolExecutor) -> list[list[_Problem]]:
    """kubeconform's problems for each version, given what `_kubeconform_all` found: none when it
    found none; otherwise each version runs on its own for the charts with problems, side by
    side, so that every finding says the versions it holds for, in the words of that version's
    schemas."""
    if not found or len(versions) == 1:
        return [found if found else [] for _ in versions]
    files = {problem.file for problem in found}
    failing = [r for r in renderings
               if any(f == r.chart.shown.as_posix() or f.startswith(r.chart.shown.as_posix() + "/") for f in files)]
    runs = [pool.submit(_kubeconform, failing, version, kinds_skip) for version in versions]
    return [run.result() for run in runs]


def _kubeconform(renderings: Sequence[_Rendering], kube_version: str, kinds_skip: tuple[str, ...],
                 kube_schema_location: str | None = None, workers: int = 1) -> list[_Problem]:
    """kubeconform's problems with the renderings for `kube_version`, against
    `kube_schema_location` (default: that version's schemas) for Kubernetes' own kinds."""
    # One worker (-n 1) unless asked: the versions already run side by side, and each of
    # kubeconform's workers compiles the large schemas again (a third more CPU for one chart).
    folders = [r.folder for r in renderings]
    args = ["-n", str(workers), "-strict", "-summary", "-verbose", "-output", "json",
            "-kubernetes-version", kube_version,
            "-schema-location", kube_schema_location or kube_schemas.kubeconform_schema_location(kube_version),
            "-schema-location", kube_schemas.openshift_schema_location()]
    if any(_has_prometheus_operator_resources(folder) for folder in folders):
        args += ["-schema-location", kube_schemas.crd_schema_location()]
    if any(_has_cert_manager_resources(folder) for folder in folders):
        args += ["-schema-location", kube_schemas.cert_manager_schema_location()]
    if kinds_skip:
        args += ["-skip", ",".join(kinds_skip)]
    done = tools.run("kubeconform", *args, *map(str, folders), check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        message = (done.stderr or done.stdout).strip() or f"exit code {done.returncode}"
        return [_Problem("kubeconform.error", r.chart.shown.as_posix(), f"kubeconform failed: {message}")
                for r in renderings]
    shown_of = {r.folder: r.chart.shown for r in renderings}
    problems = []
    for result in report.get("resources", []):
        problems += _kubeconform_result(result, shown_of, kinds_skip)
    return problems


def _kubeconform_result(result: dict, shown_of: dict[Path, Path],
                        kinds_skip: tuple[str, ...]) -> list[_Problem]:
    status = result.get("status")
    kind, api_version = result.get("kind", ""), result.get("version", "")
    resource = f"{kind}/{result.get('name', '')}"
    file = _template_file(result.get("filename", ""), shown_of)
    message = result.get("msg", "")
    if status == "statusValid":
        return []
    if status == "statusSkipped":
        if kind in kinds_skip or f"{api_version}/{kind}" in kinds_skip:
            return []
        return [_Problem("kubeconform.skipped", file, f"{resource} ({api_version}) was not checked",
                         resource=resource)]
    if status == "statusInvalid":
        return [_invalid(file, resource, at, why)
                for at, why in _schema_errors(message, result.get("validationErrors") or [])]
    if message.startswith("could not find schema"):
        return [_Problem("kubeconform.missing-schema", file,
                         f"{resource}: no schema for {api_version} {kind}, so it cannot be checked",
                         resource=resource)]
    return [_Problem("kubeconform.error", file, f"{resource}: {message}", resource=resource)]


_ONE_UNKNOWN_FIELD = re.compile(r"^additional properties '((?:[^'\\]|\\.)*)' not allowed$")


def _invalid(file: str, resource: str, pointer: str, why: str) -> _Problem:
    path = _field_path(pointer)
    unknown = _ONE_UNKNOWN_FIELD.match(why)
    if unknown:  # point at the unknown field itself, not at the object holding it
        path += (unknown[1].replace("\\'", "'"),)
    message = f"{resource}: {dotted(path) or '(document)'}: {why}"
    return _Problem("kubeconform.invalid", file, message, path=path, resource=resource)


def _template_file(filename: str, shown_of: dict[Path, Path]) -> str:
    """`<rendered>/<chart name>/templates/x.yaml` -> `<shown>/templates/x.yaml`, for the rendering
    folder (a key of `shown_of`) the file is in."""
    path = Path(filename.removesuffix(_APPLIED_SUFFIX))
    for rendered, shown in shown_of.items():
        if path.is_relative_to(rendered):
            return (shown.joinpath(*path.relative_to(rendered).parts[1:])).as_posix()
    return filename


# kubeconform prints the schema error tree on one line: a cause at depth d is
# preceded by 2d-1 spaces (the newline became one), then "- at '<pointer>': ".
_SCHEMA_CAUSE = re.compile(r"( +)- at '((?:[^'\\]|\\.)*)': ")


def _schema_errors(message: str, validation_errors: list[dict]) -> list[tuple[str, str]]:
    """The leaves of kubeconform's error tree, as (JSON pointer, message) pairs.

    kubeconform's `validationErrors` stop at the top-level causes ("/spec:
    validation failed"); the leaves, which name the field, are only in `msg`.
    """
    causes = list(_SCHEMA_CAUSE.finditer(message))
    parsed = []
    for i, cause in enumerate(causes):
        end = causes[i + 1].start() if i + 1 < len(causes) else len(message)
        depth = (len(cause[1]) + 1) // 2
        parsed.append((depth, cause[2].replace("\\'", "'"), message[cause.end():end].strip()))
    leaves = [(at, why) for i, (depth, at, why) in enumerate(parsed)
              if i + 1 == len(parsed) or parsed[i + 1][0] <= depth]
    if leaves:
        return leaves
    if validation_errors:
        return [(item.get("path", ""), item.get("msg", "")) for item in validation_errors]
    return [("", message)]


def _field_path(json_pointer: str) -> FieldPath:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in json_pointer.split("/")[1:]]
    return tuple(int(p) if p.isdigit() else p for p in parts)
