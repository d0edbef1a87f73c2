"""Configuration every role shares: the environment variables, the one optional config file, and
the settings object built from them.

Each setting is looked up, first match wins: a command-line option, an environment variable, the
TOML file named by ``TRIBUNAL_CONFIG`` (or a CLI's ``--config FILE``), the built-in default.

The file's top-level keys are the environment variables' names without ``TRIBUNAL_``, in lower
case (``rpc_url`` is ``TRIBUNAL_RPC_URL``; `CONFIG_KEYS` lists them all). Command-line options
that have no environment variable go in a table named for their command, under the option's name
(``[worker.start]`` ``stake = "10"``, ``confirmations = 12``). Secrets are never read from the
file. An unknown key, a secret or a value of the wrong type is an error that names the key, the
file and what is expected (see `tribunal.cli_common.config_defaults` for the CLIs, and
`describe_settings_error` for the pydantic settings).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from tribunal.chain.keys import KEYSTORE_PASSWORD_ENV, PRIVATE_KEY_ENV

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
DEFAULT_ARTIFACT_STORE = "http://127.0.0.1:8000"
CONFIG_ENV = "TRIBUNAL_CONFIG"
ENV_PREFIX = "TRIBUNAL_"


class ConfigError(ValueError):
    """The config file cannot be used; the message names the file, the key and what to do."""


@dataclass(frozen=True)
class ConfigKey:
    """A top-level key of the config file and the environment variable(s) it stands for."""

    name: str
    env: str
    used_by: str
    help: str
    aliases: tuple[str, ...] = ()  # other environment variables read for the same setting

    @property
    def envs(self) -> tuple[str, ...]:
        return (self.env, *self.aliases)


def _key(name: str, used_by: str, help: str, env: str | None = None,
         aliases: tuple[str, ...] = ()) -> ConfigKey:
    return ConfigKey(name, env or ENV_PREFIX + name.upper(), used_by, help, aliases)


# Every setting that has an environment variable; a test keeps this list, the CLIs' options and
# the backend's settings in step.
CONFIG_KEYS: tuple[ConfigKey, ...] = (
    # every role
    _key("rpc_url", "all", "JSON-RPC URL of the chain"),
    _key("deployment", "all", "deployment file from `tribunal deploy` (default deployments/<chain id>.json)"),
    _key("keystore", "worker, verifier, tribunal", "encrypted keystore file of the signing key"),
    _key("artifact_store", "worker, verifier", "backend URL of the artifact store (specs, checkpoints)"),
    # operators
    _key("api_url", "worker, verifier",
         "backend API the agents post signed training progress and model evaluations to"),
    _key("broker_url", "worker, executor", "Celery broker shared by the agent and its executors (redis://…)"),
    _key("queue", "worker, executor", "Celery queue of one operator's training jobs"),
    _key("broker_visibility_timeout_s", "worker, executor",
         "seconds before an unacknowledged training job goes to another executor"),
    _key("device", "worker, executor, verifier", "torch device (cuda:N or cpu)"),
    _key("state_dir", "worker, verifier", "the agent's state folder"),
    _key("executor_dir", "executor", "an executor's local checkpoint folder"),
    # backend
    _key("database_url", "backend", "SQLAlchemy URL: sqlite:///path or postgresql://user@host:port/db",
         env="DATABASE_URL", aliases=("TRIBUNAL_DATABASE_URL",)),
    _key("artifact_dir", "backend", "local artifact store root"),
    _key("max_artifact_bytes", "backend", "largest accepted upload"),
    _key("frontend_dir", "backend", "the dashboard's build folder"),
    _key("public_rpc_url", "backend", "the RPC URL as browsers reach it"),
    _key("host", "backend", "address the API listens on"),
    _key("port", "backend", "port the API listens on"),
    _key("workers", "backend", "API processes of `serve` (the indexer still runs once)"),
    _key("log_json", "backend", "JSON lines on stdout instead of text logs"),
    _key("index", "backend", "run the indexer inside `python -m backend serve`"),
    _key("confirmations", "backend", "index up to head - confirmations"),
    _key("reorg_window", "backend", "deepest reorg the indexer can undo, in blocks"),
    _key("poll_interval_s", "backend", "seconds between looks for new blocks at the tip"),
    _key("logs_range_initial", "backend", "first eth_getLogs block range"),
    _key("logs_range_max", "backend", "largest eth_getLogs block range"),
    _key("logs_target_per_request", "backend", "logs per eth_getLogs reply the range adapts towards"),
    _key("headers_per_batch", "backend", "eth_getBlockByNumber calls per JSON-RPC batch"),
    _key("celery_broker_url", "backend", "Redis for the backend's jobs; unset: they run in-process",
         aliases=("CELERY_BROKER_URL",)),
    _key("stats_interval_s", "backend", "seconds between network statistics aggregations"),
    _key("spec_max_bytes", "backend", "largest spec body POST /api/specs accepts (413 above)"),
    _key("spec_max_parameters", "backend", "largest model a spec may ask, in parameters"),
    _key("spec_max_steps", "backend", "most training steps a spec may ask"),
    _key("spec_max_batch", "backend", "largest batch_size a spec may ask"),
    _key("spec_max_train_flops", "backend",
         "most training compute a spec may ask (6 x parameters x batch x steps)"),
    _key("dataset_max_bytes", "backend", "largest dataset file POST /api/datasets reads (413 above)"),
    _key("spec_job_timeout_s", "backend", "seconds after which an unfinished spec job is reported failed"),
    _key("spec_rate_burst", "backend", "spec uploads a client may make at once"),
    _key("spec_rate_per_minute", "backend", "spec uploads a client may make per minute after its burst"),
    _key("rate_limit_redis_url", "backend", "Redis shared by the API processes' rate limiters (redis://…)"),
    _key("progress_max_skew_s", "backend", "accepted clock skew of signed progress reports"),
    _key("stream_poll_s", "backend", "seconds between the live stream's database polls"),
    _key("cache_max_age_s", "backend",
         "seconds the response cache reuses its database version read (0: reads it per request)"),
)
KEYS_BY_NAME = {key.name: key for key in CONFIG_KEYS}
KEYS_BY_ENV = {env: key for key in CONFIG_KEYS for env in key.envs}

# Environment variables the file may not set, and why.
ENVIRONMENT_ONLY: dict[str, str] = {
    PRIVATE_KEY_ENV: "a secret: set it in the service's environment (a file only the service can "
                     "read), or use `keystore` with its password in the environment",
    KEYSTORE_PASSWORD_ENV: "a secret: set it in the service's environment (a file only the service "
                           "can read)",
    "TRIBUNAL_CHEAT": "a demo switch for a local anvil, not configuration",
}

# Tables of command-line options, one per program: [worker.start], [verifier.start], [tribunal.deploy].
PROGRAMS = ("tribunal", "worker", "verifier")


def env_key_name(env: str) -> str:
    """The file key of an environment variable (``TRIBUNAL_RPC_URL`` → ``rpc_url``)."""
    return env.removeprefix(ENV_PREFIX).lower()


def mask_url_password(text: str) -> str:
    """``redis://:secret@host`` → ``redis://:***@host`` (in any text, for messages and logs)."""
    return re.sub(r"(://[^:/@\s]*:)[^@/\s]+@", r"\1***@", text)


