"""Compiled charts against a real Kubernetes API server (tests/kube/control_plane.py).

No node serves these tests' namespaces, so no pod runs: `helm install` runs
with --no-hooks (the hook Jobs could never complete), and the hook objects are
created apart where a test needs them (test_kube_node.py installs with hooks,
its pods run by the tests' node). What is tested is what the API server
decides: every object of the chart is accepted (server-side validation and
admission), `helm upgrade` leaves the Secrets alone, `helm uninstall` leaves
what Strimzi's users expect, and each Job's ServiceAccount has exactly the
rights its scripts' kubectl calls need.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from compiler import tools
from compiler.project_files import CHARTS

from ..conftest import EXAMPLES
from ..util import compile_chart, documents
from .kube import certificates_job_secrets, secrets_of

pytestmark = pytest.mark.e2e

SCRIPTS = CHARTS / "kafka" / "files"
HOOK = "helm.sh/hook"


@pytest.fixture(scope="module")
def charts(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("charts")
    return {name: compile_chart(EXAMPLES / name, out / name) for name in ("quickstart", "secure")}


def helm(plane, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    home = plane.folder / "helm"
    env = {**os.environ, "KUBECONFIG": str(plane.kubeconfig), "HELM_CACHE_HOME": str(home / "cache"),
           "HELM_CONFIG_HOME": str(home / "config"), "HELM_DATA_HOME": str(home / "data")}
    argv = [str(tools.path("helm")), *args]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} exited with {done.returncode}:\n{done.stderr}{done.stdout}")
    return done


def rendered(plane, chart: Path, namespace: str) -> list[dict]:
    """The chart's objects as helm renders them for this API server (hooks included)."""
    return documents(helm(plane, "template", chart.name, str(chart), "--namespace", namespace,
                          "--kube-version", _server_version(plane)).stdout)


def _server_version(plane) -> str:
    return yaml.safe_load(plane.kubectl("version", "--output", "yaml").stdout)["serverVersion"]["gitVersion"]


# --- install, upgrade, uninstall --------------------------------------------------------------

@pytest.mark.parametrize("example", ["quickstart", "secure"])
def test_install_upgrade_uninstall_on_a_real_api_server(control_plane, kube_namespace, charts, example):
    plane, namespace, chart = control_plane, kube_namespace, charts[example]
    objects = rendered(plane, chart, namespace)
    hooks = [o for o in objects if HOOK in (o["metadata"].get("annotations") or {})]
    # Hooks are not installed here (no node runs their Jobs): the API server still judges them.
    plane.kubectl("create", "--dry-run=server", "--namespace", namespace, "--filename", "-",
                  input=yaml.safe_dump_all(hooks))

    helm(plane, "install", chart.name, str(chart), "--namespace", namespace, "--no-hooks")
    release = [o for o in objects if o not in hooks]
    for obj in release:
        kind, name = obj["kind"], obj["metadata"]["name"]
        scope = [] if kind in ("ClusterRole", "ClusterRoleBinding") else ["--namespace", namespace]
        plane.kubectl("get", kind, name, *scope)  # the API server kept what helm sent

    values = yaml.safe_load((chart / "values.yaml").read_text())
    for name in certificates_job_secrets(values):
        plane.kubectl("create", "secret", "generic", name, "--namespace", namespace,
                      f"--from-literal=made-by=the-certificates-job-{name}")
    before = secrets_of(plane, namespace)

    helm(plane, "upgrade", chart.name, str(chart), "--namespace", namespace, "--no-hooks")
    after = secrets_of(plane, namespace)
    release_records = {n for n in after if n.startswith("sh.helm.release.")}
    assert {n: v for n, v in after.items() if n not in release_records} == \
           {n: v for n, v in before.items() if n not in release_records}, "helm upgrade changed a Secret"
    assert len(release_records) == 2, "one release record per revision"

    claims_before = _names(plane, "persistentvolumeclaims", namespace)
    helm(plane, "uninstall", chart.name, "--namespace", namespace, "--wait", "--timeout", "120s")
    for obj in release:
        kind, name = obj["kind"], obj["metadata"]["name"]
        scope = [] if kind in ("ClusterRole", "ClusterRoleBinding") else ["--namespace", namespace]
        gone = plane.kubectl("get", kind, name, *scope, "--ignore-not-found", "--output", "name")
        assert gone.stdout.strip() == "", f"{kind} {name} is left after helm uninstall"
    kept = secrets_of(plane, namespace)
    for name in certificates_job_secrets(values):
        assert kept[name][0] == before[name][0], f"helm uninstall removed the CA or node Secret {name}"
    # The brokers' volumes outlive the release (persistentVolumeClaimRetentionPolicy Retain).
    assert _names(plane, "persistentvolumeclaims", namespace) >= claims_before


