"""Strings from a spec reach the manifests as data: Helm never evaluates them."""

import pytest

from .conftest import EXAMPLES
from .util import compile_chart, manifests_of

TEMPLATE_LOOKING = '{{ lookup "v1" "Secret" "kube-system" "x" }}'
IMAGE = "registry.example.com/kafka:{{ .Release.Name }}"


@pytest.mark.tools
def test_template_syntax_in_config_and_image_comes_out_literally(tmp_path, installed_tools):
    spec = (EXAMPLES / "quickstart" / "kafka.yaml").read_text()
    spec = spec.replace("      min.insync.replicas: 1\n",
                        f"      min.insync.replicas: 1\n      ssl.cipher.suites: '{TEMPLATE_LOOKING}'\n")
    spec = spec.replace("    version: 4.3.1\n", f"    version: 4.3.1\n    image: '{IMAGE}'\n")
    (tmp_path / "kafka.yaml").write_text(spec)
    chart = compile_chart(tmp_path / "kafka.yaml", tmp_path / "out")
    manifests = manifests_of(chart)
    config_map = next(m for m in manifests if m and m["kind"] == "ConfigMap"
                      and "server.properties" in m["data"])
    assert f"ssl.cipher.suites={TEMPLATE_LOOKING}" in config_map["data"]["server.properties"].splitlines()
    stateful_set = next(m for m in manifests if m and m["kind"] == "StatefulSet")
    assert stateful_set["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE
