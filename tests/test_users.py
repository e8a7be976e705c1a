"""KafkaUsers: the model, the users Job's values and data files, and what the chart renders."""

import json

import pytest
import yaml

from compiler.load import load
from compiler.normalize import normalize
from compiler.plan import plan
from compiler.users import kafka_operation

from .conftest import EXAMPLES, STRIMZI_CORPUS, require_strimzi_corpus
from .util import compile_chart, manifests_of, render_text

SECURE = EXAMPLES / "secure"


def secure_cluster():
    model = normalize(load([SECURE]))
    assert not [f for f in model.findings if f.is_error]
    (cluster,) = model.clusters
    return cluster


def users_values() -> dict:
    (chart,) = plan(normalize(load([SECURE])).clusters)
    return chart.values["users"]


def rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()]


def test_principals_and_quota_entities_are_strimzis():
    users = {u.name: u for u in secure_cluster().users}
    assert users["orders-app"].principal == "User:orders-app"
    assert users["orders-app"].quota_entity == "orders-app"
    assert users["billing"].principal == "User:CN=billing"
    assert users["billing"].quota_entity == "CN=billing"


@pytest.mark.parametrize("strimzi, kafka", [
    ("Read", "READ"), ("ClusterAction", "CLUSTER_ACTION"), ("IdempotentWrite", "IDEMPOTENT_WRITE"),
    ("DescribeConfigs", "DESCRIBE_CONFIGS"), ("All", "ALL"),
])
def test_operations_take_kafkas_names(strimzi, kafka):
    assert kafka_operation(strimzi) == kafka


def test_data_files_hold_one_user_acl_and_quota_a_line():
    values = users_values()
    assert rows(values["files"]["users.tsv"]) == [
        ["billing", "tls", "User:CN=billing", "365", "30", "-", "-", "billing"],
        ["orders-app", "scram-sha-512", "User:orders-app", "365", "30", "-", "-", "orders-app"],
    ]
    acls = rows(values["files"]["acls.tsv"])
    assert ["User:orders-app", "TOPIC", "PREFIXED", "orders", "WRITE", "*", "ALLOW"] in acls
    assert ["User:orders-app", "GROUP", "LITERAL", "orders-app", "READ", "*", "ALLOW"] in acls
    assert ["User:CN=billing", "GROUP", "PREFIXED", "billing", "READ", "*", "ALLOW"] in acls
    assert not any(a[0] == "User:CN=billing" and a[4] == "WRITE" for a in acls)
    assert len(acls) == 7
    assert rows(values["files"]["quotas.tsv"]) == [
        ["CN=billing", "consumer_byte_rate", "10485760"], ["CN=billing", "request_percentage", "50"]]


def test_secrets_carry_strimzis_labels_and_the_template_metadata():
    metadata = json.loads(users_values()["files"]["secret-metadata.json"])
    assert set(metadata) == {"billing", "orders-app"}
    labels = metadata["orders-app"]["labels"]
    assert labels["strimzi.io/cluster"] == "secure"
    assert labels["strimzi.io/kind"] == "KafkaUser"
    assert labels["app"] == "orders"


def test_the_job_reads_only_the_secrets_it_needs_by_name():
    values = users_values()
    assert values["readSecrets"] == ["billing", "orders-app", "secure-clients-ca", "secure-clients-ca-cert"]
    assert values["userSecrets"] == ["billing", "orders-app"]
    # Only a TLS user's Secret is ever updated (a renewed certificate); a SCRAM user's never.
    assert values["tlsUserSecrets"] == ["billing"]


def test_a_given_password_secret_is_read_and_a_tls_external_user_gets_no_secret(tmp_path):
    users = (SECURE / "users.yaml").read_text() + """---
apiVersion: kafka.strimzi.io/v1
kind: KafkaUser
metadata:
  name: legacy-app
  namespace: kafka
  labels:
    strimzi.io/cluster: secure
spec:
  authentication:
    type: scram-sha-512
    password:
      valueFrom:
        secretKeyRef: {name: legacy-password, key: secret}
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaUser
metadata:
  name: external
  namespace: kafka
  labels:
    strimzi.io/cluster: secure
spec:
  authentication:
    type: tls-external
"""
    for name in ("kafka.yaml", "node-pools.yaml"):
        (tmp_path / name).write_text((SECURE / name).read_text())
    (tmp_path / "users.yaml").write_text(users)
    (chart,) = plan(normalize(load([tmp_path])).clusters)
    values = chart.values["users"]
    assert "legacy-password" in values["readSecrets"]
    assert "external" not in values["readSecrets"] and "external" not in values["userSecrets"]
    assert values["tlsUserSecrets"] == ["billing"]
    assert ["legacy-app", "scram-sha-512", "User:legacy-app", "365", "30", "legacy-password", "secret",
            "legacy-app"] in rows(values["files"]["users.tsv"])
    assert ["external", "tls-external", "User:CN=external", "365", "30", "-", "-", "external"] \
        in rows(values["files"]["users.tsv"])