def _names(plane, resource: str, namespace: str) -> set[str]:
    items = plane.get_json(resource, "--namespace", namespace)["items"]
    return {item["metadata"]["name"] for item in items}


def test_statefulset_claims_come_from_the_chart(control_plane, kube_namespace, charts):
    """The StatefulSet controller makes a claim per broker volume although no pod can run."""
    plane, namespace, chart = control_plane, kube_namespace, charts["secure"]
    helm(plane, "install", chart.name, str(chart), "--namespace", namespace, "--no-hooks")
    objects = rendered(plane, chart, namespace)
    expected = {f"{template['metadata']['name']}-{s['metadata']['name']}-{ordinal}"
                for s in objects if s["kind"] == "StatefulSet"
                for template in s["spec"].get("volumeClaimTemplates", [])
                for ordinal in _ordinals(s["spec"])}
    assert expected, "the secure example has persistent storage"
    _wait_for(lambda: expected <= _names(plane, "persistentvolumeclaims", namespace),
              f"claims {sorted(expected)}")


def _ordinals(spec: dict) -> range:
    """A StatefulSet's pod numbers: node pools number theirs from spec.ordinals.start."""
    start = (spec.get("ordinals") or {}).get("start", 0)
    return range(start, start + spec["replicas"])


def _wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"no {what} after {timeout:g} s")


# --- the Jobs' Roles are exact -----------------------------------------------------------------

# A kubectl call of a script: `kubectl <verb> <kind>`, or `kubectl <verb> --filename` with the kind
# of the manifest the script writes.
KUBECTL_CALL = re.compile(r"\bkubectl\s+(get|patch|create|replace|delete|apply)\s+(\S+)")
API_VERB = {"get": "get", "patch": "patch", "create": "create", "replace": "update",
            "delete": "delete", "apply": "patch"}
RESOURCE = {"secret": "secrets", "configmap": "configmaps", "service": "services",
            "route": "routes.route.openshift.io", "Secret": "secrets"}


@dataclass(frozen=True)
class Access:
    verb: str
    resource: str
    name: str | None  # None: the API cannot limit the verb to names (create)

    def args(self) -> list[str]:
        return [self.verb, f"{self.resource}/{self.name}" if self.name else self.resource]


def script_calls(script: str) -> list[tuple[str, str]]:
    """(API verb, resource or a variable) of each kubectl call of the script, in order."""
    text = (SCRIPTS / script).read_text()
    manifest_kind = re.search(r'kind: "(\w+)"', text)
    calls = []
    for verb, target in KUBECTL_CALL.findall(text):
        if target.startswith("--filename"):
            assert manifest_kind, f"{script}: kubectl {verb} --filename of a manifest of no kind"
            target = manifest_kind[1]
        calls.append((API_VERB[verb], target))
    return calls


def needed_access(job: dict, values: dict) -> set[Access]:
    """What each step of the Job asks the API server, from its script's kubectl calls and its env."""
    needed = set()
    pod = job["spec"]["template"]["spec"]
    for container in pod.get("initContainers", []) + pod["containers"]:
        script = Path(container["command"][-1]).name
        if not (SCRIPTS / script).is_file():
            continue
        env = {e["name"]: e.get("value", "") for e in container.get("env", [])}
        for verb, target in script_calls(script):
            needed |= _accesses(verb, target, env, script, values)
    return needed


def _accesses(verb: str, target: str, env: dict[str, str], script: str, values: dict) -> set[Access]:
    if target == '"$1"':  # object_addresses <kind> <name>: the listeners' Services and Routes
        return ({Access(verb, "services", n) for n in env.get("KAFKAC_ADDRESS_SERVICES", "").split()}
                | {Access(verb, RESOURCE["route"], n) for n in env.get("KAFKAC_ADDRESS_ROUTES", "").split()})
    resource = RESOURCE[target.strip('"')]
    if verb == "create":
        return {Access(verb, resource, None)}
    if verb == "get" and resource == "secrets":
        return {Access(verb, resource, n) for n in _fetched_secrets(env)}
    if verb == "patch" and resource == "configmaps":
        return {Access(verb, resource, n) for n in env["KAFKAC_STATE_CONFIGMAPS"].split()}
    if verb == "update" and resource == "secrets":
        return {Access(verb, resource, n) for n in _renewed_secrets(env, values)}
    raise AssertionError(f"{script}: no rule for kubectl {verb} {target}; add one here")


