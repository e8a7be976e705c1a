"""Which Kafka a resource belongs to: KafkaNodePools, KafkaTopics and KafkaUsers join a Kafka by
its `strimzi.io/cluster` label, ConfigMaps by the name a Kafka gives them, all in one namespace:
the Kafka's, or for KafkaTopics the one its topicOperator's `watchedNamespace` names, as Strimzi's
Topic Operator watches that namespace.

A resource without `metadata.namespace` lands in the namespace it is applied to (kubectl -n,
helm install -n, an Argo CD Application's destination), so it goes with a Kafka of any
namespace; only two different explicit namespaces keep resources apart.
"""

from __future__ import annotations

import difflib

from .findings import FieldPath, Finding, error, info, warning
from .document import Document, Documents
from .model import Cluster

CLUSTER_LABEL = "strimzi.io/cluster"
PAUSE_ANNOTATION = "strimzi.io/pause-reconciliation"

ClusterKey = tuple[str | None, str]  # (namespace, name) of a Kafka


def namespace_of(doc: Document) -> str | None:
    value = doc.get("metadata", "namespace")
    return value if isinstance(value, str) and value else None


def watched_namespace(kafka: Document, operator: str) -> str | None:
    """The namespace the Kafka's `topicOperator` or `userOperator` watches, when written."""
    value = kafka.get("spec", "entityOperator", operator, "watchedNamespace")
    return value if isinstance(value, str) and value else None


def members_namespace(kafka: Document, operator: str | None = None) -> str | None:
    """The namespace of the Kafka's members: the operator's watched namespace, else the Kafka's."""
    return (watched_namespace(kafka, operator) if operator else None) or namespace_of(kafka)


def same_namespace(one: str | None, other: str | None) -> bool:
    """Whether two resources can live in one namespace: equal, or one of them is not written."""
    return one is None or other is None or one == other


def in_namespace(namespace: str | None) -> str:
    return f"namespace {namespace}" if namespace else "no namespace"


def belongs_to(doc: Document, cluster: Cluster, operator: str | None = None) -> bool:
    """Whether `doc` names `cluster` with its label, in a namespace the two can share (the
    `operator`'s watched namespace, when the Kafka names one)."""
    return (doc.labels.get(CLUSTER_LABEL) == cluster.name
            and same_namespace(namespace_of(doc), members_namespace(cluster.document, operator)))


def matching_keys(keys, namespace: str | None, name: str) -> list[ClusterKey]:
    """The keys (namespace, name) among `keys` that a resource of `namespace` naming `name` joins:
    the one in its own namespace first; otherwise every one whose namespace it can share."""
    if (namespace, name) in keys:
        return [(namespace, name)]
    # A set: two Kafkas with one key are one place to join (the second is reported as a duplicate).
    return sorted({k for k in keys if k[1] == name and same_namespace(k[0], namespace)},
                  key=lambda k: k[0] or "")


def member_of(doc: Document, kafkas, rule_prefix: str, skip_others: bool = False
              ) -> tuple[ClusterKey | None, Finding | None]:
    """The Kafka (by key, among `kafkas`) that `doc` belongs to by its strimzi.io/cluster label,
    or the finding that says why it belongs to none. With `skip_others`, a resource of a Kafka
    that is not among the inputs (and whose name is not close to one that is: a typo) is
    skipped with a warning, as another cluster's operator would manage it."""
    path: FieldPath = ("metadata", "labels")
    cluster = doc.labels.get(CLUSTER_LABEL)
    if not cluster:
        return None, error(
            f"{rule_prefix}.cluster-label", f"{doc.kind} {doc.name} has no {CLUSTER_LABEL} label",
            doc.span_of(path), path, f"a label {CLUSTER_LABEL}: <name of its Kafka>", doc.describe())
    path += (CLUSTER_LABEL,)
    namespace = namespace_of(doc)
    found = matching_keys(kafkas, namespace, cluster)
    if len(found) == 1:
        return found[0], None
    if len(found) > 1:
        where = " and ".join(in_namespace(ns) for ns, _ in found)
        return None, error(
            f"{rule_prefix}.unknown-cluster",
            f"{doc.kind} {doc.name} has no namespace and names Kafka {cluster}, which is in {where}",
            doc.span_of(path), path, "metadata.namespace naming the namespace of its Kafka", doc.describe())
    elsewhere = sorted({ns for ns, name in kafkas if name == cluster and ns})
    if elsewhere:
        message = (f"{doc.kind} {doc.name} in {in_namespace(namespace)} names Kafka {cluster}, which "
                   f"is in {' and '.join(in_namespace(ns) for ns in elsewhere)}: resources in two "
                   "different namespaces do not belong together")
        expected = (f"metadata.namespace: {elsewhere[0]}, or no metadata.namespace (it then lands "
                    "where it is applied)")
    else:
        here = sorted(name for ns, name in kafkas if same_namespace(ns, namespace))
        message = (f"{doc.kind} {doc.name} names Kafka {cluster}, and no Kafka of that name is among "
                   f"the inputs{' in ' + in_namespace(namespace) if namespace else ''}")
        expected = f"the name of a Kafka among the inputs (found: {', '.join(here) or 'none'})"
        if skip_others and not any(_looks_like_typo(cluster, name) for name in here):
            return None, warning(
                f"{rule_prefix}.other-cluster", f"{message}, so it is skipped: it belongs to a cluster "
                "compiled elsewhere", doc.span_of(path), path, expected, doc.describe())
    return None, error(f"{rule_prefix}.unknown-cluster", message, doc.span_of(path), path, expected,
                       doc.describe())


