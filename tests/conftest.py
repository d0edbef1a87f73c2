"""Fixtures shared by the whole suite: a real anvil on a free port and deployed contracts, the
backend serving that deployment, a private Redis, test databases; and the markers read off them.
Helpers live in `tests.support`."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from backend.settings import BackendSettings
from tests.support.backend import serve_backend
from tests.support.chain import ACTORS, Devnet
from tests.support.databases import ScratchDatabases
from tests.support.submitter import Submitter
from tribunal.artifact_cache import CACHE_ENV
from tribunal.chain.anvil import ANVIL_KEYS, Anvil, free_port, revert, snapshot, start_anvil
from tribunal.chain.artifacts import artifact_path
from tribunal.chain.client import ChainClient
from tribunal.chain.deploy import DeployParams, deploy_contracts
from tribunal.chain.deployment import save_deployment
from tribunal.chain.keys import signer_from_private_key


@pytest.fixture(scope="session", autouse=True)
def artifact_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One local artifact cache for the run (uploaded datasets, pretrained weights), never ~/.tribunal:
    what an agent or the backend fetches lands here, for this process and the ones it starts."""
    folder = tmp_path_factory.mktemp("artifact-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(folder))
        yield folder


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anvil]:
    if not artifact_path("TaskMarket").exists():
        pytest.fail("contracts are not compiled: run `make build` before the Python tests")
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    node = start_anvil(log_path=log)
    yield node
    node.stop()


@pytest.fixture(scope="session")
def deployed(anvil: Anvil) -> Devnet:
    signers = {name: signer_from_private_key(ANVIL_KEYS[i]) for i, name in enumerate(ACTORS)}
    deployment = deploy_contracts(ChainClient(anvil.w3, signers["deployer"]), anvil.rpc_url, DeployParams())
    return Devnet(anvil, deployment, signers)


@pytest.fixture()
def devnet(deployed: Devnet) -> Iterator[Devnet]:
    """The deployed devnet, rolled back to a snapshot after each test."""
    snap = snapshot(deployed.anvil.w3)
    yield deployed
    revert(deployed.anvil.w3, snap)


@pytest.fixture()
def deployment_file(devnet: Devnet, tmp_path: Path) -> Path:
    return save_deployment(devnet.deployment, tmp_path / "deployment.json")


@pytest.fixture()
def backend_url(devnet: Devnet, deployment_file: Path, tmp_path: Path) -> Iterator[str]:
    """The backend (artifact store, API, indexer) on a free port, its data in tmp_path."""
    settings = BackendSettings(
        database_url=f"sqlite:///{tmp_path / 'backend.db'}",
        artifact_dir=tmp_path / "artifacts",
        rpc_url=devnet.anvil.rpc_url,
        deployment=deployment_file,
        index=True,
        poll_interval_s=0.2,
        stream_poll_s=0.2,
        frontend_dir=tmp_path / "no-frontend",
        celery_broker_url=None,
    )
    with serve_backend(settings, "backend") as url:
        yield url


@pytest.fixture()
def submitter(devnet: Devnet, backend_url: str) -> Submitter:
    return Submitter(devnet, backend_url)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free port (no persistence), stopped at the end."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no",
                                "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def new_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Makes empty databases: ``new_database("sqlite")`` or ``new_database("postgresql")``."""
    databases = ScratchDatabases(tmp_path_factory.mktemp("databases"))
    yield databases
    databases.drop()


# Markers: what a test needs, read off the fixtures it uses (so no test has to remember to say
# it). `pytest -m unit` is the fast set (no anvil, database server, Redis, browser or process of
# its own); `make test-unit` runs it. A test that starts such a service itself is marked with it
# (`@pytest.mark.chain` for its own anvil); modules that start other processes declare
# `pytestmark = pytest.mark.integration`.
SERVICE_FIXTURES = {"anvil": "chain", "redis_url": "redis"}
SERVICE_MARKERS = ("chain", "postgres", "redis")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        needs = {marker for fixture, marker in SERVICE_FIXTURES.items() if fixture in names}
        needs |= {marker for marker in SERVICE_MARKERS if item.get_closest_marker(marker) is not None}
        # a database parameter (`db_kind`, the backend's `indexed`) naming PostgreSQL
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(isinstance(value, str) and value == "postgresql" for value in params.values()):
            needs.add("postgres")
        for marker in sorted(needs):
            item.add_marker(marker)
        if needs or item.get_closest_marker("integration") is not None:
            item.add_marker("integration")
        else:
            item.add_marker("unit")
