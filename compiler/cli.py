"""Command line: options in, stages called, a reporter out. Exit codes: 0 ok, 1 the
spec or chart is wrong, 2 usage or environment error."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from . import __version__, project, tools
from .check_options import DEFAULT_PROFILE, PROFILES, REPORT_ONLY, CheckOptions
from .cli_topics import connection_of, print_scale_plans, scale_plan_options, topics_group
from .findings import has_errors
from .report import REPORTERS

# The commands import the stages they run when they run (pipeline and what it
# chains), so that `kafkac --help` and `kafkac validate` do not pay for the rest.

EXIT_OK, EXIT_FINDINGS, EXIT_ENVIRONMENT = 0, 1, 2

format_option = click.option(
    "--format", "output_format", type=click.Choice(sorted(REPORTERS)), default="text",
    show_default=True, help="text: one line a problem (file:line:col: severity [rule] message); "
                            "json: for machines; sarif: for code scanning; junit: for test "
                            "reports; github: annotations in GitHub Actions.")
color_option = click.option(
    "--color/--no-color", default=None,
    help="Color the text output. Default: on a terminal, and off when NO_COLOR is set.")


def _kube_versions(ctx, param, values) -> tuple[str, ...]:
    try:
        return tuple(dict.fromkeys(tools.normalize_kube_version(v) for v in values))
    except ValueError as exc:
        raise click.BadParameter(
            f"{exc}; choose from {tools.SUPPORTED_KUBE_VERSIONS[0]} to {tools.SUPPORTED_KUBE_VERSIONS[-1]}")


kube_version_option = click.option(
    "--kube-version", "kube_versions", multiple=True, metavar="X.Y[.Z]", callback=_kube_versions,
    help="Kubernetes version to render and check the chart for; repeat for several. "
         f"Default: {', '.join(tools.DEFAULT_KUBE_VERSIONS)}; supported: "
         f"{tools.SUPPORTED_KUBE_VERSIONS[0]} to {tools.SUPPORTED_KUBE_VERSIONS[-1]}.")


def policy_options(command):
    """--profile, --opa-url and --policy: how the policy library is evaluated."""
    command = click.option(
        "--policy", "policy_dirs", multiple=True, metavar="DIR",
        type=click.Path(exists=True, file_okay=False),
        help="A directory of your own Rego rules (packages kafkac.rules.<area>.<name>, see "
             "policies/README.md), loaded next to kafkac's library; repeatable.")(command)
    command = click.option(
        "--opa-url", metavar="URL",
        help="Use the OPA server at URL (loaded with kafkac's policies: `opa run --server "
             "policies/`) instead of starting a local one.")(command)
    return click.option(
        "--profile", type=click.Choice(PROFILES), default=None,
        help="Which rules deny and which warn. Default: each Kafka's kafkac.io/profile "
             f"annotation, else `profile` in {project.FILE_NAME}; with none of them, compile only "
             "warns and check and verify apply prod.")(command)


def _project(paths, output_format, color) -> project.Project:
    """The project file's settings; its problems are reported and end the command."""
    settings = project.read(paths, tools.normalize_kube_version)
    if settings.findings:
        _report(settings.findings, output_format, color)
        sys.exit(EXIT_FINDINGS)
    return settings


def _check_options(settings: project.Project, profile, opa_url, policy_dirs,
                   unchosen: str | None = DEFAULT_PROFILE) -> CheckOptions:
    return CheckOptions(profile=profile, opa_url=opa_url,
                        policy_dirs=tuple(dict.fromkeys((*settings.policy_dirs, *policy_dirs))),
                        project_profile=settings.profile, unchosen=unchosen)


