"""Test vectors for the jackpot's slot registry and committee draw (`Jackpot.register`, `exit`,
`occupantAt`, `drawCommittee`), shared bit for bit with the Solidity tests and checked against the
deployed contract by `tests/chain/test_committee_draw.py`.

``python -m tools.generate.committee_draw_vectors`` rewrites ``vectors/committee_draw.json``;
``--check`` exits 1 if the file differs from what `tribunal.forced_errors.SlotRegistry` and
`draw_committee` compute now. Every number comes from ``keccak256(label ‖ i)``, so the file needs
no random generator.

Each case is a registry history a test replays into a fresh Jackpot (``FORMAT`` below, also at the
top of the JSON): flat parallel arrays of actions (``history_joins`` true: the account calls
`register`, false: `exit`) in non-decreasing blocks (several actions may share a block). Each action
is one registry epoch, so a result submitted after the first ``epoch`` actions is drawn from the
registry as of epoch ``epoch``; ``drawCommittee(task_id, seed, epoch, count)`` returns ``committee``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from tools.generate import VECTORS_DIR, Outputs, generator_main
from tribunal.forced_errors import DRAWS_PER_SEAT, MAX_COMMITTEE_SIZE, SlotRegistry
from tribunal.merkle import keccak256

VECTORS_PATH: Final[Path] = VECTORS_DIR / "committee_draw.json"

FIRST_BLOCK: Final[int] = 10
"""The block of each history's first action."""

FORMAT: Final[str] = (
    "Each case: deploy a Jackpot with COMMITTEE_SIZE = committee_size, then replay its history in order: "
    "for each i, at block history_blocks[i] (non-decreasing; several actions may share a block; only "
    "their order matters, so a test may shift them all by one offset or use one block per action), "
    "account history_accounts[i] calls register() (with the bond) if history_joins[i] is true, else "
    "exit(). Every action is one registry epoch: action i (0-based) makes epoch i + 1, so the registry "
    "as of epoch e is what the first e actions leave (a result submitted after them is drawn from it). "
    "After the whole history: registryEpoch() == registry_epoch (the number of actions), memberCount() "
    "== member_count, occupantAt(s, registry_epoch) == final_slots[s] for s < member_count. As of the "
    "draw's epoch `epoch` (0..registry_epoch): the registry had `count` members and occupantAt(s, epoch) "
    "== slots[s] for s < count; drawCommittee(task_id, seed, epoch, count) returns committee (in draw "
    "order; empty for a zero seed or count 0). Accounts are lowercase hex; seed is a bytes32 hex; "
    "task_id may exceed 2**53 (read it as a uint256)."
)


def _word(label: str, i: int) -> bytes:
    return keccak256(label.encode() + i.to_bytes(32, "big"))


def _number(label: str, i: int) -> int:
    return int.from_bytes(_word(label, i), "big")


def _account(i: int) -> str:
    return "0x" + _word("member", i)[12:].hex()


@dataclass
class History:
    """A registry history: each action in a block (``same_block``: the previous action's block),
    replayed into a `SlotRegistry` as it goes."""

    block: int = FIRST_BLOCK - 1
    registry: SlotRegistry = field(default_factory=SlotRegistry)
    actions: list[tuple[int, str, bool]] = field(default_factory=list)

    def _block(self, same_block: bool) -> int:
        if not (same_block and self.actions):
            self.block += 1
        return self.block

    def join(self, account: str, *, same_block: bool = False) -> int:
        slot = self.registry.join(account)
        self.actions.append((self._block(same_block), account, True))
        return slot

    def exit(self, account: str, *, same_block: bool = False) -> tuple[int, str | None]:
        moved = self.registry.exit(account)
        self.actions.append((self._block(same_block), account, False))
        return moved

    def members(self) -> list[str]:
        return self.registry.slots_at(self.registry.epoch)


def _case(name: str, history: History, *, size: int, task_id: int, seed: bytes,
          epoch: int | None = None) -> dict[str, Any]:
    registry = history.registry
    epoch = registry.epoch if epoch is None else epoch
    slots = registry.slots_at(epoch)
    return {
        "name": name,
        "committee_size": size,
        "task_id": task_id,
        "seed": "0x" + seed.hex(),
        "history_blocks": [block for block, _, _ in history.actions],
        "history_accounts": [account for _, account, _ in history.actions],
        "history_joins": [join for _, _, join in history.actions],
        "registry_epoch": registry.epoch,
        "member_count": registry.member_count,
        "final_slots": history.members(),
        "epoch": epoch,
        "count": len(slots),
        "slots": slots,
        "committee": registry.committee(seed, task_id, epoch, size),
    }


