"""The topics Job's record step (charts/kafka/files/topics-record.sh), case by case, on a real API server.

The script runs on this machine as the Job's record container runs it, with its
inputs in files and its environment set, the pinned kubectl first on PATH and a
kubeconfig holding a token of a ServiceAccount of the test's namespace, bound to
a Role like the one the chart renders for the Job (get and patch on the state
ConfigMap by name), or to less. What it wrote is read back from the API server
and from its audit log. The whole Job, with the chart's own Role, runs in
tests/e2e/test_topics.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from compiler.project_files import CHARTS

from ..kube.api_namespace import ApiNamespace, kubectl_folder

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("jq") is None and not os.environ.get("CI"),
                                 reason="the record step needs jq, as the kubectl image has (Debian package jq)")]

RECORD = CHARTS / "kafka" / "files" / "topics-record.sh"
STATE = "c-kafka-topics-state-0"
ACCOUNT = "c-kafka-topics"
ALLOWED = ["get", "patch"]


def record_step(api: ApiNamespace, tmp_path: Path, status: str, new: str, old: str | None,
                verbs: list[str]) -> tuple[subprocess.CompletedProcess, dict]:
    """Run the record step once, the state ConfigMap made empty first (as the chart makes it) and the
    Job's account allowed `verbs` on it; the ConfigMap as the API server has it afterwards."""
    topics, work = tmp_path / "topics", tmp_path / "work"
    work.mkdir()
    (work / "status").write_text(status + "\n")
    (work / "state-0.jsonl").write_text(new)
    if old is not None:
        (topics / "state" / "0").mkdir(parents=True)
        (topics / "state" / "0" / "state.jsonl").write_text(old)
    meta = {"namespace": api.name}
    api.apply([
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": STATE, **meta}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": ACCOUNT, **meta}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": ACCOUNT, **meta},
         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [STATE], "verbs": verbs}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": ACCOUNT, **meta},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ACCOUNT},
         "subjects": [{"kind": "ServiceAccount", "name": ACCOUNT, "namespace": api.name}]}])
    kubeconfig = api.kubeconfig_for(ACCOUNT, tmp_path / "kubeconfig")
    for verb in verbs:
        api.wait_allowed(ACCOUNT, verb, f"configmap/{STATE}")
    env = {"PATH": f"{kubectl_folder(tmp_path / 'bin')}:/usr/local/bin:/usr/bin:/bin",
           "HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig), "KAFKAC_WORK_DIR": str(work),
           "KAFKAC_NAMESPACE": api.name, "KAFKAC_STATE_CONFIGMAPS": STATE, "KAFKAC_TOPICS_DIR": str(topics)}
    done = subprocess.run(["bash", str(RECORD)], env=env, capture_output=True, text=True, timeout=60)
    return done, api.get("configmap", STATE)


@pytest.fixture
def api(control_plane, kube_namespace) -> ApiNamespace:
    return ApiNamespace(control_plane, kube_namespace)


@pytest.mark.parametrize("status, code", [("ok", 0), ("refused", 3), ("failed", 1)])
def test_record_step_stores_the_record_and_ends_with_the_outcome(api, tmp_path, status, code):
    done, config_map = record_step(api, tmp_path, status, '{"name":"a"}\n', None, ALLOWED)
    assert done.returncode == code, done.stderr
    assert config_map["data"] == {"state.jsonl": '{"name":"a"}\n'}
    assert api.writes() == [f"patch configmap {api.name}/{STATE}"]


def test_record_step_writes_nothing_when_the_record_is_unchanged(api, tmp_path):
    done, config_map = record_step(api, tmp_path, "ok", '{"name":"a"}\n', '{"name":"a"}\n', ALLOWED)
    assert done.returncode == 0, done.stderr
    assert "the record is unchanged" in done.stdout
    assert "data" not in config_map and api.writes() == []


def test_record_step_needs_the_role_it_is_given(api, tmp_path):
    done, config_map = record_step(api, tmp_path, "ok", '{"name":"a"}\n', None, ["get"])
    assert done.returncode != 0 and "Forbidden" in done.stderr
    assert "data" not in config_map and api.writes() == []
