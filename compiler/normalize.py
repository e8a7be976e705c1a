"""Stage 3: group resources into clusters, apply defaults, build the typed model.

Runs on documents that passed schema validation, so shapes and types are
known to be right here; what is checked here is what a schema cannot see:
references between resources, uniqueness, node-id ranges, the broker
options Strimzi reserves for itself, and the other broker options against
the definitions of the chosen Kafka version (kafka_configs).
"""

from __future__ import annotations

import re

from .cluster_members import member_of, namespace_of
from .findings import Finding, UniqueItems, defined_twice, error, info
from .kafka_configs import check_config
from .document import Document, Documents
from .model import (SUPPORTED_KAFKA_VERSIONS, DEFAULT_CA_RENEWAL_DAYS, DEFAULT_CA_VALIDITY_DAYS, DEFAULT_IMAGE_REPOSITORY,
                    DEFAULT_KAFKA_EXPORTER_IMAGE, DEFAULT_KAFKA_VERSION, DEFAULT_RACK_INIT_IMAGE,
                    Authorization, CertManager, CertSecret, Cluster, ClusterCa, Jmx, KafkaExporter, Listener, Logging,
                    Metrics, Model, Rack, ZooKeeper, kafka_minor)
from .config_map_settings import config_map_value, log_configuration, metrics_config
from .normalize_listeners import (apply_broker_templates, check_listener_brokers, check_listener_fields,
                                  check_object_names, listener_settings)
from .normalize_pools import node_pools
from .normalize_quorum import controller_quorum
from .normalize_rebalance import attach_rebalances
from .normalize_zookeeper import (DEFAULT_ZOOKEEPER_KAFKA_VERSION, in_zookeeper_mode, kraft_migration,
                                  migration_ends, zookeeper)
from .topics import attach_topics
from .users import attach_users

PROMETHEUS_OPERATOR_ANNOTATION = "kafkac.io/prometheus-operator"

# Options Strimzi sets itself from other fields; a user value would be silently
# wrong, so they are refused (Strimzi drops them with a log line instead).
FORBIDDEN_CONFIG_PREFIXES = (
    "listeners", "advertised.", "broker.", "listener.", "host.name", "port",
    "inter.broker.listener.name", "sasl.", "ssl.", "security.", "password.", "log.dir",
    "zookeeper.connect", "zookeeper.set.acl", "zookeeper.ssl", "zookeeper.clientCnxnSocket",
    "authorizer.", "super.user", "cruise.control.metrics.topic",
    "cruise.control.metrics.reporter.bootstrap.servers", "node.id", "process.roles",
    "controller.", "metadata.log.dir", "zookeeper.metadata.migration.enable",
    "client.quota.callback.static.kafka.admin.", "client.quota.callback.static.produce",
    "client.quota.callback.static.fetch",
    "client.quota.callback.static.storage.per.volume.limit.min.available.",
    "client.quota.callback.static.excluded.principal.name.list", "prometheus.metrics.reporter.",
    "cordoned.log.dirs", "config.providers",
    # It decides what principal a client gets, and so what the ACLs and super users mean.
    "principal.builder.class",
)
FORBIDDEN_CONFIG_EXCEPTIONS = frozenset({
    "zookeeper.connection.timeout.ms", "sasl.server.max.receive.size", "ssl.cipher.suites",
    "ssl.protocol", "ssl.enabled.protocols", "ssl.secure.random.implementation",
    "cruise.control.metrics.topic.num.partitions",
    "cruise.control.metrics.topic.replication.factor",
    "cruise.control.metrics.topic.retention.ms",
    "cruise.control.metrics.topic.auto.create.retries",
    "cruise.control.metrics.topic.auto.create.timeout.ms",
    "cruise.control.metrics.topic.min.insync.replicas",
    "broker.session.timeout.ms", "broker.heartbeat.interval.ms", "controller.socket.timeout.ms",
    "controller.quorum.election.backoff.max.ms", "controller.quorum.election.timeout.ms",
    "controller.quorum.fetch.timeout.ms",
})
# Options StandardAuthorizer reads, which are not among Kafka's broker options.
AUTHORIZER_OPTIONS = frozenset({"allow.everyone.if.no.acl.found"})
PER_LISTENER_CONFIG_SUFFIXES = ("connections.max.reauth.ms", "max.connections",
                                "max.connection.creation.rate")
