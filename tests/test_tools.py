"""compiler.tools: pinned tools from the cache, and schemas kubeconform resolves offline."""

from __future__ import annotations

import dataclasses
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import kubernetes_validate
import pytest

from compiler import kube_schemas, tools

FIXTURES = Path(__file__).parent / "fixtures" / "charts"
PACKAGED_SCHEMAS = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
KIND_FILE = "{{ .ResourceKind }}{{ .KindSuffix }}.json"


@pytest.fixture(scope="session")
def installed():
    """helm and kubeconform built once per cache (a no-op when already there)."""
    tools.install(["helm", "kubeconform"])


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def test_supported_kube_versions_are_what_kubernetes_validate_ships():
    shipped = sorted((m[1] for d in PACKAGED_SCHEMAS.iterdir()
                      if (m := re.fullmatch(r"v(\d+\.\d+\.\d+)-local-strict", d.name))),
                     key=_version_key)
    assert list(tools.SUPPORTED_KUBE_VERSIONS) == shipped
    assert tools.DEFAULT_KUBE_VERSIONS == tuple(shipped[-4:])


@pytest.mark.parametrize("given, expected", [
    ("1.34.0", "1.34.0"), ("1.34", "1.34.0"), ("v1.35", "1.35.0"), ("v1.36.0", "1.36.0"),
    ("1.37.4", "1.37.0"),
])
def test_kube_versions_are_normalized_to_the_schema_version(given, expected):
    assert tools.normalize_kube_version(given) == expected


@pytest.mark.parametrize("given", ["1.20.0", "1.99", "latest", ""])
def test_kube_versions_without_schemas_are_refused(given):
    with pytest.raises(ValueError, match="kubernetes-validate ships 1.25.0 to 1.37.0"):
        tools.normalize_kube_version(given)


