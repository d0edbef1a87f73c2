"""`tribunal config check`: load the configuration the way a role starts, then check all it must reach.

A role reads the same layers as its command (command line > environment > config file > default):
``backend`` is `python -m backend` (`BackendSettings`), ``worker`` is `worker start`, ``executor`` is
`worker executor`, ``verifier`` is `verifier start`. Without a role: the file, the shared settings
and the chain. The checks themselves are `tribunal.doctor`'s; this module only composes them, with the
roles it checks. The roles are imported where a check needs them: `worker.cli` alone takes seconds to
import, and `tribunal --help` should not wait for it.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

import typer

from tribunal.chain.session import parse_eth
from tribunal.cli_common import ResolvedOption, config_defaults, envvars, resolve_options
from tribunal.config import (
    KEYS_BY_ENV,
    PROGRAMS,
    Settings,
    load_config,
    mask_url_password,
    read_settings,
)
from tribunal.doctor import (
    Check,
    attempt,
    chain_checks,
    check_broker,
    check_device,
    run_checks,
    writable_dir,
)


class Role(str, Enum):
    BACKEND = "backend"
    WORKER = "worker"
    EXECUTOR = "executor"
    VERIFIER = "verifier"


# The CLI command each agent role runs, and the programs whose tables it reads.
ROLE_COMMANDS: dict[Role, tuple[str, str]] = {
    Role.WORKER: ("worker", "start"),
    Role.EXECUTOR: ("worker", "executor"),
    Role.VERIFIER: ("verifier", "start"),
}
ETH_OPTIONS = ("stake", "min_reward", "max_stake")


def cli_app(program: str) -> typer.Typer:
    """The CLI of ``program`` (one of `tribunal.config.PROGRAMS`), whose tables of the file it reads."""
    from deploy.cli import app as tribunal_app
    from verifier.cli import app as verifier_app
    from worker.cli import app as worker_app

    return {"tribunal": tribunal_app, "worker": worker_app, "verifier": verifier_app}[program]


def config_checks(role: Role | None) -> list[Check]:
    """Every check for ``role``, in order; a broken file or unusable settings stop the list there."""
    programs = _programs_read_by(role)

    def file_check() -> str:
        config = load_config()
        for program in programs:
            config_defaults(typer.main.get_command(cli_app(program)), program, config)
        if config is None:
            return "none (TRIBUNAL_CONFIG is not set): the environment and the defaults only"
        tables = [f"[{program}.{command}]" for program, table in config.tables.items() for command in table]
        return f"{config.path}: {len(config.values)} settings" + (f", {', '.join(tables)}" if tables else "")

    checks = [attempt("config file", file_check)]
    if not checks[0].ok:
        return checks
    if role is None:
        return checks + _shared_checks()
    if role is Role.BACKEND:
        return checks + _backend_checks()
    program, command = ROLE_COMMANDS[role]
    options: dict[str, ResolvedOption] = {}
    settings = attempt("settings", lambda: _resolve(program, command, options))
    checks.append(settings)
    if not settings.ok:
        return checks
    value = {name: option.value for name, option in options.items()}
    if role is Role.EXECUTOR:
        from worker.tasks import executor_dir

        work_dir = _path(value["work_dir"]) or executor_dir()
        setting = "--work-dir (TRIBUNAL_EXECUTOR_DIR, executor_dir)"
        return checks + [check_broker(value["broker"]), check_device(value["device"]),
                         attempt("work dir", lambda: writable_dir(work_dir, setting))]
    return checks + run_checks(
        value["rpc_url"], _path(value["deployment"]), _path(value["keystore"]), 0,
        artifact_store=value["artifact_store"], broker=value.get("broker"),
        check_broker_too=role is Role.WORKER, device=value["device"], prompt=False,
    )


def _programs_read_by(role: Role | None) -> list[str]:
    """The CLIs whose tables of the file ``role`` reads (every one without a role)."""
    if role is None:
        return list(PROGRAMS)
    return [ROLE_COMMANDS[role][0]] if role in ROLE_COMMANDS else []


def _path(value: Any) -> Path | None:
    return None if value is None else Path(value)


def _resolve(program: str, command: str, into: dict[str, ResolvedOption]) -> str:
    """``program command``'s options as it would start; what is not a default, with its source."""
    try:
        into.update(resolve_options(cli_app(program), program, command))
    except typer.BadParameter as exc:
        param = exc.param
        envs = envvars(param) if isinstance(param, typer.core.TyperOption) else []
        keys = [KEYS_BY_ENV[env].name for env in envs if env in KEYS_BY_ENV]
        hint = f": set `{keys[0]}` in the config file or {envs[0]}" if keys else ""
        raise ValueError(f"`{program} {command}`: {exc.format_message()}{hint}") from exc
    for name in ETH_OPTIONS:
        option = into.get(name)
        if option is not None and option.value is not None:
            try:
                parse_eth(option.value)
            except ValueError as exc:
                raise ValueError(f"{name} (from the {option.source}): {exc}") from exc
    shown = [f"{name}={mask_url_password(str(option.value))} ({option.source})"
             for name, option in into.items() if option.source != "default"]
    return f"`{program} {command}` " + ("with " + ", ".join(shown) if shown else "with its defaults")


def _shared_checks() -> list[Check]:
    found: dict[str, Settings] = {}

    def settings_check() -> str:
        found["settings"] = shared = read_settings(Settings)
        return (f"rpc_url={mask_url_password(shared.rpc_url)}, "
                f"deployment={shared.deployment or '(deployments/<chain id>.json)'}")

    settings = attempt("settings", settings_check)
    if not settings.ok:
        return [settings]
    return [settings] + chain_checks(found["settings"].rpc_url, found["settings"].deployment).checks


def _backend_checks() -> list[Check]:
    from backend.db.engine import describe_database
    from backend.settings import BackendSettings, env_summary

    found: dict[str, BackendSettings] = {}

    def settings_check() -> str:
        found["settings"] = loaded = read_settings(BackendSettings)
        return ", ".join(f"{k}={mask_url_password(v)}" for k, v in env_summary(loaded).items())

    settings = attempt("settings", settings_check)
    if not settings.ok:
        return [settings]
    backend = found["settings"]
    checks = [settings] + chain_checks(backend.rpc_url, backend.deployment).checks
    checks.append(attempt("database", lambda: describe_database(backend.database_url)))
    checks.append(attempt("artifact dir", lambda: writable_dir(
        backend.artifact_dir, "artifact_dir (TRIBUNAL_ARTIFACT_DIR)")))
    if backend.celery_broker_url:
        checks.append(check_broker(backend.celery_broker_url, name="jobs broker",
                                   fix="celery_broker_url (TRIBUNAL_CELERY_BROKER_URL)"))
    else:
        checks.append(Check("jobs broker", True, "none: background jobs run in the API process"))
    return checks