LOG_LEVELS = ("ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF")
_LOGGER_NAME_KEY = re.compile(r"^logger\.[^.]+\.name$")


def normalize(documents: Documents) -> Model:
    findings: list[Finding] = []
    kafkas = [d for d in documents.documents if d.kind == "Kafka"]
    pools = [d for d in documents.documents if d.kind == "KafkaNodePool"]

    by_key: dict[tuple[str | None, str], Document] = {}
    for doc in kafkas:
        key = (namespace_of(doc), doc.name)
        if key in by_key:
            findings.append(defined_twice("cluster.duplicate", doc, by_key[key]))
            continue
        by_key[key] = doc

    pools_by_cluster: dict[tuple[str | None, str], list[Document]] = {k: [] for k in by_key}
    for doc in pools:
        key, problem = member_of(doc, by_key, "nodepool")
        if problem is not None:
            findings.append(problem)
            continue
        pools_by_cluster[key].append(doc)

    config_maps = {(namespace_of(d), d.name): d for d in documents.documents if d.kind == "ConfigMap"}
    clusters = []
    for key, doc in by_key.items():
        cluster = _cluster(doc, pools_by_cluster[key], config_maps, findings)
        if cluster is not None:
            clusters.append(cluster)
    clusters, topic_findings = attach_topics(documents, clusters)
    findings.extend(topic_findings)
    clusters, user_findings = attach_users(documents, clusters)
    findings.extend(user_findings)
    clusters, rebalance_findings = attach_rebalances(documents, clusters)
    findings.extend(rebalance_findings)
    kinds = {d.kind for d in documents.documents}
    connects: list = []
    mirrors: list = []
    # Imported only for specs that have them: most have neither, and their modules take time to load.
    if kinds & {"KafkaConnect", "KafkaConnector"}:
        from .normalize_connect import connects as normalize_connects  # it reads this module's rules

        connects, connect_findings = normalize_connects(documents, clusters)
        findings.extend(connect_findings)
    if "KafkaMirrorMaker2" in kinds:
        from .normalize_mirror_maker2 import mirror_makers

        mirrors, mirror_findings = mirror_makers(documents, clusters)  # Connect clusters too
        findings.extend(mirror_findings)
    return Model(clusters, findings, list(documents.documents), connects + mirrors)


def _namespace(doc: Document) -> str | None:
    return namespace_of(doc)


