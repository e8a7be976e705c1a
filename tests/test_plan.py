"""The plan: properties, environment, names and the values.yaml writer."""

import shutil
from pathlib import Path

import yaml

from compiler.emit import values_yaml
from compiler.load import load
from compiler.normalize import normalize
from compiler.plan import plan
from compiler.plan.broker_config import heap_options, log4j2_properties
from compiler.plan.naming import cluster_id
from compiler.properties import escape_key, escape_value
from compiler.quantities import quantity_bytes
from compiler.yaml_text import scalar, yaml_key

from .conftest import EXAMPLES
from .util import compiled_manifests, env_values


def kraft_3x3_values() -> dict:
    (chart,) = plan(normalize(load([EXAMPLES / "kraft-3x3"])).clusters)
    return chart.values


def env_of(pool: dict) -> dict:
    return env_values(pool["env"])


def test_roles_shape_listeners_and_properties():
    controller, broker = kraft_3x3_values()["nodePools"]
    controller_props = controller["serverProperties"].splitlines()
    broker_props = broker["serverProperties"].splitlines()
    assert "process.roles=controller" in controller_props
    assert "listeners=CONTROLPLANE-9090://0.0.0.0:9090" in controller_props
    assert not any(line.startswith("inter.broker.listener.name") for line in controller_props)
    assert "process.roles=broker" in broker_props
    assert ("listeners=REPLICATION-9091://0.0.0.0:9091,PLAIN-9092://0.0.0.0:9092,TLS-9093://0.0.0.0:9093,"
            "CUSTOM-9094://0.0.0.0:9094" in broker_props)
    assert "inter.broker.listener.name=REPLICATION-9091" in broker_props
    assert "listener.name.custom-9094.ssl.keystore.type=PEM" in broker_props
    assert "min.insync.replicas=2" in broker_props
    assert "auto.create.topics.enable=false" in broker_props


def test_environment_carries_quorum_and_addresses():
    controller, broker = kraft_3x3_values()["nodePools"]
    env = env_of(broker)
    assert env["KAFKAC_CONTROLLER_VOTERS"] == (
        "3@my-cluster-controller-3:9090 4@my-cluster-controller-4:9090 5@my-cluster-controller-5:9090")
    assert env["KAFKAC_ADVERTISED_LISTENERS"] == (
        "REPLICATION-9091:9091:svc PLAIN-9092:9092:svc TLS-9093:9093:svc CUSTOM-9094:9094:svc")
    assert env["KAFKAC_LOG_DIRS"] == "/var/lib/kafka/data-0 /var/lib/kafka/data-1"
    assert env["KAFKAC_METADATA_LOG_DIR"] == "/var/lib/kafka/data-0"
    assert env["KAFKAC_CUSTOM_CERT_LISTENERS"] == "custom-9094"
    assert env["KAFKAC_NODE_CERT_LISTENERS"] == "controlplane-9090 replication-9091 tls-9093"
    assert env_of(controller)["KAFKAC_NODE_CERT_LISTENERS"] == "controlplane-9090"
    assert env["KAFKA_HEAP_OPTS"] == "-Xms4096m -Xmx4096m"
    assert env_of(controller)["KAFKAC_ADVERTISED_LISTENERS"] == "CONTROLPLANE-9090:9090:svc"
    assert broker["firstNodeId"] == 0 and controller["firstNodeId"] == 3  # by pool name, as Strimzi


def test_controllers_advertise_no_listener_before_kafka_3_9(tmp_path):
    """Kafka 3.7 and 3.8 refuse advertised.listeners on a controller-only node; 3.9 reads it."""
    text = (EXAMPLES / "kraft-3x3" / "kafka.yaml").read_text()
    (tmp_path / "node-pools.yaml").write_text((EXAMPLES / "kraft-3x3" / "node-pools.yaml").read_text())
    advertised = {}
    for version in ("3.8.1", "3.9.1"):
        (tmp_path / "kafka.yaml").write_text(text.replace("version: 4.3.1", f"version: {version}"))
        (chart,) = plan(normalize(load([tmp_path])).clusters)
        controller, broker = chart.values["nodePools"]
        advertised[version] = (env_of(controller)["KAFKAC_ADVERTISED_LISTENERS"],
                               env_of(broker)["KAFKAC_ADVERTISED_LISTENERS"].split()[0])
    assert advertised == {"3.8.1": ("", "REPLICATION-9091:9091:svc"),
                          "3.9.1": ("CONTROLPLANE-9090:9090:svc", "REPLICATION-9091:9091:svc")}