def test_cache_dir_prefers_kafkac_cache_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KAFKAC_CACHE", str(tmp_path / "mine"))
    assert tools.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("KAFKAC_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert tools.cache_dir() == tmp_path / "xdg" / "kafkac"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert tools.cache_dir() == tmp_path / "home" / ".cache" / "kafkac"


def test_a_tool_not_installed_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("KAFKAC_CACHE", str(tmp_path))
    with pytest.raises(tools.ToolMissing) as raised:
        tools.path("helm")
    message = str(raised.value)
    assert "helm v3.22.0 is not installed" in message
    assert "kafkac tools install" in message
    with pytest.raises(tools.ToolMissing):
        tools.run("kubeconform", "-v")
    assert tools.versions()["opa"] == "v1.22.2 (not installed)"


def test_installing_without_go_says_to_install_go(monkeypatch, tmp_path):
    monkeypatch.setenv("KAFKAC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no `go` here
    with pytest.raises(tools.ToolMissing) as raised:
        tools.install(["kubeconform"])
    assert "Go is not installed" in str(raised.value)
    assert "Go >= 1.26" in str(raised.value)
    assert not (tmp_path / "cache" / "tools" / "kubeconform-v0.8.0").exists()


def test_unknown_tools_are_refused():
    with pytest.raises(ValueError, match="unknown tool 'kubectl'"):
        tools.path("kubectl")


def test_install_is_a_no_op_when_the_tools_are_there(installed):
    said = []
    tools.install(["helm", "kubeconform"], log=said.append)
    assert said == []
    for name in ("helm", "kubeconform"):
        binary = tools.path(name)
        assert binary.parent.name == f"{name}-{tools.TOOLS[name].version}"
    # Staging folders of these tools only: `make test` builds the tests' control plane meanwhile.
    leftovers = [p.name for p in (tools.cache_dir() / "tools").iterdir() if p.name.startswith((".helm-", ".kubeconform-"))]
    assert leftovers == []


def test_two_installs_at_once_build_a_tool_once(installed, monkeypatch, tmp_path):
    """Test runs, CI steps and a developer's shell may all install at once: the second waits
    for the first build instead of building the same tool again."""
    monkeypatch.setenv("KAFKAC_CACHE", str(tmp_path))
    said: list[str] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(tools.install, ["kubeconform"], said.append) for _ in range(2)]:
            done.result()
    assert len([line for line in said if line.startswith("building kubeconform")]) == 1
    assert any(line.startswith("waiting for another process that builds kubeconform") for line in said)
    assert tools.path("kubeconform").parent == tmp_path / "tools" / "kubeconform-v0.8.0"


def test_a_build_that_was_killed_leaves_nothing_for_long(installed, monkeypatch, tmp_path):
    """A killed build (make test stops the control plane's build when a test fails) leaves its
    staging folder; the next build of that tool removes it, and no other tool's."""
    monkeypatch.setenv("KAFKAC_CACHE", str(tmp_path))
    killed = tmp_path / "tools" / ".kubeconform-v0.8.0-killed"
    other = tmp_path / "tools" / ".helm-v3.22.0-building"
    for folder in (killed, other):
        (folder / ".module").mkdir(parents=True)
    tools.install(["kubeconform"])
    assert not killed.exists() and other.exists()
    assert tools.run("kubeconform", "-v").stdout.strip() == "v0.8.0"


def test_a_tool_can_be_built_in_a_main_module_of_its_own(installed, monkeypatch, tmp_path):
    """The way the tests' Kubernetes and etcd are built (`go install` refuses them): the same
    pinned version and link flags, from a main module written for the build."""
    monkeypatch.setenv("KAFKAC_CACHE", str(tmp_path))
    pinned = tools.TOOLS["kubeconform"]
    apart = dataclasses.replace(pinned, main_module=tools.MainModule("github.com/yannh/kubeconform"))
    said: list[str] = []
    tools.install([apart], log=said.append)
    assert said[0] == "building kubeconform v0.8.0 (go build in a main module of its own)"
    binary = tools.path(apart)
    assert binary == tmp_path / "tools" / "kubeconform-v0.8.0" / "kubeconform"
    assert sorted(p.name for p in binary.parent.iterdir()) == ["kubeconform"]
    assert tools.run("kubeconform", "-v").stdout.strip() == "v0.8.0"


def test_installed_binaries_report_their_pinned_versions(installed):
    reported = tools.versions()
    assert reported["helm"] == "v3.22.0 (v3.22.0)"
    assert reported["kubeconform"] == "v0.8.0 (v0.8.0)"
    assert set(reported) == {"cue", "opa", "helm", "kubeconform", "promtool"}


def test_run_returns_output_and_raises_tool_error_on_failure(installed, tmp_path):
    assert tools.run("kubeconform", "-v").stdout.strip() == "v0.8.0"
    failed = tools.run("helm", "show", "chart", str(tmp_path), check=False)
    assert failed.returncode != 0
    with pytest.raises(tools.ToolError) as raised:
        tools.run("helm", "show", "chart", str(tmp_path))
    error = raised.value
    assert (error.tool, error.code) == ("helm", failed.returncode)
    assert error.argv[1:] == ["show", "chart", str(tmp_path)]
    assert "Chart.yaml" in error.stderr
    assert str(error).startswith(f"helm exited with code {failed.returncode}: ")


def test_run_passes_stdin(installed):
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n"
    done = tools.run("kubeconform", "-strict", "-summary", "-kubernetes-version", "1.37.0",
                     "-schema-location", kube_schemas.kubeconform_schema_location("1.37.0"), "-",
                     input=manifest)
    assert "Valid: 1" in done.stdout


def test_schema_copy_is_self_contained():
    schema_dir = kube_schemas.kube_schema_dir("1.37")
    assert schema_dir.name == "v1.37.0-standalone-strict"
    assert schema_dir.parent.name == "kubernetes-validate-1.37.0"
    packaged = PACKAGED_SCHEMAS / "v1.37.0-local-strict"
    resources = sorted(p.name for p in packaged.glob("*.json")
                       if "kind" in json.loads(p.read_text()).get("properties", {}))
    assert sorted(p.name for p in schema_dir.iterdir()) == resources
    assert {"statefulset-apps-v1.json", "configmap-v1.json", "prometheusrule-monitoring-v1.json"} \
        - set(resources) == {"prometheusrule-monitoring-v1.json"}
    for schema_file in schema_dir.iterdir():
        text = schema_file.read_text()
        assert '"$id"' not in text, schema_file
        assert '"/api/' not in text and "_definitions.json" not in text, schema_file
    statefulset = json.loads((schema_dir / "statefulset-apps-v1.json").read_text())
    assert statefulset["properties"]["spec"]["$ref"] == "#/$defs/io.k8s.api.apps.v1.StatefulSetSpec"
    # Every definition it reaches is there, and only those: a PodSpec, but no Ingress.
    defined = statefulset["$defs"]
    assert "io.k8s.api.core.v1.PodSpec" in defined
    assert "io.k8s.api.networking.v1.IngressSpec" not in defined
    refs = set(re.findall(r'"\$ref": "#/\$defs/([^"]+)"', json.dumps(statefulset)))
    assert refs == set(defined)


def test_schema_copy_is_made_once(monkeypatch, tmp_path):
    monkeypatch.setenv("KAFKAC_CACHE", str(tmp_path))
    first = kube_schemas.kube_schema_dir("1.34.0")
    marker = first / "kept-from-the-first-run"
    marker.write_text("")
    assert kube_schemas.kube_schema_dir("v1.34") == first
    assert marker.exists()
    assert [p.name for p in first.parent.iterdir()] == ["v1.34.0-standalone-strict"]


def test_schema_location_is_a_kubeconform_template():
    location = kube_schemas.kubeconform_schema_location("1.36.0")
    assert location == f"{kube_schemas.kube_schema_dir('1.36.0')}/{KIND_FILE}"


def _offline(monkeypatch):
    # Any HTTP(S) request kubeconform makes goes to a closed local port and fails.
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")


def _kubeconform_statuses(schema_location: str, manifests: Path) -> list[str]:
    done = tools.run("kubeconform", "-strict", "-summary", "-verbose", "-output", "json",
                     "-kubernetes-version", "1.37.0", "-schema-location", schema_location,
                     str(manifests), check=False)
    return [result["status"] for result in json.loads(done.stdout)["resources"]]


def test_kubeconform_validates_offline_with_the_copy_and_not_with_the_package(
        installed, monkeypatch, tmp_path):
    manifests = tmp_path / "rendered.yaml"
    manifests.write_text(tools.run("helm", "template", "r", str(FIXTURES / "valid"),
                                   "--kube-version", "1.37.0").stdout)
    _offline(monkeypatch)

    copy = kube_schemas.kubeconform_schema_location("1.37.0")
    assert _kubeconform_statuses(copy, manifests) == ["statusValid", "statusValid"]

    # The same run on the package's own files reaches for https://kubernetes.io/api/.
    packaged = str(PACKAGED_SCHEMAS / "v1.37.0-local-strict" / KIND_FILE)
    assert _kubeconform_statuses(packaged, manifests) == ["statusError", "statusError"]