def _use_color(color: bool | None) -> bool:
    if color is not None:
        return color
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _report(findings, output_format: str, color: bool | None, **extra) -> None:
    text = REPORTERS[output_format](findings, extra, _use_color(color))
    if text:
        click.echo(text, color=_use_color(color))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def cli() -> None:
    """kafkac compiles Strimzi Kafka resources into plain, verified Helm charts.

    It reads the Kafka, KafkaNodePool, KafkaTopic, KafkaUser, KafkaConnect,
    KafkaConnector and KafkaMirrorMaker2 resources you would give Strimzi
    (kafka.strimzi.io/v1 or v1beta2; v1alpha1 and v1beta1 are converted as
    Strimzi converted them), checks them, and writes one Helm chart per Kafka
    cluster (KRaft, or ZooKeeper on Kafka 3.7 to 3.9) and one per KafkaConnect
    and KafkaMirrorMaker2, which run them with no operator.

    \b
    Project file: a .kafkac.yaml beside the specs (or in a parent folder up to
    the repository root) holds the defaults of the options:
      profile: prod              # compile enforces it (without one, it only warns)
      policies: [policies/acme]  # extra Rego folders, like --policy
      kubernetesVersions: ["1.33", "1.35"]   # like --kube-version

    \b
    Typical use:
      kafkac tools install                 # once: build the pinned helm, kubeconform, ...
      kafkac validate specs/               # check resources, print problems
      kafkac check specs/ --base origin/main   # schema and policies, upgrade rules
      kafkac compile specs/ -o out/        # write and verify out/<cluster>/
      helm install my-cluster out/my-cluster -n kafka
    """


@cli.command("compile")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the charts into, one subdirectory per Kafka cluster.")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Check each chart with helm lint --strict, helm template and kubeconform "
                   "-strict before it is written.")
@kube_version_option
@policy_options
@format_option
@color_option
def compile_command(paths, output, verify, kube_versions, profile, opa_url, policy_dirs,
                    output_format, color):
    """Compile the resources under PATHS into one Helm chart per Kafka, KafkaConnect and KafkaMirrorMaker2.

    PATHS are YAML files or directories (read recursively, *.yaml and *.yml),
    or - for standard input (`kustomize build overlays/prod | kafkac compile -
    -o out`).
    Resources are grouped into clusters by their strimzi.io/cluster label, as
    Strimzi does. The policies run first (as in `kafkac check`, without
    --base). With a profile chosen (--profile, the Kafka's kafkac.io/profile
    annotation or `profile` in .kafkac.yaml) a deny finding stops the compile;
    with none, what the policies find is reported as warnings, except what
    cannot work. Charts are built and verified in a temporary directory and
    only then moved to OUTPUT/<cluster> (OUTPUT/<name>-connect for a
    KafkaConnect, OUTPUT/<name>-mirrormaker2 for a KafkaMirrorMaker2); when
    anything fails, OUTPUT is left exactly as it was.

    \b
    Example:
      kafkac compile examples/kraft-3x3 -o out
      helm install my-cluster out/my-cluster -n kafka
    """
    from .pipeline import Options, compile_specs

    settings = _project(paths, output_format, color)
    result = compile_specs(Options(tuple(paths), output, verify,
                                   tuple(kube_versions) or settings.kube_versions,
                                   _check_options(settings, profile, opa_url, policy_dirs, REPORT_ONLY)))
    extra = {"advice": result.advice} if result.advice else {}
    _report(result.findings, output_format, color, charts=result.charts, **extra)
    if not result.ok:
        sys.exit(EXIT_FINDINGS)


@cli.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@format_option
@color_option
def validate_command(paths, output_format, color):
    """Check the resources under PATHS without writing anything.

    Runs the strict YAML reader, the schema and the cross-resource checks, and
    prints one line per problem. Exit code 1 when there is an error. A PATH
    of - reads standard input.

    \b
    Example:
      kafkac validate specs/ --format json
      kustomize build overlays/prod | kafkac validate -
    """
    from .pipeline import read_specs

    _, findings = read_specs(paths)
    _report(findings, output_format, color)
    if has_errors(findings):
        sys.exit(EXIT_FINDINGS)