def test_cluster_id_is_stable_and_has_kafkas_uuid_form():
    (cluster,) = normalize(load([EXAMPLES / "kraft-3x3"])).clusters
    assert cluster_id(cluster) == cluster_id(cluster)
    assert len(cluster_id(cluster)) == 22
    assert set(cluster_id(cluster)) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_cluster_id_never_starts_with_a_dash():
    """kafka-storage format would read such an id as an option; Kafka's Uuid avoids it too.
    The production example's name and namespace hash to one that does."""
    (cluster,) = normalize(load([EXAMPLES / "production"])).clusters
    assert not cluster_id(cluster).startswith("-")
    assert cluster_id(cluster) == cluster_id(cluster)


def test_heap_is_half_the_memory_capped_at_5_gib():
    assert heap_options({}) == ""
    assert heap_options({"requests": {"memory": "2Gi"}}) == "-Xms1024m -Xmx1024m"
    assert heap_options({"limits": {"memory": "64Gi"}, "requests": {"memory": "1Gi"}}) == "-Xms5120m -Xmx5120m"
    assert heap_options({"limits": {"memory": 1_000_000_000}}) == "-Xms476m -Xmx476m"
    assert quantity_bytes("1.5G") == 1.5e9 and quantity_bytes("512Mi") == 512 * 2 ** 20


def test_properties_escaping():
    assert escape_key("a=b:c d") == "a\\=b\\:c\\ d"
    assert escape_value("line1\nline2\\x") == "line1\\nline2\\\\x"
    assert escape_value("  leading") == "\\  leading"


def test_values_yaml_reads_back_exactly_and_quotes_yaml_1_1_words():
    values = {"a": ["on", "no", "y", "0755", "1:30", "", "x\ny\n", "tab\tx", True, 3, None],
              "y": {"on": "off"}, "plain.key/x": "v"}
    text = values_yaml(values)
    assert yaml.safe_load(text) == values
    assert yaml.load(text, Loader=yaml.BaseLoader)["a"][:5] == ["on", "no", "y", "0755", "1:30"]
    assert yaml_key("y") == '"y"' and yaml_key("on") == '"on"' and yaml_key("name") == "name"
    assert scalar("yes") == '"yes"' and scalar(False) == "false"


def production_values() -> dict:
    (chart,) = plan(normalize(load([EXAMPLES / "production"])).clusters)
    return chart.values


def test_pool_template_merges_over_the_kafka_template_property_by_property():
    controllers, large, small = production_values()["nodePools"]
    for pool in (controllers, large, small):
        assert pool["podSpec"]["priorityClassName"] == "kafka-critical"
        assert pool["podSpec"]["terminationGracePeriodSeconds"] == 120
        assert pool["podSpec"]["tolerations"][0]["key"] == "dedicated"
        assert "topologySpreadConstraints" in pool["podSpec"]
    assert controllers["podSpec"]["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"]["matchLabels"][
        "strimzi.io/pool-name"] == "controllers"
    assert "preferredDuringSchedulingIgnoredDuringExecution" in small["podSpec"]["affinity"]["podAntiAffinity"]
    assert large["volumeClaimTemplates"][0]["metadata"]["labels"]["backup"] == "daily"
    assert [p["firstNodeId"] for p in (controllers, large, small)] == [0, 100, 200]