def _random_history(label: int, steps: int, pool: int, join_ppm: int, *,
                    after: int = 0) -> tuple[History, int]:
    """``steps`` actions among ``pool`` accounts (a join with probability ``join_ppm`` of a
    non-member, else an exit of a member; a quarter of them in the previous action's block), the
    draw's epoch, then ``after`` more actions (that no committee drawn as of the epoch sees)."""
    history = History()
    accounts = [_account(label * 10_000 + i) for i in range(pool)]

    def step(i: int) -> None:
        r = _number("step", label * 100_000 + i)
        members = history.members()
        outside = [a for a in accounts if history.registry.slot_of(a) is None]
        join = outside and (not members or r % 1_000_000 < join_ppm)
        same_block = (r >> 64) % 4 == 0
        if join:
            history.join(outside[(r >> 128) % len(outside)], same_block=same_block)
        else:
            history.exit(members[(r >> 128) % len(members)], same_block=same_block)

    for i in range(steps):
        step(i)
    epoch = history.registry.epoch
    for i in range(steps, steps + after):
        step(i)
    return history, epoch


def build_cases() -> list[dict[str, Any]]:
    cases = []
    # one member, one seat
    h = History()
    h.join(_account(1))
    cases.append(_case("one member, one seat", h, size=1, task_id=1, seed=_word("seed", 1)))
    # fewer members than seats: every one of them, in draw order
    h = History()
    for i in range(3):
        h.join(_account(10 + i))
    cases.append(_case("fewer members than seats", h, size=5, task_id=2, seed=_word("seed", 2)))
    # everyone exited by the draw's epoch: nobody (the slots' histories still name them)
    h = History()
    for i in range(3):
        h.join(_account(20 + i))
    for i in range(3):
        h.exit(_account(20 + i))
    cases.append(_case("all exited before the draw's epoch", h, size=2, task_id=3, seed=_word("seed", 3)))
    # exits move the last slot's member into the freed slot
    h = History()
    for i in range(6):
        h.join(_account(30 + i))
    h.exit(_account(31))  # slot 1 <- slot 5's member
    h.exit(_account(30))  # slot 0 <- slot 4's member
    h.exit(_account(35))  # it now holds slot 1: slot 1 <- slot 3's member
    cases.append(_case("exits move the last slot's member into the freed slot", h, size=3, task_id=4,
                       seed=_word("seed", 4)))
    # the last slot's member exits: nobody moves; a later join takes the slot again
    h = History()
    for i in range(4):
        h.join(_account(36 + i))
    h.exit(_account(39))
    h.join(_account(40))
    h.exit(_account(40))
    h.join(_account(41))
    cases.append(_case("the last slot's member exits: nobody moves, the next join takes it", h, size=4,
                       task_id=12, seed=_word("seed", 12)))
    # an account that left and joined again holds one slot (the last one when it came back)
    h = History()
    for i in range(3):
        h.join(_account(42 + i))
    h.exit(_account(42))
    h.join(_account(42))
    h.exit(_account(43))
    h.join(_account(43))
    cases.append(_case("re-joined accounts take the last slot again", h, size=3, task_id=5,
                       seed=_word("seed", 5)))
    h = History()
    h.join(_account(45))
    for _ in range(3):
        h.exit(_account(45))
        h.join(_account(45))
    cases.append(_case("one account joined four times: one slot, one seat", h, size=2, task_id=6,
                       seed=_word("seed", 6)))
    # exits after the draw's epoch change nothing: those members keep their seats, and the members
    # moved into their slots later are not drawn for them
    h = History()
    for i in range(5):
        h.join(_account(50 + i))
    epoch = h.registry.epoch
    for i in (0, 2, 1):
        h.exit(_account(50 + i))
    cases.append(_case("members that exit after the draw's epoch keep their seats", h, size=6, task_id=7,
                       seed=_word("seed", 7), epoch=epoch))
    h = History()
    for i in range(12):
        h.join(_account(60 + i))
    epoch = h.registry.epoch
    for i in range(0, 12, 2):
        h.exit(_account(60 + i), same_block=i % 4 == 2)
    for i in range(3):
        h.join(_account(72 + i))
    cases.append(_case("exits and joins after the draw's epoch: the draw sees the registry then", h, size=4,
                       task_id=13, seed=_word("seed", 13), epoch=epoch))
    # joins after the draw's epoch are never drawn (count is the members then)
    h = History()
    for i in range(4):
        h.join(_account(80 + i))
    epoch = h.registry.epoch
    for i in range(8):
        h.join(_account(84 + i))
    cases.append(_case("joins after the draw's epoch are never drawn", h, size=4, task_id=8,
                       seed=_word("seed", 8), epoch=epoch))
    h = History()
    for i in range(3):
        h.join(_account(92 + i))
    cases.append(_case("epoch 0: the registry was empty", h, size=3, task_id=14, seed=_word("seed", 14),
                       epoch=0))
    # a zero seed (nobody drew within 256 blocks) or an empty registry: nobody
    h = History()
    for i in range(3):
        h.join(_account(95 + i))
    cases.append(_case("zero seed", h, size=2, task_id=9, seed=bytes(32)))
    cases.append(_case("empty registry", History(), size=2, task_id=10, seed=_word("seed", 10)))
    # all but one of 40 exited: the draw sees one slot, not 39 dead entries
    h = History()
    for i in range(40):
        h.join(_account(100 + i))
    for i in range(39):
        h.exit(_account(100 + i), same_block=i % 2 == 1)
    cases.append(_case("one member left of 40: one slot, one seat", h, size=MAX_COMMITTEE_SIZE, task_id=11,
                       seed=_word("seed", 11)))
    # heavy churn: hundreds of register/exit cycles (an operator's, at the cost of gas only) leave the
    # registry as small as its members, so committees stay full
    h = History()
    for i in range(10):
        h.join(_account(200 + i))
    churners = [_account(300 + i) for i in range(3)]
    for cycle in range(150):
        churner = churners[cycle % 3]
        h.join(churner, same_block=cycle % 2 == 1)
        h.exit(churner, same_block=True)
    cases.append(_case("heavy churn: 150 join/exit cycles after 10 members, committee full", h,
                       size=MAX_COMMITTEE_SIZE, task_id=20, seed=_word("seed", 20)))
    h = History()
    for i in range(4):
        h.join(_account(400 + i))
    churner = _account(499)
    for cycle in range(200):
        h.join(churner, same_block=cycle % 4 != 0)
        if cycle == 100:  # a member exits mid-churn: the churner (in the last slot) moves into its slot
            h.exit(_account(401), same_block=True)
        h.exit(churner, same_block=True)
    h.join(_account(401))
    cases.append(_case("heavy churn: 200 cycles among 4 members, one exits mid-churn, committee full", h,
                       size=4, task_id=21, seed=_word("seed", 21)))
    # random histories with moves, re-joins, several actions per block and actions after the draw's
    # epoch: every committee size, a task id beyond 2**53
    for n, (steps, pool, join_ppm, after, size) in enumerate(
        ((20, 8, 600_000, 5, 1), (40, 16, 650_000, 10, 2), (60, 24, 600_000, 0, 3), (30, 12, 700_000, 8, 4),
         (80, 30, 580_000, 20, 5), (50, 10, 550_000, 6, 6), (120, 40, 620_000, 15, 7),
         (150, 48, 640_000, 30, MAX_COMMITTEE_SIZE), (12, 6, 650_000, 4, MAX_COMMITTEE_SIZE))
    ):
        h, epoch = _random_history(n + 1, steps, pool, join_ppm, after=after)
        task_id = 2**64 - 1 - n if n == 4 else 100 + n  # a u64 beyond 53 bits (JSON readers differ above)
        cases.append(_case(f"random history {n + 1}: {steps} actions among {pool} accounts, size {size}", h,
                           size=size, task_id=task_id, seed=_word("seed", 100 + n), epoch=epoch))
    _check_cases(cases)
    return cases


