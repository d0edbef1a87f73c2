"""What the background jobs do, as plain functions over a session factory and an artifact store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from backend import metrics
from backend.artifacts.store import ArtifactStore
from backend.services import artifacts as artifact_service
from backend.services import spec_jobs
from backend.services import specs as spec_service
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


def prepare_spec(resources: JobResources, job_id: str, spec_json: str) -> str:
    """Compute a posted spec's roots, store the spec as an artifact, and record the outcome on the
    job (`backend.services.spec_jobs`); returns the outcome: done, invalid, error, gone, or late
    (prepared after the job was reported failed for its timeout: the record stays failed).

    A redelivered job (its worker died) runs again; a job already done or failed is left alone.
    """
    with resources.sessions() as session:
        if not spec_jobs.start(session, job_id):
            return "gone"
    try:
        _, prepared = spec_service.parse_and_prepare(spec_json.encode(), store=resources.store)
        data = prepared.spec_bytes

        async def chunks() -> AsyncIterator[bytes]:
            yield data

        expected = "0x" + prepared.spec_hash.hex()
        stored = asyncio.run(resources.store.put(chunks(), len(data), expected_hash=expected))
        with resources.sessions() as session:
            artifact_service.record(session, stored.hash, stored.size, "spec")
            finished = spec_jobs.finish(session, job_id, spec_service.commitments(prepared))
        outcome = "done" if finished else "late"
    except spec_service.InvalidSpec as exc:
        with resources.sessions() as session:
            spec_jobs.fail(session, job_id, f"the spec is invalid: {exc}")
        outcome = "invalid"
    except Exception as exc:  # noqa: BLE001 - any failure is the job's outcome, told to the poller
        log.exception("spec job %s failed", job_id)
        with resources.sessions() as session:
            spec_jobs.fail(session, job_id, f"preparing the spec failed ({type(exc).__name__}: {exc}); "
                                            "post it again, and report it if it keeps failing")
        outcome = "error"
    metrics.JOBS.labels(job="prepare_spec", outcome=outcome).inc()
    return outcome
