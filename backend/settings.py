"""The backend's one settings object, read from the environment and the config file
(``TRIBUNAL_CONFIG``, see `tribunal.config`) and validated at start-up."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from tribunal.config import Settings
from tribunal.paths import REPO_ROOT

DEVNET_DIR = REPO_ROOT / ".devnet"


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and point them at psycopg 3."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class BackendSettings(Settings):
    """Everything `python -m backend` needs; every field has an environment variable.

    Shared fields (``TRIBUNAL_RPC_URL``, ``TRIBUNAL_DEPLOYMENT``) and the config file come from
    `tribunal.config.Settings`.
    """

    model_config = SettingsConfigDict(env_prefix="TRIBUNAL_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEVNET_DIR / 'tribunal.db'}",
        validation_alias=AliasChoices("DATABASE_URL", "TRIBUNAL_DATABASE_URL"),
        description="SQLAlchemy URL: sqlite:///path (default) or postgresql://user@host/db",
    )
    artifact_dir: Path = Field(default=DEVNET_DIR / "artifacts", description="local artifact store root")
    max_artifact_bytes: int = Field(default=2 * 1024**3, gt=0, description="largest accepted upload")
    frontend_dir: Path = Field(default=REPO_ROOT / "frontend" / "dist")
    public_rpc_url: str | None = Field(
        default=None, description="the RPC URL as browsers reach it (default: TRIBUNAL_RPC_URL)"
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int | None = Field(
        default=None,
        ge=1,
        description="API processes of `serve` (default: 1 with the indexer in-process, else the CPU count)",
    )
    log_json: bool = Field(default=False, description="JSON lines on stdout instead of text logs")

    # indexer
    index: bool = Field(default=True, description="run the indexer inside `python -m backend`")
    confirmations: int = Field(default=0, ge=0, description="index up to head - confirmations")
    reorg_window: int = Field(
        default=256, ge=1, description="deepest reorg the indexer can undo (blocks kept reversible)"
    )
    poll_interval_s: float = Field(default=1.0, gt=0)
    logs_range_initial: int = Field(default=2_000, ge=1)
    logs_range_max: int = Field(default=50_000, ge=1)
    logs_target_per_request: int = Field(default=10_000, ge=1)
    headers_per_batch: int = Field(
        default=500, ge=1, description="eth_getBlockByNumber calls per JSON-RPC batch"
    )

    # jobs
    celery_broker_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TRIBUNAL_CELERY_BROKER_URL", "CELERY_BROKER_URL"),
        description="e.g. redis://127.0.0.1:6379/0; unset: jobs run in-process",
    )
    stats_interval_s: float = Field(default=30.0, gt=0)

    # spec uploads (POST /api/specs): bounds checked in the request, the roots computed by a job
    spec_max_bytes: int = Field(default=64 * 1024, gt=0, description="largest spec body (413 above)")
    spec_max_parameters: int = Field(
        default=4_000_000, gt=0,
        description="largest model, in parameters (preparing costs about 0.25 s of CPU per million)",
    )
    spec_max_steps: int = Field(default=1_000_000, gt=0, description="most training steps a spec may ask")
    spec_max_batch: int = Field(default=4_096, gt=0, description="largest batch_size a spec may ask")
    spec_max_train_flops: float = Field(
        default=1e15, gt=0,
        description="the time bound: most training compute, estimated as 6 x parameters x batch_size x steps",
    )
    dataset_max_bytes: int = Field(
        default=256 * 1024**2, gt=0,
        description="largest dataset file POST /api/datasets reads (413 above; tribunal dataset add reads up "
                    "to 1 GiB locally)",
    )
    spec_job_timeout_s: float = Field(
        default=300.0, gt=0, description="a spec job not done within this time is reported failed"
    )
    spec_rate_burst: int = Field(default=10, ge=1, description="spec uploads a client may make at once")
    spec_rate_per_minute: float = Field(
        default=12.0, gt=0, description="spec uploads a client may make per minute after its burst"
    )
    rate_limit_redis_url: str | None = Field(
        default=None,
        description="Redis holding the rate limiter's buckets for all API processes (default: the "
                    "jobs broker if it is Redis; neither: each process counts alone, in memory)",
    )

    # progress reports
    progress_max_skew_s: int = Field(default=300, ge=1, description="accepted clock skew of signed reports")

    # response cache (backend/api/cache.py)
    cache_max_age_s: float = Field(
        default=0.0,
        ge=0,
        le=60,
        description="reuse the database version the response cache checks for this long (0: every request)",
    )

    # live stream
    stream_poll_s: float = Field(default=0.5, gt=0)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = normalise_database_url(value.strip())
        if not (value.startswith("sqlite:") or value.startswith("postgresql+psycopg:")):
            raise ValueError(
                f"unsupported DATABASE_URL {value!r}: use sqlite:///path/to/file.db or "
                "postgresql://user@host:port/dbname"
            )
        return value

    @model_validator(mode="after")
    def _ranges(self) -> BackendSettings:
        if self.logs_range_initial > self.logs_range_max:
            raise ValueError(
                f"TRIBUNAL_LOGS_RANGE_INITIAL ({self.logs_range_initial}) exceeds "
                f"TRIBUNAL_LOGS_RANGE_MAX ({self.logs_range_max})"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    def sqlite_path(self) -> Path | None:
        """The database file of a sqlite URL (None for in-memory or PostgreSQL)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split("///", 1)[-1] if "///" in self.database_url else ""
        return Path(path) if path and path != ":memory:" else None


@lru_cache(maxsize=1)
def get_settings() -> BackendSettings:
    return BackendSettings()


def env_summary(settings: BackendSettings) -> dict[str, str]:
    """What the process runs with (no secrets: passwords in URLs are masked)."""
    from sqlalchemy.engine import make_url

    return {
        "database": make_url(settings.database_url).render_as_string(hide_password=True),
        "rpc_url": settings.rpc_url,
        "deployment": str(settings.deployment or os.environ.get("TRIBUNAL_DEPLOYMENT", "(by chain id)")),
        "artifact_dir": str(settings.artifact_dir),
        "jobs": settings.celery_broker_url or "in-process",
    }