def with_secret_prefix(folder, prefix: str, users: str | None = None):
    """examples/secure in `folder`, its Kafka's userOperator with secretPrefix `prefix`."""
    kafka = (SECURE / "kafka.yaml").read_text()
    assert kafka.count("userOperator: {}") == 1
    (folder / "kafka.yaml").write_text(kafka.replace("userOperator: {}", f"userOperator: {{secretPrefix: {prefix}}}"))
    (folder / "node-pools.yaml").write_text((SECURE / "node-pools.yaml").read_text())
    (folder / "users.yaml").write_text(users or (SECURE / "users.yaml").read_text())
    return normalize(load([folder]))


def test_the_secret_prefix_names_each_users_secret_and_not_the_user(tmp_path):
    model = with_secret_prefix(tmp_path, "kafka-")
    assert not [f for f in model.findings if f.is_error]
    (chart,) = plan(model.clusters)
    values = chart.values["users"]
    assert values["userSecrets"] == ["kafka-billing", "kafka-orders-app"]
    assert values["tlsUserSecrets"] == ["kafka-billing"]
    assert {"kafka-billing", "kafka-orders-app"} <= set(values["readSecrets"])
    # The name in Kafka (principal, SCRAM user, quota entity) is the user's; the Secret's is prefixed.
    assert rows(values["files"]["users.tsv"]) == [
        ["billing", "tls", "User:CN=billing", "365", "30", "-", "-", "kafka-billing"],
        ["orders-app", "scram-sha-512", "User:orders-app", "365", "30", "-", "-", "kafka-orders-app"],
    ]
    metadata = json.loads(values["files"]["secret-metadata.json"])
    assert set(metadata) == {"kafka-billing", "kafka-orders-app"}
    assert metadata["kafka-orders-app"]["labels"]["app.kubernetes.io/instance"] == "orders-app"


def test_a_prefixed_secret_name_that_is_the_clusters_or_too_long_is_refused(tmp_path):
    users = (SECURE / "users.yaml").read_text().replace("name: billing\n", f"name: {'b' * 250}\n", 1)
    users = users.replace("type: tls\n", "type: scram-sha-512\n")  # no certificate: the name may be long
    model = with_secret_prefix(tmp_path, "secure-", users)
    errors = {f.message: f for f in model.findings if f.is_error}
    (long_name,) = [f for m, f in errors.items() if "Kubernetes allows 253" in m]
    assert long_name.path == ("metadata", "name") and long_name.span.line == 36
    assert "at most 246 characters after Kafka secure's userOperator.secretPrefix 'secure-'" in long_name.expected

    users = (SECURE / "users.yaml").read_text().replace("name: billing\n", "name: clients-ca\n", 1)
    model = with_secret_prefix(tmp_path, "secure-", users)
    (reserved,) = [f for f in model.findings if f.is_error]
    assert reserved.message == ("user clients-ca would need a Secret named secure-clients-ca, which holds "
                                "one of Kafka secure's certificates")


def test_a_user_operator_watching_another_namespace_is_refused_at_its_field(tmp_path):
    with_secret_prefix(tmp_path, "kafka-")
    kafka = (tmp_path / "kafka.yaml").read_text()
    (tmp_path / "kafka.yaml").write_text(kafka.replace("{secretPrefix: kafka-}", "{watchedNamespace: apps}"))
    model = normalize(load([tmp_path]))
    (problem,) = [f for f in model.findings if f.is_error]
    assert problem.path == ("spec", "entityOperator", "userOperator", "watchedNamespace")
    assert problem.message == ("the users Job of Kafka secure makes the KafkaUsers' Secrets in the Kafka's "
                               "namespace kafka, not in apps")
    (tmp_path / "kafka.yaml").write_text(kafka.replace("{secretPrefix: kafka-}", "{watchedNamespace: kafka}"))
    assert not [f for f in normalize(load([tmp_path])).findings if f.is_error or f.rule == "schema.noEffect"]


