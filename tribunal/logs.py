"""Logging for the long-running roles: rich console lines for people, JSON lines for machines.

Structured fields travel as ``extra={"event": "claimed", "task_id": 7, ...}``; the JSON
formatter writes them next to the message, the console shows the message only. Nothing here
ever formats a key: signers print as their address.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.logging import RichHandler

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonLines(logging.Formatter):
    """One JSON object per record: ts, level, logger, msg and every ``extra`` field."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": round(record.created, 3),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def configure_logging(
    *, json_lines: bool = False, level: str = "INFO", console: Console | None = None,
    log_file: Path | None = None,
) -> None:
    """Root logging: JSON lines on stdout, or rich lines on ``console``; plus an optional JSON file."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handlers: list[logging.Handler] = []
    if json_lines:
        stream = logging.StreamHandler(sys.stdout)
        stream.setFormatter(JsonLines())
        handlers.append(stream)
    else:
        handlers.append(RichHandler(console=console, show_path=False, rich_tracebacks=False,
                                    log_time_format="%H:%M:%S"))
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file)
        file_handler.setFormatter(JsonLines())
        handlers.append(file_handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "urllib3", "web3", "celery", "kombu", "numba", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