def _cluster(doc: Document, pool_docs: list[Document], config_maps: dict[tuple, Document],
             findings: list[Finding]) -> Cluster | None:
    spec = doc.get("spec", "kafka", default={})
    listeners = _listeners(doc, findings)
    config = spec.get("config") or {}
    zookeeper_mode = in_zookeeper_mode(doc, findings)
    version = spec.get("version", DEFAULT_ZOOKEEPER_KAFKA_VERSION if zookeeper_mode else DEFAULT_KAFKA_VERSION)
    if "version" not in spec and _written_for_an_older_kafka(doc, version):
        findings.append(_default_version_note(doc, version, zookeeper_mode))
    if not _check_version(doc, version, findings):
        return None
    image = spec.get("image") or f"{DEFAULT_IMAGE_REPOSITORY}:{version}"
    zookeeper = None
    if zookeeper_mode or migration_ends(doc):
        zookeeper = _zookeeper(doc, version, image, config_maps, findings)
    _check_config(doc, config, listeners, version, findings, authorizer="authorization" in spec)
    pools = node_pools(doc, pool_docs, findings, zookeeper=zookeeper_mode)
    migration = kraft_migration(doc, any(p.is_controller and p.replicas > 0 for p in pools or ()), findings)
    if migration == "disabled" and pools is not None:
        # Before the migration the controllers are not deployed, nor known to the brokers.
        pools = [p for p in pools if not p.is_controller]
    if migration is not None and migration != "disabled":
        _check_migration_protocol(doc, version, config, findings)
    rack = _rack(doc, pool_docs, findings)
    cluster_ca = _certificate_authority(doc, "clusterCa", findings)
    clients_ca = _certificate_authority(doc, "clientsCa", findings)
    logging = _logging(doc, config_maps, findings)
    metrics = _metrics(doc, config_maps, findings)
    kafka_exporter = _kafka_exporter(doc)
    prometheus_operator = _prometheus_operator(doc, findings)
    quorum = controller_quorum(doc, version, zookeeper_mode, findings)
    if zookeeper_mode:
        _check_zookeeper_mode(doc, findings)
    if pools is None or (zookeeper_mode and zookeeper is None):
        return None
    check_listener_brokers(doc, listeners, pools, findings)
    check_object_names(doc, listeners, pools, findings)
    listeners = apply_broker_templates(doc, listeners, pools, findings)
    _check_metadata_version(doc, version, spec.get("metadataVersion"), findings)
    entity_operator = doc.get("spec", "entityOperator")
    return Cluster(
        name=doc.name,
        namespace=namespace_of(doc),
        kafka_version=version,
        metadata_version=spec.get("metadataVersion"),
        image=image,
        listeners=tuple(listeners),
        config=dict(config),
        pools=tuple(pools),
        manage_topics=isinstance(entity_operator, dict) and "topicOperator" in entity_operator,
        manage_users=isinstance(entity_operator, dict) and "userOperator" in entity_operator,
        document=doc,
        user_secret_prefix=_user_secret_prefix(entity_operator),
        labels=dict(doc.labels),
        annotations=dict(doc.annotations),
        rack=rack,
        cluster_ca=cluster_ca,
        clients_ca=clients_ca,
        authorization=_authorization(spec),
        logging=logging,
        metrics=metrics,
        kafka_exporter=kafka_exporter,
        jmx=_jmx(spec, _template_section(doc, "jmxSecret")),
        prometheus_operator=prometheus_operator,
        liveness_probe=dict(spec.get("livenessProbe") or {}),
        readiness_probe=dict(spec.get("readinessProbe") or {}),
        bootstrap_service_template=_template_section(doc, "bootstrapService"),
        brokers_service_template=_template_section(doc, "brokersService"),
        pod_disruption_budget_template=_template_section(doc, "podDisruptionBudget"),
        service_account_template=_template_section(doc, "serviceAccount"),
        cluster_role_binding_template=_template_section(doc, "clusterRoleBinding"),
        external_bootstrap_service_template=_template_section(doc, "externalBootstrapService"),
        external_bootstrap_route_template=_template_section(doc, "externalBootstrapRoute"),
        external_bootstrap_ingress_template=_template_section(doc, "externalBootstrapIngress"),
        zookeeper=zookeeper,
        controller_quorum=quorum,
        kraft_migration=migration,
    )


def _zookeeper(doc: Document, version: str, image: str, config_maps: dict[tuple, Document],
               findings: list[Finding]) -> ZooKeeper | None:
    def referenced_value(document: Document, path: tuple, rule: str, what: str, found: list) -> str | None:
        return config_map_value(document, config_maps, path, rule, what, found)

    return zookeeper(doc, version, image, referenced_value, findings)


def _check_migration_protocol(doc: Document, version: str, config: dict, findings: list[Finding]) -> None:
    """The controllers of the migration run the metadata version of their Kafka release, which the
    brokers' inter.broker.protocol.version must equal (Kafka's ZooKeeper to KRaft migration)."""
    release = ".".join(str(n) for n in kafka_minor(version))
    written = config.get("inter.broker.protocol.version")
    if written is None or str(written).startswith(release):
        return
    path = ("spec", "kafka", "config", "inter.broker.protocol.version")
    findings.append(error(
        "zookeeper.migration-protocol", f"inter.broker.protocol.version {written} is not the release of "
        f"Kafka {version}: the migration's controllers run metadata version {release}, which the brokers' "
        "protocol version must equal", doc.span_of(path), path,
        f'"{release}" (upgrade the brokers\' protocol first, with strimzi.io/kraft: disabled), or no value'))


