"""KafkaNodePools: their node ids, storage, JVM options and pod template, merged with the Kafka's.

Part of the normalize stage. A pool's node ids come from Strimzi's
`strimzi.io/next-node-ids` annotation or follow the pools before it; the ids
`strimzi.io/remove-node-ids` names must be the pool's highest, since a
StatefulSet only scales down from the top.
"""

from __future__ import annotations

import re

from .cluster_members import CLUSTER_LABEL
from .findings import Finding, UniqueItems, defined_twice, error, warning
from .document import Document
from .model import JvmOptions, NodePool, PodTemplate, Volume

NEXT_NODE_IDS_ANNOTATION = "strimzi.io/next-node-ids"
REMOVE_NODE_IDS_ANNOTATION = "strimzi.io/remove-node-ids"
NODE_POOLS_ANNOTATION = "strimzi.io/node-pools"
# Strimzi's virtual node pool: the brokers a Kafka declares itself, in the StatefulSet <cluster>-kafka.
IMPLICIT_POOL_NAME = "kafka"
_NODE_ID_LIST = re.compile(r"^\s*\[\s*(\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*)?\s*\]\s*$")


def node_pools(doc: Document, pool_docs: list[Document], findings: list[Finding],
               zookeeper: bool = False) -> list[NodePool] | None:
    """The cluster's pools: its KafkaNodePools, or the brokers the Kafka declares itself.
    With `zookeeper` (spec.zookeeper), ZooKeeper keeps the metadata: a pool with the controller
    role is only the KRaft controllers of the migration away from it, with no other role."""
    if not pool_docs:
        return _implicit_pools(doc, findings, zookeeper)
    _ignored_broker_fields(doc, findings)
    for pool_doc in pool_docs:
        _check_jbod(pool_doc, findings)
    starts = _first_node_ids(pool_docs, findings)
    for pool_doc in pool_docs:
        if pool_doc.name in starts:
            _check_remove_node_ids(pool_doc, starts[pool_doc.name], findings)
    pools = [_pool(doc, pool_doc, starts[pool_doc.name], findings) for pool_doc in pool_docs
             if pool_doc.name in starts]
    seen: dict[str, Document] = {}
    for pool_doc in pool_docs:
        if pool_doc.name in seen:
            findings.append(defined_twice("nodepool.duplicate", pool_doc, seen[pool_doc.name]))
        seen.setdefault(pool_doc.name, pool_doc)
    if zookeeper:
        _check_zookeeper_pools(pool_docs, findings)
        _check_controller_node_ids(pools, findings)
    elif not any(p.is_controller and p.replicas > 0 for p in pools):
        findings.append(error(
            "cluster.no-controllers", f"Kafka {doc.name} has no node pool with the controller role "
            "and replicas > 0, so it has no KRaft quorum", doc.span_of(("metadata", "name")),
            ("metadata", "name"), "a KafkaNodePool with roles [controller] or [controller, broker]"))
    if not any(p.is_broker and p.replicas > 0 for p in pools):
        findings.append(error(
            "cluster.no-brokers", f"Kafka {doc.name} has no node pool with the broker role "
            "and replicas > 0", doc.span_of(("metadata", "name")), ("metadata", "name"),
            "a KafkaNodePool with roles [broker] or [controller, broker]"))
    return pools


def _check_zookeeper_pools(pool_docs: list[Document], findings: list[Finding]) -> None:
    """The migration from ZooKeeper runs on dedicated controllers, as Kafka and Strimzi require."""
    for pool_doc in pool_docs:
        roles = pool_doc.get("spec", "roles", default=[])
        if "controller" in roles and "broker" in roles:
            path = ("spec", "roles")
            findings.append(error(
                "zookeeper.controller-pool", f"KafkaNodePool {pool_doc.name} has the controller and broker "
                "roles, but its Kafka keeps the cluster's metadata in ZooKeeper (spec.zookeeper), and the "
                "migration to KRaft runs on controllers of their own", pool_doc.span_of(path), path,
                "roles: [broker], and the controllers in a KafkaNodePool with roles: [controller]"))


