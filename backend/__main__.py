"""`python -m backend` / `tribunal-api`: run the API and the indexer (or one of them), migrate, re-index.

Settings come from the environment and the config file named by `TRIBUNAL_CONFIG` (see
`backend.settings.BackendSettings`, docs/backend.md and deploy/README.md) and are checked before
anything starts, each problem with what to do about it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from backend.db.engine import DatabaseError, make_engine, upgrade_database
from backend.settings import BackendSettings, env_summary
from tribunal.config import ConfigError, read_settings
from tribunal.doctor import writable_dir
from tribunal.logs import configure_logging

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=False)
log = logging.getLogger("backend")


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg="red", err=True)
    return typer.Exit(code=2)


def load_settings() -> BackendSettings:
    try:
        return read_settings(BackendSettings)
    except ConfigError as exc:
        raise _fail(str(exc)) from exc


def check_database(settings: BackendSettings) -> None:
    try:
        upgrade_database(settings.database_url)
    except DatabaseError as exc:
        raise _fail(f"{exc}\n  check DATABASE_URL (is the server running? does the database exist?)") from exc


def check_artifact_dir(directory: Path) -> None:
    try:
        writable_dir(directory, "TRIBUNAL_ARTIFACT_DIR")
    except ValueError as exc:
        raise _fail(str(exc)) from exc


def check_chain(settings: BackendSettings) -> None:
    from backend.indexer.contracts import ContractsError, resolve_contracts
    from backend.indexer.rpc import RpcClient, RpcError, RpcUnavailable
    from tribunal.chain.deployment import DeploymentError, load_deployment

    rpc = RpcClient(settings.rpc_url, timeout_s=10)
    try:
        chain_id = rpc.chain_id()
    except (RpcUnavailable, RpcError) as exc:
        raise _fail(
            f"cannot reach TRIBUNAL_RPC_URL={settings.rpc_url} ({exc}): start a node (`make dev` runs anvil) "
            "or set TRIBUNAL_RPC_URL; run the API alone with TRIBUNAL_INDEX=false"
        ) from exc
    finally:
        rpc.close()
    try:
        resolve_contracts(load_deployment(settings.deployment, chain_id=chain_id))
    except (DeploymentError, ContractsError) as exc:
        raise _fail(str(exc)) from exc


def _setup(check_rpc: bool | None) -> BackendSettings:
    """Load and check the settings; `check_rpc=None` checks the chain if the indexer is enabled."""
    settings = load_settings()
    if settings.log_json:
        configure_logging(json_lines=True)
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    check_database(settings)
    check_artifact_dir(settings.artifact_dir)
    if settings.index if check_rpc is None else check_rpc:
        check_chain(settings)
    for key, value in env_summary(settings).items():
        log.info("%s: %s", key, value)
    return settings


def default_workers(run_indexer: bool) -> int:
    """One process where the indexer runs in it (as `make dev` does), else one per CPU (up to 8)."""
    return 1 if run_indexer else max(1, min(os.cpu_count() or 1, 8))


@app.command()
def serve(
    index: Annotated[bool | None, typer.Option(help="run the indexer too (default: TRIBUNAL_INDEX)")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="API processes (default: TRIBUNAL_WORKERS, else 1 with the indexer, else the CPU count); "
            "with more than one, this process supervises them and runs the indexer once for all",
        ),
    ] = None,
) -> None:
    """Run the API (and, by default, the indexer) until interrupted."""
    import uvicorn

    from backend.api.app import Background, create_app, make_jobs

    settings = _setup(check_rpc=index)
    run_indexer = settings.index if index is None else index
    processes = workers or settings.workers or default_workers(run_indexer)
    log.info(
        "API on http://%s:%d/api (OpenAPI at /docs), %d process%s",
        settings.host, settings.port, processes, "" if processes == 1 else "es",
    )
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": "info",
        "log_config": None if settings.log_json else uvicorn.config.LOGGING_CONFIG,
        "access_log": False,
        "timeout_graceful_shutdown": 5,
    }
    if processes == 1:
        uvicorn.run(create_app(settings, run_indexer=run_indexer, migrate=False), **options)
        return
    # INVARIANT: one writer of chain data. The workers (spawned, reading the same environment) only
    # serve; the indexer and the stats schedule run here, in the supervisor, once.
    engine = make_engine(settings.database_url)
    writers = Background(settings, make_jobs(settings, engine), run_indexer)
    writers.start()
    try:
        uvicorn.run("backend.api.app:worker_app", factory=True, workers=processes, **options)
    finally:
        writers.stop()
        engine.dispose()


@app.command()
def index() -> None:
    """Run only the indexer, in the foreground, until SIGINT or SIGTERM."""
    from backend.indexer.runner import build_indexer

    settings = _setup(check_rpc=True)
    indexer = build_indexer(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    indexer.run(stop)


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest migration."""
    _setup(check_rpc=False)
    typer.echo("database is at the newest migration")


@app.command()
def reindex() -> None:
    """Drop every chain-derived row; the next indexer run rebuilds them from the deployment block."""
    from backend.db.models import IndexerState
    from backend.indexer.store import clear_chain_data

    settings = _setup(check_rpc=False)
    engine = make_engine(settings.database_url, sqlite_begin="IMMEDIATE")
    with engine.begin() as conn:
        clear_chain_data(conn)
        conn.execute(IndexerState.__table__.delete())
    typer.echo("chain data dropped; the indexer starts again from the deployment block")


def main() -> None:
    if len(sys.argv) == 1:
        sys.argv.append("serve")
    app()


if __name__ == "__main__":
    main()
