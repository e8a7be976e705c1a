"""Listeners with Services of their own: objects, advertised addresses, RBAC, certificate names;
and the advertised addresses and certificate names that `brokers[]` gives internal listeners."""

import json
import subprocess
from pathlib import Path

import pytest

from compiler import kube_schemas
from compiler.load import load
from compiler.normalize import normalize
from compiler.normalize_listeners import port_formula_value
from compiler.pipeline import Options, compile_specs
from compiler.plan import plan

from .conftest import EXAMPLES, ROOT
from .util import compile_chart, manifests_of


def external_values() -> dict:
    (chart,) = plan(normalize(load([EXAMPLES / "external"])).clusters)
    return chart.values


def env_of(pool: dict) -> dict:
    return {e["name"]: e.get("value") for e in pool["env"]}


def by_name(items: list[dict]) -> dict:
    return {item["name"]: item for item in items}


def test_strimzi_names_and_one_object_per_broker_not_per_controller():
    objects = external_values()["listenerObjects"]
    services = by_name(objects["services"])
    for listener in ("external", "nodes", "route", "ingress"):
        assert f"my-cluster-kafka-{listener}-bootstrap" in services
        for node_id in (3, 4, 5):
            assert f"my-cluster-broker-{listener}-{node_id}" in services
    assert len(services) == 4 * 4
    assert not any("controller" in name for name in services)
    assert sorted(by_name(objects["routes"])) == [
        "my-cluster-broker-route-3", "my-cluster-broker-route-4", "my-cluster-broker-route-5",
        "my-cluster-kafka-route-bootstrap"]
    assert len(objects["ingresses"]) == 4


def test_service_types_and_per_type_settings():
    services = by_name(external_values()["listenerObjects"]["services"])
    lb = services["my-cluster-broker-external-5"]["spec"]
    assert lb["type"] == "LoadBalancer"
    assert lb["loadBalancerIP"] == "192.0.2.15"
    assert lb["loadBalancerSourceRanges"] == ["203.0.113.0/24"]
    assert lb["externalTrafficPolicy"] == "Local"
    assert lb["selector"] == {"strimzi.io/cluster": "my-cluster",
                              "statefulset.kubernetes.io/pod-name": "my-cluster-broker-5"}
    assert "loadBalancerIP" not in services["my-cluster-broker-external-4"]["spec"]
    assert services["my-cluster-kafka-external-bootstrap"]["annotations"] == {
        "external-dns.alpha.kubernetes.io/hostname": "kafka.example.com"}
    assert services["my-cluster-kafka-external-bootstrap"]["spec"]["selector"]["strimzi.io/broker-role"] == "true"
    node_port = services["my-cluster-broker-nodes-3"]["spec"]
    assert node_port["type"] == "NodePort" and node_port["ports"][0]["nodePort"] == 32103
    assert "nodePort" not in services["my-cluster-broker-nodes-4"]["spec"]["ports"][0]
    assert services["my-cluster-kafka-nodes-bootstrap"]["spec"]["ports"][0]["nodePort"] == 32100
    assert services["my-cluster-broker-route-3"]["spec"]["type"] == "ClusterIP"


def test_routes_and_ingresses_pass_tls_through_by_host_name():
    objects = external_values()["listenerObjects"]
    route = by_name(objects["routes"])["my-cluster-broker-route-4"]["spec"]
    assert route == {"host": "kafka-4.apps.example.com",
                     "to": {"kind": "Service", "name": "my-cluster-broker-route-4", "weight": 100},
                     "port": {"targetPort": "tcp-route"}, "tls": {"termination": "passthrough"},
                     "wildcardPolicy": "None"}
    ingress = by_name(objects["ingresses"])["my-cluster-kafka-ingress-bootstrap"]
    assert ingress["annotations"]["nginx.ingress.kubernetes.io/ssl-passthrough"] == "true"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["kafka-bootstrap.example.com"]}]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend == {"service": {"name": "my-cluster-kafka-ingress-bootstrap", "port": {"number": 9097}}}


def test_internal_services_keep_only_internal_listener_ports():
    services = external_values()["services"]
    # Replication (9091) as in Strimzi's bootstrap Service, for Kafka Exporter; then the internal listener.
    assert [p["port"] for p in services["bootstrap"]["ports"]] == [9091, 9093]
    assert [p["port"] for p in services["brokers"]["ports"]] == [9090, 9091, 9093]


