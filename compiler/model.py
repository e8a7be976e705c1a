"""The typed model that normalize builds and plan reads.

Every value here has its defaults applied and its references resolved; each
object keeps the document it came from so later stages can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .load import Document

SUPPORTED_KAFKA_VERSIONS = ("4.1.0", "4.1.1", "4.2.0", "4.2.1", "4.3.0", "4.3.1")
DEFAULT_KAFKA_VERSION = "4.3.1"
DEFAULT_IMAGE_REPOSITORY = "apache/kafka"


@dataclass(frozen=True)
class CertSecret:
    """A Secret the user provides that holds a listener's certificate chain and key (PEM)."""

    secret_name: str
    certificate: str
    key: str


@dataclass(frozen=True)
class Listener:
    name: str
    port: int
    type: str
    tls: bool
    cert_secret: CertSecret | None = None
    use_service_dns_domain: bool = False

    @property
    def identifier(self) -> str:
        """Kafka's listener name, as Strimzi spells it: `PLAIN-9092`."""
        return f"{self.name.upper()}-{self.port}"


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
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)

    @property
    def controllers(self) -> tuple[NodePool, ...]:
        return tuple(p for p in self.pools if p.is_controller)

    @property
    def brokers(self) -> tuple[NodePool, ...]:
        return tuple(p for p in self.pools if p.is_broker)


@dataclass
class Model:
    clusters: list[Cluster]
    findings: list
