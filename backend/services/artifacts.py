"""Artifact metadata (the bytes live in an `ArtifactStore`)."""

from __future__ import annotations

import time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db.models import Artifact
from backend.services.errors import NotFound

KINDS = ("spec", "dataset", "checkpoint", "model", "other")


def record(session: Session, content_hash: str, size: int, kind: str) -> Artifact:
    """Remember an uploaded artifact (uploading the same bytes again keeps the first record)."""
    existing = session.get(Artifact, content_hash)
    if existing is not None:
        return existing
    session.rollback()
    row = Artifact(hash=content_hash, size=size, kind=kind, created_at=time.time())
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        found = session.get(Artifact, content_hash)
        assert found is not None
        return found
    return row


def get(session: Session, content_hash: str) -> Artifact:
    row = session.get(Artifact, content_hash)
    if row is None:
        raise NotFound(f"no artifact {content_hash}: upload it with PUT /api/artifacts/{content_hash}")
    return row


def mark_verified(session: Session, content_hash: str, ok: bool) -> None:
    session.execute(
        update(Artifact).where(Artifact.hash == content_hash).values(verified=ok, verified_at=time.time())
    )
    session.commit()


def unverified(session: Session, limit: int = 100) -> list[str]:
    return list(session.scalars(select(Artifact.hash).where(Artifact.verified.is_(None)).limit(limit)))
