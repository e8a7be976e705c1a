"""A change to one config value reaches the pods as exactly that change plus a new
checksum, so `helm upgrade` rolls the pools and touches nothing else."""

import difflib
import shutil

import pytest

from .conftest import EXAMPLES
from .util import compile_chart, render_text


def _render(spec_dir, out) -> list[str]:
    return render_text(compile_chart(spec_dir, out, verify=False)).splitlines()


@pytest.mark.tools
def test_one_config_value_changes_only_that_line_and_the_checksums(tmp_path, installed_tools):
    before_dir, after_dir = tmp_path / "before", tmp_path / "after"
    shutil.copytree(EXAMPLES / "production", before_dir)
    shutil.copytree(EXAMPLES / "production", after_dir)
    spec = after_dir / "kafka.yaml"
    spec.write_text(spec.read_text().replace("log.retention.hours: 168", "log.retention.hours: 72"))

    before, after = _render(before_dir, tmp_path / "out-before"), _render(after_dir, tmp_path / "out-after")
    changed = [line for line in difflib.unified_diff(before, after, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]

    pools = 3
    assert sorted(changed) == sorted(
        ["-    log.retention.hours=168"] * pools + ["+    log.retention.hours=72"] * pools
        + [line for line in changed if "kafkac.io/config-checksum" in line]), "\n".join(changed)
    checksums = [line for line in changed if "kafkac.io/config-checksum" in line]
    assert len(checksums) == 2 * pools, "every pool's pod template must get a new checksum"