def test_jvm_options_map_to_start_script_variables():
    controllers, large, small = production_values()["nodePools"]
    assert env_of(controllers)["KAFKA_HEAP_OPTS"] == "-Xms2g -Xmx2g"
    assert env_of(large)["KAFKA_HEAP_OPTS"] == "-Xms5120m -Xmx5120m"  # no heap given: half of 32Gi, capped
    assert env_of(small)["KAFKA_HEAP_OPTS"] == "-Xms3g -Xmx3g"
    assert env_of(small)["KAFKA_GC_LOG_OPTS"] == "-Xlog:gc*:stdout:time,tags"
    # a pool's jvmOptions replace the Kafka's whole: controllers set their own
    assert "KAFKA_JVM_PERFORMANCE_OPTS" not in env_of(controllers)
    assert env_of(large)["KAFKA_JVM_PERFORMANCE_OPTS"].endswith("-XX:+UseG1GC -XX:MaxGCPauseMillis=20")
    # Not KAFKA_OPTS, which the container's env may set: kafka-run.sh appends them to it.
    assert env_of(large)["KAFKAC_JAVA_SYSTEM_PROPERTIES"] == "-Dnetworkaddress.cache.ttl=30"
    assert "KAFKA_OPTS" not in env_of(large)


def test_topology_label_rack_runs_the_init_container_only_on_brokers():
    values = production_values()
    controllers, large, _ = values["nodePools"]
    assert values["rackAwareness"]["clusterRoleBindingName"] == "prod-kafka-init"
    assert controllers["initContainers"] == [] and not controllers["podSpec"]["automountServiceAccountToken"]
    (init,) = large["initContainers"]
    assert {e["name"]: e.get("value") for e in init["env"]}["RACK_TOPOLOGY_KEY"] == "topology.kubernetes.io/zone"
    assert large["podSpec"]["automountServiceAccountToken"] is True
    assert env_of(large)["KAFKAC_RACK_FILE"] == "/opt/kafka/init/rack.id"
    assert "KAFKAC_RACK_FILE" not in env_of(controllers)


def test_topology_label_rack_requires_the_label_on_every_pools_nodes_as_strimzi_does():
    for pool in production_values()["nodePools"]:
        affinity = pool["podSpec"]["affinity"]
        (term,) = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert term["matchExpressions"][-1] == {"key": "topology.kubernetes.io/zone", "operator": "Exists"}
        assert "podAntiAffinity" in affinity  # the template's own rules are kept


def _pool_spec(kafka_template: str, pool_template: str, rack: str = "") -> str:
    return f"""apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata: {{name: c}}
spec:
  kafka:
    version: 4.3.1
{rack}    listeners: [{{name: plain, port: 9092, type: internal, tls: false}}]
    template:
{kafka_template}
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata: {{name: dual, labels: {{strimzi.io/cluster: c}}}}
spec:
  replicas: 3
  roles: [controller, broker]
  storage: {{type: ephemeral}}
  template:
{pool_template}
"""


def _dual_pool(tmp_path, spec: str) -> dict:
    (tmp_path / "c.yaml").write_text(spec)
    (chart,) = plan(normalize(load([tmp_path])).clusters)
    (pool,) = chart.values["nodePools"]
    return pool


def test_a_template_section_the_pool_sets_replaces_the_kafkas_whole(tmp_path):
    pool = _dual_pool(tmp_path, _pool_spec(
        "      pod: {priorityClassName: kafka, tolerations: [{key: a, operator: Exists}]}\n"
        "      kafkaContainer: {env: [{name: FROM_KAFKA, value: k}]}",
        "    pod: {priorityClassName: pool}"))
    assert pool["podSpec"]["priorityClassName"] == "pool"
    assert "tolerations" not in pool["podSpec"]  # not merged key by key
    assert env_of(pool)["FROM_KAFKA"] == "k"  # a section the pool leaves alone comes from the Kafka


def test_rack_node_affinity_joins_each_required_term_of_the_template(tmp_path):
    terms = ("    pod:\n      affinity:\n        nodeAffinity:\n"
             "          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms:\n"
             "              - matchExpressions: [{key: disk, operator: In, values: [ssd]}]\n"
             "              - matchFields: [{key: metadata.name, operator: In, values: [n1]}]")
    pool = _dual_pool(tmp_path, _pool_spec("      pod: {}", terms, "    rack: {topologyKey: zone}\n"))
    required = pool["podSpec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert required["nodeSelectorTerms"] == [
        {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]},
                              {"key": "zone", "operator": "Exists"}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}],
         "matchExpressions": [{"key": "zone", "operator": "Exists"}]},
    ]


def test_external_logging_is_the_config_maps_content():
    values = production_values()
    assert values["logging"]["fileName"] == "log4j2.properties"
    assert "logger.authorizer.name=kafka.authorizer.logger" in values["logging"]["content"].splitlines()


