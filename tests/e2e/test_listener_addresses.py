"""The brokers' address script (charts/kafka/files/kafka-address.sh), case by case, on a real API server.

The script runs on this machine as the broker pods' address init container
runs it, with the pinned kubectl first on PATH and a kubeconfig holding a token
of the Kafka pods' ServiceAccount, in a namespace of the test's own where the
chart's ServiceAccount, Role and RoleBinding and the objects it reads (Routes:
the API server serves them through tests/kube/crds.py) are created as
rendered; what the platform adds to them (a Route's host) is written as the
platform writes it. The chart's Role is all that lets the script read them.
tests/e2e/test_external_listeners.py runs the script in the brokers' pods of
a running cluster, for Services and a Node.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from ..kube.api_namespace import ApiNamespace, kubectl_folder
from ..kube import crds
from ..test_external_listeners import ROUTE_SPEC
from ..util import compile_chart, manifests_of

pytestmark = pytest.mark.e2e


def statefulset_of(manifests: list[dict]) -> dict:
    (statefulset,) = [m for m in manifests if m["kind"] == "StatefulSet"]
    return statefulset


def run_address_script(chart: Path, api: ApiNamespace, manifests: list[dict], account: str, pod_name: str,
                       tmp_path: Path) -> tuple[str, str]:
    """The chart's kafka-address.sh, run for real for `pod_name` as `account` (the Kafka pods')."""
    (init,) = statefulset_of(manifests)["spec"]["template"]["spec"]["initContainers"]
    env = {e["name"]: e["value"] for e in init["env"] if "value" in e}
    (tmp_path / "address").mkdir(parents=True)
    env.update({"POD_NAME": pod_name, "POD_NAMESPACE": api.name, "NODE_NAME": "node-a",
                "KAFKAC_ADDRESS_DIR": str(tmp_path / "address"), "KAFKAC_ADDRESS_WAIT_SECONDS": "0",
                "PATH": f"{kubectl_folder(tmp_path / 'bin')}:/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path),
                "KUBECONFIG": str(api.kubeconfig_for(account, tmp_path / "kubeconfig"))})
    done = subprocess.run(["bash", str(chart / "files" / "kafka-address.sh")], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return (tmp_path / "address" / "advertised-addresses").read_text(), done.stdout + done.stderr


def route_rules(manifests: list[dict]) -> list[str]:
    """The Routes the chart's Role lets the Kafka pods get, by name."""
    (role,) = [m for m in manifests if m["kind"] == "Role" and m["metadata"]["name"] == "my-cluster-kafka-address"]
    (rule,) = role["rules"]
    assert rule["apiGroups"] == ["route.openshift.io"] and rule["verbs"] == ["get"]
    return rule["resourceNames"]


def test_a_route_without_host_gets_the_host_openshift_gives_it(control_plane, kube_namespace, tmp_path):
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "kafka.yaml").write_text(ROUTE_SPEC)
    chart = compile_chart(tmp_path / "spec", tmp_path / "out", kube_versions=("1.37",))
    values = yaml.safe_load((chart / "values.yaml").read_text())
    assert values["nodePools"][0]["advertisedAddresses"] == "0 EXTERNAL-9094 - 443 -\n1 EXTERNAL-9094 - 443 -\n"
    manifests = manifests_of(chart, namespace=kube_namespace)
    routes = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Route"}
    assert "host" not in routes["my-cluster-dual-external-0"]["spec"]
    assert "host" not in routes["my-cluster-kafka-external-bootstrap"]["spec"]
    assert route_rules(manifests) == ["my-cluster-dual-external-0", "my-cluster-dual-external-1"]
    crds.ensure(control_plane, crds.ROUTES)
    api = ApiNamespace(control_plane, kube_namespace)
    api.apply(list(routes.values()))
    account = api.apply_job_rbac(manifests, statefulset_of(manifests))  # the pods' ServiceAccount, Role, binding
    for name in route_rules(manifests):
        api.wait_allowed(account, "get", f"route/{name}")
    # OpenShift writes the host it allocates into spec.host; a router's status has it too.
    api.patch("route", "my-cluster-dual-external-0",
              {"spec": {"host": "my-cluster-dual-external-0-kafka.apps.example.com"}})
    api.patch("route", "my-cluster-dual-external-1",
              {"status": {"ingress": [{"host": "my-cluster-dual-external-1-kafka.apps.example.com"}]}},
              subresource="status")
    assert "host" not in api.get("route", "my-cluster-dual-external-1")["spec"]

    found, log = run_address_script(chart, api, manifests, account, "my-cluster-dual-0", tmp_path / "0")
    assert found == "EXTERNAL-9094 my-cluster-dual-external-0-kafka.apps.example.com 443\n"
    assert "(Route my-cluster-dual-external-0)" in log
    found, _ = run_address_script(chart, api, manifests, account, "my-cluster-dual-1", tmp_path / "1")
    assert found == "EXTERNAL-9094 my-cluster-dual-external-1-kafka.apps.example.com 443\n"
