"""Settings shared by every role, read from TRIBUNAL_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_RPC_URL = "http://127.0.0.1:8545"


class Settings(BaseSettings):
    """One settings object; CLI options override these per command."""

    model_config = SettingsConfigDict(env_prefix="TRIBUNAL_", extra="ignore")

    rpc_url: str = DEFAULT_RPC_URL
    deployment: Path | None = None
    keystore: Path | None = None
    artifact_store: str = "http://127.0.0.1:8000"


def settings() -> Settings:
    return Settings()