def test_inline_loggers_in_either_form():
    from compiler.model import Logging

    lines = log4j2_properties(Logging("inline", loggers={
        "rootLogger.level": "WARN", "kafka.request.logger": "DEBUG",
        "log4j.logger.kafka.log.LogCleaner": "TRACE", "logger.x.name": "org.x", "logger.x.level": "ERROR",
    })).splitlines()
    assert "rootLogger.level=WARN" in lines and "rootLogger.level=INFO" not in lines
    assert "logger.kafka_request_logger.name=kafka.request.logger" in lines
    assert "logger.kafka_request_logger.level=DEBUG" in lines
    assert "logger.kafka_log_LogCleaner.name=kafka.log.LogCleaner" in lines
    assert "logger.x.name=org.x" in lines and "logger.x.level=ERROR" in lines


def test_probe_timings_and_pdb_come_from_the_spec():
    values = production_values()
    pool = values["nodePools"][0]
    assert pool["readinessProbe"] == {"initialDelaySeconds": 30, "timeoutSeconds": 10}
    assert pool["livenessProbe"] == {"initialDelaySeconds": 60, "timeoutSeconds": 10}
    assert values["podDisruptionBudget"]["maxUnavailable"] == 1
    assert values["services"]["bootstrap"]["annotations"] == {"service.kubernetes.io/topology-mode": "Auto"}


def test_internal_listeners_are_tls_with_client_authentication():
    controller, broker = kraft_3x3_values()["nodePools"]
    for pool, internal in ((controller, ["controlplane-9090"]),
                           (broker, ["controlplane-9090", "replication-9091"])):
        props = pool["serverProperties"].splitlines()
        assert ("listener.security.protocol.map=CONTROLPLANE-9090:SSL,REPLICATION-9091:SSL,"
                "PLAIN-9092:PLAINTEXT,TLS-9093:SSL,CUSTOM-9094:SSL") in props
        configured = sorted({line.split(".")[2] for line in props
                             if line.startswith("listener.name.") and ".ssl.client.auth=" in line})
        assert configured == internal
        for name in internal:
            prefix = f"listener.name.{name}.ssl."
            assert f"{prefix}client.auth=required" in props
            assert f"{prefix}keystore.type=PKCS12" in props
            assert f"{prefix}keystore.location=/opt/kafka/node-certs/node.p12" in props
            assert f"{prefix}truststore.type=PEM" in props
            assert f"{prefix}truststore.location=/opt/kafka/cluster-ca-certs/ca.crt" in props
            assert f"{prefix}endpoint.identification.algorithm=HTTPS" in props
        assert "password" not in pool["serverProperties"]
    broker_props = broker["serverProperties"].splitlines()
    # tls: true without a certificate of its own serves the node certificate, without client auth.
    assert "listener.name.tls-9093.ssl.keystore.location=/opt/kafka/node-certs/node.p12" in broker_props
    assert not any(line.startswith("listener.name.tls-9093.ssl.client.auth") for line in broker_props)


def test_every_pod_mounts_the_cluster_ca_certificate_and_the_node_certificate():
    values = kraft_3x3_values()
    for pool in values["nodePools"]:
        secrets = {v["name"]: v["secret"] for v in pool["volumes"] if "secret" in v}
        assert secrets["cluster-ca-cert"] == {"secretName": "my-cluster-cluster-ca-cert",
                                              "items": [{"key": "ca.crt", "path": "ca.crt"}]}
        assert secrets["node-certs"]["secretName"] == "my-cluster-kafka-node-certs"
        assert [i["key"] for i in secrets["node-certs"]["items"]] == ["node.p12", "node.password"]
        mounts = {m["name"]: m for m in pool["volumeMounts"]}
        assert mounts["node-certs"] == {"name": "node-certs", "mountPath": "/opt/kafka/node-certs",
                                        "readOnly": True}


