"""The typed model that normalize builds and plan reads.

Every value here has its defaults applied and its references resolved; each
object keeps the document it came from so later stages can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .document import Document

# Every release Strimzi's kafka-versions.yaml lists for the minors kafkac supports: KRaft
# from 3.7 (the first release with an apache/kafka image) to the newest.
SUPPORTED_KAFKA_VERSIONS = ("3.7.0", "3.7.1", "3.8.0", "3.8.1", "3.9.0", "3.9.1", "4.0.0", "4.0.1",
                            "4.1.0", "4.1.1", "4.1.2", "4.2.0", "4.2.1", "4.3.0", "4.3.1")
DEFAULT_KAFKA_VERSION = "4.3.1"


def kafka_minor(version: str) -> tuple[int, int]:
    """(major, minor) of a Kafka version: "3.9.1" -> (3, 9)."""
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


DEFAULT_IMAGE_REPOSITORY = "apache/kafka"
# Strimzi's operator image carries the init container that reads a node's
# topology label for rack awareness (it writes /opt/kafka/init/rack.id).
DEFAULT_RACK_INIT_IMAGE = "quay.io/strimzi/operator:1.2.0"
# The certificates Job reads and writes Secrets with the official kubectl image
# (Debian-based, with bash, jq and coreutils since Kubernetes 1.28).
DEFAULT_KUBECTL_IMAGE = "registry.k8s.io/kubectl:v1.35.10"
# Strimzi's Kafka image has what the apache/kafka image lacks: the Prometheus JMX
# exporter agent in its libs folder, and openssl, with which the certificates and
# users Jobs make every key, certificate and key store.
STRIMZI_KAFKA_IMAGE = "quay.io/strimzi/kafka:0.48.0-kafka-4.1.0"
# Kafka Exporter's own image (a static binary on busybox), as published by its author.
DEFAULT_KAFKA_EXPORTER_IMAGE = "danielqsj/kafka-exporter:v1.9.0"
# Strimzi's defaults for spec.clusterCa (CertificateAuthority.java).
DEFAULT_CA_VALIDITY_DAYS = 365
DEFAULT_CA_RENEWAL_DAYS = 30


@dataclass(frozen=True)
class CertSecret:
    """A Secret the user provides that holds a listener's certificate chain and key (PEM)."""

    secret_name: str
    certificate: str
    key: str


@dataclass(frozen=True)
class CertManager:
    """A CA's `certManager` (type cert-manager.io): the issuer of its certificates and the Secret
    key holding the CA certificates to trust."""

    issuer_name: str
    issuer_kind: str
    issuer_group: str
    ca_cert_secret: str
    ca_cert_key: str


@dataclass(frozen=True)
class ClusterCa:
    """spec.clusterCa or spec.clientsCa: a CA that kafkac generates in the cluster (or, with `generate`
    false, one the user provides, or with `cert_manager` one whose certificates cert-manager issues),
    and its certificates' lifetimes."""

    validity_days: int = DEFAULT_CA_VALIDITY_DAYS
    renewal_days: int = DEFAULT_CA_RENEWAL_DAYS
    generate: bool = True
    cert_manager: CertManager | None = None


