"""Forced errors (docs/forced-errors.md): the draw, the forced checkpoint, seals, the committee
draw and its share, in Python, against the vectors the Solidity tests read (`vectors/forced_draw.json`,
`vectors/committee_draw.json`; `tests/chain/test_committee_draw.py` checks the latter on chain)."""

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
    DRAWS_PER_SEAT,
    MAX_COMMITTEE_SIZE,
    Occupant,
    SlotRegistry,
    committee_share,
    draw,
    draw_committee,
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

VECTORS_DIR = Path(__file__).resolve().parents[1] / "vectors"
VECTORS = json.loads((VECTORS_DIR / "forced_draw.json").read_text())
COMMITTEES = json.loads((VECTORS_DIR / "committee_draw.json").read_text())


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
    assert "shares" not in VECTORS  # the decaying split is gone: each catching member gets POT / K


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


def _replay(case: dict) -> SlotRegistry:
    registry = SlotRegistry()
    for account, join in zip(case["history_accounts"], case["history_joins"], strict=True):
        if join:
            registry.join(account)
        else:
            registry.exit(account)
    return registry


def test_committees_match_the_shared_vectors() -> None:
    assert COMMITTEES["draws_per_seat"] == DRAWS_PER_SEAT
    assert COMMITTEES["max_committee_size"] == MAX_COMMITTEE_SIZE
    assert "history_joins" in COMMITTEES["format"]
    names = set()
    sizes = set()
    for case in COMMITTEES["cases"]:
        blocks = case["history_blocks"]
        assert len(blocks) == len(case["history_accounts"]) == len(case["history_joins"]), case["name"]
        assert blocks == sorted(blocks), case["name"]
        registry = _replay(case)
        assert (registry.epoch, registry.member_count) == (case["registry_epoch"], case["member_count"])
        assert registry.slots_at(registry.epoch) == case["final_slots"], case["name"]
        epoch = case["epoch"]
        assert registry.members_at(epoch) == case["count"] == len(case["slots"])
        assert registry.slots_at(epoch) == case["slots"], case["name"]
        # the registry as of the draw's epoch is what the first `epoch` actions leave
        assert _replay({**case, "history_accounts": case["history_accounts"][:epoch],
                        "history_joins": case["history_joins"][:epoch]}).slots_at(epoch) == case["slots"]
        committee = draw_committee(_b(case["seed"]), case["task_id"], case["slots"], case["committee_size"])
        assert committee == case["committee"] == registry.committee(_b(case["seed"]), case["task_id"], epoch,
                                                                     case["committee_size"]), case["name"]
        names.add(case["name"])
        sizes.add(case["committee_size"])
    assert len(names) == len(COMMITTEES["cases"]) == COMMITTEES["case_count"] >= 20
    assert sizes == set(range(1, MAX_COMMITTEE_SIZE + 1))
    # what the cases are there for
    by_name = {case["name"]: case for case in COMMITTEES["cases"]}
    churn = [case for name, case in by_name.items() if name.startswith("heavy churn")]
    assert churn and all(len(c["history_joins"]) >= 300 and len(c["committee"]) == c["committee_size"]
                         for c in churn)
    assert any(len(c["slots"]) < c["committee_size"] and c["committee"] and
               set(c["committee"]) == set(c["slots"]) for c in by_name.values())
    assert by_name["zero seed"]["committee"] == [] and by_name["zero seed"]["slots"]
    assert by_name["empty registry"]["committee"] == by_name["empty registry"]["history_joins"] == []
    assert any(len(set(c["history_blocks"])) < len(c["history_blocks"]) for c in by_name.values())


