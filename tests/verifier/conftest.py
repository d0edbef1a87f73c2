"""Verifier fixtures: an artifact store on a free port, the task every scenario trains, its
honest claims, a scenario on the devnet, and the Byzantine matrix's summary table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.settings import BackendSettings
from tests.support.backend import serve_backend
from tests.support.chain import Devnet
from tests.support.disputes import MATRIX, Scenario
from tests.support.specs import tiny_spec
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.artifacts import load_artifact
from tribunal.dispute.claims import PartyClaims
from tribunal.tasks import PreparedTask, prepare_task


@pytest.fixture(scope="session")
def announcing_market() -> None:
    """The compiled TaskMarket has `publishCheckpoints` (the verifier's spot checks need it)."""
    names = {e.get("name") for e in load_artifact("TaskMarket").abi}
    if "publishCheckpoints" not in names:
        pytest.fail("the compiled TaskMarket has no publishCheckpoints: rebuild the contracts (`make build`)")


@pytest.fixture(scope="session")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's artifact store keeps its files (``artifacts/``) and database."""
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="session")
def store_url(store_root: Path) -> Iterator[str]:
    """The backend's artifact store only (no indexer), on a free port, for the whole session."""
    root = store_root
    settings = BackendSettings(database_url=f"sqlite:///{root / 'backend.db'}",
                               artifact_dir=root / "artifacts", index=False,
                               frontend_dir=root / "no-frontend", celery_broker_url=None)
    with serve_backend(settings, "artifact store") as url:
        yield url


@pytest.fixture(scope="session")
def prepared(store_url: str) -> PreparedTask:
    spec = tiny_spec(seed=11, steps=5, batch_size=4)
    with ArtifactClient(store_url) as store:
        digest = store.upload_bytes(prepare_task(spec, "").spec_bytes, kind="spec")
    return prepare_task(spec, f"{store_url}/api/artifacts/{digest}")


@pytest.fixture(scope="session")
def honest_claims(prepared: PreparedTask) -> PartyClaims:
    return PartyClaims(prepared)


@pytest.fixture()
def scenario(announcing_market: None, devnet: Devnet, store_url: str, prepared: PreparedTask,
             tmp_path: Path) -> Scenario:
    return Scenario(devnet, store_url, prepared, tmp_path)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not MATRIX:
        return
    headers = ("cheater", "fault", "how the honest side won", "cheater lost", "honest side got")
    rows = [headers, *sorted(MATRIX)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(headers))]
    terminalreporter.section("Byzantine matrix (tests/verifier)")
    for index, row in enumerate(rows):
        terminalreporter.write_line(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if index == 0:
            terminalreporter.write_line("-+-".join("-" * w for w in widths))