def _check_zookeeper_mode(doc: Document, findings: list[Finding]) -> None:
    """What only a KRaft cluster has."""
    path = ("spec", "kafka", "metadataVersion")
    if doc.get(*path) is not None:
        findings.append(error(
            "zookeeper.metadata-version", "spec.kafka.metadataVersion is a KRaft metadata version, and this "
            "cluster keeps its metadata in ZooKeeper (spec.zookeeper)", doc.span_of(path, key=True), path,
            "no metadataVersion; inter.broker.protocol.version in spec.kafka.config sets the brokers' protocol"))


def _user_secret_prefix(entity_operator) -> str:
    user_operator = entity_operator.get("userOperator") if isinstance(entity_operator, dict) else None
    return (user_operator.get("secretPrefix") if isinstance(user_operator, dict) else None) or ""


def _authorization(kafka_spec: dict) -> Authorization | None:
    """Strimzi's superUsers are principal names without their `User:` type."""
    raw = kafka_spec.get("authorization")
    if not raw:
        return None
    return Authorization(super_users=tuple(f"User:{name}" for name in raw.get("superUsers") or ()))


def _jmx(kafka_spec: dict, secret_template: dict) -> Jmx | None:
    raw = kafka_spec.get("jmxOptions")
    if raw is None:
        return None
    authentication = raw.get("authentication") or {}
    return Jmx(password=authentication.get("type") == "password", secret_template=secret_template)


def _template_section(doc: Document, section: str) -> dict:
    return dict(doc.get("spec", "kafka", "template", section, default={}))


def _rack(doc: Document, pool_docs: list[Document], findings: list[Finding]) -> Rack | None:
    raw = doc.get("spec", "kafka", "rack")
    if not raw:
        return None
    init_image = doc.get("spec", "kafka", "brokerRackInitImage") or DEFAULT_RACK_INIT_IMAGE
    if raw.get("type", "topology-label") == "topology-label":
        return Rack("topology-label", topology_key=raw["topologyKey"], init_image=init_image)
    name = raw["envVarName"]
    # Without KafkaNodePools, the brokers the Kafka declares itself are its one pool.
    broker_pools = [(p.name, p.get("spec")) for p in pool_docs
                    if "broker" in p.get("spec", "roles", default=[])] if pool_docs else [("kafka", {})]
    for pool_name, pool_spec in broker_pools:
        defined = {e.get("name") for source in (doc.get("spec", "kafka"), pool_spec)
                   for e in _container_env(source)}
        if name not in defined:
            path = ("spec", "kafka", "rack", "envVarName")
            findings.append(error(
                "rack.env-var-undefined", f"broker pool {pool_name} does not set the environment "
                f"variable {name}, so its brokers would have no rack", doc.span_of(path), path,
                f"an entry {name} in template.kafkaContainer.env of the pool or of spec.kafka"))
    return Rack("environment-variable", env_var_name=name)


def _certificate_authority(doc: Document, field_name: str, findings: list[Finding]) -> ClusterCa:
    """spec.clusterCa or spec.clientsCa: a CA kafkac generates in the cluster and keeps the key of,
    or one the user provides in Strimzi's two Secrets (generateCertificateAuthority: false)."""
    raw = doc.get("spec", field_name) or {}
    path = ("spec", field_name)
    if raw.get("certificateExpirationPolicy", "renew-certificate") != "renew-certificate":
        findings.append(error(
            "cluster-ca.unsupported", f"spec.{field_name}.certificateExpirationPolicy: "
            f"{raw['certificateExpirationPolicy']!r} is not supported yet: kafkac keeps the CA's key",
            doc.span_of(path + ("certificateExpirationPolicy",)), path + ("certificateExpirationPolicy",),
            "renew-certificate, or no certificateExpirationPolicy"))
    validity = raw.get("validityDays", DEFAULT_CA_VALIDITY_DAYS)
    renewal = raw.get("renewalDays", DEFAULT_CA_RENEWAL_DAYS)
    if renewal >= validity:
        at = path + ("renewalDays" if "renewalDays" in raw else "validityDays",)
        findings.append(error(
            "cluster-ca.renewal-days", f"renewalDays ({renewal}) is not shorter than validityDays "
            f"({validity}): every certificate would be due for renewal as soon as it is issued",
            doc.span_of(at), at, f"renewalDays smaller than validityDays ({validity})"))
    generate = raw.get("generateCertificateAuthority", True) is not False
    return ClusterCa(validity_days=validity, renewal_days=renewal, generate=generate,
                     cert_manager=_cert_manager(doc, field_name, generate, findings))