def _check_controller_node_ids(pools: list[NodePool], findings: list[Finding]) -> None:
    """The brokers of a ZooKeeper cluster keep their broker ids (Strimzi's virtual pool gave them
    0, 1, ...): the controllers a migration adds take ids after them, not before."""
    broker_ids = sorted(i for p in pools if p.is_broker for i in p.node_ids)
    brokers = sum(p.replicas for p in pools if p.is_broker)
    for pool in pools:
        if pool.is_controller and pool.node_ids and broker_ids and pool.node_ids[0] < broker_ids[-1]:
            path = ("metadata", "annotations", NEXT_NODE_IDS_ANNOTATION)
            if NEXT_NODE_IDS_ANNOTATION not in pool.document.annotations:
                path = ("spec", "replicas")
            findings.append(error(
                "zookeeper.controller-node-ids", f"KafkaNodePool {pool.name} takes the node ids "
                f"{', '.join(map(str, pool.node_ids))} before the brokers' (pools take ids in order of their "
                f"names), which moves the brokers to {', '.join(map(str, broker_ids))}; the brokers keep the "
                "ids they have in ZooKeeper, and the controllers take ids after them",
                pool.document.span_of(path), path,
                f'{NEXT_NODE_IDS_ANNOTATION}: "[{brokers}-{brokers + pool.replicas - 1}]" on KafkaNodePool '
                f"{pool.name}"))


def _implicit_pools(doc: Document, findings: list[Finding], zookeeper: bool) -> list[NodePool] | None:
    """The brokers a Kafka declares itself (`spec.kafka.replicas` and `storage`), as Strimzi's
    virtual node pool: one pool named "kafka", brokers only, node ids from 0, which Strimzi
    uses for ZooKeeper-based clusters without KafkaNodePools."""
    kafka = doc.get("spec", "kafka", default={})
    enabled = doc.annotations.get(NODE_POOLS_ANNOTATION) == "enabled"
    if "replicas" not in kafka or enabled:
        findings.append(error(
            "cluster.no-node-pools", f"Kafka {doc.name} has no KafkaNodePool"
            + (f" but says {NODE_POOLS_ANNOTATION}: enabled" if enabled else " and declares no brokers"),
            doc.span_of(("metadata", "name")), ("metadata", "name"),
            f"at least one KafkaNodePool labelled {CLUSTER_LABEL}: {doc.name}"
            + ("" if enabled else ", or, with spec.zookeeper, the brokers in spec.kafka.replicas and storage")))
        return None
    if "storage" not in kafka:
        path = ("spec", "kafka", "replicas")
        findings.append(error(
            "cluster.broker-storage", "spec.kafka.replicas declares the brokers but spec.kafka has no storage",
            doc.span_of(path, key=True), path, "spec.kafka.storage: ephemeral, persistent-claim or jbod"))
        return None
    _check_jbod(doc, findings, ("spec", "kafka", "storage"))
    if not zookeeper:
        path = ("spec", "kafka", "replicas")
        findings.append(error(
            "cluster.no-controllers", "brokers declared in spec.kafka run with ZooKeeper only, as in "
            "Strimzi, and this Kafka has no spec.zookeeper", doc.span_of(path, key=True), path,
            "spec.zookeeper (Kafka 3.7 to 3.9), or KafkaNodePools with the broker and controller roles "
            "instead of spec.kafka.replicas and storage"))
        return None
    return [NodePool(
        name=IMPLICIT_POOL_NAME,
        roles=("broker",),
        replicas=kafka["replicas"],
        first_node_id=0,
        storage_type=kafka["storage"]["type"],
        volumes=storage_volumes(kafka["storage"]),
        resources=dict(kafka.get("resources") or {}),
        labels=dict(doc.labels),
        annotations={},
        document=doc,
        jvm_options=jvm_options(doc, ("spec", "kafka", "jvmOptions"), findings),
        template=_pod_template(kafka.get("template") or {}, {}),
    )]