def _check_cases(cases: list[dict[str, Any]]) -> None:
    """What the cases claim to show."""
    names = [case["name"] for case in cases]
    assert len(set(names)) == len(names), "case names are distinct"
    assert {case["committee_size"] for case in cases} == set(range(1, MAX_COMMITTEE_SIZE + 1))
    for case in cases:
        committee, count, size = case["committee"], case["count"], case["committee_size"]
        assert len(set(committee)) == len(committee) <= size and set(committee) <= set(case["slots"])
        if "committee full" in case["name"]:
            assert len(committee) == size == min(size, count), case["name"]
        if "keep their seats" in case["name"]:
            assert set(committee) - set(case["final_slots"]), "a member that exited later is drawn"
        if "never drawn" in case["name"]:
            assert not set(committee) & (set(case["final_slots"]) - set(case["slots"]))
    assert any(case["history_blocks"].count(b) > 1 for case in cases for b in case["history_blocks"])


def build_vectors() -> dict[str, Any]:
    cases = build_cases()
    return {
        "description": (
            "Jackpot slot registry and committee draws (Jackpot.register/exit/occupantAt/drawCommittee; "
            "docs/forced-errors.md), shared by tribunal.forced_errors (SlotRegistry, draw_committee), the "
            "forge tests and tests/chain/test_committee_draw.py. Regenerate with "
            "`python -m tools.generate.committee_draw_vectors`"
        ),
        "format": FORMAT,
        "draws_per_seat": DRAWS_PER_SEAT,
        "max_committee_size": MAX_COMMITTEE_SIZE,
        "case_count": len(cases),
        "cases": cases,
    }


def _render(value: Any, indent: int = 0) -> str:
    """JSON with two-space indents, each list of scalars on one line (the histories are long)."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {_render(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}" if items else "{}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        return "[\n" + ",\n".join(pad + _render(v, indent + 1) for v in value) + "\n" + "  " * indent + "]"
    return json.dumps(value)


def render_vectors() -> str:
    return _render(build_vectors()) + "\n"


def outputs() -> Outputs:
    return {VECTORS_PATH: render_vectors().encode()}


main = generator_main("tools.generate.committee_draw_vectors", __doc__, outputs)

if __name__ == "__main__":
    sys.exit(main())