def _fetched_secrets(env: dict[str, str]) -> list[str]:
    """certs-fetch.sh's list: $KAFKAC_FETCH_SECRETS, else every KAFKAC_*_SECRET it is given."""
    named = env.get("KAFKAC_FETCH_SECRETS", "").split() or [
        value for name, value in env.items()
        if re.fullmatch(r"KAFKAC_\w+_SECRET", name) and value]
    return named + env.get("KAFKAC_CERT_MANAGER_SECRETS", "").split()


def _renewed_secrets(env: dict[str, str], values: dict) -> list[str]:
    """The Secrets certs-store.sh replaces: re-issued certificates, and CAs the Job generates."""
    if env.get("KAFKAC_SECRET_METADATA_FILE"):  # the users Job (so the script tells): its TLS users' Secrets
        return list(values["users"].get("tlsUserSecrets") or [])
    certificates = values["certificates"]
    names = [certificates["nodeCertSecret"]]
    if certificates["generateCertificateAuthority"]:
        names += [certificates["clusterCaCertSecret"], certificates["clusterCaSecret"]]
    if certificates["clientsCa"]["generateCertificateAuthority"]:
        names += [certificates["clientsCa"]["certSecret"], certificates["clientsCa"]["secret"]]
    return names


def one_step_beyond(needed: set[Access]) -> set[Access]:
    """For each right: another verb on the same object, another object of the same kind,
    another kind; and listing or deleting what it reads."""
    beyond = set()
    for access in needed:
        beyond.add(Access("delete", access.resource, access.name or "any"))
        beyond.add(Access("list", access.resource, None))
        beyond.add(Access("watch", access.resource, None))
        if access.name:
            beyond.add(Access(access.verb, access.resource, "not-this-one"))
        other = "configmaps" if access.resource == "secrets" else "secrets"
        beyond.add(Access(access.verb, other, access.name))
    beyond.add(Access("get", "pods", None))
    beyond.add(Access("create", "pods", None))
    beyond.add(Access("create", "rolebindings.rbac.authorization.k8s.io", None))
    return beyond - needed


def can(plane, namespace: str, service_account: str, access: Access, in_namespace: str | None = None) -> bool:
    done = plane.kubectl("auth", "can-i", *access.args(), "--namespace", in_namespace or namespace,
                         f"--as=system:serviceaccount:{namespace}:{service_account}", check=False)
    assert done.stdout.strip() in ("yes", "no"), done.stderr
    return done.stdout.strip() == "yes"


@pytest.mark.parametrize("example", ["quickstart", "secure"])
def test_each_jobs_role_allows_its_scripts_calls_and_nothing_beyond(control_plane, kube_namespace,
                                                                    charts, example):
    plane, namespace, chart = control_plane, kube_namespace, charts[example]
    objects = rendered(plane, chart, namespace)
    # Every object, hooks too, created as it is: the Jobs' pods stay Pending (no node).
    plane.kubectl("create", "--namespace", namespace, "--filename", "-", input=yaml.safe_dump_all(objects))
    values = yaml.safe_load((chart / "values.yaml").read_text())
    other_namespace = f"{namespace}-other"
    plane.kubectl("create", "namespace", other_namespace)

    jobs = [o for o in objects if o["kind"] == "Job"]
    assert {j["metadata"]["name"] for j in jobs} >= {values["certificates"]["job"]["name"]}
    checked = {}
    try:
        for job in jobs:
            account = job["spec"]["template"]["spec"].get("serviceAccountName")
            needed = needed_access(job, values)
            if not needed:
                # A Job that calls no kubectl must run with no right at all.
                assert not can(plane, namespace, account or "default", Access("get", "secrets", None))
                continue
            refused = [a for a in sorted(needed, key=repr) if not can(plane, namespace, account, a)]
            assert not refused, f"{job['metadata']['name']}: its ServiceAccount {account} may not {refused}"
            allowed = [a for a in sorted(one_step_beyond(needed), key=repr) if can(plane, namespace, account, a)]
            assert not allowed, f"{job['metadata']['name']}: its ServiceAccount {account} may also {allowed}"
            elsewhere = [a for a in sorted(needed, key=repr) if can(plane, namespace, account, a, other_namespace)]
            assert not elsewhere, f"{job['metadata']['name']}: {account} may {elsewhere} in another namespace"
            checked[job["metadata"]["name"]] = len(needed)
    finally:
        plane.kubectl("delete", "namespace", other_namespace, "--wait=false", check=False)
    assert checked, "no Job of the chart calls kubectl"
