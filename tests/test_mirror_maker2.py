"""MirrorMaker 2: a KafkaMirrorMaker2, in either of Strimzi's shapes, is read as a Connect cluster
on its target with the connectors of its mirrors, named and configured as Strimzi's operator
does; every cluster's secrets stay in their Secrets, mounted by alias; the connectors Job and
the start script of the Connect chart run it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.load import Documents, load_text
from compiler.pipeline import read_documents
from compiler.plan import plan
from compiler.plan.connect import connectors_values, worker_properties

from .conftest import EXAMPLES
from .test_connect import CHART_FILES, _apply, fake_connect  # noqa: F401 (a fixture)

NEW_SHAPE = """\
apiVersion: kafka.strimzi.io/v1
kind: KafkaMirrorMaker2
metadata:
  name: dr
spec:
  replicas: 2
  target:
    alias: backup
    bootstrapServers: backup-kafka-bootstrap:9093
    groupId: dr-group
    configStorageTopic: dr-configs
    statusStorageTopic: dr-status
    offsetStorageTopic: dr-offsets
    tls:
      trustedCertificates:
        - secretName: backup-cluster-ca-cert
          certificate: ca.crt
    authentication:
      type: scram-sha-512
      username: mirror
      passwordSecret:
        secretName: mirror
        password: password
    config:
      config.storage.replication.factor: 3
  mirrors:
    - source:
        alias: primary
        bootstrapServers: primary.example.com:9093
        tls:
          trustedCertificates:
            - secretName: primary-ca
              pattern: "*.crt"
        authentication:
          type: tls
          certificateAndKey:
            secretName: primary-mirror
            certificate: user.crt
            key: user.key
        config:
          consumer.fetch.max.bytes: 1048576
      sourceConnector:
        tasksMax: 2
        config:
          replication.policy.class: org.apache.kafka.connect.mirror.IdentityReplicationPolicy
          offset-syncs.topic.location: target
      checkpointConnector:
        config:
          sync.group.offsets.enabled: true
      topicsPattern: "orders.*"
      topicsExcludePattern: "orders-internal"
      groupsPattern: ".*"
{extra}"""

OLD_SHAPE = """\
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaMirrorMaker2
metadata:
  name: dr
spec:
  replicas: 2
  connectCluster: backup
  clusters:
    - alias: primary
      bootstrapServers: primary.example.com:9093
      tls:
        trustedCertificates:
          - secretName: primary-ca
            pattern: "*.crt"
      authentication:
        type: tls
        certificateAndKey:
          secretName: primary-mirror
          certificate: user.crt
          key: user.key
      config:
        consumer.fetch.max.bytes: 1048576
    - alias: backup
      bootstrapServers: backup-kafka-bootstrap:9093
      tls:
        trustedCertificates:
          - secretName: backup-cluster-ca-cert
            certificate: ca.crt
      authentication:
        type: scram-sha-512
        username: mirror
        passwordSecret:
          secretName: mirror
          password: password
      config:
        group.id: dr-group
        config.storage.topic: dr-configs
        status.storage.topic: dr-status
        offset.storage.topic: dr-offsets
        config.storage.replication.factor: 3
  mirrors:
    - sourceCluster: primary
      targetCluster: {target}
      sourceConnector:
        tasksMax: 2
        config:
          replication.policy.class: org.apache.kafka.connect.mirror.IdentityReplicationPolicy
          offset-syncs.topic.location: target
      checkpointConnector:
        config:
          sync.group.offsets.enabled: true
      heartbeatConnector: {{}}
      topicsPattern: "orders.*"
      topicsExcludePattern: "orders-internal"
      groupsPattern: ".*"
"""


def _read(text: str):
    documents, findings = load_text(text, "mm2.yaml")
    assert findings == []
    return read_documents(Documents(documents, []))


def _errors(findings) -> list[tuple[str, tuple]]:
    return [(f.rule, f.path) for f in findings if f.is_error]


def _mirror(text: str = NEW_SHAPE.format(extra="")):
    model, findings = _read(text)
    assert _errors(findings) == []
    [connect] = model.connects
    return connect


def _options(connect, name: str) -> dict:
    [connector] = [c for c in connectors_values(connect)["connectors"] if c["name"] == name]
    return json.loads(connector["config"])


# --- reading ---------------------------------------------------------------------------------

def test_a_mirror_maker_is_a_connect_cluster_on_its_target():
    mirror = _mirror()
    assert (mirror.kind, mirror.replicas, mirror.bootstrap_servers) == ("KafkaMirrorMaker2", 2,
                                                                        "backup-kafka-bootstrap:9093")
    assert mirror.tls and mirror.authentication.type == "scram-sha-512"
    assert mirror.config["group.id"] == "dr-group" and mirror.config["offset.storage.topic"] == "dr-offsets"
    assert mirror.config["value.converter"] == "org.apache.kafka.connect.converters.ByteArrayConverter"
    assert mirror.target_alias == "backup" and [c.alias for c in mirror.remote_clusters] == ["primary"]


def test_strimzis_worker_defaults_apply_without_the_group_fields():
    text = NEW_SHAPE.format(extra="").replace("    groupId: dr-group\n", "").replace(
        "    offsetStorageTopic: dr-offsets\n", "")
    mirror = _mirror(text)
    assert mirror.config["group.id"] == "mirrormaker2-cluster"
    assert mirror.config["offset.storage.topic"] == "mirrormaker2-cluster-offsets"


def test_both_shapes_give_the_same_chart_but_the_heartbeat_connector():
    new, old = _mirror(), _mirror(OLD_SHAPE.format(target="backup"))
    assert worker_properties(new) == worker_properties(old)
    assert [c.name for c in old.connectors] == [c.name for c in new.connectors] + [
        "primary->backup.MirrorHeartbeatConnector"]
    [new_chart], [old_chart] = plan([], [new]), plan([], [old])
    for key in ("workers", "services", "networkPolicy"):
        assert new_chart.values[key] == old_chart.values[key]
    for name in ("primary->backup.MirrorSourceConnector", "primary->backup.MirrorCheckpointConnector"):
        different = {k for k in set(_options(new, name)) | set(_options(old, name))
                     if _options(new, name).get(k) != _options(old, name).get(k)}
        # The old shape's target holds the group options in its config, given to the connectors too.
        assert different == {"kafkac.io.config-checksum", "target.cluster.group.id",
                             "target.cluster.config.storage.topic", "target.cluster.status.storage.topic",
                             "target.cluster.offset.storage.topic"}


# --- refusals --------------------------------------------------------------------------------

@pytest.mark.parametrize("target, rule, path", [
    ("primary", "mirrormaker2.target", ("spec", "mirrors", 0, "targetCluster")),
    ("elsewhere", "mirrormaker2.target", ("spec", "mirrors", 0, "targetCluster")),
])
def test_a_mirror_into_another_cluster_than_the_connect_cluster_is_refused(target, rule, path):
    model, findings = _read(OLD_SHAPE.format(target=target))
    assert model is None
    assert _errors(findings) == [(rule, path)]
    [finding] = [f for f in findings if f.is_error]
    assert "targetCluster: backup" in finding.expected


def test_a_source_cluster_that_is_not_among_the_clusters_is_refused_at_its_line():
    _, findings = _read(OLD_SHAPE.format(target="backup").replace("sourceCluster: primary", "sourceCluster: nowhere"))
    [finding] = [f for f in findings if f.is_error]
    assert (finding.rule, finding.path) == ("mirrormaker2.alias", ("spec", "mirrors", 0, "sourceCluster"))
    assert (finding.span.line, finding.span.col) == (42, 22)
    assert "primary" in finding.expected


def test_mixing_the_two_shapes_is_refused():
    _, findings = _read(NEW_SHAPE.format(extra="  connectCluster: backup\n"))
    assert _errors(findings) == [("mirrormaker2.shape", ("spec", "connectCluster"))]


def test_a_source_with_the_targets_alias_is_refused():
    _, findings = _read(NEW_SHAPE.format(extra="").replace("alias: primary", "alias: backup"))
    assert _errors(findings) == [("mirrormaker2.alias", ("spec", "mirrors", 0, "source", "alias"))]


@pytest.mark.parametrize("option", ["sasl.jaas.config", "ssl.keystore.location", "bootstrap.servers",
                                    "security.protocol"])
def test_a_source_option_kafkac_sets_itself_is_refused_at_its_key(option):
    text = NEW_SHAPE.format(extra="").replace("consumer.fetch.max.bytes: 1048576", f"{option}: x")
    _, findings = _read(text)
    [finding] = [f for f in findings if f.is_error]
    assert (finding.rule, finding.path) == ("mirrormaker2.config-forbidden",
                                            ("spec", "mirrors", 0, "source", "config", option))
    assert "reserved prefixes" in finding.expected


def test_a_target_option_kafkac_sets_itself_is_refused_once_at_the_targets_config():
    text = NEW_SHAPE.format(extra="").replace("config.storage.replication.factor: 3", "sasl.mechanism: PLAIN")
    _, findings = _read(text)
    assert _errors(findings) == [("connect.config-forbidden", ("spec", "target", "config", "sasl.mechanism"))]


def test_a_target_without_its_groups_fields_in_the_new_shape_is_refused_by_the_schema():
    _, findings = _read(NEW_SHAPE.format(extra="").replace("  target:\n", "  nothing: {}\n  targetx:\n"))
    assert {f.rule for f in findings if f.is_error} <= {"schema.additionalProperties", "schema.required"}
    assert findings and all(f.span.line > 0 for f in findings if f.is_error)


def test_a_custom_authentication_is_refused_with_the_accepted_types():
    text = NEW_SHAPE.format(extra="").replace("type: tls\n          certificateAndKey:",
                                              "type: custom\n          certificateAndKey:")
    _, findings = _read(text)
    [finding] = [f for f in findings if f.is_error]
    assert finding.path[-1] == "type" and "scram-sha-512" in finding.expected


PROVIDER = ("config.providers: secrets\n",
            "config.providers.secrets.class: io.strimzi.kafka.KubernetesSecretConfigProvider\n")


@pytest.mark.parametrize("shape, anchor, path", [
    (NEW_SHAPE.format(extra=""), "    config:\n      config.storage", ("spec", "target", "config")),
    (OLD_SHAPE.format(target="backup"), "      config:\n        group.id", ("spec", "clusters", 1, "config")),
], ids=["target", "connect-cluster"])
def test_strimzis_kubernetes_config_provider_is_warned_about_at_the_workers_config(shape, anchor, path):
    assert shape.count(anchor) == 1
    config, first = anchor.split("\n")
    indent = first[:len(first) - len(first.lstrip())]
    model, findings = _read(shape.replace(anchor, config + "\n" + "".join(indent + p for p in PROVIDER) + first))
    assert _errors(findings) == [] and model.connects
    [finding] = [f for f in findings if f.rule == "connect.kubernetes-config-provider"]
    assert finding.path == path + ("config.providers.secrets.class",)
    assert "the image apache/kafka:4.3.1 does not carry it" in finding.message
    assert "no ServiceAccount token" in finding.message


def test_a_kafka_opts_of_the_workers_container_is_the_users():
    model, findings = _read(NEW_SHAPE.format(extra=(
        "  template:\n    connectContainer:\n      env:\n"
        "        - {name: KAFKA_OPTS, value: -javaagent:/mnt/a.jar}\n")))
    assert _errors(findings) == []
    env = plan([], model.connects)[0].values["workers"]["env"]
    assert [e["value"] for e in env if e["name"] == "KAFKA_OPTS"] == ["-javaagent:/mnt/a.jar"]


# --- the chart -------------------------------------------------------------------------------

def test_names_are_strimzis():
    [chart] = plan([], [_mirror()])
    assert (chart.name, chart.library) == ("dr-mirrormaker2", "connect")
    values = chart.values
    assert values["workers"]["name"] == "dr-mirrormaker2"  # pods dr-mirrormaker2-<n>
    assert values["services"]["api"]["name"] == "dr-mirrormaker2-api"
    assert values["configMapName"] == "dr-mirrormaker2-config"
    assert values["workers"]["selectorLabels"] == {"strimzi.io/cluster": "dr", "strimzi.io/kind": "KafkaMirrorMaker2",
                                                   "strimzi.io/name": "dr-mirrormaker2"}
    assert values["commonLabels"]["app.kubernetes.io/name"] == "kafka-mirror-maker-2"
    assert values["connectors"]["apiUrl"] == "http://dr-mirrormaker2-api:8083"
    assert [c["name"] for c in values["connectors"]["connectors"]] == [
        "primary->backup.MirrorSourceConnector", "primary->backup.MirrorCheckpointConnector"]


def test_connector_options_are_strimzis_with_each_sides_security_by_reference():
    options = _options(_mirror(), "primary->backup.MirrorSourceConnector")
    assert options["connector.class"] == "org.apache.kafka.connect.mirror.MirrorSourceConnector"
    assert options["tasks.max"] == "2"
    assert (options["source.cluster.alias"], options["target.cluster.alias"]) == ("primary", "backup")
    assert options["source.cluster.bootstrap.servers"] == "primary.example.com:9093"
    assert options["topics"] == "orders.*" and options["topics.exclude"] == "orders-internal"
    assert options["groups"] == ".*"
    assert options["replication.policy.class"] == "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
    assert options["source.cluster.consumer.fetch.max.bytes"] == "1048576"
    # The source: TLS with a client certificate, both read from the mounted Secret by the worker.
    assert options["source.cluster.security.protocol"] == "SSL"
    assert options["source.cluster.ssl.truststore.location"] == "/tmp/kafka/trusted-certificates-primary.pem"
    assert options["source.cluster.ssl.keystore.key"] == "${strimzidir:/opt/kafka/mirror-client-cert/primary:user.key}"
    # The target: the workers' own SCRAM login and trust store.
    assert options["target.cluster.security.protocol"] == "SASL_SSL"
    assert "${strimzidir:/opt/kafka/connect-password/mirror:password}" in options["target.cluster.sasl.jaas.config"]
    assert options["target.cluster.ssl.truststore.location"] == "/tmp/kafka/trusted-certificates.pem"
    checkpoint = _options(_mirror(), "primary->backup.MirrorCheckpointConnector")
    assert checkpoint["sync.group.offsets.enabled"] == "true"


def test_every_secret_is_mounted_by_alias_and_none_is_in_the_values():
    [chart] = plan([], [_mirror()])
    workers = chart.values["workers"]
    mounts = {m["name"]: m["mountPath"] for m in workers["volumeMounts"]}
    secrets = {v["name"]: v["secret"]["secretName"] for v in workers["volumes"] if "secret" in v}
    assert secrets["mirror-trusted-primary-primary-ca"] == "primary-ca"
    assert mounts["mirror-trusted-primary-primary-ca"] == "/opt/kafka/mirror-certs/primary/primary-ca"
    assert secrets["mirror-cert-primary"] == "primary-mirror"
    assert mounts["mirror-cert-primary"] == "/opt/kafka/mirror-client-cert/primary"
    assert secrets["client-password"] == "mirror"
    env = {e["name"]: e.get("value") for e in workers["env"]}
    assert env["KAFKAC_CLUSTER_TRUSTSTORES"] == \
        "/tmp/kafka/trusted-certificates-primary.pem /opt/kafka/mirror-certs/primary/primary-ca/*.crt"


def test_a_password_source_is_mounted_in_a_folder_of_its_secret():
    text = NEW_SHAPE.format(extra="").replace(
        "type: tls\n          certificateAndKey:\n            secretName: primary-mirror\n"
        "            certificate: user.crt\n            key: user.key",
        "type: plain\n          username: $ConnectionString\n          passwordSecret:\n"
        "            secretName: hub\n            password: key")
    mirror = _mirror(text)
    options = _options(mirror, "primary->backup.MirrorSourceConnector")
    assert options["source.cluster.sasl.mechanism"] == "PLAIN"
    assert options["source.cluster.sasl.jaas.config"] == (
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" '
        'password="${strimzidir:/opt/kafka/mirror-password/primary/hub:key}";')
    [chart] = plan([], [mirror])
    assert {"name": "mirror-password-primary", "mountPath": "/opt/kafka/mirror-password/primary/hub",
            "readOnly": True} in chart.values["workers"]["volumeMounts"]


def test_rack_and_the_metrics_reporter_reach_the_connectors_clients():
    extra = ("  rack:\n    type: environment-variable\n    envVarName: ZONE\n"
             "  metricsConfig:\n    type: strimziMetricsReporter\n")
    options = _options(_mirror(NEW_SHAPE.format(extra=extra)), "primary->backup.MirrorSourceConnector")
    assert options["consumer.client.rack"] == "${strimzifile:/tmp/kafka/connect.properties:consumer.client.rack}"
    assert options["prometheus.metrics.reporter.listener.enable"] == "false"


def test_an_alias_that_is_no_dns_label_still_gives_valid_volume_names():
    mirror = _mirror(NEW_SHAPE.format(extra="").replace("alias: primary", "alias: DC_1.primary"))
    [chart] = plan([], [mirror])
    names = [v["name"] for v in chart.values["workers"]["volumes"]]
    assert all(len(n) <= 63 and n == n.lower() and "_" not in n and "." not in n for n in names)


# --- the scripts -----------------------------------------------------------------------------

def test_connect_run_joins_each_source_clusters_trust_store(tmp_path):
    home, config, work = tmp_path / "kafka", tmp_path / "config", tmp_path / "work"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "connect-distributed.sh").write_text('#!/bin/sh\nexit 0\n')
    (home / "bin" / "connect-distributed.sh").chmod(0o755)
    config.mkdir()
    (config / "worker.properties").write_text("")
    for alias, count in (("primary", 2), ("other", 1)):
        folder = tmp_path / "certs" / alias / "ca"
        folder.mkdir(parents=True)
        for i in range(count):
            (folder / f"{i}.crt").write_text("-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name in ("connect-run.sh", "log.sh"):
        shutil.copy(CHART_FILES / name, scripts / name)
    done = subprocess.run(["sh", str(scripts / "connect-run.sh")], capture_output=True, text=True, timeout=30, env={
        "PATH": "/usr/bin:/bin", "POD_NAME": "dr-mirrormaker2-0", "POD_NAMESPACE": "ns", "KAFKA_HOME": str(home),
        "KAFKAC_HEADLESS_SERVICE": "dr-mirrormaker2", "KAFKAC_CONFIG_DIR": str(config), "KAFKAC_WORK_DIR": str(work),
        "KAFKAC_CLUSTER_TRUSTSTORES": f"{work}/t-primary.pem {tmp_path}/certs/primary/ca/*.crt\n"
                                      f"{work}/t-other.pem {tmp_path}/certs/other/ca/0.crt"})
    assert done.returncode == 0, done.stderr
    assert (work / "t-primary.pem").read_text().count("BEGIN CERTIFICATE") == 2
    assert (work / "t-other.pem").read_text().count("BEGIN CERTIFICATE") == 1


def test_the_connectors_job_applies_mirror_maker_connectors_by_their_arrow_names(tmp_path, fake_connect):
    api, url = fake_connect
    mirror = _mirror()
    first = _apply(tmp_path, url, mirror)
    assert [(r["connector"], r["action"]) for r in first] == [
        ("primary->backup.MirrorSourceConnector", "created"), ("primary->backup.MirrorCheckpointConnector", "created")]
    assert sorted(api.connectors) == ["primary->backup.MirrorCheckpointConnector",
                                      "primary->backup.MirrorSourceConnector"]
    writes = len(api.writes)
    assert [r["action"] for r in _apply(tmp_path, url, mirror)] == ["unchanged", "unchanged"]
    assert len(api.writes) == writes
    assert all("%3E" in write for write in api.writes)
    from dataclasses import replace
    fewer = replace(mirror, connectors=mirror.connectors[:1])
    last = _apply(tmp_path, url, fewer)
    assert (last[-1]["connector"], last[-1]["action"]) == ("primary->backup.MirrorCheckpointConnector", "deleted")


# --- the corpus ------------------------------------------------------------------------------

def test_a_strimzi_example_compiles_to_a_chart_that_renders(tmp_path, installed_tools):
    from compiler.check_options import REPORT_ONLY, CheckOptions
    from compiler.pipeline import Options, compile_specs

    from .conftest import STRIMZI_CORPUS, require_strimzi_corpus

    require_strimzi_corpus()
    corpus = STRIMZI_CORPUS / "examples" / "security" / "scram-sha-512-auth"
    result = compile_specs(Options((str(corpus / "mirror-maker-2.yaml"),), tmp_path / "out",
                                   check=CheckOptions(unchosen=REPORT_ONLY)))
    assert not [f for f in result.findings if f.is_error], [str(f) for f in result.findings if f.is_error]
    assert sorted(p.name for p in result.charts) == ["cluster-a", "cluster-b", "my-mirror-maker-2-mirrormaker2"]


# --- the legacy KafkaMirrorMaker ---------------------------------------------------------------

LEGACY = Path(__file__).parent / "cases" / "invalid" / "kind-kafkamirrormaker-legacy.yaml"


def test_the_legacy_mirror_maker_is_refused_at_its_kind_naming_the_command_that_converts_it():
    model, findings = _read(LEGACY.read_text())
    assert model is None
    [finding] = findings
    assert (finding.rule, finding.span.line, finding.span.col) == ("kind.mirror-maker-1", 3, 7)
    assert "from source-kafka-bootstrap:9093 to target-kafka-bootstrap:9093" in finding.message
    assert "`kafkac mirror-maker2 mm2.yaml`" in finding.expected


def test_the_printed_equivalent_compiles_as_a_mirror_with_the_same_clusters_and_topics(tmp_path):
    done = subprocess.run([sys.executable, "-m", "compiler", "mirror-maker2", str(LEGACY)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "# consumer.groupId: left out" in done.stdout
    mirror = _mirror(done.stdout)
    assert mirror.bootstrap_servers == "target-kafka-bootstrap:9093" and mirror.authentication.type == "scram-sha-512"
    [source] = mirror.remote_clusters
    assert (source.bootstrap_servers, source.authentication.type) == ("source-kafka-bootstrap:9093", "tls")
    options = _options(mirror, "source->target.MirrorSourceConnector")
    assert options["topics"] == "orders.*|payments" and options["tasks.max"] == "2"
    assert options["replication.policy.class"] == "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
    assert mirror.config["producer.compression.type"] == "lz4"
    assert mirror.logging.loggers == {"connect.root.logger.level": "INFO"}


def test_the_command_without_a_legacy_mirror_maker_says_so():
    done = subprocess.run([sys.executable, "-m", "compiler", "mirror-maker2", str(EXAMPLES / "connect")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no KafkaMirrorMaker under" in done.stderr


# --- the example -------------------------------------------------------------------------------

def test_the_example_mirrors_its_source_into_its_target_and_is_quiet_in_prod(installed_tools):
    from compiler.check_options import CheckOptions
    from compiler.pipeline import Options, check_policies

    model, findings = read_documents(_load_dir(EXAMPLES / "mirror"))
    assert _errors(findings) == []
    [mirror] = model.connects
    assert (mirror.kind, mirror.kafka_cluster) == ("KafkaMirrorMaker2", "backup")
    [source] = mirror.remote_clusters
    assert (source.alias, source.tls, source.authentication.type) == ("primary", True, "tls")
    assert (mirror.tls, mirror.authentication.type) == (True, "scram-sha-512")
    result = check_policies(Options((str(EXAMPLES / "mirror"),), check=CheckOptions(profile="prod")))
    assert [(f.rule, str(f.span)) for f in result.findings] == []


def _load_dir(folder: Path) -> Documents:
    documents = []
    for path in sorted(folder.glob("*.yaml")):
        loaded, findings = load_text(path.read_text(), str(path))
        assert findings == []
        documents += loaded
    return Documents(documents, [])
