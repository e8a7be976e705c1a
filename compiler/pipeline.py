"""The stages put together: what `kafkac validate`, `check`, `compile` and `verify` run.

A compile writes every chart into a temporary directory beside the output,
verifies them there, and only then moves them into place: a failure at any
stage, a deny finding of the policies included, leaves the previous output
exactly as it was. Each chart directory is replaced in one atomic step (see
output.py), so a reader, or a kill at any moment, sees the old chart or the new
one, never a mix or none. One OPA server serves the whole run.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import input_limits, kube_syntax, tools
from .check_options import DEFAULT_PROFILE, REPORT_ONLY, CheckOptions
from .convert import convert
from .findings import Finding, Span, error, has_errors
from .document import Documents
from .load import STDIN_NAME, load
from .model import Cluster, Model
from .normalize import normalize
from .prune import as_applied
from .validate import validate

if TYPE_CHECKING:
    from .model_connect import Connect
    from .policy import Engine

# The stages after normalize (check, plan, emit, verify) are imported by the functions
# that run them: `kafkac validate` and `kafkac topics` load only what reads the specs.


@dataclass(frozen=True)
class Options:
    paths: tuple[str, ...]
    output: Path | None = None
    verify: bool = True
    kube_versions: tuple[str, ...] = ()
    check: CheckOptions = CheckOptions()
    base: str | None = None  # `kafkac check --base`: a path or a git revision


# Said once, after the counts, when compile enforced no profile.
REPORT_ONLY_ADVICE = ("no profile is chosen, so the policies only warn; to make compile enforce one, "
                      "pass --profile prod (or dev), annotate the Kafka with kafkac.io/profile: prod, "
                      "or write profile: prod in a .kafkac.yaml beside the specs")


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)
    advice: str = ""
    # `kafkac check`: the specs and the base read, for what a scale change moves in a live cluster
    model: Model | None = None
    base: Model | None = None

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)


def read_specs(paths) -> tuple[Model | None, list[Finding]]:
    """load → convert → validate → normalize; the model only when all of it passed."""
    return read_documents(load(list(paths)))


def read_documents(documents: Documents) -> tuple[Model | None, list[Finding]]:
    documents, notes = convert(as_applied(documents))
    findings = list(documents.findings) + notes
    findings += validate(documents)
    if has_errors(findings):
        return None, _sorted(findings)
    model = normalize(documents)
    findings += model.findings
    if not has_errors(findings):
        findings += kube_syntax.check_model(model) + input_limits.check_model(model)
    if has_errors(findings):
        return None, _sorted(findings)
    return model, _sorted(findings)


def check_policies(options: Options) -> Result:
    """What `kafkac check` runs: validate, then the policies (against the base, if given)."""
    return _with_specs_and_policies(options, _check_policies)


def compile_specs(options: Options) -> Result:
    """What `kafkac compile` runs: validate, the policies, then plan, emit and verify into the output."""
    return _with_specs_and_policies(options, _compile_specs)


def _with_specs_and_policies(options: Options, run) -> Result:
    """Read the specs while OPA starts and compiles the library, then `run(options, model, result, ready)`
    on valid specs; one OPA server serves the run."""
    from . import policy

    with policy.starting(options.check.opa_url, options.check.policy_dirs) as ready:
        model, findings = read_specs(options.paths)
        result = Result(findings)
        if model is None:
            return result
        return run(options, model, result, ready)


def _check_policies(options: Options, model: Model, result: Result, ready) -> Result:
    from .base_specs import load_base
    from .check import check

    base_model = None
    if options.base is not None:
        base_model, base_findings = read_documents(load_base(options.base, options.paths))
        if base_model is None:
            first = next(f for f in base_findings if f.is_error)
            result.findings.append(error(
                "base.invalid", f"the base version ({options.base}) has "
                f"{sum(f.is_error for f in base_findings)} error(s), so the upgrade rules cannot "
                f"compare with it; first: {first.span}: [{first.rule}] {first.message}",
                Span(str(options.paths[0])), expected="a base version that kafkac validate accepts"))
            return result
    result.findings = _sorted(result.findings + check(model, base_model, options.check, ready()))
    result.model, result.base = model, base_model
    return result


def _compile_specs(options: Options, model: Model, result: Result, ready) -> Result:
    from .check import check, cluster_profile

    if not model.clusters and not model.connects:
        result.findings.append(error(
            "input.no-cluster", "no Kafka, KafkaConnect or KafkaMirrorMaker2 resource among the inputs, so there "
            "is no chart to write", Span(str(options.paths[0])),
            expected="a Kafka resource and its KafkaNodePools, a KafkaConnect or a KafkaMirrorMaker2"))
        return result
    assert options.output is not None
    result.findings += _same_chart_folder(model, options.output)
    if has_errors(result.findings):
        return result
    if any(cluster_profile(c, options.check)[0] is REPORT_ONLY for c in [*model.clusters, *model.connects]):
        result.advice = REPORT_ONLY_ADVICE
    engine = ready()
    result.findings = _sorted(result.findings + check(model, None, options.check, engine))
    if has_errors(result.findings):
        return result
    return _compile(model, options, result, engine)


def verify_chart(chart: Path, options: Options) -> Result:
    """What `kafkac verify` runs on a chart already written: helm, kubeconform and the policies on
    the rendered manifests (with the profile chosen, else prod)."""
    from . import policy
    from .check import RenderedCheck
    from .verify import verify

    with policy.engine(options.check.opa_url, options.check.policy_dirs) as engine:
        rendered_check = RenderedCheck(
            engine, options.check.profile or options.check.project_profile or DEFAULT_PROFILE,
            policy_dirs=options.check.policy_dirs)
        findings = verify(chart, options.kube_versions or tools.DEFAULT_KUBE_VERSIONS, rendered_check=rendered_check)
    return Result(findings, [chart])


def _compile(model: Model, options: Options, result: Result, engine: Engine) -> Result:
    from . import output as output_dir
    from .check import RenderedCheck, cluster_profile, cluster_waivers
    from .emit import emit
    from .plan import plan

    output = options.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output_dir.remove_stale_staging(output.parent)
    staging = output_dir.new_staging(output.parent)
    try:
        built = [emit(chart_plan, staging / chart_plan.name) for chart_plan in plan(model.clusters, model.connects)]
        if options.verify:
            from .verify import Chart, verify_charts

            clusters = dict(_chart_sources(model))

            def to_verify(chart: Path) -> Chart:
                cluster = clusters.get(chart.name)
                return Chart(chart, output / chart.name, RenderedCheck(
                    engine, cluster_profile(cluster, options.check)[0] if cluster else "prod",
                    cluster_waivers(cluster, options.check.today) if cluster else (),
                    options.check.policy_dirs))

            result.findings += verify_charts([to_verify(chart) for chart in built],
                                             options.kube_versions or tools.DEFAULT_KUBE_VERSIONS)
        if has_errors(result.findings):
            return result
        result.charts = output_dir.move_into_place(built, output)
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _chart_sources(model: Model) -> list[tuple[str, Cluster | Connect]]:
    """Each chart's folder under the output, with the resource it comes from: a Kafka's chart is
    named as the Kafka, a KafkaConnect's `<name>-connect`, a KafkaMirrorMaker2's `<name>-mirrormaker2`."""
    from .plan.naming import connect_names

    return ([(cluster.name, cluster) for cluster in model.clusters]
            + [(connect_names(c.name, c.kind).connect, c) for c in model.connects])


def _same_chart_folder(model: Model, output: Path) -> list[Finding]:
    """An error at the name of each resource whose chart would go to the same folder as another's.

    Names are unique per namespace only, and the output has one folder per chart name: two
    Kafkas `my-cluster` of the namespaces dev and prod, which Strimzi runs side by side, would
    write one folder. Found before anything is staged, so the output stays as it was.
    """
    by_folder: dict[str, list[Cluster | Connect]] = {}
    for folder, resource in _chart_sources(model):
        by_folder.setdefault(folder, []).append(resource)
    findings = []
    path = ("metadata", "name")
    for folder, resources in by_folder.items():
        if len(resources) < 2:
            continue
        for resource in resources:
            doc = resource.document
            others = [r for r in resources if r is not resource]
            listed = " and ".join(f"{other.document.kind} {other.name} {_where(other.namespace)} "
                                  f"(at {other.document.span_of(path)})" for other in others)
            findings.append(error(
                "output.same-chart-folder",
                f"{doc.kind} {resource.name} {_where(resource.namespace)} and {listed} would "
                f"{'both' if len(resources) == 2 else 'all'} be written to the chart folder {output / folder}: "
                "a compile writes one chart folder a name, whatever the namespace", doc.span_of(path), path,
                "compile each namespace's specs on its own, into an output folder of its own "
                f"({_compile_apart(resource, others, output)}), or rename one of them", doc.describe()))
    return findings


def _where(namespace: str | None) -> str:
    return f"in namespace {namespace}" if namespace else "without a namespace"


def _compile_apart(resource: Cluster | Connect, others: list[Cluster | Connect], output: Path) -> str:
    """The command that compiles `resource`'s folder on its own, when its folder holds none of `others`."""
    file = resource.document.file
    folder = Path(file).parent
    if file != STDIN_NAME and all(Path(o.document.file).parent != folder for o in others):
        return f"kafkac compile {folder} -o {output / (resource.namespace or folder.name)}"
    return f"for example kafkac compile specs/dev -o {output / 'dev'}"


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)
