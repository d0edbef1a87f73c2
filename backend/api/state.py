"""What the API process holds: database, artifact store, jobs, live stream, rate limits, maybe the
indexer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.api.rate_limit import RateLimit
from backend.api.stream import EventHub
from backend.artifacts.store import ArtifactStore
from backend.indexer.indexer import IndexerStatus
from backend.indexer.runner import IndexerThread
from backend.jobs.celery_app import Jobs
from backend.services.task_specs import DilocoSource
from backend.settings import BackendSettings


@dataclass
class AppState:
    settings: BackendSettings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ArtifactStore
    jobs: Jobs
    hub: EventHub
    spec_rate_limit: RateLimit
    diloco: DilocoSource | None = None
    """Derives the specs of DiLoCo jobs' tasks (their models are checked against them)."""
    indexer: IndexerThread | None = None

    @property
    def indexer_status(self) -> IndexerStatus | None:
        return self.indexer.indexer.status if self.indexer is not None else None