def test_advertised_addresses_are_pinned_where_the_spec_knows_them():
    controller, broker = external_values()["nodePools"]
    assert controller["advertisedAddresses"] == ""
    lines = broker["advertisedAddresses"].splitlines()
    assert "5 EXTERNAL-9094 kafka-5.example.com 9094 -" in lines
    assert "3 EXTERNAL-9094 - 9094 -" in lines  # the load balancer's address: found at start-up
    assert "3 NODES-9095 - 32103 -" in lines  # the node's address: found at start-up
    assert "4 NODES-9095 - - -" in lines  # and the port Kubernetes allocates
    assert "4 ROUTE-9096 kafka-4.apps.example.com 443 -" in lines
    assert "5 INGRESS-9097 kafka-5.example.com 443 -" in lines
    env = env_of(broker)
    assert env["KAFKAC_EXTERNAL_LISTENERS"] == "EXTERNAL-9094 NODES-9095 ROUTE-9096 INGRESS-9097"
    assert env["KAFKAC_ADVERTISED_LISTENERS"] == "REPLICATION-9091:9091:svc TLS-9093:9093:svc"
    assert "KAFKAC_EXTERNAL_LISTENERS" not in env_of(controller)


def test_address_init_container_reads_only_its_own_services():
    values = external_values()
    controller, broker = values["nodePools"]
    (init,) = broker["initContainers"]
    assert init["name"] == "kafka-address"
    assert init["image"] == "registry.k8s.io/kubectl:v1.35.10"
    assert init["securityContext"]["readOnlyRootFilesystem"] is True
    # Broker 5 advertises a name of its own on EXTERNAL-9094: only 3 and 4 wait for their load balancer.
    assert env_of(init)["KAFKAC_DISCOVER"] == ("EXTERNAL-9094:loadbalancer:external:-:3,4 "
                                               "NODES-9095:nodeport:nodes:InternalIP:3,4,5")
    assert broker["podSpec"]["automountServiceAccountToken"] is True
    assert controller["initContainers"] == [] and controller["podSpec"]["automountServiceAccountToken"] is False
    assert values["addressDiscovery"]["serviceNames"] == [
        "my-cluster-broker-external-3", "my-cluster-broker-external-4",
        "my-cluster-broker-nodes-3", "my-cluster-broker-nodes-4", "my-cluster-broker-nodes-5"]
    # Node addresses need `get` on nodes: the ClusterRole rack awareness uses.
    assert values["rackAwareness"] is not None


def test_no_discovery_and_no_api_access_when_the_spec_pins_every_address(tmp_path):
    text = (EXAMPLES / "external" / "kafka.yaml").read_text()
    listeners_end = text.index("    config:")
    pinned = text[:text.index("      # Each broker advertises its load balancer")] + """\
      - name: external
        port: 9094
        type: nodeport
        tls: true
        configuration:
          brokers:
            - {broker: 3, nodePort: 32003, advertisedHost: 198.51.100.3}
            - {broker: 4, nodePort: 32004, advertisedHost: 198.51.100.4}
            - {broker: 5, nodePort: 32005, advertisedHost: "2001:db8::5"}
""" + text[listeners_end:]
    (tmp_path / "kafka.yaml").write_text(pinned)
    (tmp_path / "node-pools.yaml").write_text((EXAMPLES / "external" / "node-pools.yaml").read_text())
    model = normalize(load([tmp_path]))
    assert model.findings == []
    (chart,) = plan(model.clusters)
    values = chart.values
    broker = values["nodePools"][1]
    assert broker["initContainers"] == []
    assert broker["podSpec"]["automountServiceAccountToken"] is False
    assert values["addressDiscovery"] is None and values["rackAwareness"] is None
    assert "5 EXTERNAL-9094 2001:db8::5 32005 -" in broker["advertisedAddresses"].splitlines()
    # IPv6 in full hex groups; the Job writes it as openssl prints it (ipv6-text.awk).
    assert values["certificates"]["externalIpAddresses"] == [
        "198.51.100.3", "198.51.100.4", "2001:0db8:0000:0000:0000:0000:0000:0005"]


def test_certificate_covers_the_services_cluster_ip_brokers_advertise(tmp_path):
    text = (EXAMPLES / "quickstart" / "kafka.yaml").read_text().replace(
        "        type: internal\n        tls: false\n",
        "        type: internal\n        tls: false\n      - name: cip\n        port: 9093\n"
        "        type: cluster-ip\n        tls: true\n")
    (tmp_path / "kafka.yaml").write_text(text)
    model = normalize(load([tmp_path]))
    assert model.findings == []
    (chart,) = plan(model.clusters)
    values = chart.values
    assert values["certificates"]["dnsNames"][3:] == ["my-cluster-kafka-cip-bootstrap",
                                                      "my-cluster-dual-role-cip-0"]
    assert values["nodePools"][0]["advertisedAddresses"] == "0 CIP-9093 my-cluster-dual-role-cip-0 9093 svc\n"
    assert values["addressDiscovery"] is None