def _cert_manager(doc: Document, field_name: str, generate: bool, findings: list[Finding]) -> CertManager | None:
    """The CA's cert-manager issuer when its type is cert-manager.io (Strimzi's proposal 087 API)."""
    raw = doc.get("spec", field_name) or {}
    path = ("spec", field_name)
    if raw.get("type", "strimzi.io") != "cert-manager.io":
        if "certManager" in raw:
            findings.append(error(
                "cluster-ca.cert-manager", f"spec.{field_name}.certManager is used only with type: cert-manager.io",
                doc.span_of(path + ("certManager",)), path + ("certManager",),
                "type: cert-manager.io beside certManager, or no certManager"))
        return None
    if generate:
        at = path + ("generateCertificateAuthority" if "generateCertificateAuthority" in raw else "type",)
        findings.append(error(
            "cluster-ca.cert-manager", f"spec.{field_name}.type cert-manager.io needs "
            "generateCertificateAuthority: false: cert-manager's issuer holds the CA, not kafkac",
            doc.span_of(at), at, "generateCertificateAuthority: false"))
    if "certManager" not in raw:
        findings.append(error(
            "cluster-ca.cert-manager", f"spec.{field_name}.type cert-manager.io needs certManager: the issuer "
            "and the CA certificates to trust", doc.span_of(path + ("type",)), path + ("type",),
            "certManager with issuerRef (name, kind) and caCert (secretName, certificate)"))
        return None
    issuer, ca_cert = raw["certManager"]["issuerRef"], raw["certManager"]["caCert"]
    return CertManager(issuer_name=issuer["name"], issuer_kind=issuer["kind"],
                       issuer_group=issuer.get("group", "cert-manager.io"),
                       ca_cert_secret=ca_cert["secretName"], ca_cert_key=ca_cert["certificate"])


def _container_env(spec: dict | None) -> list[dict]:
    env = ((spec or {}).get("template") or {}).get("kafkaContainer", {}).get("env") or []
    return [e for e in env if isinstance(e, dict)]


def _logging(doc: Document, config_maps: dict[tuple, Document], findings: list[Finding]) -> Logging:
    raw = doc.get("spec", "kafka", "logging")
    if not raw:
        return Logging()
    if raw["type"] == "inline":
        loggers = dict(raw.get("loggers") or {})
        for name, level in loggers.items():
            if not _LOGGER_NAME_KEY.match(name) and level not in LOG_LEVELS:
                path = ("spec", "kafka", "logging", "loggers", name)
                findings.append(error(
                    "logging.level", f"{level!r} is not a log level", doc.span_of(path), path,
                    ", ".join(LOG_LEVELS) + " (a logger.<id>.name entry takes a logger name)"))
        return Logging("inline", loggers=loggers)
    path = ("spec", "kafka", "logging", "valueFrom", "configMapKeyRef")
    what = log_configuration(doc.get("spec", "kafka", "version"))
    content = config_map_value(doc, config_maps, path, "logging", what, findings)
    return Logging() if content is None else Logging("external", external_content=content)


def _metrics(doc: Document, config_maps: dict[tuple, Document], findings: list[Finding]) -> Metrics | None:
    raw = doc.get("spec", "kafka", "metricsConfig")
    if not raw:
        return None
    return metrics_config(doc, raw, ("spec", "kafka", "metricsConfig"), config_maps, findings)


def _kafka_exporter(doc: Document) -> KafkaExporter | None:
    """spec.kafkaExporter."""
    raw = doc.get("spec", "kafkaExporter")
    if raw is None:
        return None
    return KafkaExporter(
        image=raw.get("image") or DEFAULT_KAFKA_EXPORTER_IMAGE,
        topic_regex=raw.get("topicRegex", ".*"),
        group_regex=raw.get("groupRegex", ".*"),
        topic_exclude_regex=raw.get("topicExcludeRegex"),
        group_exclude_regex=raw.get("groupExcludeRegex"),
        resources=dict(raw.get("resources") or {}),
        logging=raw.get("logging", "info"),
        enable_sarama_logging=bool(raw.get("enableSaramaLogging", False)),
        show_all_offsets=bool(raw.get("showAllOffsets", True)),
        liveness_probe=dict(raw.get("livenessProbe") or {}),
        readiness_probe=dict(raw.get("readinessProbe") or {}),
        template={k: dict(v or {}) for k, v in (raw.get("template") or {}).items()},
    )