def test_the_slot_registry_moves_the_last_member_into_a_freed_slot() -> None:
    a, b, c, d = (f"0x{i:040x}" for i in range(1, 5))
    registry = SlotRegistry()
    assert (registry.epoch, registry.member_count, registry.slots_at(0)) == (0, 0, [])
    assert [registry.join(x) for x in (a, b, c)] == [0, 1, 2]
    assert registry.slots_at(3) == [a, b, c] and registry.slots_at(1) == [a]
    assert registry.exit(a) == (0, c)  # epoch 4: c moves from slot 2 into slot 0
    assert (registry.epoch, registry.member_count, registry.slots_at(4)) == (4, 2, [c, b])
    assert registry.slot_of(c.upper()) == 0 and registry.slot_of(a) is None
    assert registry.histories[0] == [Occupant(1, a), Occupant(4, c)]
    # the last slot keeps its old occupant in its history: only draws as of earlier epochs reach it
    assert registry.histories[2] == [Occupant(3, c)] and registry.occupant_at(2, 4) == c
    assert registry.exit(b) == (1, None)  # epoch 5: b held the last slot: nobody moves
    assert registry.join(d) == 1 and registry.join(a) == 2  # epochs 6, 7: joins take the last slot
    assert registry.histories[1] == [Occupant(2, b), Occupant(6, d)]
    assert registry.histories[2] == [Occupant(3, c), Occupant(7, a)]
    # every earlier epoch still reads as it was
    assert [registry.slots_at(e) for e in range(8)] == [
        [], [a], [a, b], [a, b, c], [c, b], [c], [c, d], [c, d, a]]
    assert registry.occupant_at(5, 7) is None and registry.occupant_at(0, 0) is None
    with pytest.raises(ValueError, match="already a member"):
        registry.join(c)
    with pytest.raises(ValueError, match="not a member"):
        registry.exit(b)
    with pytest.raises(ValueError, match="epoch 8 is not"):
        registry.slots_at(8)


def test_a_committee_is_distinct_members_of_the_slots_and_repeatable() -> None:
    slots = [f"0x{i:040x}" for i in range(1, 31)]
    sizes = []
    for t in range(200):
        seed = new_secret()
        committee = draw_committee(seed, t, slots, 4)
        assert len(set(committee)) == len(committee) <= 4 and set(committee) <= set(slots)
        assert committee == draw_committee(seed, t, slots, 4)
        sizes.append(len(committee))
    assert sizes.count(4) == 200  # 32 candidates among 30 slots always fill 4 seats
    # a zero seed (nobody drew in time) or an empty registry draws nobody; fewer members than seats:
    # all of them
    assert draw_committee(bytes(32), 1, slots, 4) == []
    assert draw_committee(new_secret(), 1, [], 4) == []
    assert sorted(draw_committee(new_secret(), 1, slots[:3], 8)) == slots[:3]
    # an empty slot (the contract's zero address; never below the member count) is skipped
    assert draw_committee(new_secret(), 1, [None, "0x" + "00" * 20], 2) == []


def test_churn_does_not_starve_committees() -> None:
    """Hundreds of join/exit cycles leave the registry as big as its members: committees stay full."""
    registry = SlotRegistry()
    members = [f"0x{i:040x}" for i in range(1, 5)]
    for member in members:
        registry.join(member)
    churner = "0x" + "ee" * 20
    for _ in range(500):
        registry.join(churner)
        registry.exit(churner)
    assert registry.epoch == 1004 and registry.slots_at(registry.epoch) == members
    assert all(sorted(registry.committee(new_secret(), t, registry.epoch, 4)) == members for t in range(20))


def test_each_catching_member_is_paid_pot_over_committee_size() -> None:
    pot = 10**18 + 7
    assert [committee_share(pot, k) for k in (1, 2, 3, 8)] == [pot, pot // 2, pot // 3, pot // 8]
    # the K shares never exceed the pot: what nobody caught returns to the escrow, nothing is burned
    assert all(k * committee_share(pot, k) <= pot for k in range(1, MAX_COMMITTEE_SIZE + 1))


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="secret must be 32 bytes"):
        secret_hash(b"short")
    with pytest.raises(ValueError, match="20-byte address"):
        seal_hash(1, bytes(32), "0x1234", bytes(32))
    with pytest.raises(ValueError, match="interior leaf"):
        forced_trace([bytes(32)] * 5, 4, bytes(32))
    with pytest.raises(ValueError, match="seed must be 32 bytes"):
        draw_committee(b"short", 1, [], 2)
    for size in (0, MAX_COMMITTEE_SIZE + 1):
        with pytest.raises(ValueError, match="committee size"):
            draw_committee(bytes(32), 1, [], size)
        with pytest.raises(ValueError, match="committee size"):
            committee_share(10**18, size)


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