def test_certificates_values_name_strimzis_secrets_and_cover_every_service():
    certificates = kraft_3x3_values()["certificates"]
    assert certificates["clusterCaCertSecret"] == "my-cluster-cluster-ca-cert"
    assert certificates["clusterCaSecret"] == "my-cluster-cluster-ca"
    assert certificates["nodeCertSecret"] == "my-cluster-kafka-node-certs"
    assert certificates["nodeSubject"] == "CN=my-cluster-kafka, O=io.strimzi"
    assert certificates["dnsNames"] == ["my-cluster-kafka-bootstrap", "my-cluster-kafka-brokers",
                                        "*.my-cluster-kafka-brokers"]
    assert (certificates["validityDays"], certificates["renewalDays"]) == (365, 30)
    image = certificates["job"]["kubectlImage"]["name"]
    assert image.startswith("registry.k8s.io/kubectl:v1.") and image.count(".") == 4


def test_cluster_ca_lifetimes_come_from_the_spec(tmp_path):
    spec = (EXAMPLES / "quickstart" / "kafka.yaml").read_text().replace(
        "spec:\n  kafka:\n", "spec:\n  clusterCa:\n    validityDays: 730\n    renewalDays: 60\n  kafka:\n", 1)
    (tmp_path / "kafka.yaml").write_text(spec)
    (chart,) = plan(normalize(load([tmp_path / "kafka.yaml"])).clusters)
    assert (chart.values["certificates"]["validityDays"], chart.values["certificates"]["renewalDays"]) == (730, 60)


def test_clients_ca_has_its_own_secrets_subject_and_lifetimes(tmp_path):
    spec = (EXAMPLES / "quickstart" / "kafka.yaml").read_text().replace(
        "spec:\n  kafka:\n", "spec:\n  clientsCa:\n    validityDays: 90\n    renewalDays: 10\n  kafka:\n", 1)
    (tmp_path / "kafka.yaml").write_text(spec)
    (chart,) = plan(normalize(load([tmp_path / "kafka.yaml"])).clusters)
    certificates = chart.values["certificates"]
    assert certificates["clientsCa"] == {
        "certSecret": "my-cluster-clients-ca-cert", "secret": "my-cluster-clients-ca",
        "generateCertificateAuthority": True,
        "subject": "CN=clients-ca v0, O=io.strimzi", "validityDays": 90, "renewalDays": 10,
        "certManager": None}
    assert (certificates["validityDays"], certificates["renewalDays"]) == (365, 30)


SECURED = Path(__file__).resolve().parent / "e2e" / "authentication-spec"


def secured_values(tmp_path, edit=lambda text: text) -> dict:
    (tmp_path / "kafka.yaml").write_text(edit((SECURED / "kafka.yaml").read_text()))
    model = normalize(load([tmp_path / "kafka.yaml"]))
    assert not [f for f in model.findings if f.is_error], model.findings
    (chart,) = plan(model.clusters)
    return chart.values


def test_listener_authentication_and_authorization_properties(tmp_path):
    (pool,) = secured_values(tmp_path)["nodePools"]
    props = pool["serverProperties"].splitlines()
    assert ("listener.security.protocol.map=CONTROLPLANE-9090:SSL,REPLICATION-9091:SSL,"
            "TLS-9093:SSL,SCRAM-9094:SASL_PLAINTEXT") in props
    # tls: a client certificate of the clients CA, and no other CA.
    assert "listener.name.tls-9093.ssl.client.auth=required" in props
    assert "listener.name.tls-9093.ssl.truststore.type=PEM" in props
    assert "listener.name.tls-9093.ssl.truststore.location=/opt/kafka/clients-ca-certs/ca.crt" in props
    # scram-sha-512: SASL with SCRAM only, and no TLS settings on a tls: false listener.
    assert "listener.name.scram-9094.sasl.enabled.mechanisms=SCRAM-SHA-512" in props
    assert ("listener.name.scram-9094.scram-sha-512.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;") in props
    assert not [p for p in props if p.startswith("listener.name.scram-9094.ssl.")]
    assert "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer" in props
    assert "super.users=User:CN=secured-kafka,O=io.strimzi;User:CN=admin;User:root" in props
    assert "allow.everyone.if.no.acl.found=false" in props
    mounts = {m["name"]: m["mountPath"] for m in pool["volumeMounts"]}
    assert mounts["clients-ca-cert"] == "/opt/kafka/clients-ca-certs"
    (volume,) = [v for v in pool["volumes"] if v["name"] == "clients-ca-cert"]
    assert volume["secret"]["secretName"] == "secured-clients-ca-cert"


