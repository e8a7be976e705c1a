"""The project file, .kafkac.yaml: found beside the specs or up to the repository root, read
with positions, and its profile deciding for compile what no option or annotation decides."""

from pathlib import Path

from compiler import project, tools
from compiler.check import cluster_profile
from compiler.check_options import DEFAULT_PROFILE, REPORT_ONLY, CheckOptions
from compiler.pipeline import read_specs

from .conftest import EXAMPLES


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_found_beside_the_specs_or_in_a_parent_up_to_the_repository_root(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    spec = _write(tmp_path / "repo" / "kafka" / "prod" / "kafka.yaml", "")
    assert project.find([spec]) is None
    at_root = _write(tmp_path / "repo" / ".kafkac.yaml", "profile: prod\n")
    assert project.find([spec]) == at_root
    assert project.find([spec.parent]) == at_root
    beside = _write(tmp_path / "repo" / "kafka" / "prod" / ".kafkac.yaml", "profile: dev\n")
    assert project.find([spec]) == beside
    # Not above the repository root.
    _write(tmp_path / ".kafkac.yaml", "profile: prod\n")
    other = _write(tmp_path / "other" / ".git" / "HEAD", "")
    assert project.find([other.parent.parent]) is None


def test_settings_are_read_and_folders_are_relative_to_the_file(tmp_path):
    (tmp_path / "rules").mkdir()
    _write(tmp_path / ".kafkac.yaml", 'profile: dev\npolicies: [rules]\nkubernetesVersions: ["1.35"]\n')
    settings = project.read([tmp_path], tools.normalize_kube_version)
    assert settings.findings == []
    assert settings.profile == "dev"
    assert settings.policy_dirs == (str(tmp_path / "rules"),)
    assert settings.kube_versions == (tools.normalize_kube_version("1.35"),)


def test_each_wrong_setting_is_a_positioned_finding(tmp_path):
    _write(tmp_path / ".kafkac.yaml", "profile: staging\npolices: []\npolicies: [missing]\n"
                                       'kubernetesVersions: ["0.9"]\n')
    findings = project.read([tmp_path], tools.normalize_kube_version).findings
    assert [(f.span.line, f.span.col, f.rule) for f in findings] == [
        (2, 1, "project.setting"), (1, 10, "project.setting"), (3, 12, "project.setting"),
        (4, 22, "project.setting")]
    assert all(f.expected for f in findings)
    assert "'polices' is not a setting" in findings[0].message


def test_the_profile_comes_from_the_option_the_annotation_the_project_file_then_the_default():
    model, _ = read_specs([EXAMPLES / "production"])
    cluster = model.clusters[0]
    assert PROFILE_ANNOTATION not in cluster.document.annotations
    assert cluster_profile(cluster, CheckOptions())[0] == DEFAULT_PROFILE
    assert cluster_profile(cluster, CheckOptions(unchosen=REPORT_ONLY))[0] is REPORT_ONLY
    assert cluster_profile(cluster, CheckOptions(unchosen=REPORT_ONLY, project_profile="dev"))[0] == "dev"
    assert cluster_profile(cluster, CheckOptions(profile="prod", project_profile="dev"))[0] == "prod"
    annotated, _ = read_specs([EXAMPLES / "quickstart"])
    assert cluster_profile(annotated.clusters[0], CheckOptions(project_profile="prod"))[0] == "dev"


PROFILE_ANNOTATION = "kafkac.io/profile"
