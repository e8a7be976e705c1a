"""The Kafka Services and PodDisruptionBudgets select Kafka nodes and nothing else
(Kafka Exporter's select its own Deployment's pod and nothing else).

A hook Job's pod that a Service selected would receive client traffic, and one
a PodDisruptionBudget selected would count against the nodes' budget.
"""


import pytest
import yaml

from .conftest import GOLDEN, example_names


def _rendered(example: str) -> list[dict]:
    documents = []
    for path in sorted((GOLDEN / example).glob("*.rendered.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents


def _pod_templates(documents: list[dict]) -> list[tuple[str, dict]]:
    pods = []
    for d in documents:
        if d["kind"] not in ("StatefulSet", "Job", "Deployment"):
            continue
        owner, labels = f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["metadata"].get("labels") or {}
        if d["kind"] != "StatefulSet":
            pods.append((owner, labels))
            continue
        # The StatefulSet controller labels each pod with its name.
        start = (d["spec"].get("ordinals") or {}).get("start", 0)
        pods += [(owner, {**labels, "statefulset.kubernetes.io/pod-name": f"{d['metadata']['name']}-{i}"})
                 for i in range(start, start + d["spec"]["replicas"])]
    return pods


def _selectors(documents: list[dict]) -> list[tuple[str, dict]]:
    selectors = []
    for d in documents:
        if d["kind"] == "Service" and d["spec"].get("selector"):
            selectors.append((f"Service/{d['metadata']['name']}", d["spec"]["selector"]))
        elif d["kind"] == "PodDisruptionBudget":
            selectors.append((f"PodDisruptionBudget/{d['metadata']['name']}",
                              d["spec"]["selector"]["matchLabels"]))
    return selectors


@pytest.mark.parametrize("example", example_names())
def test_kafka_selectors_match_only_statefulset_pods(example):
    documents = _rendered(example)
    pods, selectors = _pod_templates(documents), _selectors(documents)
    assert any(owner.startswith("Job/") for owner, _ in pods), "expected hook Jobs to check against"
    for selector_name, selector in selectors:
        matched = [owner for owner, labels in pods
                   if all(labels.get(key) == value for key, value in selector.items())]
        assert matched, f"{selector_name} selects no pod"
        _, name = selector_name.split("/")
        if name.endswith("-kafka-exporter"):
            assert matched == [f"Deployment/{name}"], f"{selector_name} {selector} selects {matched}"
            continue
        assert all(owner.startswith("StatefulSet/") for owner in matched), \
            f"{selector_name} {selector} selects {matched}"