@cli.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--base", metavar="PATH|REV",
              help="The base version of the specs, for the upgrade-safety rules: a file or "
                   "directory holding it, or a git revision (e.g. origin/main) at which PATHS are "
                   "read. Clusters are matched by namespace and name.")
@scale_plan_options
@policy_options
@format_option
@color_option
def check_command(paths, base, bootstrap, security_protocol, ca_file, cert_file, key_file, no_hostname_check,
                  sasl_mechanism, sasl_username, sasl_password_file, profile, opa_url, policy_dirs,
                  output_format, color):
    """Check the resources under PATHS against the schema and the policy library.

    Runs what `kafkac validate` does, then kafkac's Rego policies in OPA
    (durability, security, operability and, with --base, upgrade safety),
    and prints every finding with the position of the field in its file.
    Waived findings (annotation kafkac.io/waivers) are shown but do not fail.
    With no profile chosen, prod applies: check is the strict gate.
    With --base and --bootstrap, a change that adds or removes a KRaft cluster's
    brokers is planned on the running cluster with the rebalance Jobs' own
    planner: after the findings, each partition that would move, with its size,
    and the total (on stderr unless --format is text). Exit code 1 on any deny
    finding or a change the drain Job would refuse, 2 when OPA is missing or
    unreachable or the cluster cannot be read.

    \b
    Example:
      kafkac check specs/ --base origin/main --format sarif > kafkac.sarif
      kafkac check specs/ --base origin/main --bootstrap my-cluster-kafka-bootstrap.kafka.svc:9092
    """
    from .pipeline import Options, check_policies

    if bootstrap is not None and base is None:
        raise click.UsageError("--bootstrap plans a change of the brokers against --base; give both")
    settings = _project(paths, output_format, color)
    result = check_policies(Options(tuple(paths), base=base,
                                    check=_check_options(settings, profile, opa_url, policy_dirs)))
    _report(result.findings, output_format, color)
    refused = False
    if bootstrap is not None and result.model is not None:
        connection = connection_of(bootstrap, security_protocol, ca_file, cert_file, key_file, no_hostname_check,
                                   sasl_mechanism, sasl_username, sasl_password_file)
        refused = print_scale_plans(result.model, result.base, connection, output_format != "text")
    if not result.ok or refused:
        sys.exit(EXIT_FINDINGS)


@cli.command("verify")
@click.argument("chart", type=click.Path(exists=True, file_okay=False, path_type=Path))
@kube_version_option
@policy_options
@format_option
@color_option
def verify_command(chart, kube_versions, profile, opa_url, policy_dirs, output_format, color):
    """Check a chart with helm lint --strict, helm template, kubeconform -strict and the policies.

    Renders CHART for each Kubernetes version and validates every manifest
    against that version's schemas, offline; then runs the policies on
    rendered manifests (pod security, probes, images, disruption budget).

    \b
    Example:
      kafkac verify out/my-cluster --kube-version 1.35.0
    """
    from .pipeline import Options, verify_chart

    settings = _project([chart], output_format, color)
    result = verify_chart(chart, Options((), kube_versions=tuple(kube_versions) or settings.kube_versions,
                                         check=_check_options(settings, profile, opa_url, policy_dirs)))
    _report(result.findings, output_format, color)
    if not result.ok:
        sys.exit(EXIT_FINDINGS)


@cli.command("version")
def version_command():
    """Print kafkac's version and the version of each tool it runs."""
    click.echo(f"kafkac {__version__}")
    for name, version in tools.versions().items():
        click.echo(f"{name} {version}")


@cli.group("tools")
def tools_group():
    """Install and list the pinned external tools (helm, kubeconform, opa, cue, promtool).

    Tools are built with `go install` at exact versions into a cache outside
    the repository ($KAFKAC_CACHE, default ~/.cache/kafkac) and reused, with
    kubeconform's schemas for Kubernetes and for the Prometheus Operator's
    PodMonitor and PrometheusRule (from its pinned Go module's CRDs).
    """