def _ignored_broker_fields(doc: Document, findings: list[Finding]) -> None:
    """With KafkaNodePools, Strimzi ignores the brokers a Kafka declares itself, with a warning."""
    for field_name in ("replicas", "storage"):
        path = ("spec", "kafka", field_name)
        if doc.get(*path) is not None:
            findings.append(warning(
                "cluster.ignored-broker-field", f"spec.kafka.{field_name} is ignored: the cluster's "
                "KafkaNodePools declare its nodes (Strimzi ignores it too)", doc.span_of(path, key=True), path,
                f"no spec.kafka.{field_name}, or no KafkaNodePools (with spec.zookeeper)"))


def _check_jbod(doc: Document, findings: list[Finding], storage_path: tuple = ("spec", "storage")) -> None:
    volumes = doc.get(*storage_path, "volumes", default=[])
    ids = UniqueItems(doc, "id", "storage.duplicate-volume-id", "volumes", "a unique id per JBOD volume", findings)
    metadata_volume = None
    for i, volume in enumerate(volumes):
        path = storage_path + ("volumes", i)
        ids.add(i, path, volume["id"], f"volume id {volume['id']}")
        if volume.get("kraftMetadata") == "shared":
            if metadata_volume is not None:
                findings.append(error(
                    "storage.kraft-metadata", "more than one volume has kraftMetadata: shared",
                    doc.span_of(path + ("kraftMetadata",)), path + ("kraftMetadata",),
                    f"kraftMetadata on one volume only (volumes[{metadata_volume}] has it)"))
            else:
                metadata_volume = i


def _first_node_ids(pool_docs: list[Document], findings: list[Finding]) -> dict[str, int]:
    """The first node id of each pool, as Strimzi's NodeIdAssignor gives ids to new pools.

    Pools take their ids in the order the Kubernetes API lists them, by name (not the
    order of the input files): each replica the next id of the pool's
    `strimzi.io/next-node-ids` ranges that no pool uses yet, else the lowest unused id.
    A pool's ids are its StatefulSet's ordinals, so they must be consecutive; a pool
    whose ids would not be is an error.
    """
    used: set[int] = set()
    starts: dict[str, int] = {}
    for doc in sorted(pool_docs, key=lambda d: d.name):
        replicas = doc.get("spec", "replicas", default=0)
        ranges = _next_node_id_ranges(doc, findings)
        ids = _assign_ids(replicas, ranges, used)
        if ids and ids != list(range(ids[0], ids[0] + len(ids))):
            path = ("metadata", "annotations", NEXT_NODE_IDS_ANNOTATION) if ranges else ("spec", "replicas")
            findings.append(error(
                "nodepool.node-ids", f"Strimzi gives pool {doc.name} the node ids "
                f"{', '.join(map(str, ids))} (pools take ids in order of their names, skipping ids "
                "another pool has), but a pool's node ids are its StatefulSet's ordinals and must be "
                "consecutive", doc.span_of(path), path,
                f'a {NEXT_NODE_IDS_ANNOTATION} range with {replicas} ids that no other pool uses, '
                f'such as "[{max(used) + 1}-{max(used) + replicas}]"'))
        starts[doc.name] = ids[0] if ids else _lowest_unused(used)
    return starts


def _assign_ids(replicas: int, ranges: list[tuple[int, int]], used: set[int]) -> list[int]:
    """NodeIdAssignor.provideNextId for each replica: from the ranges first, else the lowest
    unused id; each id given is used from then on."""
    ids = []
    candidates = (i for low, high in ranges for i in range(low, high + 1))
    for _ in range(replicas):
        node_id = next((i for i in candidates if i not in used), None)
        if node_id is None:
            node_id = _lowest_unused(used)
        used.add(node_id)
        ids.append(node_id)
    return ids


