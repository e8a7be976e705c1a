import os
from pathlib import Path

import pytest

from compiler import tools

from . import host_tools

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "golden"
# Strimzi's own examples and CRDs: real inputs nobody here wrote. CI has them
# beside the clone; elsewhere point KAFKAC_STRIMZI_CORPUS at a copy.
STRIMZI_CORPUS = Path(os.environ.get("KAFKAC_STRIMZI_CORPUS",
                                     ROOT.parent / "shared" / "corpus" / "strimzi"))


def require_strimzi_corpus() -> None:
    require_corpus(STRIMZI_CORPUS / "examples",
                   "set KAFKAC_STRIMZI_CORPUS to a folder with Strimzi's examples/ and crds/")


def require_corpus(folder: Path, how: str) -> None:
    """Skip outside CI when a corpus folder is absent; in CI its absence is a failure."""
    if folder.is_dir():
        return
    message = f"corpus not found at {folder}; {how}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


BUSYBOX = str(host_tools.busybox())


def with_busybox(value):
    """A test parameter that runs with the pinned BusyBox (`make test` installs it): outside CI a
    missing BusyBox skips it; in CI it must be there, so the test fails."""
    return pytest.param(value, marks=pytest.mark.skipif(
        not os.path.exists(BUSYBOX) and not os.environ.get("CI"),
        reason=f"BusyBox is not installed at {BUSYBOX}; `python -m tests.host_tools install` fetches it"))


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite golden/ from what the compiler produces now")
    parser.addoption("--fuzz-examples", type=int, default=int(os.environ.get("KAFKAC_FUZZ_EXAMPLES", "60")),
                     help="examples per strategy in tests/test_fuzz.py (default 60, or KAFKAC_FUZZ_EXAMPLES)")


def pytest_collection_modifyitems(items):
    """The tests on the Kubernetes control plane run last: `make test` builds it meanwhile."""
    items.sort(key=lambda item: "control_plane" in item.fixturenames)


@pytest.fixture(scope="session")
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture(scope="session")
def installed_tools():
    """The real pinned tools; built once per cache when missing."""
    tools.install()
    return tools


def example_names() -> list[str]:
    """The example clusters (examples/ci holds a CI workflow and a pull request's specs)."""
    return sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and p.name != "ci")
