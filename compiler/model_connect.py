"""The typed model of Kafka Connect: a KafkaConnect with its defaults applied, its build and
the KafkaConnectors it runs. normalize_connect builds it; plan/connect reads it.

A KafkaMirrorMaker2 is the same model (normalize_mirror_maker2 builds it): a Connect whose
workers connect to the target cluster, whose connectors come from its mirrors, and whose
`clusters` name every cluster those connectors reach."""

from __future__ import annotations

from dataclasses import dataclass, field

from .document import Document
from .model import JvmOptions, Logging, Metrics, Rack

CONNECT_REST_PORT = 8083  # Strimzi's port of the REST API, on <name>-connect-api
# Maven Central's layout, where a `maven` artifact without `repository` is fetched from.
MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
USE_CONNECTOR_RESOURCES = "strimzi.io/use-connector-resources"


@dataclass(frozen=True)
class TrustedCertificate:
    """One entry of tls.trustedCertificates: a Secret and the key (or pattern of keys) of PEM
    certificates the worker trusts."""

    secret_name: str
    certificate: str | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class ConnectAuthentication:
    """spec.authentication: TLS client certificate, or SASL SCRAM or PLAIN with a password that
    stays in its Secret."""

    type: str  # "tls", "scram-sha-256", "scram-sha-512" or "plain"
    username: str | None = None
    password_secret: tuple[str, str] | None = None  # (Secret, key)
    certificate_secret: tuple[str, str, str] | None = None  # (Secret, certificate key, key key)

    @property
    def sasl_mechanism(self) -> str | None:
        return {"scram-sha-256": "SCRAM-SHA-256", "scram-sha-512": "SCRAM-SHA-512",
                "plain": "PLAIN"}.get(self.type)


@dataclass(frozen=True)
class ClusterConnection:
    """A Kafka cluster that connectors reach on their own (MirrorMaker 2's source and target
    clusters): its alias, address and security, and its client options."""

    alias: str
    bootstrap_servers: str
    tls: bool = False
    trusted_certificates: tuple[TrustedCertificate, ...] = ()
    authentication: ConnectAuthentication | None = None
    config: dict = field(default_factory=dict)  # option -> text, given to connectors under the cluster's prefix


@dataclass(frozen=True)
class Artifact:
    """One artifact of a plugin, resolved to the URL it is fetched from."""

    type: str  # "jar", "tgz", "zip", "maven" or "other"
    url: str
    file_name: str  # the name it is saved under in the plugin's folder
    sha512sum: str | None = None


@dataclass(frozen=True)
class Plugin:
    name: str
    artifacts: tuple[Artifact, ...]


@dataclass(frozen=True)
class ConnectBuild:
    """spec.build: the image to build on the Connect image, and where it goes."""

    output_type: str  # "docker" or "imagestream"
    image: str
    plugins: tuple[Plugin, ...]
    push_secret: str | None = None
    resources: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Connector:
    """A KafkaConnector the connectors Job applies through the REST API."""

    name: str
    class_name: str | None
    tasks_max: int | None
    config: dict  # option -> text, as the REST API takes it
    state: str  # "running", "paused" or "stopped"
    auto_restart: bool
    max_restarts: int | None
    document: Document
    # (option prefix, cluster alias): the chart writes the connection to that cluster of
    # Connect.clusters under the prefix, as `source.cluster.bootstrap.servers`, ...
    clusters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Connect:
    name: str
    namespace: str | None
    kafka_version: str
    image: str
    replicas: int
    bootstrap_servers: str
    # The worker's own options (group id, internal topics, converters, user options), as text.
    config: dict
    document: Document
    tls: bool = False  # spec.tls is given: the worker connects over TLS
    trusted_certificates: tuple[TrustedCertificate, ...] = ()
    authentication: ConnectAuthentication | None = None
    resources: dict = field(default_factory=dict)
    jvm_options: JvmOptions = field(default_factory=JvmOptions)
    logging: Logging = field(default_factory=Logging)
    metrics: Metrics | None = None
    rack: Rack | None = None
    liveness_probe: dict = field(default_factory=dict)
    readiness_probe: dict = field(default_factory=dict)
    template: dict = field(default_factory=dict)  # section name -> section, as written
    build: ConnectBuild | None = None
    use_connector_resources: bool = False
    connectors: tuple[Connector, ...] = ()
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    # The Kafka of the same input that bootstrapServers names, if any.
    kafka_cluster: str | None = None
    kind: str = "KafkaConnect"  # the resource: "KafkaConnect" or "KafkaMirrorMaker2"
    # The clusters the connectors reach (MirrorMaker 2): the one of `target_alias` is the
    # workers' own, whose Secrets are the worker's; the others' Secrets are mounted by alias.
    clusters: tuple[ClusterConnection, ...] = ()
    target_alias: str | None = None

    @property
    def mounts_api_token(self) -> bool:
        """Whether the workers' pods mount a ServiceAccount token: only for the rack init container,
        which reads its node's label from the Kubernetes API."""
        return self.rack is not None and self.rack.type == "topology-label"

    @property
    def remote_clusters(self) -> tuple[ClusterConnection, ...]:
        return tuple(c for c in self.clusters if c.alias != self.target_alias)

    @property
    def group_id(self) -> str:
        return self.config["group.id"]