def _lowest_unused(used: set[int]) -> int:
    node_id = 0
    while node_id in used:
        node_id += 1
    return node_id


def _next_node_id_ranges(doc: Document, findings: list[Finding]) -> list[tuple[int, int]]:
    """The ranges of `strimzi.io/next-node-ids`; Strimzi assigns ids in order when it cannot read it."""
    value = doc.annotations.get(NEXT_NODE_IDS_ANNOTATION)
    if value is None:
        return []
    ranges = node_id_ranges(str(value))
    if ranges is None:
        path = ("metadata", "annotations", NEXT_NODE_IDS_ANNOTATION)
        findings.append(warning(
            "nodepool.node-ids", f"cannot read {NEXT_NODE_IDS_ANNOTATION}: {value!r}, so pool "
            f"{doc.name} takes the lowest unused ids, as Strimzi does", doc.span_of(path), path,
            'a list of ids or ranges such as "[100-199]" or "[3, 10-12]"'))
        return []
    return ranges


def node_id_ranges(text: str) -> list[tuple[int, int]] | None:
    """The (low, high) ranges of a Strimzi node id annotation such as "[3, 10-12]", in the order
    written, or None if it is not one."""
    if not _NODE_ID_LIST.match(text):
        return None
    ranges = []
    for item in text.strip().strip("[]").split(","):
        if item.strip():
            low, _, high = item.partition("-")
            ranges.append((int(low), int(high or low)))
    return ranges


def node_id_list(text: str) -> list[int] | None:
    """The ids of a Strimzi node id annotation such as "[3, 10-12]", or None if it is not one."""
    ranges = node_id_ranges(text)
    return None if ranges is None else [i for low, high in ranges for i in range(low, high + 1)]


def _check_remove_node_ids(doc: Document, first_node_id: int, findings: list[Finding]) -> None:
    """Strimzi removes the ids `strimzi.io/remove-node-ids` lists first; a StatefulSet always
    removes its highest ordinals, so an id the pool still has cannot be honoured."""
    value = doc.annotations.get(REMOVE_NODE_IDS_ANNOTATION)
    if value is None:
        return
    path = ("metadata", "annotations", REMOVE_NODE_IDS_ANNOTATION)
    ids = node_id_list(str(value))
    if ids is None:
        findings.append(error(
            "nodepool.node-ids", f"cannot read {REMOVE_NODE_IDS_ANNOTATION}: {value!r}",
            doc.span_of(path), path, 'a list of ids or ranges such as "[3, 10-12]"'))
        return
    replicas = doc.get("spec", "replicas", default=0)
    kept = [i for i in ids if first_node_id <= i < first_node_id + replicas]
    if kept:
        findings.append(error(
            "nodepool.remove-node-ids", f"pool {doc.name} keeps node ids "
            f"{first_node_id}..{first_node_id + replicas - 1} with {replicas} replicas, so "
            f"{', '.join(map(str, kept))} would not be removed: a pool always loses its highest "
            "node ids when replicas goes down (they are its StatefulSet's ordinals)",
            doc.span_of(path), path,
            f"lower replicas to remove the highest ids, and list only ids from "
            f"{first_node_id + replicas} up, or leave the annotation out"))


def _pool(kafka: Document, doc: Document, first_node_id: int, findings: list[Finding]) -> NodePool:
    spec = doc.get("spec", default={})
    if spec.get("jvmOptions") is not None:
        pool_jvm_options = jvm_options(doc, ("spec", "jvmOptions"), findings)
    else:
        pool_jvm_options = jvm_options(kafka, ("spec", "kafka", "jvmOptions"), findings)
    storage = spec["storage"]
    roles = tuple(r for r in ("controller", "broker") if r in spec["roles"])
    return NodePool(
        name=doc.name,
        roles=roles,
        replicas=spec["replicas"],
        first_node_id=first_node_id,
        storage_type=storage["type"],
        volumes=storage_volumes(storage),
        # Strimzi's v1beta2 API: the Kafka's resources for pools that set none.
        resources=dict(spec.get("resources") or kafka.get("spec", "kafka", "resources") or {}),
        labels=dict(doc.labels),
        annotations=dict(doc.annotations),
        document=doc,
        jvm_options=pool_jvm_options,
        template=_pod_template(kafka.get("spec", "kafka", "template", default={}),
                               spec.get("template") or {}),
    )


