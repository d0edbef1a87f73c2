"""Config files (TOML) written by the tests of `tribunal.config`."""

from __future__ import annotations

from typing import Any


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_text(values: dict[str, Any], tables: dict[str, dict[str, Any]] | None = None) -> str:
    """A config file: top-level keys, then ``{"worker.start": {...}}`` tables."""
    lines = [f"{key} = {toml_value(value)}" for key, value in values.items()]
    for name, table in (tables or {}).items():
        lines.append(f"\n[{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"