def test_certificate_covers_the_external_names_known_at_compile_time():
    certificates = external_values()["certificates"]
    assert certificates["externalDnsNames"] == [
        "kafka-3.apps.example.com", "kafka-3.example.com", "kafka-4.apps.example.com", "kafka-4.example.com",
        "kafka-5.apps.example.com", "kafka-5.example.com", "kafka-bootstrap.apps.example.com",
        "kafka-bootstrap.example.com"]
    assert certificates["externalIpAddresses"] == ["192.0.2.15"]


def test_names_of_an_ignored_brokers_entry_stay_out_of_the_certificate(tmp_path):
    text = (EXAMPLES / "quickstart" / "kafka.yaml").read_text().replace(
        "        type: internal\n        tls: false\n",
        "        type: internal\n        tls: false\n      - name: cip\n        port: 9093\n"
        "        type: cluster-ip\n        tls: true\n        configuration:\n          brokers:\n"
        "            - {broker: 0, advertisedHost: kafka-0.example.com}\n"
        "            - {broker: 7, advertisedHost: ghost.example.com}\n")
    (tmp_path / "kafka.yaml").write_text(text)
    model = normalize(load([tmp_path]))
    assert [f.rule for f in model.findings] == ["listener.unknown-broker"]
    (chart,) = plan(model.clusters)
    assert chart.values["certificates"]["externalDnsNames"] == ["kafka-0.example.com"]


def test_route_schema_is_strict_and_takes_int_or_string():
    schema = kube_schemas.kubeconform_schema({
        "type": "object",
        "properties": {
            "port": {"type": "object", "properties": {"targetPort": {"x-kubernetes-int-or-string": True,
                                                                      "anyOf": None}}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {}},
        },
        "x-kubernetes-validations": [{"rule": "self.x"}],
    })
    assert json.loads(json.dumps(schema)) == {
        "type": "object", "additionalProperties": False,
        "properties": {
            "port": {"type": "object", "additionalProperties": False,
                     "properties": {"targetPort": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}},
            "free": {"type": "object", "properties": {}},
        },
    }


@pytest.mark.tools
def test_template_syntax_in_listener_annotations_comes_out_literally_and_in_labels_is_refused(
        tmp_path, installed_tools):
    value = '{{ lookup "v1" "Secret" "kube-system" "x" }}'
    spec = (EXAMPLES / "external" / "kafka.yaml").read_text().replace(
        "external-dns.alpha.kubernetes.io/hostname: kafka.example.com",
        f"external-dns.alpha.kubernetes.io/hostname: '{value}'")
    (tmp_path / "kafka.yaml").write_text(spec)
    (tmp_path / "node-pools.yaml").write_text((EXAMPLES / "external" / "node-pools.yaml").read_text())
    chart = compile_chart(tmp_path, tmp_path / "out", kube_versions=("1.37",))
    named = {(m["kind"], m["metadata"]["name"]): m for m in manifests_of(chart)}
    service = named[("Service", "my-cluster-kafka-external-bootstrap")]
    assert service["metadata"]["annotations"]["external-dns.alpha.kubernetes.io/hostname"] == value

    # A label value has Kubernetes' syntax, which the API server would refuse this against.
    labelled = spec.replace("              host: kafka-4.apps.example.com\n",
                            f"              host: kafka-4.apps.example.com\n              labels: {{team: '{value}'}}\n")
    specs = tmp_path / "labelled"
    specs.mkdir()
    (specs / "kafka.yaml").write_text(labelled)
    (specs / "node-pools.yaml").write_text((EXAMPLES / "external" / "node-pools.yaml").read_text())
    result = compile_specs(Options((str(specs),), tmp_path / "refused", verify=False))
    (finding,) = [f for f in result.findings if f.is_error]
    assert finding.rule == "kubernetes.label-value" and finding.span.line > 0
    assert not (tmp_path / "refused").exists()


ROUTE_SPEC = """\
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: dual
  labels: {strimzi.io/cluster: my-cluster}
spec:
  replicas: 2
  roles: [controller, broker]
  storage: {type: ephemeral}
---
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata:
  name: my-cluster
  annotations: {kafkac.io/profile: dev}
spec:
  kafka:
    listeners:
      - name: external
        port: 9094
        type: route
        tls: true
        authentication: {type: tls}
"""


