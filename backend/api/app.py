"""The FastAPI application: routers under /api, /healthz, /metrics, the dashboard at /."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend import metrics
from backend.api.cache import ResponseCache
from backend.api.rate_limit import RateLimit
from backend.api.routes import artifacts, datasets, diloco, disputes, network, operators, ops, specs, tasks
from backend.api.state import AppState
from backend.api.stream import EventHub
from backend.artifacts.store import LocalDiskStore
from backend.db.engine import make_engine, session_factory, upgrade_database
from backend.indexer.runner import IndexerThread, build_indexer
from backend.jobs.celery_app import Jobs, configure, make_celery
from backend.jobs.work import JobResources
from backend.services.errors import ServiceError
from backend.services.task_specs import DilocoSource
from backend.settings import BackendSettings, get_settings

log = logging.getLogger(__name__)

DESCRIPTION = """\
Tribunal's backend: the chain's tasks, operators and dispute games as indexed from the contracts'
events; signed training progress; content-addressed artifacts; a live stream of it all.

Amounts are wei as decimal strings; addresses are lowercase hex; times are unix seconds.
Errors answer `{"detail": "..."}` saying what was wrong and what to do.
"""


class MetricsMiddleware:
    """Counts requests and times them per route template (pure ASGI: no per-request task).

    `templates` maps each route object to its full path: included routers keep their routes'
    paths relative to the prefix they were included with.
    """

    def __init__(self, app: ASGIApp, templates: dict[int, str]) -> None:
        self.app = app
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = self.templates.get(id(route)) or getattr(route, "path", "unmatched")
            method = scope.get("method", "")
            metrics.HTTP_REQUESTS.labels(method, path, str(status)).inc()
            metrics.HTTP_LATENCY.labels(method, path).observe(time.perf_counter() - started)


async def _service_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)


class Background:
    """What one backend runs once however many API processes serve it: the indexer (the one
    writer of chain data) and the stats schedule. In-process with one API process; in the
    supervising process of `serve --workers N`."""

    def __init__(self, settings: BackendSettings, jobs: Jobs, run_indexer: bool) -> None:
        self.settings = settings
        self.jobs = jobs
        self.run_indexer = run_indexer
        self.indexer: IndexerThread | None = None

    def start(self) -> None:
        if self.run_indexer:
            self.indexer = IndexerThread(
                build_indexer(self.settings, on_commit=lambda result: self.jobs.aggregate_stats_soon())
            )
            self.indexer.start()
        self.jobs.start_schedule(self.settings.stats_interval_s)

    def stop(self) -> None:
        if self.indexer is not None:
            self.indexer.stop()
        self.jobs.shutdown()


def make_jobs(settings: BackendSettings, engine: Engine) -> Jobs:
    """The process's jobs, with the resources in-process jobs use."""
    configure(JobResources(sessions=session_factory(engine), store=LocalDiskStore(settings.artifact_dir)))
    return Jobs(make_celery(settings))


def create_app(
    settings: BackendSettings | None = None,
    *,
    run_indexer: bool | None = None,
    migrate: bool = True,
    background: bool = True,
) -> FastAPI:
    """The app for `settings` (default: the environment). `run_indexer` defaults to `settings.index`.

    `background=False` leaves the indexer and the stats schedule to another process (the
    supervisor of `serve --workers N` runs them once for all its workers).
    """
    settings = settings or get_settings()
    run_indexer = (settings.index if run_indexer is None else run_indexer) and background
    if migrate:
        upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    store = LocalDiskStore(settings.artifact_dir)
    jobs = make_jobs(settings, engine)
    state = AppState(
        settings=settings,
        engine=engine,
        sessions=sessions,
        store=store,
        jobs=jobs,
        hub=EventHub(sessions, settings.stream_poll_s),
        spec_rate_limit=RateLimit.for_specs(settings),
        diloco=DilocoSource(settings, store),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        writers = Background(settings, jobs, run_indexer)
        if background:
            writers.start()
            state.indexer = writers.indexer
        try:
            yield
        finally:
            await state.hub.stop()
            writers.stop()
            engine.dispose()

    app = FastAPI(
        title="Tribunal API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "tasks", "description": "training tasks posted on the TaskMarket"},
            {"name": "operators", "description": "stakers and operators: stake, record, earnings"},
            {"name": "disputes", "description": "dispute games and their descent"},
            {"name": "diloco", "description": "DiLoCo jobs: rounds × shards of market tasks"},
            {"name": "network", "description": "statistics, indexer status, events and the live stream"},
            {"name": "artifacts", "description": "content-addressed specs, datasets, checkpoints, models"},
            {"name": "specs", "description": "task specs, datasets and chain configuration for posting"},
            {"name": "ops", "description": "health and metrics"},
        ],
    )
    app.state.tribunal = state
    templates: dict[int, str] = {}
    app.add_middleware(ResponseCache, engine=engine, max_age_s=settings.cache_max_age_s)
    app.add_middleware(MetricsMiddleware, templates=templates)
    app.add_exception_handler(ServiceError, _service_error)
    for router in (tasks.router, operators.router, disputes.router, diloco.router, network.router,
                   artifacts.router, specs.router, datasets.router):
        app.include_router(router, prefix="/api")
        templates.update({id(r): "/api" + r.path for r in router.routes if hasattr(r, "path")})
    app.include_router(ops.router)
    if settings.frontend_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="dashboard")
    return app


def app_from_env() -> Any:
    """Factory for `uvicorn --factory backend.api.app:app_from_env`."""
    return create_app()


def worker_app() -> Any:
    """Factory of one API process of `serve --workers N`: the supervisor has migrated the database
    and runs the indexer and the stats schedule."""
    return create_app(migrate=False, background=False)
