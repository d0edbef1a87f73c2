"""The parallel run: operator processes train their shards while the coordinator waits.

Each operator is a fresh process (forked from a fork server, :func:`operator_context`) pinned to
one thread (``OMP``/``MKL``/``OPENBLAS``/``NUMBA``/``TRIBUNAL_HASH`` threads 1 and
``torch.set_num_threads(1)``), hosting one or more shards
(:class:`~tribunal.diloco.segment.ShardTrainer`; every segment starts from a fresh inner
optimizer state, so no state stays with an operator between rounds). Each round the coordinator
sends every operator the global parameters and their roots; the operator runs its shards'
segments in shard order and sends back each segment's
:class:`~tribunal.diloco.segment.SegmentResult` (trainable parameters, their roots,
``h_0 .. h_H``); the coordinator runs the outer step.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.datasets import Dataset, load_dataset
from tribunal.diloco.coordinator import Coordinator, DilocoResult
from tribunal.diloco.schedule import DilocoSchedule, schedule_json
from tribunal.diloco.segment import SegmentResult, ShardTrainer

POLL_SECONDS = 0.2
THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS",
    "TRIBUNAL_HASH_THREADS",  # the native keccak's Merkle levels (tribunal.native.keccak.threads)
)


class OperatorError(RuntimeError):
    """An operator process failed; the message holds its traceback."""


def assign_shards(shards: int, operators: int) -> list[list[int]]:
    """Shard ``i`` goes to operator ``i mod operators``."""
    if not 1 <= operators <= shards:
        raise ValueError(f"operators must be 1..{shards} (one shard each at least), got {operators}")
    return [list(range(k, shards, operators)) for k in range(operators)]


def operator_main(conn: Connection, schedule_bytes: bytes, dataset: Dataset, shards: list[int]) -> None:
    """An operator process: build its shards' trainers, then answer rounds until told to stop."""
    try:
        torch.set_num_threads(1)
        schedule = DilocoSchedule.model_validate_json(schedule_bytes)
        trainers = [ShardTrainer(schedule, dataset, i) for i in shards]
        conn.send(("ready", None))
        while True:
            message = conn.recv()
            if message[0] == "stop":
                break
            _, round_, params, roots = message
            conn.send(("segments", [trainer.run(round_, params, roots) for trainer in trainers]))
    except EOFError:
        pass  # the coordinator is gone
    except Exception:
        with suppress(OSError):
            conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


@contextmanager
def _one_thread_environment() -> Iterator[None]:
    """Processes (and the fork server) started inside inherit one-thread settings; this process's
    environment is restored after."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: "1" for name in THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def operator_context() -> Any:
    """Operators are forked from a fork server that has imported this module (torch, RepOps) once,
    in a process that never ran a thread pool; started in the one-thread environment, it passes
    that environment on. Spawning instead costs each operator the imports (seconds)."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    context = mp.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _receive(conn: Connection, proc: Any, who: str) -> Any:
    """The next message from an operator; OperatorError if it failed or died."""
    while not conn.poll(POLL_SECONDS):
        if not proc.is_alive():
            raise OperatorError(f"{who} exited (code {proc.exitcode}) without answering")
    try:
        kind, payload = conn.recv()
    except EOFError as exc:
        raise OperatorError(f"{who} exited without answering") from exc
    if kind == "error":
        raise OperatorError(f"{who} failed:\n{payload}")
    return payload


class OperatorPool:
    """``operators`` spawned operator processes hosting the schedule's shards (see
    :func:`assign_shards`). Use as a context manager; the processes stop on exit."""

    def __init__(self, schedule: DilocoSchedule, dataset: Dataset, operators: int) -> None:
        self.assignment = assign_shards(schedule.shards, operators)
        context = operator_context()
        self._conns: list[Connection] = []
        self._procs: list[Any] = []
        encoded = schedule_json(schedule)
        with _one_thread_environment():
            for k, shards in enumerate(self.assignment):
                parent, child = context.Pipe()
                proc = context.Process(
                    target=operator_main, args=(child, encoded, dataset, shards),
                    name=f"diloco-operator-{k}", daemon=True,
                )
                proc.start()
                child.close()
                self._conns.append(parent)
                self._procs.append(proc)
        try:
            for k, conn in enumerate(self._conns):
                _receive(conn, self._procs[k], f"operator {k}")
        except BaseException:
            self.close()
            raise

    def run_round(
        self, round_: int, params: Sequence[NDArray[np.float32]], roots: Sequence[bytes]
    ) -> list[SegmentResult]:
        """Send every operator the round's global parameters; the segments of every shard."""
        message = ("round", round_, list(params), list(roots))
        for conn in self._conns:
            conn.send(message)
        results: list[SegmentResult] = []
        for k, conn in enumerate(self._conns):
            results.extend(_receive(conn, self._procs[k], f"operator {k}"))
        return results

    def close(self) -> None:
        for conn in self._conns:
            with suppress(OSError):  # BrokenPipeError included: the operator is gone
                conn.send(("stop",))
        for proc in self._procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        for conn in self._conns:
            conn.close()

    def __enter__(self) -> OperatorPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def run_parallel(
    schedule: DilocoSchedule,
    *,
    dataset: Dataset | None = None,
    operators: int | None = None,
    device: torch.device | None = None,
) -> DilocoResult:
    """The schedule with its segments run by ``operators`` processes (default: one per shard),
    the outer step in this process (on ``device``)."""
    dataset = dataset or load_dataset(schedule.task.dataset)
    coordinator = Coordinator(schedule, dataset, device)
    with OperatorPool(schedule, dataset, operators or schedule.shards) as pool:
        for round_ in range(schedule.rounds):
            began = time.perf_counter()
            segments = pool.run_round(round_, coordinator.params, coordinator.param_roots)
            coordinator.outer_step(round_, segments, time.perf_counter() - began)
    return coordinator.finish()