@pytest.mark.tools
def test_network_policy_peers_restrict_their_listener_and_the_nodes_ports_stay_the_clusters(tmp_path, installed_tools):
    text = (EXAMPLES / "quickstart" / "kafka.yaml").read_text().replace(
        "        type: internal\n        tls: false\n",
        "        type: internal\n        tls: false\n"
        "        networkPolicyPeers:\n"
        "          - podSelector: {matchLabels: {app: orders}}\n"
        "          - namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [payments]}]}\n"
        "      - name: tls\n        port: 9093\n        type: internal\n        tls: true\n", 1)
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "kafka.yaml").write_text(text)
    chart = compile_chart(tmp_path / "spec", tmp_path / "out", kube_versions=("1.37",))
    manifests = manifests_of(chart)
    (policy,) = [m for m in manifests if m["kind"] == "NetworkPolicy"]
    assert policy["metadata"]["name"] == "my-cluster-network-policy-kafka"
    spec = policy["spec"]
    assert spec["policyTypes"] == ["Ingress"]
    (statefulset,) = [m for m in manifests if m["kind"] == "StatefulSet"]
    pod_labels = statefulset["spec"]["template"]["metadata"]["labels"]
    assert spec["podSelector"]["matchLabels"].items() <= pod_labels.items()
    by_port = {rule["ports"][0]["port"]: rule.get("from") for rule in spec["ingress"]}
    kafka_pods = {"podSelector": spec["podSelector"]}
    assert by_port[9090] == [kafka_pods] and by_port[9091] == [kafka_pods]  # no Jobs, no exporter here
    assert by_port[9092] == [{"podSelector": {"matchLabels": {"app": "orders"}}},
                             {"namespaceSelector": {"matchExpressions": [
                                 {"key": "team", "operator": "In", "values": ["payments"]}]}}]
    assert by_port[9093] is None  # no peers: open, as Strimzi leaves it
    assert set(by_port) == {9090, 9091, 9092, 9093}


def test_no_network_policy_without_peers():
    assert external_values()["networkPolicy"] is None


POOLS_OF_MY_CLUSTER = """\
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: controller
  labels: {strimzi.io/cluster: my-cluster}
spec:
  replicas: 1
  roles: [controller]
  storage: {type: ephemeral}
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: broker
  labels: {strimzi.io/cluster: my-cluster}
spec:
  replicas: 3
  roles: [broker]
  storage: {type: ephemeral}
---
"""

TEMPLATED_SPEC = POOLS_OF_MY_CLUSTER + """\
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata:
  name: my-cluster
  annotations: {kafkac.io/profile: dev}
spec:
  kafka:
    listeners:
      - name: lb
        port: 9094
        type: loadbalancer
        tls: true
        configuration:
          createBootstrapService: false
          allocateLoadBalancerNodePorts: false
          finalizers: [service.kubernetes.io/load-balancer-cleanup]
          publishNotReadyAddresses: true
          advertisedHostTemplate: "broker-{nodeId}.example.com"
          advertisedPortTemplate: "9000 + {nodeId} * 2"
          perBrokerAnnotationsTemplate:
            external-dns.alpha.kubernetes.io/hostname: "broker-{nodeId}.example.com"
          perBrokerLabelsTemplate:
            pod: "{nodePodName}"
          brokers:
            - broker: 2
              advertisedHost: two.example.com
              advertisedPort: 443
              annotations: {own: "yes"}
              labels: {}
      - name: np
        port: 9095
        type: nodeport
        tls: true
        configuration:
          bootstrap:
            externalIPs: [192.0.2.1]
          brokers:
            - broker: 1
              externalIPs: [192.0.2.11]
      - name: ing
        port: 9096
        type: ingress
        tls: true
        configuration:
          class: nginx
          bootstrap:
            host: bootstrap.example.com
          hostTemplate: "{nodePodName}.kafka.example.com"
          brokers:
            - broker: 0
              host: zero.kafka.example.com
"""


def templated_values(tmp_path) -> dict:
    (tmp_path / "kafka.yaml").write_text(TEMPLATED_SPEC)
    model = normalize(load([tmp_path / "kafka.yaml"]))
    assert not [f for f in model.findings if f.is_error]
    (chart,) = plan(model.clusters)
    return chart.values