def test_scram_over_tls_is_sasl_ssl_and_controllers_authorize_too(tmp_path):
    def edit(text):
        text = text.replace("        tls: false\n        authentication:\n          type: scram-sha-512",
                            "        tls: true\n        authentication:\n          type: scram-sha-512")
        return text.replace("    - controller\n    - broker\n", "    - controller\n") + (
            "---\napiVersion: kafka.strimzi.io/v1\nkind: KafkaNodePool\nmetadata:\n  name: broker\n"
            "  labels:\n    strimzi.io/cluster: secured\nspec:\n  replicas: 3\n  roles: [broker]\n"
            "  storage:\n    type: ephemeral\n")
    controller, broker = secured_values(tmp_path, edit)["nodePools"]
    assert "SCRAM-9094:SASL_SSL" in broker["serverProperties"]
    assert "listener.name.scram-9094.ssl.keystore.location=/opt/kafka/node-certs/node.p12" in broker["serverProperties"]
    controller_props = controller["serverProperties"].splitlines()
    assert "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer" in controller_props
    assert any(p.startswith("super.users=User:CN=secured-kafka,O=io.strimzi;") for p in controller_props)
    assert not [p for p in controller_props if p.startswith("listener.name.tls-9093.")]
    assert "clients-ca-cert" not in {v["name"] for v in controller["volumes"]}


def test_allow_everyone_from_the_spec_is_not_overridden(tmp_path):
    values = secured_values(tmp_path, lambda text: text.replace(
        "      auto.create.topics.enable: false\n",
        "      auto.create.topics.enable: false\n      allow.everyone.if.no.acl.found: true\n"))
    props = values["nodePools"][0]["serverProperties"].splitlines()
    assert [p for p in props if p.startswith("allow.everyone")] == ["allow.everyone.if.no.acl.found=true"]


def test_no_authorizer_without_authorization(tmp_path):
    values = secured_values(tmp_path, lambda text: text.replace(
        "    authorization:\n      type: simple\n      superUsers:\n        - CN=admin\n        - root\n", ""))
    props = values["nodePools"][0]["serverProperties"]
    assert "authorizer.class.name" not in props and "super.users" not in props and "allow.everyone" not in props


def test_the_kafkas_and_the_pools_labels_reach_the_objects_as_strimzi_copies_them(tmp_path, installed_tools):
    specs = tmp_path / "specs"
    specs.mkdir()
    kafka = (EXAMPLES / "kraft-3x3" / "kafka.yaml").read_text()
    (specs / "kafka.yaml").write_text(kafka.replace(
        "metadata:\n  name: my-cluster\n",
        "metadata:\n  name: my-cluster\n  labels:\n    team: streaming\n    app.kubernetes.io/name: mine\n"
        "    app.kubernetes.io/part-of: shop\n    kustomize.toolkit.fluxcd.io/name: apps\n", 1))
    pools = (EXAMPLES / "kraft-3x3" / "node-pools.yaml").read_text()
    (specs / "node-pools.yaml").write_text(pools.replace(
        "    strimzi.io/cluster: my-cluster\n", "    strimzi.io/cluster: my-cluster\n    tier: hot\n    team: other\n"))
    assert "team: streaming" in (specs / "kafka.yaml").read_text()

    manifests = compiled_manifests(specs, tmp_path / "out", verify=False)
    for manifest in manifests:
        labels = manifest["metadata"]["labels"]
        assert labels["team"] == "streaming", manifest["metadata"]["name"]  # the Kafka's value wins on both
        assert labels["app.kubernetes.io/part-of"] == "shop"
        assert labels["app.kubernetes.io/name"] == "kafka"  # Strimzi does not copy app.kubernetes.io/name
        assert "kustomize.toolkit.fluxcd.io/name" not in labels
    pool_sets = [m for m in manifests if m["kind"] == "StatefulSet"]
    assert len(pool_sets) == 2
    for statefulset in pool_sets:
        assert statefulset["metadata"]["labels"]["tier"] == "hot"
        assert statefulset["spec"]["template"]["metadata"]["labels"]["tier"] == "hot"
        assert "tier" not in statefulset["spec"]["selector"]["matchLabels"]