@dataclass(frozen=True)
class ListenerBootstrap:
    """A listener's `configuration.bootstrap`: its bootstrap Service, Route or Ingress, and the
    alternative names the node certificate covers (on every type)."""

    host: str | None = None
    node_port: int | None = None
    load_balancer_ip: str | None = None
    alternative_names: tuple[str, ...] = ()
    annotations: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    external_ips: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListenerBroker:
    """One entry of a listener's `configuration.brokers`, for the broker with node id `broker`."""

    broker: int
    advertised_host: str | None = None
    advertised_port: int | None = None
    host: str | None = None
    node_port: int | None = None
    load_balancer_ip: str | None = None
    annotations: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    external_ips: tuple[str, ...] = ()
    # Which of annotations and labels the entry writes, empty or not: a written map, even
    # `{}`, replaces what the listener's per-broker template gives, as in Strimzi.
    written_metadata: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ListenerBrokerTemplates:
    """A listener's per-broker templates (`hostTemplate`, ...), with `{nodeId}` and `{nodePodName}`:
    what they give fills, for each broker, what its own `brokers[]` entry does not set."""

    host: str | None = None
    advertised_host: str | None = None
    advertised_port: str | None = None
    annotations: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Listener:
    name: str
    port: int
    type: str
    tls: bool
    cert_secret: CertSecret | None = None
    use_service_dns_domain: bool = False
    # `bootstrap.alternativeNames` and the brokers' advertised addresses apply to every type; the
    # other settings below, to listeners with Services, Routes or Ingresses of their own (not "internal").
    bootstrap: ListenerBootstrap = field(default_factory=ListenerBootstrap)
    brokers: tuple[ListenerBroker, ...] = ()
    broker_templates: ListenerBrokerTemplates = field(default_factory=ListenerBrokerTemplates)
    service_class: str | None = None  # ingress class or load balancer class
    external_traffic_policy: str | None = None
    load_balancer_source_ranges: tuple[str, ...] = ()
    preferred_node_port_address_type: str | None = None
    ip_family_policy: str | None = None
    ip_families: tuple[str, ...] = ()
    max_connections: int | None = None
    max_connection_creation_rate: int | None = None
    create_bootstrap_service: bool = True  # False only on "loadbalancer" listeners
    publish_not_ready_addresses: bool | None = None
    allocate_load_balancer_node_ports: bool | None = None
    finalizers: tuple[str, ...] = ()
    # Kubernetes NetworkPolicyPeers that may reach the listener's port; () is everyone.
    network_policy_peers: tuple[dict, ...] = ()

    @property
    def has_own_services(self) -> bool:
        """Whether the listener has a bootstrap Service and a Service per broker of its own."""
        return self.type != "internal"

    def broker(self, node_id: int) -> ListenerBroker:
        return next((b for b in self.brokers if b.broker == node_id), ListenerBroker(node_id))
    authentication: str | None = None  # "tls", "scram-sha-512" or None

    @property
    def security_protocol(self) -> str:
        """Kafka's security protocol for the listener: TLS or not, SASL or not."""
        if self.authentication == "scram-sha-512":
            return "SASL_SSL" if self.tls else "SASL_PLAINTEXT"
        return "SSL" if self.tls else "PLAINTEXT"

    @property
    def identifier(self) -> str:
        """Kafka's listener name, as Strimzi spells it: `PLAIN-9092`."""
        return f"{self.name.upper()}-{self.port}"


@dataclass(frozen=True)
class Authorization:
    """spec.kafka.authorization (type simple): Kafka's ACL authorizer and the super users' principals."""

    super_users: tuple[str, ...] = ()


@dataclass(frozen=True)
class Volume:
    type: str  # "ephemeral" or "persistent-claim"
    id: int | None = None
    size: str | None = None
    size_limit: str | None = None
    storage_class: str | None = None
    selector: dict = field(default_factory=dict)
    delete_claim: bool = False
    kraft_metadata: bool = False

    @property
    def name(self) -> str:
        """Volume and PVC-template name, as Strimzi names them: `data` or `data-<id>`."""
        return "data" if self.id is None else f"data-{self.id}"

    @property
    def mount_path(self) -> str:
        return "/var/lib/kafka/data" if self.id is None else f"/var/lib/kafka/data-{self.id}"


@dataclass(frozen=True)
class JvmOptions:
    """spec.kafka.jvmOptions or a pool's own, which replaces it whole (as in Strimzi)."""

    xms: str | None = None
    xmx: str | None = None
    xx: dict = field(default_factory=dict)
    gc_logging: bool = False
    system_properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PodTemplate:
    """A pool's `template` over the Kafka's, section by section: a section the pool sets wins whole."""

    pod: dict = field(default_factory=dict)
    pod_set: dict = field(default_factory=dict)
    persistent_volume_claim: dict = field(default_factory=dict)
    kafka_container: dict = field(default_factory=dict)
    init_container: dict = field(default_factory=dict)
    # Each broker's own Service, Route and Ingress of listeners that are not "internal".
    per_pod_service: dict = field(default_factory=dict)
    per_pod_route: dict = field(default_factory=dict)
    per_pod_ingress: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rack:
    """Where each broker's `broker.rack` comes from."""

    type: str  # "topology-label" or "environment-variable"
    topology_key: str | None = None
    env_var_name: str | None = None
    init_image: str = ""


@dataclass(frozen=True)
class Logging:
    """log4j2 configuration: Kafka's defaults, inline logger levels, or a user's file."""

    type: str = "default"  # "default", "inline" or "external"
    loggers: dict = field(default_factory=dict)
    external_content: str | None = None


JMX_PROMETHEUS_EXPORTER = "jmxPrometheusExporter"
STRIMZI_METRICS_REPORTER = "strimziMetricsReporter"
# KafkaCluster.DEFAULT_METRICS_ALLOW_LIST of Strimzi's operator: what the reporter
# serves when metricsConfig.values.allowList is not given.
DEFAULT_METRICS_ALLOW_LIST = (
    "kafka_cluster_partition.*",
    "kafka_controller_kafkacontroller.*",
    "kafka_controller_controllerstats_uncleanleaderelectionspersec_total",
    "kafka_log_log_size",
    "kafka_network_requestmetrics.*",
    "kafka_network_socketserver_networkprocessoravgidlepercent",
    "kafka_server_app_info.*",
    "kafka_server_brokertopicmetrics.*",
    "kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent_total",
    "kafka_server_kafkaserver_brokerstate",
    "kafka_server_kafkaserver_clusterid_info",
    "kafka_server_kafkaserver_linux.*",
    "kafka_server_raft.*",
    "kafka_server_replicamanager.*",
    "kafka_server_request_queue_size",
    "kafka_server_socket_server.*",
)