def test_broker_templates_fill_what_a_brokers_own_entry_does_not_set(tmp_path):
    values = templated_values(tmp_path)
    services = by_name(values["listenerObjects"]["services"])
    one, two = services["my-cluster-broker-lb-1"], services["my-cluster-broker-lb-2"]
    assert one["labels"] == {"pod": "my-cluster-broker-1"}
    assert one["annotations"] == {"external-dns.alpha.kubernetes.io/hostname": "broker-1.example.com"}
    # The broker's own maps replace the template's whole, even empty ones.
    assert two["annotations"] == {"own": "yes"} and two["labels"] == {}
    ingresses = {i["name"]: i["spec"]["rules"][0]["host"] for i in values["listenerObjects"]["ingresses"]}
    assert ingresses == {"my-cluster-kafka-ing-bootstrap": "bootstrap.example.com",
                         "my-cluster-broker-ing-0": "zero.kafka.example.com",
                         "my-cluster-broker-ing-1": "my-cluster-broker-1.kafka.example.com",
                         "my-cluster-broker-ing-2": "my-cluster-broker-2.kafka.example.com"}
    (broker,) = [pool for pool in values["nodePools"] if pool["advertisedAddresses"]]
    lines = broker["advertisedAddresses"].splitlines()
    assert "0 LB-9094 broker-0.example.com 9000 -" in lines
    assert "1 LB-9094 broker-1.example.com 9002 -" in lines
    assert "2 LB-9094 two.example.com 443 -" in lines
    assert "1 ING-9096 my-cluster-broker-1.kafka.example.com 443 -" in lines


def test_node_certificate_covers_templated_hosts(tmp_path):
    names = templated_values(tmp_path)["certificates"]["externalDnsNames"]
    assert names == ["bootstrap.example.com", "broker-0.example.com", "broker-1.example.com",
                     "my-cluster-broker-1.kafka.example.com", "my-cluster-broker-2.kafka.example.com",
                     "two.example.com", "zero.kafka.example.com"]


def test_load_balancer_and_node_port_service_settings(tmp_path):
    values = templated_values(tmp_path)
    services = by_name(values["listenerObjects"]["services"])
    assert "my-cluster-kafka-lb-bootstrap" not in services  # createBootstrapService: false
    assert "my-cluster-kafka-lb-bootstrap" not in values["certificates"]["addressObjects"]["services"]
    lb = services["my-cluster-broker-lb-0"]
    assert lb["finalizers"] == ["service.kubernetes.io/load-balancer-cleanup"]
    assert lb["spec"]["allocateLoadBalancerNodePorts"] is False
    assert lb["spec"]["publishNotReadyAddresses"] is True
    assert services["my-cluster-kafka-np-bootstrap"]["spec"]["externalIPs"] == ["192.0.2.1"]
    assert services["my-cluster-broker-np-1"]["spec"]["externalIPs"] == ["192.0.2.11"]
    assert "externalIPs" not in services["my-cluster-broker-np-2"]["spec"]
    assert "finalizers" not in services["my-cluster-broker-np-2"]
    assert "publishNotReadyAddresses" not in services["my-cluster-broker-np-2"]["spec"]


@pytest.mark.parametrize("formula, node_id, port", [
    ("9000", 7, 9000), ("9000 + {nodeId}", 7, 9007), ("{nodeId}*2+9000", 3, 9006),
    ("9000 - {nodeId} * 2", 3, 8994), (" 9000 ", 0, 9000),
    ("9000 +", 1, None), ("+ 1", 1, None), ("1 ++ 2", 1, None), ("{nodeid}", 1, None),
    ("9000 {nodeId}", 1, None), ("(9000)", 1, None), ("9000 / 2", 1, None),
    ("__import__('os').system('true')", 1, None), ("", 1, None), ("9" * 5000, 1, None),
    ("123456789 + 1", 1, 123456790),
])
def test_port_formula_is_read_as_data(formula, node_id, port):
    assert port_formula_value(formula, node_id) == port


@pytest.mark.tools
def test_every_listener_setting_renders_objects_kubeconform_accepts(tmp_path, installed_tools):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "kafka.yaml").write_text(TEMPLATED_SPEC)
    chart = compile_chart(tmp_path / "specs", tmp_path / "out")  # verifies: helm lint, kubeconform
    named = {(m["kind"], m["metadata"]["name"]): m for m in manifests_of(chart)}
    lb = named[("Service", "my-cluster-broker-lb-1")]
    assert lb["metadata"]["finalizers"] == ["service.kubernetes.io/load-balancer-cleanup"]
    assert lb["metadata"]["labels"]["pod"] == "my-cluster-broker-1"
    assert ("Service", "my-cluster-kafka-lb-bootstrap") not in named
    assert named[("Ingress", "my-cluster-broker-ing-2")]["spec"]["tls"] == [
        {"hosts": ["my-cluster-broker-2.kafka.example.com"]}]