def test_no_users_job_without_users_or_without_the_user_operator():
    (chart,) = plan(normalize(load([EXAMPLES / "kraft-3x3"])).clusters)
    assert chart.values["users"] is None


@pytest.mark.tools
def test_user_strings_render_literally_and_no_secret_material_reaches_the_chart(tmp_path, installed_tools):
    """Names and labels from the spec stay data; the rendered chart holds no password or key."""
    template_looking = "{{ .Values.cluster.name }}"
    users = (SECURE / "users.yaml").read_text()
    users = users.replace("          app: orders\n", f"          app: orders\n        annotations:\n"
                                                     f"          note: '{template_looking}'\n")
    users = users.replace("          type: group\n          name: orders-app\n",
                          f"          type: group\n          name: '{template_looking}'\n")
    for name in ("kafka.yaml", "node-pools.yaml"):
        (tmp_path / name).write_text((SECURE / name).read_text())
    (tmp_path / "users.yaml").write_text(users)
    chart = compile_chart(tmp_path, tmp_path / "out")
    text = render_text(chart)
    manifests = [m for m in yaml.safe_load_all(text) if m]
    files = next(m for m in manifests if m["kind"] == "ConfigMap" and m["metadata"]["name"] == "secure-kafka-users-files")
    assert f"User:orders-app\tGROUP\tLITERAL\t{template_looking}\tREAD\t*\tALLOW" in \
        files["data"]["acls.tsv"].splitlines()
    assert json.loads(files["data"]["secret-metadata.json"])["orders-app"]["annotations"] == \
        {"note": template_looking}

    assert not [m for m in manifests if m["kind"] == "Secret"]
    secret_keys = {"password", "sasl.jaas.config", "user.p12", "user.password", "user.key", "ca.password"}
    for manifest in manifests:
        if manifest["kind"] == "ConfigMap":
            assert not secret_keys & set(manifest.get("data") or {}), manifest["metadata"]["name"]
    chart_text = "\n".join(p.read_text() for p in sorted(chart.rglob("*")) if p.is_file())
    for marker in ("PRIVATE KEY-----", "BEGIN CERTIFICATE", "ScramLoginModule required username=\"orders-app\""):
        assert marker not in text and marker not in chart_text, marker


