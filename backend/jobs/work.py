"""What the background jobs do, as plain functions over a session factory and an artifact store."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from backend import metrics
from backend.artifacts.store import ArtifactStore
from backend.services import artifacts as artifact_service
from backend.services import stats as stats_service

log = logging.getLogger(__name__)


@dataclass
class JobResources:
    sessions: sessionmaker[Session]
    store: ArtifactStore


def verify_artifact(resources: JobResources, content_hash: str) -> bool:
    """Re-read a stored artifact and record whether it still hashes to its name.

    A mismatch (disk corruption, tampering) removes the object so nobody downloads bad bytes; the
    record stays, marked unverified, until the owner uploads it again.
    """
    if resources.store.size(content_hash) is None:
        log.warning("artifact %s vanished from the store", content_hash)
        ok = False
    else:
        ok = resources.store.rehash(content_hash)
        if not ok:
            log.error("artifact %s is corrupt in the store: removing it", content_hash)
            resources.store.delete(content_hash)
    with resources.sessions() as session:
        artifact_service.mark_verified(session, content_hash, ok)
    metrics.JOBS.labels(job="verify_artifact", outcome="ok" if ok else "corrupt").inc()
    return ok


def aggregate_stats(resources: JobResources) -> int:
    """Compute the network statistics and store them as a snapshot; returns its block number."""
    with resources.sessions() as session:
        snapshot = stats_service.take_snapshot(session)
    metrics.JOBS.labels(job="aggregate_stats", outcome="ok").inc()
    return snapshot.block_number