@dataclass(frozen=True)
class Metrics:
    """spec.kafka.metricsConfig: the JMX exporter's configuration file (jmxPrometheusExporter),
    or the names Strimzi's metrics reporter lets through (strimziMetricsReporter)."""

    type: str  # JMX_PROMETHEUS_EXPORTER or STRIMZI_METRICS_REPORTER
    exporter_config: str | None = None
    allow_list: tuple[str, ...] = ()

    @property
    def is_reporter(self) -> bool:
        return self.type == STRIMZI_METRICS_REPORTER


@dataclass(frozen=True)
class Jmx:
    """spec.kafka.jmxOptions: JMX remote on every Kafka node's JVM, as Strimzi opens it."""

    # authentication type password: the user of Secret <cluster>-kafka-jmx, with readonly access.
    password: bool = False
    secret_template: dict = field(default_factory=dict)  # spec.kafka.template.jmxSecret


@dataclass(frozen=True)
class KafkaExporter:
    """spec.kafkaExporter. It connects to the replication listener with a certificate of its own."""

    image: str = DEFAULT_KAFKA_EXPORTER_IMAGE
    topic_regex: str = ".*"
    group_regex: str = ".*"
    topic_exclude_regex: str | None = None
    group_exclude_regex: str | None = None
    resources: dict = field(default_factory=dict)
    logging: str = "info"
    enable_sarama_logging: bool = False
    show_all_offsets: bool = True
    liveness_probe: dict = field(default_factory=dict)
    readiness_probe: dict = field(default_factory=dict)
    template: dict = field(default_factory=dict)


@dataclass(frozen=True)
class NodePool:
    name: str
    roles: tuple[str, ...]
    replicas: int
    first_node_id: int
    storage_type: str
    volumes: tuple[Volume, ...]
    resources: dict
    labels: dict
    annotations: dict
    document: Document
    jvm_options: JvmOptions = field(default_factory=JvmOptions)
    template: PodTemplate = field(default_factory=PodTemplate)

    @property
    def node_ids(self) -> range:
        return range(self.first_node_id, self.first_node_id + self.replicas)

    @property
    def is_controller(self) -> bool:
        return "controller" in self.roles

    @property
    def is_broker(self) -> bool:
        return "broker" in self.roles


@dataclass(frozen=True)
class ZooKeeper:
    """spec.zookeeper: the ensemble of a Kafka 3.x cluster whose brokers are not in KRaft mode."""

    replicas: int
    volume: Volume
    image: str
    config: dict
    resources: dict
    jvm_options: JvmOptions
    logging: Logging
    metrics: Metrics | None
    liveness_probe: dict
    readiness_probe: dict
    # template sections by Strimzi's names (pod, podSet, zookeeperContainer, clientService, ...)
    template: dict
    document: Document


@dataclass(frozen=True)
class Topic:
    """A KafkaTopic the cluster's topics Job manages, with its defaults applied.

    `config` maps each topic option to its value in the text form Kafka
    stores and describes back (booleans in lower case, whole numbers without
    sign or padding, lists without blanks around commas), in the order written.
    """

    name: str  # the topic's name in Kafka (spec.topicName, else metadata.name)
    resource_name: str  # metadata.name of the KafkaTopic
    partitions: int
    replicas: int
    config: dict
    document: Document


@dataclass(frozen=True)
class Acl:
    """One ACL entry of a user, in Kafka's names (TOPIC, PREFIXED, READ, ALLOW)."""

    resource_type: str
    pattern_type: str
    resource_name: str
    operation: str
    host: str
    permission: str


@dataclass(frozen=True)
class User:
    """A KafkaUser the cluster's users Job manages, with its defaults applied."""

    name: str
    secret_name: str  # of the user's Secret: <the Kafka's userOperator.secretPrefix><name>
    authentication: str | None  # "tls", "tls-external", "scram-sha-512" or None
    password_secret: tuple[str, str] | None  # (Secret, key) of a given SCRAM password
    validity_days: int  # of a TLS user's certificate
    renewal_days: int
    acls: tuple[Acl, ...]
    quotas: dict  # Kafka's quota key -> number
    secret_labels: dict
    secret_annotations: dict
    document: Document

    @property
    def principal(self) -> str:
        """Kafka's principal: the certificate subject for TLS users, else the user name."""
        return f"User:{self.quota_entity}"

    @property
    def quota_entity(self) -> str:
        return f"CN={self.name}" if self.authentication in ("tls", "tls-external") else self.name

    @property
    def has_secret(self) -> bool:
        return self.authentication in ("tls", "scram-sha-512")