def _prometheus_operator(doc: Document, findings: list[Finding]) -> bool:
    """Whether the chart has Prometheus Operator resources: the Kafka's annotation says so."""
    value = doc.annotations.get(PROMETHEUS_OPERATOR_ANNOTATION)
    if value is None:
        return False
    path = ("metadata", "annotations", PROMETHEUS_OPERATOR_ANNOTATION)
    if value not in ("true", "false"):
        findings.append(error(
            "prometheus-operator.annotation", f"{PROMETHEUS_OPERATOR_ANNOTATION}: {value!r} is "
            "neither true nor false", doc.span_of(path), path, '"true" or "false"'))
        return False
    if value == "true" and not (doc.get("spec", "kafka", "metricsConfig") or doc.get("spec", "kafkaExporter")):
        findings.append(error(
            "prometheus-operator.nothing-to-monitor", f"{PROMETHEUS_OPERATOR_ANNOTATION} is true but the "
            "cluster serves no metrics", doc.span_of(path), path,
            "spec.kafka.metricsConfig and/or spec.kafkaExporter, or no annotation"))
        return False
    return value == "true"


def _check_version(doc: Document, version: str, findings: list[Finding]) -> bool:
    """Whether kafkac deploys Kafka `version`: every release Strimzi lists for the minors from
    3.7 (KRaft, and the first apache/kafka image) to the newest."""
    path = ("spec", "kafka", "version")
    if version in SUPPORTED_KAFKA_VERSIONS:
        return True
    oldest, newest = SUPPORTED_KAFKA_VERSIONS[0], SUPPORTED_KAFKA_VERSIONS[-1]
    accepted = ", ".join(SUPPORTED_KAFKA_VERSIONS)
    if _release(version) < _release(oldest):
        message = (f"Kafka {version} is older than kafkac runs ({oldest} to {newest}, and 3.7 to 3.9 "
                   "with ZooKeeper); upgrade the cluster where it runs first: Kafka's upgrade path goes "
                   "through 3.7 to 3.9, where a ZooKeeper cluster also migrates to KRaft, before 4.x")
    else:
        message = f"Kafka {version} is not a release kafkac runs ({oldest} to {newest})"
    findings.append(error("kafka.version", message, doc.span_of(path), path, accepted))
    return False


def _written_for_an_older_kafka(doc: Document, version: str) -> bool:
    """Whether a Kafka without a version was written for an older Strimzi, whose default Kafka
    was older than kafkac's: its API is not v1, or its metadataVersion is of an older release."""
    metadata = re.match(r"^([0-9]+)\.([0-9]+)", str(doc.get("spec", "kafka", "metadataVersion") or ""))
    older_metadata = metadata is not None and tuple(map(int, metadata.groups())) < _release(version)[:2]
    return doc.api_version != "kafka.strimzi.io/v1" or older_metadata


def _default_version_note(doc: Document, version: str, zookeeper_mode: bool) -> Finding:
    """Strimzi too runs its own default when the version is left out, but the Strimzi release
    the spec was written for had an older default than kafkac's: say which Kafka runs."""
    path = ("spec", "kafka")
    which = "the newest Kafka with ZooKeeper" if zookeeper_mode else "kafkac's default"
    return info("kafka.version-default",
                f"spec.kafka.version: not set, so Kafka {version} runs ({which}), likely newer than what "
                "the Strimzi release this spec was written for ran; a running cluster moves to it on the "
                "next upgrade", doc.span_of(path, key=True), path + ("version",),
                "spec.kafka.version set to the version the cluster runs today", doc.describe())


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _check_metadata_version(doc: Document, version: str, metadata_version: str | None,
                            findings: list[Finding]) -> None:
    """A node cannot format storage with a metadata version newer than its own software."""
    if metadata_version is None:
        return
    release = tuple(int(p) for p in metadata_version.split("-")[0].split(".")[:2])
    software = tuple(int(p) for p in version.split(".")[:2])
    if release > software:
        path = ("spec", "kafka", "metadataVersion")
        findings.append(error(
            "cluster.metadata-version", f"metadata version {metadata_version} is newer than "
            f"Kafka {version}", doc.span_of(path), path,
            f"a metadata version of Kafka {software[0]}.{software[1]} or older, or no metadataVersion"))


