"""Forced errors (docs/forced-errors.md): the draw, the forced checkpoint, seals and shares, in
Python, against the vectors the Solidity tests read (`vectors/forced_draw.json`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.support.disputes import operator_run
from tests.support.specs import tiny_spec
from tribunal.checkpoints import Checkpoint
from tribunal.commitments import committed_step, trace_root
from tribunal.forced_errors import (
    decaying_share,
    draw,
    force_checkpoint,
    forced_trace,
    new_secret,
    perturbation,
    seal_hash,
    secret_hash,
    with_commitment,
)
from tribunal.tasks import prepare_task
from tribunal.training import next_state, run_step

pytestmark = pytest.mark.unit

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "forced_draw.json").read_text())


def _b(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def test_draws_match_the_shared_vectors() -> None:
    for case in VECTORS["draws"]:
        assert secret_hash(_b(case["secret"])) == _b(case["secret_hash"])
        outcome = draw(_b(case["secret"]), _b(case["seed"]), case["task_id"], case["steps"], case["every"],
                       case["ppm"])
        assert (outcome.forced, outcome.leaf) == (case["forced"], case["leaf"])
    for case in VECTORS["seals"]:
        assert seal_hash(case["task_id"], _b(case["state"]), case["catcher"], _b(case["salt"])) == _b(
            case["seal_hash"])
    for case in VECTORS["shares"]:
        assert decaying_share(case["pot"], case["catches"]) == case["share"]


def test_the_draw_fires_at_its_rate_on_interior_committed_steps() -> None:
    hits = 0
    for i in range(4000):
        outcome = draw(new_secret(), new_secret(), i, 100, 10, 250_000)
        if outcome.forced:
            hits += 1
            assert 0 < outcome.leaf < 100 and outcome.leaf % 10 == 0
    # 1,000 expected; 6 standard deviations (27 each) either side
    assert 840 < hits < 1160
    assert not any(draw(new_secret(), new_secret(), 1, 10, 10, 1_000_000).forced for _ in range(20))


def test_decaying_share_pays_less_in_total_to_more_catchers() -> None:
    pot = 10**18
    totals = [k * decaying_share(pot, k) for k in range(1, 6)]
    assert totals[0] == pot and totals == sorted(totals, reverse=True)
    assert decaying_share(pot, 2) == pot // 4 and decaying_share(pot, 0) == 0 and decaying_share(pot, 65) == 0


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="secret must be 32 bytes"):
        secret_hash(b"short")
    with pytest.raises(ValueError, match="20-byte address"):
        seal_hash(1, bytes(32), "0x1234", bytes(32))
    with pytest.raises(ValueError, match="interior leaf"):
        forced_trace([bytes(32)] * 5, 4, bytes(32))


def test_a_forced_checkpoint_is_consistent_and_only_a_replay_shows_it_wrong() -> None:
    prepared = prepare_task(tiny_spec(seed=3, steps=6, checkpoint_every=2), "test://forced")
    run = operator_run(prepared)
    honest = run.checkpoints[4]
    secret = new_secret()
    forced = force_checkpoint(honest, prepared.graph, secret)
    # self-consistent: its leaves hash to its h_L and its state matches its leaves
    forced.check_against(prepared.spec_hash, prepared.graph)
    assert forced.state_commitments[4] != honest.state_commitments[4]
    assert forced.state_commitments[:4] == honest.state_commitments[:4]
    where = perturbation(secret, honest)
    changed = [i for i, (a, b) in enumerate(zip(honest.state, forced.state, strict=True))
               if a.tobytes() != b.tobytes()]
    assert changed == [where.slot]
    # a byte-level round trip keeps it
    assert Checkpoint.from_bytes(forced.to_bytes()).content_hash == forced.content_hash
    # replaying the interval 2..4 from the honest checkpoint at 2 gives the honest h_4, not the forced one
    tensors = [torch.from_numpy(np.array(a)) for a in run.checkpoints[2].state]
    rows = torch.from_numpy(np.array(prepared.dataset.rows))
    for step in (2, 3):
        outputs = run_step(prepared.graph, tensors, rows, step)
        tensors = next_state(prepared.graph, outputs)
    replayed = [bytes(a.numpy().tobytes()) for a in tensors]
    assert replayed == [a.tobytes() for a in honest.state] != [a.tobytes() for a in forced.state]
    # the later checkpoints and the trace name h_L'
    final = with_commitment(run.model, 4, forced.state_commitments[4])
    final.check_against(prepared.spec_hash, prepared.graph)
    trace = list(run.model.state_commitments)
    assert all(committed_step(t, 6, 2) == (trace[t] != bytes(32)) for t in range(7))
    forced_leaves = forced_trace(trace, 4, forced.state_commitments[4])
    assert trace_root(forced_leaves) != trace_root(trace) and final.state_commitments == tuple(forced_leaves)