TEMPLATE_SECTIONS_SPEC = """\
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: controller
  labels: {strimzi.io/cluster: my-cluster}
spec:
  replicas: 1
  roles: [controller]
  storage: {type: ephemeral}
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: blue
  labels: {strimzi.io/cluster: my-cluster}
spec:
  replicas: 1
  roles: [broker]
  storage: {type: ephemeral}
  template:
    perPodService:
      metadata:
        labels: {pool: blue}
    perPodIngress: {}
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: green
  labels: {strimzi.io/cluster: my-cluster}
spec:
  replicas: 1
  roles: [broker]
  storage: {type: ephemeral}
---
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata:
  name: my-cluster
  annotations: {kafkac.io/profile: dev}
spec:
  kafka:
    template:
      externalBootstrapService:
        metadata:
          labels: {tier: bootstrap, team: kafka}
          annotations: {example.com/from: template}
      perPodService:
        metadata:
          labels: {tier: broker}
          annotations: {example.com/from: template}
      externalBootstrapRoute:
        metadata:
          labels: {route: bootstrap}
      perPodRoute:
        metadata:
          annotations: {haproxy.router.openshift.io/timeout: 5m}
      externalBootstrapIngress:
        metadata:
          annotations: {nginx.ingress.kubernetes.io/backend-protocol: HTTPS, example.com/ingress: bootstrap}
      perPodIngress:
        metadata:
          labels: {ingress: broker}
    listeners:
      - name: lb
        port: 9094
        type: loadbalancer
        tls: true
        configuration:
          bootstrap:
            labels: {team: streaming}
          brokers:
            - broker: 2
              annotations: {example.com/from: listener}
      - name: route
        port: 9095
        type: route
        tls: true
      - name: ing
        port: 9096
        type: ingress
        tls: true
        configuration:
          bootstrap:
            host: bootstrap.example.com
          hostTemplate: "{nodePodName}.example.com"
"""


def template_sections_values(tmp_path) -> dict:
    (tmp_path / "kafka.yaml").write_text(TEMPLATE_SECTIONS_SPEC)
    model = normalize(load([tmp_path / "kafka.yaml"]))
    assert not [f for f in model.findings if f.is_error]
    (chart,) = plan(model.clusters)
    return chart.values["listenerObjects"]


def test_external_bootstrap_templates_under_the_listeners_own_metadata(tmp_path):
    objects = template_sections_values(tmp_path)
    bootstrap = by_name(objects["services"])["my-cluster-kafka-lb-bootstrap"]
    assert bootstrap["labels"] == {"tier": "bootstrap", "team": "streaming"}  # the listener's own wins
    assert bootstrap["annotations"] == {"example.com/from": "template"}
    assert by_name(objects["routes"])["my-cluster-kafka-route-bootstrap"]["labels"] == {"route": "bootstrap"}
    ingress = by_name(objects["ingresses"])["my-cluster-kafka-ing-bootstrap"]
    assert ingress["annotations"] == {"nginx.ingress.kubernetes.io/ssl-passthrough": "true",
                                      "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
                                      "example.com/ingress": "bootstrap"}


def test_a_pools_per_pod_template_replaces_the_kafkas_whole(tmp_path):
    objects = template_sections_values(tmp_path)
    services = by_name(objects["services"])
    blue, green = services["my-cluster-blue-lb-0"], services["my-cluster-green-lb-2"]
    assert blue["labels"] == {"pool": "blue"} and blue["annotations"] == {}
    assert green["labels"] == {"tier": "broker"}
    assert green["annotations"] == {"example.com/from": "listener"}
    routes = by_name(objects["routes"])
    assert routes["my-cluster-green-route-2"]["annotations"] == {"haproxy.router.openshift.io/timeout": "5m"}
    assert routes["my-cluster-blue-route-0"]["annotations"] == {"haproxy.router.openshift.io/timeout": "5m"}
    ingresses = by_name(objects["ingresses"])
    assert ingresses["my-cluster-blue-ing-0"]["labels"] == {}  # perPodIngress: {} resets the Kafka's
    assert ingresses["my-cluster-green-ing-2"]["labels"] == {"ingress": "broker"}


@pytest.mark.tools
def test_template_sections_render_objects_kubeconform_accepts(tmp_path, installed_tools):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "kafka.yaml").write_text(TEMPLATE_SECTIONS_SPEC)
    chart = compile_chart(tmp_path / "specs", tmp_path / "out")
    named = {(m["kind"], m["metadata"]["name"]): m for m in manifests_of(chart)}
    assert named[("Route", "my-cluster-kafka-route-bootstrap")]["metadata"]["labels"]["route"] == "bootstrap"
    assert named[("Service", "my-cluster-green-lb-2")]["metadata"]["labels"]["tier"] == "broker"


def test_a_route_host_from_the_template_is_known_so_no_broker_looks_it_up(tmp_path):
    spec = ROUTE_SPEC + "        configuration:\n          hostTemplate: '{nodeId}.apps.example.com'\n"
    (tmp_path / "kafka.yaml").write_text(spec)
    (chart,) = plan(normalize(load([tmp_path / "kafka.yaml"])).clusters)
    routes = by_name(chart.values["listenerObjects"]["routes"])
    assert routes["my-cluster-dual-external-1"]["spec"]["host"] == "1.apps.example.com"
    assert "host" not in routes["my-cluster-kafka-external-bootstrap"]["spec"]  # OpenShift gives it one
    assert chart.values["addressDiscovery"] is None
    assert chart.values["certificates"]["addressObjects"]["routes"] == ["my-cluster-kafka-external-bootstrap"]


