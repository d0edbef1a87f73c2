"""Backend fixtures: a migrated database on SQLite or PostgreSQL (`new_database` is in
tests/conftest.py), and one scenario indexed once per database for the API's read-only tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.db.engine import upgrade_database
from tests.support.backend import Indexed, settings_for
from tests.support.chain import ETHER, Devnet, sample_task_params
from tests.support.indexing import make_indexer
from tests.support.market_scenarios import dispute_scenario, lifecycle, with_dispute_game
from tribunal.chain.anvil import revert, snapshot
from tribunal.chain.deployment import save_deployment


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def db_url(new_database: Callable[[str], str], db_kind: str) -> str:
    url = new_database(db_kind)
    upgrade_database(url)
    return url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def indexed(
    request: pytest.FixtureRequest,
    deployed: Devnet,
    new_database: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Indexed]:
    """One scenario (market lifecycle, two disputes, a task in training) indexed once per database;
    the tests of this module only read it (and add off-chain progress reports)."""
    w3 = deployed.anvil.w3
    before = snapshot(w3)
    try:
        deployment = with_dispute_game(deployed)
        tasks = lifecycle(deployed)
        tasks.update(dispute_scenario(deployed, deployment))
        training, _ = deployed.market("submitter").post_task(
            sample_task_params(deployed, min_stake=ETHER), 2 * ETHER
        )
        deployed.market("operator").claim(training)
        tasks["training"] = training
        url = new_database(request.param)
        upgrade_database(url)
        make_indexer(url, deployment, deployed.anvil.rpc_url).sync()
        api_dir = tmp_path_factory.mktemp("api")
        deployment_file = save_deployment(deployment, api_dir / "deployment.json")
        settings = settings_for(url, api_dir, deployment_file, rpc_url=deployed.anvil.rpc_url)
        app = create_app(settings, migrate=False)
        with TestClient(app) as client:
            yield Indexed(client, deployed, tasks, deployment.chain_id, deployment.task_market)
    finally:
        revert(w3, before)