def test_a_label_of_the_kafka_that_a_template_or_listener_sets_too_is_written_once_with_their_value(
        tmp_path, installed_tools):
    specs = tmp_path / "specs"
    specs.mkdir()
    kafka = (EXAMPLES / "kraft-3x3" / "kafka.yaml").read_text()
    kafka = kafka.replace("metadata:\n  name: my-cluster\n",
                          "metadata:\n  name: my-cluster\n  labels:\n    team: streaming\n    env: dev\n", 1)
    kafka = kafka.replace("  kafka:\n", "  kafka:\n    template:\n"
                          "      pod: {metadata: {labels: {team: pods, app.kubernetes.io/name: mine}}}\n"
                          "      podDisruptionBudget: {metadata: {labels: {env: pdb}}}\n"
                          "      bootstrapService: {metadata: {labels: {env: svc}}}\n", 1)
    (specs / "kafka.yaml").write_text(kafka)
    shutil.copy(EXAMPLES / "kraft-3x3" / "node-pools.yaml", specs)

    # A key written twice in one mapping is refused by kubeconform: verify proves there is none.
    manifests = compiled_manifests(specs, tmp_path / "out", verify=True)
    by_name = {(m["kind"], m["metadata"]["name"]): m for m in manifests}
    pod_labels = [m["spec"]["template"]["metadata"]["labels"] for m in manifests if m["kind"] == "StatefulSet"]
    assert [labels["team"] for labels in pod_labels] == ["pods", "pods"]
    assert [labels["app.kubernetes.io/name"] for labels in pod_labels] == ["kafka", "kafka"]  # left out, as in Strimzi
    assert by_name["PodDisruptionBudget", "my-cluster-kafka"]["metadata"]["labels"]["env"] == "pdb"
    assert by_name["Service", "my-cluster-kafka-bootstrap"]["metadata"]["labels"]["env"] == "svc"
    assert by_name["Service", "my-cluster-kafka-brokers"]["metadata"]["labels"]["env"] == "dev"


OTEL_AGENT = "-javaagent:/mnt/otel/opentelemetry-javaagent.jar -Dotel.service.name=kafka"


def test_a_kafka_opts_of_the_container_env_reaches_the_container_once_beside_the_system_properties(
        tmp_path, installed_tools):
    specs = tmp_path / "specs"
    specs.mkdir()
    kafka = (EXAMPLES / "kraft-3x3" / "kafka.yaml").read_text().replace("  kafka:\n", (
        "  kafka:\n    jvmOptions:\n      javaSystemProperties:\n"
        "        - {name: networkaddress.cache.ttl, value: \"30\"}\n"
        "    template:\n      kafkaContainer:\n        env:\n"
        f"          - {{name: KAFKA_OPTS, value: {OTEL_AGENT}}}\n"), 1)
    (specs / "kafka.yaml").write_text(kafka)
    pools = (EXAMPLES / "kraft-3x3" / "node-pools.yaml").read_text()
    # The broker pool's own container section replaces the Kafka's whole, as Strimzi merges them.
    (specs / "node-pools.yaml").write_text(pools.replace(
        "    - broker\n", "    - broker\n  template:\n    kafkaContainer:\n      env:\n"
        "        - {name: KAFKA_OPTS, value: -javaagent:/mnt/dd/dd-java-agent.jar}\n", 1))

    manifests = compiled_manifests(specs, tmp_path / "out", verify=True)
    containers = {m["metadata"]["name"]: m["spec"]["template"]["spec"]["containers"][0]
                  for m in manifests if m["kind"] == "StatefulSet"}
    expected = {"my-cluster-controller": OTEL_AGENT, "my-cluster-broker": "-javaagent:/mnt/dd/dd-java-agent.jar"}
    for name, kafka_opts in expected.items():
        env = containers[name]["env"]
        assert [e["value"] for e in env if e["name"] == "KAFKA_OPTS"] == [kafka_opts], name
        assert {"name": "KAFKAC_JAVA_SYSTEM_PROPERTIES", "value": "-Dnetworkaddress.cache.ttl=30"} in env