def _listeners(doc: Document, findings: list[Finding]) -> list[Listener]:
    listeners: list[Listener] = []
    names = UniqueItems(doc, "name", "listener.duplicate-name", "listeners", "a unique name per listener", findings)
    ports = UniqueItems(doc, "port", "listener.duplicate-port", "listeners", "a unique port per listener", findings)
    for i, raw in enumerate(doc.get("spec", "kafka", "listeners", default=[])):
        path = ("spec", "kafka", "listeners", i)
        names.add(i, path, raw["name"], f"listener name {raw['name']!r}")
        ports.add(i, path, raw["port"], f"port {raw['port']}")
        configuration = raw.get("configuration") or {}
        cert = configuration.get("brokerCertChainAndKey")
        if cert and not raw["tls"]:
            findings.append(error(
                "listener.certificate-without-tls",
                f"listener {raw['name']} names a certificate but has tls: false, so it would not "
                "serve it", doc.span_of(path + ("tls",)), path + ("tls",),
                "tls: true, or no configuration.brokerCertChainAndKey"))
        authentication = (raw.get("authentication") or {}).get("type")
        if authentication == "tls" and not raw["tls"]:
            findings.append(error(
                "listener.tls-authentication-without-tls",
                f"listener {raw['name']} has authentication type tls (client certificates) but "
                "tls: false, so there is no TLS handshake to present a certificate in",
                doc.span_of(path + ("authentication", "type")), path + ("authentication", "type"),
                "tls: true on the listener, or authentication type scram-sha-512"))
        listeners.append(Listener(
            name=raw["name"], port=raw["port"], type=raw["type"], tls=raw["tls"],
            cert_secret=CertSecret(cert["secretName"], cert["certificate"], cert["key"]) if cert else None,
            use_service_dns_domain=bool(configuration.get("useServiceDnsDomain", False)),
            network_policy_peers=tuple(raw.get("networkPolicyPeers") or ()),
            **listener_settings(raw),
            authentication=authentication,
        ))
        check_listener_fields(doc, i, raw, findings)
    return listeners


def _check_config(doc: Document, config: dict, listeners: list[Listener], version: str,
                  findings: list[Finding], authorizer: bool = False) -> None:
    """Options Strimzi reserves are refused; the others are checked against Kafka's own.

    With spec.kafka.authorization, the authorizer's own options are known too.
    """
    allowed_per_listener = {f"listener.name.{listener.identifier.lower()}.{suffix}"
                            for listener in listeners for suffix in PER_LISTENER_CONFIG_SUFFIXES}
    allowed = {key: value for key, value in config.items()
               if not is_forbidden_option(key) or key in allowed_per_listener}
    checked = {key: value for key, value in allowed.items()
               if not (authorizer and key in AUTHORIZER_OPTIONS)}
    findings.extend(check_config(checked, "broker", version, doc, ("spec", "kafka", "config")))
    for key in config:
        if key in allowed:
            continue
        path = ("spec", "kafka", "config", key)
        findings.append(error(
            "config.forbidden", f"spec.kafka.config: {key!r} is set by kafkac from other fields "
            "and cannot be given here", doc.span_of(path, key=True), path,
            "the field that owns it (listeners, authorization, storage, node pools) "
            "or an option outside the reserved prefixes"))


def is_forbidden_option(key: str) -> bool:
    lowered = key.lower()
    if lowered in FORBIDDEN_CONFIG_EXCEPTIONS:
        return False
    return any(lowered.startswith(prefix) for prefix in FORBIDDEN_CONFIG_PREFIXES)