def _looks_like_typo(written: str, name: str) -> bool:
    """Whether `written` is `name` mistyped: one letter added, dropped, changed, or two swapped
    (`tyop` for `typo`), or most of it the same (difflib's ratio)."""
    if difflib.SequenceMatcher(None, written, name).ratio() >= 0.8:
        return True
    if abs(len(written) - len(name)) > 1 or min(len(written), len(name)) < 3:
        return False
    if len(written) == len(name):
        differ = [i for i, (a, b) in enumerate(zip(written, name)) if a != b]
        return len(differ) == 1 or (len(differ) == 2 and differ[1] == differ[0] + 1
                                    and written[differ[0]] == name[differ[1]]
                                    and written[differ[1]] == name[differ[0]])
    shorter, longer = sorted((written, name), key=len)
    return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


def group_by_cluster(documents: Documents, kind: str, rule_prefix: str, skip_others: bool = True,
                     operator: str | None = None) -> tuple[dict[ClusterKey, list[Document]], list[Finding]]:
    """The documents of `kind` by the Kafka they name, keyed by (members_namespace(Kafka,
    `operator`), name), in input order; one finding for each that names none, or a Kafka that is
    not among the inputs (in a namespace it can share)."""
    findings: list[Finding] = []
    kafkas = [(members_namespace(d, operator), d.name) for d in documents.documents if d.kind == "Kafka"]
    by_cluster: dict[ClusterKey, list[Document]] = {}
    for doc in documents.documents:
        if doc.kind != kind:
            continue
        key, problem = member_of(doc, kafkas, rule_prefix, skip_others)
        if problem is not None:
            findings.append(problem)
            continue
        by_cluster.setdefault(key, []).append(doc)
    return by_cluster, findings


def referenced(documents_by_key: dict[tuple[str | None, str], Document], namespace: str | None,
               name: str) -> Document | None:
    """The resource named `name` that a resource of `namespace` can reference (a ConfigMap a Kafka
    names), in its own namespace first."""
    found = matching_keys(documents_by_key, namespace, name)
    return documents_by_key[found[0]] if found else None


def unmanaged_members(kind: str, docs: list[Document], cluster: Cluster, operator: str,
                      other_way: str = "") -> list[Finding]:
    """Errors for KafkaTopics or KafkaUsers of a Kafka without the operator section that would
    make the chart manage them (`topicOperator`, `userOperator`): nothing would create them."""
    noun = kind.removeprefix("Kafka").lower()
    path = ("metadata", "labels", CLUSTER_LABEL)
    return [error(
        f"{noun}.not-managed",
        f"{kind} {doc.name} belongs to Kafka {cluster.name}, which does not manage {noun}s "
        f"(it has no spec.entityOperator.{operator}), so nothing would create the {noun}",
        doc.span_of(path), path, f"spec.entityOperator.{operator}: {{}} in Kafka {cluster.name}{other_way}",
        doc.describe()) for doc in docs]


def without_paused(docs: list[Document], findings: list[Finding]) -> list[Document]:
    """The KafkaTopics or KafkaUsers that are not paused: Strimzi's operators leave a resource
    annotated `strimzi.io/pause-reconciliation: "true"` alone, so the chart's Job does too (a
    note says so for each)."""
    kept = []
    for doc in docs:
        if str(doc.annotations.get(PAUSE_ANNOTATION, "false")).lower() != "true":
            kept.append(doc)
            continue
        noun = doc.kind.removeprefix("Kafka").lower()
        path = ("metadata", "annotations", PAUSE_ANNOTATION)
        findings.append(info(
            f"{noun}.paused", f"{doc.kind} {doc.name} is paused ({PAUSE_ANNOTATION}: \"true\"), so the chart's "
            f"{noun}s Job leaves the {noun} as it is in Kafka", doc.span_of(path), path,
            f"remove the annotation to let the Job manage the {noun} again", doc.describe()))
    return kept