def test_node_pod_name_of_a_zookeeper_clusters_brokers_is_strimzis(tmp_path):
    spec = (EXAMPLES / "zookeeper" / "kafka.yaml").read_text().replace(
        "    listeners:\n",
        "    listeners:\n"
        "      - name: ingress\n        port: 9094\n        type: ingress\n        tls: true\n"
        "        configuration:\n          bootstrap: {host: bootstrap.example.com}\n"
        "          hostTemplate: '{nodePodName}.example.com'\n", 1)
    for other in (EXAMPLES / "zookeeper").glob("*.yaml"):
        (tmp_path / other.name).write_text(other.read_text())
    (tmp_path / "kafka.yaml").write_text(spec)
    model = normalize(load([tmp_path]))
    assert not [f for f in model.findings if f.is_error], [f.message for f in model.findings if f.is_error]
    (chart,) = plan(model.clusters)
    hosts = {i["name"]: i["spec"]["rules"][0]["host"] for i in chart.values["listenerObjects"]["ingresses"]}
    name = model.clusters[0].name
    assert hosts[f"{name}-kafka-ingress-0"] == f"{name}-kafka-0.example.com"


# --- internal listeners: what brokers[] replaces, and the names the certificate adds ---------------

INTERNAL_OVERRIDES_SPEC = POOLS_OF_MY_CLUSTER + """\
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata:
  name: my-cluster
  annotations: {kafkac.io/profile: dev}
spec:
  kafka:
    listeners:
      - name: plain
        port: 9092
        type: internal
        tls: false
        configuration:
          bootstrap:
            alternativeNames: [kafka-plain.example.com]
          brokers:
            - broker: 1
              advertisedHost: kafka-1.proxy.example.com
      - name: mesh
        port: 9093
        type: internal
        tls: true
        configuration:
          useServiceDnsDomain: true
          bootstrap:
            alternativeNames: [kafka.mesh.example.com, 192.0.2.9]
          advertisedHostTemplate: "{nodePodName}.mesh.example.com"
          brokers:
            - broker: 2
              advertisedPort: 19093
      - name: tls
        port: 9094
        type: internal
        tls: true
"""


def internal_overrides_values(tmp_path) -> dict:
    (tmp_path / "kafka.yaml").write_text(INTERNAL_OVERRIDES_SPEC)
    model = normalize(load([tmp_path / "kafka.yaml"]))
    assert model.findings == []
    (chart,) = plan(model.clusters)
    return chart.values


def test_brokers_entries_replace_what_a_broker_advertises_on_an_internal_listener(tmp_path):
    values = internal_overrides_values(tmp_path)
    pools = by_name(values["nodePools"])
    broker, controller = pools["broker"], pools["controller"]
    assert broker["advertisedAddresses"].splitlines() == [
        # the other brokers keep their pod's name in the headless Service, as Strimzi advertises it
        "0 PLAIN-9092 my-cluster-broker-0.my-cluster-kafka-brokers 9092 svc",
        "0 MESH-9093 my-cluster-broker-0.mesh.example.com 9093 -",
        "1 PLAIN-9092 kafka-1.proxy.example.com 9092 -",
        "1 MESH-9093 my-cluster-broker-1.mesh.example.com 9093 -",
        "2 PLAIN-9092 my-cluster-broker-2.my-cluster-kafka-brokers 9092 svc",
        "2 MESH-9093 my-cluster-broker-2.mesh.example.com 19093 -"]
    env = env_of(broker)
    assert env["KAFKAC_EXTERNAL_LISTENERS"] == "PLAIN-9092 MESH-9093"
    assert env["KAFKAC_ADVERTISED_LISTENERS"] == "REPLICATION-9091:9091:svc TLS-9094:9094:svc"
    assert "KAFKAC_DISCOVERED_ADDRESSES_FILE" not in env
    assert controller["advertisedAddresses"] == "" and "KAFKAC_EXTERNAL_LISTENERS" not in env_of(controller)
    # Every address is known: nothing to look up, no Services or Role.
    assert broker["initContainers"] == [] and values["addressDiscovery"] is None
    assert values["listenerObjects"] == {"services": [], "routes": [], "ingresses": []}