@tools_group.command("install")
@click.argument("names", nargs=-1, type=click.Choice(sorted(tools.TOOLS)))
def tools_install_command(names):
    """Build the pinned tools NAMES (default: all) that are not in the cache yet (needs Go),
    and prepare the schemas kubeconform checks charts against: Kubernetes', OpenShift's
    Route and the Prometheus Operator's PodMonitor and PrometheusRule, from their pinned
    Go modules (`go mod download`).

    `compile` needs opa, helm and kubeconform; promtool only for charts with alert rules
    (spec.kafkaExporter or Prometheus Operator resources); cue only to regenerate schemas.

    \b
    Examples:
      kafkac tools install                       # everything
      kafkac tools install opa helm kubeconform  # what compile needs
    """
    from . import kube_schemas

    def log(message: str) -> None:
        click.echo(message, err=True)

    tools.install(names or tuple(tools.TOOLS), log=log)
    kube_schemas.prepare_all(log)
    click.echo(f"tools ready in {tools.cache_dir()}", err=True)


@tools_group.command("path")
@click.argument("name", type=click.Choice(sorted(tools.TOOLS)))
def tools_path_command(name):
    """Print where the pinned NAME is installed, e.g. to run that helm yourself.

    \b
    Example:
      "$(kafkac tools path helm)" install my-cluster out/my-cluster -n kafka
    """
    click.echo(tools.path(name))


@tools_group.command("list")
def tools_list_command():
    """Show each tool's pinned version and what is installed."""
    for name, version in tools.versions().items():
        click.echo(f"{name} {version}")


@cli.command("mirror-maker2")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def mirror_maker2_command(paths):
    """Print the KafkaMirrorMaker2 equivalent to each legacy KafkaMirrorMaker under PATHS.

    MirrorMaker 1 is gone from Kafka 4 and Strimzi 1.x, and kafkac refuses it. The
    consumer's cluster becomes the mirror's source, the producer's the target,
    `include` the topicsPattern; topic names stay as they were (the identity
    replication policy) and a checkpoint connector translates group offsets.
    What has no counterpart is named in a comment.

    \b
    Example:
      kafkac mirror-maker2 old/mirror-maker.yaml > specs/mirror-maker-2.yaml
    """
    from .load import load
    from .mirror_maker1 import KIND, equivalent_yaml

    documents = load(list(paths))
    found = [d for d in documents.documents if d.kind == KIND]
    if documents.findings or not found:
        _report(documents.findings, "text", None)
        if not found:
            click.echo(f"kafkac: no {KIND} under {', '.join(paths)}", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo("---\n".join(equivalent_yaml(d) for d in found), nl=False)


cli.add_command(topics_group)


def _environment_errors() -> tuple[type[Exception], ...]:
    """The errors that mean the machine, not the specs, is wrong (a tool, OPA, the --base
    revision); a module not loaded by this run raised none of its own."""
    errors = {"compiler.tools": ("ToolMissing", "ToolError"), "compiler.policy": ("PolicyError",),
              "compiler.base_specs": ("BaseNotFound",)}
    return tuple(getattr(sys.modules[module], name)
                 for module, names in errors.items() if module in sys.modules for name in names)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_ENVIRONMENT)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ENVIRONMENT)
    except OSError as exc:
        click.echo(f"kafkac: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        sys.exit(EXIT_ENVIRONMENT)
    except Exception as exc:
        if isinstance(exc, _environment_errors()):
            click.echo(f"kafkac: {exc}", err=True)
        elif os.environ.get("KAFKAC_DEBUG"):  # a bug in kafkac: say so, without a traceback unless asked
            traceback.print_exc()
        else:
            click.echo("kafkac: internal error; run again with KAFKAC_DEBUG=1 to see the "
                       "traceback, and please report it", err=True)
        sys.exit(EXIT_ENVIRONMENT)