@dataclass(frozen=True)
class Rebalance:
    """A KafkaRebalance: partitions the chart's rebalance Job moves at the next install or upgrade."""

    name: str
    mode: str  # "full", "add-brokers" or "remove-brokers"
    brokers: tuple[int, ...]  # the brokers added or removed; () with "full"
    approved: bool  # executed; otherwise the Job only prints the proposal
    throttle: int | None  # bytes per second of replication while moving; None: the chart's default
    excluded_topics: str | None  # a regular expression of topics left where they are
    document: Document


@dataclass(frozen=True)
class Cluster:
    name: str
    namespace: str | None
    kafka_version: str
    metadata_version: str | None
    image: str
    listeners: tuple[Listener, ...]
    config: dict
    pools: tuple[NodePool, ...]
    manage_topics: bool
    manage_users: bool
    document: Document
    # userOperator.secretPrefix: a user's Secret is named <prefix><user name>.
    user_secret_prefix: str = ""
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    rack: Rack | None = None
    cluster_ca: ClusterCa = field(default_factory=ClusterCa)
    clients_ca: ClusterCa = field(default_factory=ClusterCa)
    authorization: Authorization | None = None
    logging: Logging = field(default_factory=Logging)
    # The JMX exporter or Strimzi's metrics reporter in every node; None: no metrics endpoint.
    metrics: Metrics | None = None
    kafka_exporter: KafkaExporter | None = None
    jmx: Jmx | None = None
    # Annotation kafkac.io/prometheus-operator: "true": PodMonitors, alerts and dashboards.
    prometheus_operator: bool = False
    liveness_probe: dict = field(default_factory=dict)
    readiness_probe: dict = field(default_factory=dict)
    # Kafka-level `template` sections that are not per pool.
    bootstrap_service_template: dict = field(default_factory=dict)
    brokers_service_template: dict = field(default_factory=dict)
    pod_disruption_budget_template: dict = field(default_factory=dict)
    service_account_template: dict = field(default_factory=dict)
    cluster_role_binding_template: dict = field(default_factory=dict)
    # The bootstrap Service, Route and Ingress of listeners that are not "internal".
    external_bootstrap_service_template: dict = field(default_factory=dict)
    external_bootstrap_route_template: dict = field(default_factory=dict)
    external_bootstrap_ingress_template: dict = field(default_factory=dict)
    # The KafkaTopics the topics Job manages (spec.entityOperator.topicOperator).
    topics: tuple[Topic, ...] = ()
    # The KafkaUsers the users Job manages (spec.entityOperator.userOperator).
    users: tuple[User, ...] = ()
    # spec.zookeeper: the brokers keep their metadata in ZooKeeper, not in a KRaft quorum.
    zookeeper: ZooKeeper | None = None
    # The KafkaRebalances of this cluster, by name.
    rebalances: tuple[Rebalance, ...] = ()
    # Annotation kafkac.io/controller-quorum: "static" (controller.quorum.voters) or "dynamic".
    controller_quorum: str = "static"
    # The step of the migration from ZooKeeper to KRaft controllers (strimzi.io/kraft) of a Kafka
    # 3.x cluster with spec.zookeeper and a controller pool: "disabled" (the pool not deployed yet),
    # "migration", "rollback" or "enabled" (the brokers and controllers leave ZooKeeper). None: no
    # migration (ZooKeeper without a controller pool, or KRaft from the start).
    kraft_migration: str | None = None

    @property
    def controllers(self) -> tuple[NodePool, ...]:
        return tuple(p for p in self.pools if p.is_controller)

    @property
    def brokers_in_zookeeper(self) -> bool:
        """The brokers register in ZooKeeper (broker.id); at the migration's step "enabled" the
        ensemble still runs for the controllers that leave it last, and the brokers are in KRaft mode."""
        return self.zookeeper is not None and self.kraft_migration != "enabled"

    @property
    def brokers(self) -> tuple[NodePool, ...]:
        return tuple(p for p in self.pools if p.is_broker)


@dataclass
class Model:
    clusters: list[Cluster]
    findings: list
    # Every input document, for what the typed model does not cover yet (the
    # check stage reads KafkaTopic resources from here).
    documents: list[Document] = field(default_factory=list)
    # The KafkaConnects and KafkaMirrorMaker2s (model_connect.Connect), each compiled to a chart of its own.
    connects: list = field(default_factory=list)
