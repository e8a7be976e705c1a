"""`kafkac topics`: the topics Job's comparison from a workstation or CI, and topics pulled from Kafka.

Commands only parse options and print; the comparison is topics_sync's (the
Job's own awk programs), reading the cluster is topics_live's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from typing import TYPE_CHECKING

from .findings import has_errors
from .report import REPORTERS

if TYPE_CHECKING:
    from .model import Cluster, Model
    from .topics_live import Connection

# The commands import the stages they run when they run, so that `--help` does not pay for them.

EXIT_OK, EXIT_DIFFERS, EXIT_ENVIRONMENT = 0, 1, 2
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


def _connection_options(command, bootstrap_required: bool, bootstrap_help: str):
    options = [
        click.option("--bootstrap", required=bootstrap_required, metavar="HOST:PORT", help=bootstrap_help),
        click.option("--security-protocol", type=click.Choice(SECURITY_PROTOCOLS), default=None,
                     help="Default: SSL when --ca-file is given, else PLAINTEXT; SASL_* with --sasl-username."),
        click.option("--ca-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="PEM file of the CA to trust, e.g. ca.crt of <cluster>-cluster-ca-cert."),
        click.option("--cert-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="PEM client certificate (chain), for listeners that require one."),
        click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="PEM key of --cert-file."),
        click.option("--no-hostname-check", is_flag=True,
                     help="Do not check that the broker's certificate names the address it was reached at."),
        click.option("--sasl-mechanism", type=click.Choice(SASL_MECHANISMS), default=None,
                     help="Default: SCRAM-SHA-512, as Strimzi's scram-sha-512 authentication."),
        click.option("--sasl-username", help="SASL user name."),
        click.option("--sasl-password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="File holding the SASL password (never on the command line)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def connection_options(command):
    """--bootstrap and the TLS and SASL options a listener may need."""
    return _connection_options(command, True, "A broker address of a listener, e.g. "
                                               "<cluster>-kafka-bootstrap.<namespace>.svc:9092.")


def scale_plan_options(command):
    """`kafkac check`'s optional --bootstrap, with the same TLS and SASL options."""
    return _connection_options(command, False, "With --base: a broker address of the running cluster, e.g. "
                                                "<cluster>-kafka-bootstrap.<namespace>.svc:9092; when the change "
                                                "adds or removes brokers, print each partition the rebalance "
                                                "Jobs would move, with its size, and the total.")


def connection_of(bootstrap, security_protocol, ca_file, cert_file, key_file, no_hostname_check,
                  sasl_mechanism, sasl_username, sasl_password_file) -> Connection:
    from .topics_live import Connection

    if security_protocol is None:
        tls = ca_file is not None or cert_file is not None
        security_protocol = ("SASL_SSL" if tls else "SASL_PLAINTEXT") if sasl_username else (
            "SSL" if tls else "PLAINTEXT")
    return Connection(bootstrap, security_protocol, ca_file, cert_file, key_file, not no_hostname_check,
                      sasl_mechanism, sasl_username, sasl_password_file)


def print_scale_plans(model: Model, base: Model | None, connection: Connection, to_stderr: bool) -> bool:
    """`kafkac check --base --bootstrap`: what the rebalance Jobs would move for each change of a
    KRaft cluster's brokers, read from the live cluster; True when a Job would refuse the change."""
    from .scale_plan import PlanError, broker_changes, plan_change, read_cluster, report_lines
    from .tools import ToolMissing
    from .topics_live import LiveError

    changes = broker_changes(model, base)
    if not changes:
        click.echo(f"no Kafka's brokers change, so the rebalance Jobs move nothing; "
                   f"{connection.bootstrap} was not read", err=to_stderr)
        return False
    if len(changes) > 1:
        names = ", ".join(change.cluster for change in changes)
        raise click.ClickException(f"the change adds or removes brokers of the Kafka clusters {names}, and "
                                   f"--bootstrap reaches one cluster: check each one's specs apart")
    try:
        plan = plan_change(changes[0], read_cluster(connection))
    except (LiveError, PlanError, ToolMissing) as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from exc
    for line in report_lines(plan, connection.bootstrap):
        click.echo(line, err=to_stderr)
    return plan.refused


def _cluster(paths, name: str | None, output_format: str) -> tuple[Cluster, Model]:
    """The cluster of the specs (the one named, when there are several) and the model it is part of,
    or exit with the findings."""
    from .pipeline import read_specs

    model, findings = read_specs(paths)
    if findings:
        text = REPORTERS["text" if output_format == "text" else "json"](findings, {}, False)
        click.echo(text, err=True)
    if model is None or has_errors(findings):
        sys.exit(EXIT_DIFFERS)
    clusters = [c for c in model.clusters if name is None or c.name == name]
    if len(clusters) != 1:
        names = ", ".join(c.name for c in model.clusters) or "none"
        raise click.UsageError(f"the specs hold the Kafka clusters {names}; choose one with --cluster")
    return clusters[0], model


