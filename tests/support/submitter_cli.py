"""`tribunal` run in-process (typer's runner) against a test's chain and backend, as one of the
devnet's actors: what the submitter-command tests drive."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from deploy.cli import app
from tests.support.chain import Devnet, actor_key

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
"""The job files and data docs/jobs.md shows (the tests load them, so the doc cannot go stale)."""


class Cli:
    """`tribunal` against the test's chain and backend, as the submitter unless told otherwise."""

    def __init__(self, devnet: Devnet, deployment_file: Path, backend_url: str,
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.devnet, self.backend_url, self.monkeypatch = devnet, backend_url, monkeypatch
        self.chain = ["--rpc-url", devnet.anvil.rpc_url, "--deployment", str(deployment_file)]

    def __call__(self, *args: str, key: str = "submitter") -> Result:
        self.monkeypatch.setenv("TRIBUNAL_PRIVATE_KEY", actor_key(key))
        return CliRunner().invoke(app, [*args, *self.chain])

    def post(self, job: Path, *extra: str) -> tuple[int, Result]:
        result = self("task", "post", str(job), "--artifact-store", self.backend_url, *extra)
        assert result.exit_code == 0, said(result)
        return posted_id(result), result

    def wait(self, task_id: int, *extra: str) -> Result:
        return self("task", "wait", str(task_id), "--artifact-store", self.backend_url,
                    "--poll-interval", "0.1", *extra)


def said(result: Result) -> str:
    """The command's output as one line (rich wraps an error at the terminal's width)."""
    return " ".join(result.output.split())


def posted_id(result: Result) -> int:
    """The task id `task post` prints on a line of its own."""
    return int(next(line for line in result.output.splitlines() if line.strip().isdigit()))
