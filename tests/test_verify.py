"""compiler.verify with the real helm and kubeconform on small fixture charts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from compiler import tools
from compiler.findings import Severity
from compiler.verify import Chart, _schema_errors, render, verify, verify_charts

from .conftest import EXAMPLES
from .util import compile_chart

FIXTURES = Path(__file__).parent / "fixtures" / "charts"
ALL_VERSIONS = ", ".join(tools.DEFAULT_KUBE_VERSIONS)


@pytest.fixture(scope="session", autouse=True)
def installed():
    tools.install(["helm", "kubeconform"])


def _by_rule(findings, rule):
    return [f for f in findings if f.rule == rule]


@pytest.mark.parametrize("kube_version", tools.DEFAULT_KUBE_VERSIONS)
def test_a_valid_chart_has_no_findings(kube_version):
    assert verify(FIXTURES / "valid", kube_versions=[kube_version]) == []


def test_an_unknown_field_is_an_error_naming_the_field():
    findings = verify(FIXTURES / "wrong", display_dir="out/wrong")
    [unknown] = [f for f in _by_rule(findings, "kubeconform.invalid") if "bogus" in f.message]
    assert unknown.severity is Severity.ERROR
    assert str(unknown.span) == "out/wrong/templates/broker/statefulset.yaml"
    assert unknown.path == ("spec", "template", "spec", "containers", 0, "bogus")
    assert unknown.resource == "StatefulSet/kafkac-verify-broker"
    assert unknown.message == (
        "StatefulSet/kafkac-verify-broker: spec.template.spec.containers[0].bogus: "
        f"additional properties 'bogus' not allowed (Kubernetes {ALL_VERSIONS})")


def test_a_wrong_type_is_an_error_naming_the_field():
    findings = verify(FIXTURES / "wrong", display_dir="out/wrong")
    [wrong_type] = [f for f in _by_rule(findings, "kubeconform.invalid")
                    if f.path == ("spec", "replicas")]
    assert wrong_type.is_error
    assert str(wrong_type.span) == "out/wrong/templates/broker/statefulset.yaml"
    assert "spec.replicas: got string, want null or integer" in wrong_type.message


def test_a_kind_without_a_schema_is_an_error_unless_skipped_explicitly():
    findings = verify(FIXTURES / "wrong", kube_versions=["1.36", "1.37.0"])
    [missing] = _by_rule(findings, "kubeconform.missing-schema")
    assert missing.is_error
    assert missing.span.file.endswith("fixtures/charts/wrong/templates/broker/servicemonitor.yaml")
    assert missing.message == (
        "ServiceMonitor/kafkac-verify-broker: no schema for monitoring.coreos.com/v1 "
        "ServiceMonitor, so it cannot be checked (Kubernetes 1.36.0, 1.37.0)")

    for skip in ("ServiceMonitor", "monitoring.coreos.com/v1/ServiceMonitor"):
        skipped = verify(FIXTURES / "wrong", kube_versions=["1.37"], extra_kinds_skip=[skip])
        assert _by_rule(skipped, "kubeconform.missing-schema") == []
        assert len(_by_rule(skipped, "kubeconform.invalid")) == 2


def test_helm_lint_strict_warnings_are_errors():
    findings = verify(FIXTURES / "lint-fails", display_dir="out/lint-fails")
    [lint] = findings
    assert (lint.rule, lint.severity) == ("helm.lint", Severity.ERROR)
    assert str(lint.span) == "out/lint-fails/templates/configmap.yaml"
    assert "does not conform to Kubernetes naming requirements" in lint.message
    assert lint.message.endswith(f"(Kubernetes {ALL_VERSIONS})")


def test_charts_verified_together_find_what_each_finds_alone_at_its_own_chart():
    names = ("valid", "lint-fails", "wrong", "render-fails", "rules-fail")
    charts = [Chart(FIXTURES / name, Path("out") / name) for name in names]
    together = verify_charts(charts)
    alone = sorted((f for name in names for f in verify(FIXTURES / name, display_dir=f"out/{name}")),
                   key=lambda f: f.sort_key())
    assert together == alone
    assert {f.span.file.split("/")[1] for f in together} == {"lint-fails", "wrong", "render-fails", "rules-fail"}


def test_an_alert_rule_prometheus_cannot_parse_is_an_error_at_its_template():
    [finding] = verify(FIXTURES / "rules-fail", kube_versions=["1.37.0"], display_dir="out/alerts")
    assert (finding.rule, str(finding.span), finding.resource) == (
        "promtool.rules", "out/alerts/templates/alerts.yaml", "PrometheusRule/kafkac-verify-alerts")
    assert 'group "broken", rule 1, "Unparsable": could not parse expression' in finding.message


def test_a_template_that_fails_to_render_is_an_error_at_its_position():
    findings = verify(FIXTURES / "render-fails", kube_versions=["1.37.0"], display_dir="out/x")
    [failed] = _by_rule(findings, "helm.template")
    assert str(failed.span) == "out/x/templates/configmap.yaml:6:12"
    assert "image is required" in failed.message


def test_a_folder_without_a_chart_is_one_finding(tmp_path):
    [finding] = verify(tmp_path / "nothing", display_dir="out/nothing")
    assert (finding.rule, str(finding.span)) == ("verify.not-a-chart", "out/nothing")


def test_render_is_one_stream_for_the_given_kube_version_and_values(tmp_path):
    values = tmp_path / "three.yaml"
    values.write_text("replicas: 3\n")
    stream = render(FIXTURES / "valid", "1.35", "my-cluster", "kafka", values_files=[values])
    documents = [d for d in yaml.safe_load_all(stream) if d]
    assert [(d["kind"], d["metadata"]["name"]) for d in documents] == [
        ("Service", "my-cluster-brokers"), ("StatefulSet", "my-cluster-broker")]
    statefulset = documents[1]
    assert statefulset["metadata"]["namespace"] == "kafka"
    assert statefulset["metadata"]["annotations"]["example.invalid/rendered-for"] == "v1.35.0"
    assert statefulset["spec"]["replicas"] == 3
    assert "# Source: tiny/templates/broker/statefulset.yaml" in stream


def test_render_raises_tool_error_when_helm_fails():
    with pytest.raises(tools.ToolError, match="image is required"):
        render(FIXTURES / "render-fails", "1.37.0", "r", "kafka")


def test_nested_schema_errors_keep_only_the_leaves():
    # kubeconform's msg for an error tree three levels deep (newlines became spaces).
    message = ("problem validating schema. Check JSON formatting: jsonschema validation failed "
               "with 'file:///s/statefulset-apps-v1.json#' - at '/spec': validation failed"
               "   - at '/spec/template': validation failed"
               "     - at '/spec/template/metadata/labels/a': got number, want string"
               "   - at '/spec/replicas': got string, want null or integer")
    assert _schema_errors(message, [{"path": "/spec", "msg": "validation failed"}]) == [
        ("/spec/template/metadata/labels/a", "got number, want string"),
        ("/spec/replicas", "got string, want null or integer"),
    ]


def test_a_certificate_a_job_applies_is_checked_against_cert_managers_crd(tmp_path):
    """The Certificates the Jobs apply are data in a ConfigMap; kubeconform still checks them."""
    chart = compile_chart(EXAMPLES / "cert-manager", tmp_path, verify=False)
    values = chart / "values.yaml"
    values.write_text(values.read_text().replace('- "client auth"', '- "client authentication"'))
    findings = verify(chart, kube_versions=[tools.DEFAULT_KUBE_VERSIONS[-1]], display_dir="out/cm")
    assert {(str(f.span), f.resource) for f in _by_rule(findings, "kubeconform.invalid")} == {
        ("out/cm/templates/certificates/configmap.yaml", "Certificate/cm-cluster-kafka-node-certs"),
        ("out/cm/templates/certificates/configmap.yaml", "Certificate/cm-cluster-kafka-exporter-certs"),
        ("out/cm/templates/users/configmap.yaml", "Certificate/billing")}


def test_rendered_manifests_are_read_as_the_api_server_reads_them_with_dates_as_text():
    from compiler.manifests import manifests

    assert manifests("a: 2026-01-01\nb: on\nc: '0755'\n---\n---\nd: [1]\n") == [
        {"a": "2026-01-01", "b": True, "c": "0755"}, {"d": [1]}]