@pytest.mark.tools
def test_the_users_job_role_reads_by_name_creates_and_updates_only_tls_users_secrets(installed_tools, tmp_path):
    chart = compile_chart(SECURE, tmp_path / "out")
    manifests = manifests_of(chart)
    (role,) = [m for m in manifests if m["kind"] == "Role" and m["metadata"]["name"] == "secure-kafka-users"]
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"],
         "resourceNames": ["billing", "orders-app", "secure-clients-ca", "secure-clients-ca-cert"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["update"], "resourceNames": ["billing"]},
    ]
    (job,) = [m for m in manifests if m["kind"] == "Job" and m["metadata"]["name"] == "secure-kafka-users"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade,post-rollback"
    pod = job["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["fetch", "issue", "store"]
    assert [c["name"] for c in pod["containers"]] == ["apply"]
    for container in pod["initContainers"] + pod["containers"]:
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["runAsNonRoot"] is True


@pytest.mark.parametrize("example", ["tls-auth", "scram-sha-512-auth"])
def test_strimzis_security_examples_with_their_users_are_accepted(example):
    require_strimzi_corpus()
    folder = STRIMZI_CORPUS / "examples" / "security" / example
    model = normalize(load([folder / "kafka.yaml", folder / "user.yaml", folder / "topic.yaml"]))
    assert not [f for f in model.findings if f.is_error], [f"{f.span} {f.message}" for f in model.findings]
    (cluster,) = model.clusters
    (user,) = cluster.users
    assert user.acls and user.authentication in ("tls", "scram-sha-512")


CERT_MANAGER = EXAMPLES / "cert-manager"
CERT_MANAGER_USERS = """\
apiVersion: kafka.strimzi.io/v1
kind: KafkaUser
metadata:
  name: reader
  namespace: kafka
  labels:
    strimzi.io/cluster: cm-cluster
spec:
  authentication:
    type: tls
    validityDays: 60
    renewalDays: 10
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaUser
metadata:
  name: writer
  namespace: kafka
  labels:
    strimzi.io/cluster: cm-cluster
spec:
  authentication:
    type: scram-sha-512
"""


def cert_manager_specs(folder):
    """examples/cert-manager with a TLS and a SCRAM user of its own."""
    for name in ("kafka.yaml", "node-pools.yaml"):
        (folder / name).write_text((CERT_MANAGER / name).read_text())
    (folder / "users.yaml").write_text(CERT_MANAGER_USERS)
    return folder


def test_with_a_cert_manager_clients_ca_each_tls_user_gets_a_certificate_with_its_days(tmp_path):
    model = normalize(load([cert_manager_specs(tmp_path)]))
    assert not [f for f in model.findings if f.is_error], [f"{f.span} {f.message}" for f in model.findings]
    (chart,) = plan(model.clusters)
    values = chart.values["users"]
    (certificate,) = values["certManager"]["certificates"]
    assert certificate == {"name": "reader", "clusterDnsNames": [], "spec": {
        "secretName": "reader-cm", "commonName": "reader",
        "usages": ["digital signature", "key encipherment", "client auth"],
        "duration": "1440h", "renewBefore": "240h",
        "privateKey": {"algorithm": "RSA", "size": 2048, "encoding": "PKCS8", "rotationPolicy": "Always"},
        "issuerRef": {"name": "clients-issuer", "kind": "ClusterIssuer", "group": "cert-manager.io"}}}
    # No clients CA key to read; what cert-manager issued instead.
    assert values["readSecrets"] == ["cm-cluster-clients-ca-cert", "reader", "reader-cm", "writer"]
    assert values["tlsUserSecrets"] == ["reader"]
    assert users_values()["certManager"] is None


def test_with_a_cert_manager_clients_ca_and_a_secret_prefix_the_certificate_is_issued_for_the_user(tmp_path):
    cert_manager_specs(tmp_path)
    kafka = (tmp_path / "kafka.yaml").read_text()
    assert kafka.count("userOperator: {}") == 1
    (tmp_path / "kafka.yaml").write_text(kafka.replace("userOperator: {}", "userOperator: {secretPrefix: kafka-}"))
    (chart,) = plan(normalize(load([tmp_path])).clusters)
    (certificate,) = chart.values["users"]["certManager"]["certificates"]
    assert (certificate["spec"]["secretName"], certificate["spec"]["commonName"]) == ("kafka-reader-cm", "reader")


@pytest.mark.tools
def test_with_a_cert_manager_clients_ca_the_users_job_asks_for_the_certificates(installed_tools, tmp_path):
    (tmp_path / "specs").mkdir()
    chart = compile_chart(cert_manager_specs(tmp_path / "specs"), tmp_path / "out")
    manifests = manifests_of(chart)
    (job,) = [m for m in manifests if m["kind"] == "Job" and m["metadata"]["name"] == "cm-cluster-kafka-users"]
    pod = job["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["request", "fetch", "issue", "store"]
    issue = next(c for c in pod["initContainers"] if c["name"] == "issue")
    assert {"name": "KAFKAC_CERT_MANAGER", "value": "true"} in issue["env"]
    (role,) = [m for m in manifests if m["kind"] == "Role" and m["metadata"]["name"] == "cm-cluster-kafka-users"]
    assert {"apiGroups": ["cert-manager.io"], "resources": ["certificates"], "verbs": ["get", "update"],
            "resourceNames": ["reader"]} in role["rules"]
    assert {"apiGroups": [""], "resources": ["secrets"], "verbs": ["update"], "resourceNames": ["reader"]} \
        in role["rules"]
    files = next(m for m in manifests if m["kind"] == "ConfigMap" and m["metadata"]["name"] == "cm-cluster-kafka-users-files")
    (certificate,) = json.loads(files["data"]["cert-manager-certificates.json"])
    assert certificate["kind"] == "Certificate" and certificate["metadata"]["name"] == "reader"
    assert "certs-request.sh" in files["data"]