def _pod_template(cluster_template: dict, pool_template: dict) -> PodTemplate:
    """Strimzi merges the two templates on their top-level fields (its proposal 118): a section
    the pool sets replaces the Kafka's whole (`pod: {}` resets it), the others come from the Kafka."""
    def section(name: str) -> dict:
        return dict((pool_template[name] if name in pool_template else cluster_template.get(name)) or {})

    return PodTemplate(pod=section("pod"), pod_set=section("podSet"),
                       persistent_volume_claim=section("persistentVolumeClaim"),
                       kafka_container=section("kafkaContainer"), init_container=section("initContainer"),
                       per_pod_service=section("perPodService"), per_pod_route=section("perPodRoute"),
                       per_pod_ingress=section("perPodIngress"))


# kafka-run-class.sh splits KAFKA_OPTS and KAFKA_JVM_PERFORMANCE_OPTS on blanks and
# the shell expands globs in them: such characters would change the command line.
_UNSAFE_JVM_ARGUMENT = re.compile(r"[\s*?\[\]\\'\"$`]")


def jvm_options(doc: Document, path: tuple, findings: list[Finding]) -> JvmOptions:
    raw = doc.get(*path)
    if not raw:
        return JvmOptions()
    xx = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in (raw.get("-XX") or {}).items()}
    properties = tuple((p["name"], p["value"]) for p in raw.get("javaSystemProperties") or [])
    for key, value in xx.items():
        for text, field_path in ((key, path + ("-XX", key)), (value, path + ("-XX", key))):
            if _UNSAFE_JVM_ARGUMENT.search(text):
                findings.append(_unsafe_jvm_argument(doc, field_path, text))
    for i, (name, value) in enumerate(properties):
        for text, leaf in ((name, "name"), (value, "value")):
            if _UNSAFE_JVM_ARGUMENT.search(text):
                findings.append(_unsafe_jvm_argument(doc, path + ("javaSystemProperties", i, leaf), text))
    return JvmOptions(xms=raw.get("-Xms"), xmx=raw.get("-Xmx"), xx=xx,
                      gc_logging=bool(raw.get("gcLoggingEnabled", False)), system_properties=properties)


def _unsafe_jvm_argument(doc: Document, path: tuple, text: str) -> Finding:
    return error("jvm.unsafe-argument", f"{text!r} contains blanks, quotes or shell pattern characters, "
                 "which Kafka's start scripts would split or expand", doc.span_of(path), path,
                 "a value without blanks, quotes, backslashes, $, ` or * ? [ ]")


def storage_volumes(storage: dict) -> tuple[Volume, ...]:
    if storage["type"] == "jbod":
        return tuple(_volume(v, with_id=True) for v in storage["volumes"])
    return (_volume(storage, with_id=False),)


def _volume(raw: dict, with_id: bool) -> Volume:
    return Volume(
        type=raw["type"],
        id=raw.get("id") if with_id else None,
        size=_quantity(raw.get("size")),
        size_limit=_quantity(raw.get("sizeLimit")),
        storage_class=raw.get("class"),
        selector=dict(raw.get("selector") or {}),
        delete_claim=bool(raw.get("deleteClaim", False)),
        kraft_metadata=raw.get("kraftMetadata") == "shared",
    )


def _quantity(value) -> str | None:
    return None if value is None else str(value)