def test_node_certificate_covers_an_internal_listeners_alternative_names_and_tls_advertised_hosts(tmp_path):
    certificates = internal_overrides_values(tmp_path)["certificates"]
    # As Strimzi: alternative names of every listener; advertised hosts of TLS listeners only,
    # so not kafka-1.proxy.example.com of the plain listener.
    assert certificates["externalDnsNames"] == [
        "kafka-plain.example.com", "kafka.mesh.example.com", "my-cluster-broker-0.mesh.example.com",
        "my-cluster-broker-1.mesh.example.com", "my-cluster-broker-2.mesh.example.com"]
    assert certificates["externalIpAddresses"] == ["192.0.2.9"]


def run_start_script(statefulset: dict, config_map: dict, pod_name: str, tmp_path: Path) -> list[str]:
    """The chart's kafka-run.sh under dash, for `pod_name` with the pool's rendered env and ConfigMap
    and a stand-in Kafka: the lines it adds to server.properties."""
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    config, certs, home = tmp_path / "config", tmp_path / "node-certs", tmp_path / "kafka"
    for folder in (config, certs, home / "bin"):
        folder.mkdir(parents=True)
    for key, text in config_map["data"].items():
        (config / key).write_text(text)
    (certs / "node.password").write_text("s3cret")
    for tool, body in (("kafka-server-start.sh", 'cat "$1"\n'), ("kafka-storage.sh", "true\n")):
        (home / "bin" / tool).write_text("#!/bin/sh\n" + body)
        (home / "bin" / tool).chmod(0o755)
    scripts = ROOT / "charts" / "kafka" / "files"
    env.update(PATH="/usr/local/bin:/usr/bin:/bin", POD_NAME=pod_name, POD_NAMESPACE="kafka",
               KAFKA_HOME=str(home), KAFKAC_CONFIG_DIR=str(config), KAFKAC_NODE_CERTS_DIR=str(certs),
               KAFKAC_PINNED_ADDRESSES_FILE=str(config / "advertised-addresses"),
               KAFKAC_WORK_DIR=str(tmp_path / "work"), KAFKAC_LOG_DIRS=str(tmp_path / "data"),
               KAFKAC_METADATA_LOG_DIR="")
    done = subprocess.run(["dash", str(scripts / "kafka-run.sh")], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.split(f"# Added by kafka-run.sh for pod {pod_name}\n")[1].splitlines()


@pytest.mark.tools
def test_the_rendered_chart_advertises_the_override_on_the_internal_listener(tmp_path, installed_tools):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "kafka.yaml").write_text(INTERNAL_OVERRIDES_SPEC)
    chart = compile_chart(tmp_path / "specs", tmp_path / "out", kube_versions=("1.37",))
    named = {(m["kind"], m["metadata"]["name"]): m for m in manifests_of(chart)}
    statefulset = named[("StatefulSet", "my-cluster-broker")]
    config_map = named[("ConfigMap", "my-cluster-broker-config")]
    pod = "my-cluster-broker-{}.my-cluster-kafka-brokers.kafka.svc"
    advertised = {node_id: next(line for line in run_start_script(
        statefulset, config_map, f"my-cluster-broker-{node_id}", tmp_path / str(node_id))
        if line.startswith("advertised.listeners=")) for node_id in (0, 1, 2)}
    assert advertised[1] == "advertised.listeners=" + ",".join([
        f"REPLICATION-9091://{pod.format(1)}:9091", f"TLS-9094://{pod.format(1)}:9094",
        "PLAIN-9092://kafka-1.proxy.example.com:9092", "MESH-9093://my-cluster-broker-1.mesh.example.com:9093"])
    assert advertised[2] == "advertised.listeners=" + ",".join([
        f"REPLICATION-9091://{pod.format(2)}:9091", f"TLS-9094://{pod.format(2)}:9094",
        f"PLAIN-9092://{pod.format(2)}:9092", "MESH-9093://my-cluster-broker-2.mesh.example.com:19093"])
    assert f"PLAIN-9092://{pod.format(0)}:9092" in advertised[0]
    # The names the certificates Job issues the node certificate for.
    job = named[("Job", "my-cluster-kafka-certificates")]
    (issue,) = [c for c in job["spec"]["template"]["spec"]["initContainers"] if c["name"] == "issue"]
    issue_env = {e["name"]: e.get("value") for e in issue["env"]}
    assert issue_env["KAFKAC_EXTERNAL_DNS_NAMES"].split() == [
        "kafka-plain.example.com", "kafka.mesh.example.com", "my-cluster-broker-0.mesh.example.com",
        "my-cluster-broker-1.mesh.example.com", "my-cluster-broker-2.mesh.example.com"]
    assert issue_env["KAFKAC_EXTERNAL_IP_ADDRESSES"] == "192.0.2.9"