@dataclass(frozen=True)
class ConfigFile:
    """A parsed config file: top-level settings and the tables of command-line options."""

    path: Path
    values: dict[str, Any]
    tables: dict[str, dict[str, Any]]


def config_path() -> Path | None:
    value = os.environ.get(CONFIG_ENV)
    return Path(value) if value else None


def unknown_name(what: str, name: str, known: list[str]) -> str:
    """``unknown key `rpc_ulr` (did you mean `rpc_url`?); known: …``"""
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    return f"unknown {what} `{name}`{hint}; known: {', '.join(known) or '(none)'}"


def load_config(path: Path | None = None) -> ConfigFile | None:
    """Read and check the config file (``path``, else ``$TRIBUNAL_CONFIG``); None when there is none.

    Checks the keys, not the values: each value is checked where it is used, with its type.
    """
    path = path or config_path()
    if path is None:
        return None
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist (from --config or ${CONFIG_ENV})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    values: dict[str, Any] = {}
    tables: dict[str, dict[str, Any]] = {}
    for name, value in data.items():
        if name in PROGRAMS:
            if not isinstance(value, dict):
                raise ConfigError(f"config file {path}: `{name}` must be a table of command tables, "
                                  f"e.g. [{name}.start]")
            tables[name] = value
        elif name in KEYS_BY_NAME:
            values[name] = value
        elif (env := ENV_PREFIX + name.upper()) in ENVIRONMENT_ONLY:
            raise ConfigError(f"config file {path}: `{name}` ({env}) is {ENVIRONMENT_ONLY[env]}")
        else:
            known = sorted(KEYS_BY_NAME) + [f"[{program}.<command>]" for program in PROGRAMS]
            raise ConfigError(f"config file {path}: " + unknown_name("key", name, known))
    return ConfigFile(path, values, tables)


def describe_settings_error(exc: ValidationError, config: ConfigFile | None) -> str:
    """One line per invalid setting: its key and environment variable, where the value came from
    (the environment or the file), the value (passwords masked) and what is expected."""
    lines = []
    for error in exc.errors():
        loc = str(error["loc"][0]) if error["loc"] else ""
        name = env_key_name(loc)
        key = KEYS_BY_NAME.get(name) or KEYS_BY_ENV.get(loc.upper())
        message = mask_url_password(error["msg"])
        if key is None:
            lines.append(f"  {message}")
            continue
        shown = mask_url_password(repr(error.get("input")))
        from_env = next((env for env in key.envs if env in os.environ), None)
        if from_env is not None:
            lines.append(f"  {from_env}={shown} (environment): {message}")
        elif config is not None and key.name in config.values:
            lines.append(f"  {key.name} = {shown} in {config.path} ({key.env}): {message}")
        else:
            lines.append(f"  {key.name} ({key.env}): {message}")
    return "\n".join(lines)


SettingsT = TypeVar("SettingsT", bound="Settings")


def read_settings(cls: type[SettingsT]) -> SettingsT:
    """``cls()`` from the environment and the config file, or a ConfigError naming each bad key,
    where its value came from and what is expected."""
    try:
        return cls()
    except ValidationError as exc:
        raise ConfigError("invalid settings:\n" + describe_settings_error(exc, load_config())) from exc


class Settings(BaseSettings):
    """Settings every role reads the same way; the CLIs' options override them per command."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    rpc_url: str = DEFAULT_RPC_URL
    deployment: Path | None = None
    keystore: Path | None = None
    artifact_store: str = DEFAULT_ARTIFACT_STORE
    broker_visibility_timeout_s: int = Field(
        default=12 * 3600, gt=0,
        description="a training job not acknowledged within this time goes to another executor",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then the config file (keys checked by `load_config`)."""
        config = load_config()
        if config is None:
            return init_settings, env_settings, dotenv_settings, file_secret_settings
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config.path)
        return init_settings, env_settings, dotenv_settings, toml, file_secret_settings
