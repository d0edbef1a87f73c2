"""Backend fixtures: a database on SQLite or a fresh PostgreSQL database, indexers, apps, scenarios."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from web3 import Web3

from backend.api.app import create_app
from backend.db.engine import make_engine, upgrade_database
from backend.db.models import Base
from backend.indexer.contracts import resolve_contracts
from backend.indexer.indexer import Indexer, IndexerConfig
from backend.indexer.rpc import RpcClient
from backend.settings import BackendSettings
from tests.conftest import ACTORS, Devnet, sample_task_params
from tribunal.chain.anvil import ANVIL_KEYS, increase_time, revert, snapshot
from tribunal.chain.artifacts import load_artifact
from tribunal.chain.client import ChainClient
from tribunal.chain.deployment import Deployment, save_deployment

ETHER = 10**18
POSTGRES_ADMIN_URL = os.environ.get(
    "TRIBUNAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_or_skip() -> Any:
    url = make_url(POSTGRES_ADMIN_URL)
    try:
        return psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            dbname=url.database or "postgres",
            autocommit=True,
            connect_timeout=3,
        )
    except psycopg.OperationalError as exc:
        pytest.skip(
            f"PostgreSQL is not reachable at {url.render_as_string(hide_password=True)} ({exc}); "
            "set TRIBUNAL_TEST_POSTGRES_URL (CI runs these tests against a real server)"
        )


@pytest.fixture(scope="session")
def new_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Makes empty databases: "sqlite" (a file) or "postgresql".

    For PostgreSQL the session creates one database of its own (dropped at the end) and each call
    gets a fresh schema in it, selected by the URL's search_path: as isolated as a database for
    these tests, and created and dropped in milliseconds instead of a third of a second.
    """
    admin = None
    database = f"tribunal_test_{uuid.uuid4().hex[:12]}"
    folder = tmp_path_factory.mktemp("databases")
    counter = iter(range(1_000_000))

    def make(kind: str) -> str:
        nonlocal admin
        number = next(counter)
        if kind == "sqlite":
            return f"sqlite:///{folder / f'db{number}.sqlite'}"
        base = make_url(POSTGRES_ADMIN_URL)
        if admin is None:
            admin = _postgres_or_skip()
            admin.execute(f'CREATE DATABASE "{database}"')
        schema = f"test_{number}"
        with psycopg.connect(
            host=base.host,
            port=base.port or 5432,
            user=base.username,
            password=base.password,
            dbname=database,
            autocommit=True,
        ) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = base.set(database=database, query={"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    yield make
    if admin is not None:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def db_url(new_database: Callable[[str], str], db_kind: str) -> str:
    url = new_database(db_kind)
    upgrade_database(url)
    return url


def writer_engine(url: str) -> Engine:
    return make_engine(url, sqlite_begin="IMMEDIATE")


def make_indexer(url: str, deployment: Deployment, rpc_url: str, **config: Any) -> Indexer:
    return Indexer(
        writer_engine(url),
        RpcClient(rpc_url),
        deployment,
        resolve_contracts(deployment),
        IndexerConfig(**config),
    )


def index_fresh(
    new_database: Callable[[str], str],
    kind: str,
    deployment: Deployment,
    rpc_url: str,
    until: int | None = None,
) -> Engine:
    """A new database indexed from the deployment block to the head (or exactly to `until`): the
    reference. It is SQLite whatever `kind` the compared database is, which also shows that both
    engines hold the same rows."""
    url = new_database("sqlite")
    upgrade_database(url)
    indexer = make_indexer(url, deployment, rpc_url, range_initial=1 if until is not None else 2_000)
    indexer.sync(until=until)
    return indexer.engine


# wall-clock time, and the reorg counter (a fresh index has seen no reorg)
NOT_COMPARED = {"updated_at", "reorgs", "last_reorg_ancestor"}


def dump_chain_data(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every chain-derived row (journal and cursor included, wall-clock time excluded), comparable."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if not table.info.get("chain") and table.name not in ("state_journal", "indexer_state"):
                continue
            columns = [c for c in table.columns if c.name not in NOT_COMPARED]
            rows = conn.execute(select(*columns)).all()
            out[table.name] = sorted(
                tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in row)
                for row in rows
            )
    return out


def settings_for(
    url: str, tmp_path: Path, deployment_file: Path | None = None, **extra: Any
) -> BackendSettings:
    values: dict[str, Any] = {
        "database_url": url,
        "artifact_dir": tmp_path / "artifacts",
        "index": False,
        "stream_poll_s": 0.05,
        "frontend_dir": tmp_path / "no-frontend",
    }
    if deployment_file is not None:
        values["deployment"] = deployment_file
    values.update(extra)
    return BackendSettings(**values)


# ---------------------------------------------------------------- chain scenarios

task_params = sample_task_params


def lifecycle(devnet: Devnet) -> dict[str, int]:
    """Stake, three tasks (finalized, expired with a slash, cancelled), unbond and withdraw, credit out."""
    w3 = devnet.anvil.w3
    devnet.stake_manager("operator").stake(5 * ETHER)
    done, _ = devnet.market("submitter").post_task(task_params(devnet), 3 * ETHER)
    late, _ = devnet.market("submitter").post_task(
        task_params(devnet, deadline=task_params(devnet).deadline + 10), ETHER
    )
    cancelled, _ = devnet.market("submitter").post_task(task_params(devnet), ETHER // 2)
    devnet.market("operator").claim(done)
    devnet.market("operator").claim(late)
    devnet.market("operator").submit_result(done, Web3.keccak(text="trace"), Web3.keccak(text="model"))
    devnet.market("submitter").cancel(cancelled)
    increase_time(w3, 601)
    devnet.market("other").finalize(done)
    increase_time(w3, 3600)
    devnet.market("other").expire(late)
    devnet.stake_manager("operator").withdraw_credit()
    devnet.stake_manager("operator").request_unbond(ETHER)
    increase_time(w3, devnet.stake_manager("operator").unbonding_delay() + 1)
    devnet.stake_manager("operator").withdraw()
    return {"done": done, "late": late, "cancelled": cancelled}


MAX_CLOCK = 3_600  # of a game deployed by the tests (when the devnet's deployment has none)
BOND = ETHER


def with_dispute_game(devnet: Devnet) -> Deployment:
    """The devnet's deployment with a DisputeGame wired in (deployed here if the fixture has none)."""
    if devnet.deployment.dispute_game:
        return devnet.deployment
    deployer = devnet.client("deployer")
    artifact = load_artifact("DisputeGame")
    sent = deployer.deploy(
        artifact.abi,
        artifact.bytecode,
        devnet.deployment.stake_manager,
        devnet.deployment.task_market,
        BOND,
        MAX_CLOCK,
        "0x" + "11" * 20,
    )
    game = sent.receipt["contractAddress"]
    devnet.stake_manager("deployer")._send("setDisputeGame", game)
    devnet.market("deployer")._send("setDisputeGame", game)
    return replace(devnet.deployment, dispute_game=game)


def game_contract(devnet: Devnet, deployment: Deployment, who: str) -> tuple[ChainClient, Any]:
    client = devnet.client(who)
    assert deployment.dispute_game is not None
    return client, client.w3.eth.contract(
        address=Web3.to_checksum_address(deployment.dispute_game), abi=load_artifact("DisputeGame").abi
    )


def keccak_pair(left: bytes, right: bytes) -> bytes:
    return Web3.keccak(left + right)


def dispute_scenario(devnet: Devnet, deployment: Deployment) -> dict[str, int]:
    """Two one-step tasks disputed: in game 1 the descent finds step 0 and the challenger's clock runs
    out (operator wins); in game 2 the operator never answers (challenger wins, task reopens)."""
    w3 = devnet.anvil.w3
    h0 = Web3.keccak(text="h0")
    h1_operator, h1_challenger = Web3.keccak(text="h1 operator"), Web3.keccak(text="h1 challenger")
    operator_root, challenger_root = keccak_pair(h0, h1_operator), keccak_pair(h0, h1_challenger)
    devnet.stake_manager("operator").stake(10 * ETHER)
    devnet.stake_manager("challenger").stake(5 * ETHER)
    tasks = []
    for _ in range(2):
        task_id, _ = devnet.market("submitter").post_task(
            task_params(
                devnet,
                steps=1,
                checkpoint_every=1,
                init_state_root=h0,
                deadline=task_params(devnet).deadline + 10 * 86_400,
            ),
            ETHER,
        )
        devnet.market("operator").claim(task_id)
        devnet.market("operator").submit_result(task_id, operator_root, Web3.keccak(text="model"))
        tasks.append(task_id)
    challenger, game_c = game_contract(devnet, deployment, "challenger")
    operator, game_o = game_contract(devnet, deployment, "operator")
    anyone, game_any = game_contract(devnet, deployment, "other")
    max_clock = int(game_any.functions.MAX_CLOCK().call())
    for task_id in tasks:
        challenger.transact(game_c.functions.open(task_id, challenger_root), context="open")
    challenger.transact(game_c.functions.reveal(1, h0, h1_challenger), context="reveal C")
    operator.transact(game_o.functions.reveal(1, h0, h1_operator), context="reveal O")
    challenger.transact(game_c.functions.reveal(2, h0, h1_challenger), context="reveal C 2")
    increase_time(w3, max_clock + 1)
    anyone.transact(game_any.functions.claimTimeout(1), context="timeout 1")
    anyone.transact(game_any.functions.claimTimeout(2), context="timeout 2")
    return {"operator_won": tasks[0], "challenger_won": tasks[1]}


# ---------------------------------------------------------------- an indexed API (read-only tests)


@dataclass
class Indexed:
    client: TestClient
    devnet: Devnet
    tasks: dict[str, int]
    chain_id: int
    market: str

    def address(self, who: str) -> str:
        return self.devnet.signers[who].address.lower()

    def key(self, who: str) -> str:
        return ANVIL_KEYS[ACTORS.index(who)]


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
            task_params(deployed, min_stake=ETHER), 2 * ETHER
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


# ---------------------------------------------------------------- a real HTTP server on loopback


class LiveServer:
    """uvicorn serving `app` on 127.0.0.1 in a thread (real sockets: streaming, disconnects, SSE)."""

    def __init__(self, app: Any) -> None:
        import threading

        import uvicorn

        from tribunal.chain.anvil import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                lifespan="on",
                timeout_graceful_shutdown=1,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