@click.group("topics")
def topics_group():
    """Compare a cluster's KafkaTopics with its live topics, and pull topics from Kafka.

    These commands read the live cluster with a Kafka client (kafka-python) from
    this machine: give the address of a listener and the credentials it
    requires. Kafka clients go on to the addresses the brokers advertise, so
    run them where those resolve (a CI runner or pod in the cluster).
    """


@topics_group.command("diff")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@connection_options
@click.option("--last-applied", "last_applied", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The topics Job's record (state.jsonl of <cluster>-kafka-topics-state-N); repeatable. "
                   "Without it every difference counts as a change of the spec.")
@click.option("--cluster", "cluster_name", help="The Kafka to compare, when the specs hold several.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text: the Job's report lines; json: its JSON report.")
def diff_command(paths, bootstrap, security_protocol, ca_file, cert_file, key_file, no_hostname_check,
                 sasl_mechanism, sasl_username, sasl_password_file, last_applied, cluster_name,
                 output_format):
    """Show what the topics Job would do: the spec, its record and Kafka, compared three ways.

    Exit code 0 when Kafka matches the spec, 1 when anything differs (to create,
    change, a change made in Kafka, a conflict or a refusal), 2 when the
    cluster cannot be read.

    \b
    Example:
      kubectl -n kafka get configmap my-cluster-kafka-topics-state-0 \\
        -o jsonpath='{.data.state\\.jsonl}' > state.jsonl
      kafkac topics diff specs/ --bootstrap my-cluster-kafka-bootstrap.kafka.svc:9092 \\
        --last-applied state.jsonl
    """
    from .tools import ToolMissing
    from .topics_live import LiveError, read_live
    from .topics_sync import CompareError, compare

    cluster, _ = _cluster(paths, cluster_name, output_format)
    connection = connection_of(bootstrap, security_protocol, ca_file, cert_file, key_file, no_hostname_check,
                               sasl_mechanism, sasl_username, sasl_password_file)
    try:
        live = read_live(connection)
        report = compare(cluster.topics, last_applied, live.topics.values())
    except (LiveError, CompareError, ToolMissing) as exc:
        raise click.ClickException(str(exc)) from exc
    if output_format == "json":
        click.echo(json.dumps(report.json, separators=(",", ":")))
    else:
        for line in report.lines:
            click.echo(line)
    sys.exit(EXIT_DIFFERS if report.differs else EXIT_OK)


@topics_group.command("pull")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@connection_options
@click.option("--cluster", "cluster_name", help="The Kafka whose topics to pull, when the specs hold several.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write the KafkaTopics to. Default: standard output.")
def pull_command(paths, bootstrap, security_protocol, ca_file, cert_file, key_file, no_hostname_check,
                 sasl_mechanism, sasl_username, sasl_password_file, cluster_name, output):
    """Write KafkaTopics for the topics that exist only in Kafka, so they can be committed.

    Kafka's internal topics (__consumer_offsets, ...) and topics some KafkaTopic
    of the specs names (managed or not) are left out. Each KafkaTopic has the
    topic's partitions, replication factor and own config options.

    \b
    Example:
      kafkac topics pull specs/ --bootstrap my-cluster-kafka-bootstrap.kafka.svc:9092 \\
        -o specs/pulled-topics.yaml
    """
    from .cluster_members import belongs_to, members_namespace
    from .topics import topic_name
    from .topics_live import LiveError, pull_yaml, read_live

    cluster, model = _cluster(paths, cluster_name, "text")
    connection = connection_of(bootstrap, security_protocol, ca_file, cert_file, key_file, no_hostname_check,
                               sasl_mechanism, sasl_username, sasl_password_file)
    try:
        live = read_live(connection)
    except LiveError as exc:
        raise click.ClickException(str(exc)) from exc
    documents = [d for d in model.documents if d.kind == "KafkaTopic"]
    named = {topic_name(d) for d in documents if belongs_to(d, cluster, "topicOperator")}
    taken = {d.name for d in documents}
    only_in_kafka = [t for name, t in live.topics.items() if name not in named and name not in live.internal]
    text = pull_yaml(only_in_kafka, cluster.name, members_namespace(cluster.document, "topicOperator"), bootstrap,
                     taken)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text)
        click.echo(f"wrote {len(only_in_kafka)} KafkaTopic{'s' * (len(only_in_kafka) != 1)} to {output}", err=True)
