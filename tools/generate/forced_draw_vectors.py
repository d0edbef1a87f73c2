"""Test vectors for the forced-error draw and the jackpot's seals, shared bit for bit with the
Solidity tests (`contracts/test/ForcedErrors.t.sol`).

``python -m tools.generate.forced_draw_vectors`` rewrites ``vectors/forced_draw.json``; ``--check``
exits 1 if the file differs from what `tribunal.forced_errors` produces now. Secrets, seeds, states
and salts are ``keccak256("secret" ‖ i)`` etc., so the file needs no random generator.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

from tools.generate import VECTORS_DIR, Outputs, generator_main
from tribunal.forced_errors import draw, seal_hash, secret_hash
from tribunal.merkle import keccak256

VECTORS_PATH: Final[Path] = VECTORS_DIR / "forced_draw.json"

CASES: Final[tuple[tuple[int, int, int], ...]] = (
    # (steps, checkpoint_every, ppm)
    (100, 10, 1_000_000),
    (100, 10, 100_000),
    (100, 10, 0),
    (10, 10, 1_000_000),  # no interior committed step: never forced
    (11, 10, 1_000_000),  # one interior step (10)
    (7, 1, 500_000),
    (1_000, 64, 250_000),
)
DRAWS_PER_CASE: Final[int] = 4
CATCHER: Final[str] = "0x" + "ab" * 20


def _word(label: str, i: int) -> bytes:
    return keccak256(label.encode() + i.to_bytes(32, "big"))


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def build_vectors() -> dict[str, Any]:
    draws = []
    for case, (steps, every, ppm) in enumerate(CASES):
        for j in range(DRAWS_PER_CASE):
            i = case * DRAWS_PER_CASE + j
            secret, seed, task_id = _word("secret", i), _word("seed", i), i + 1
            outcome = draw(secret, seed, task_id, steps, every, ppm)
            draws.append({
                "secret": _hex(secret), "secret_hash": _hex(secret_hash(secret)), "seed": _hex(seed),
                "task_id": task_id, "steps": steps, "every": every, "ppm": ppm,
                "forced": outcome.forced, "leaf": outcome.leaf,
            })
    seals = []
    for i in range(4):
        state, salt = _word("state", i), _word("salt", i)
        seals.append({"task_id": i + 7, "state": _hex(state), "catcher": CATCHER, "salt": _hex(salt),
                      "seal_hash": _hex(seal_hash(i + 7, state, CATCHER, salt))})
    return {
        "description": (
            "Forced-error draws and seal hashes (docs/forced-errors.md); regenerate "
            "with `python -m tools.generate.forced_draw_vectors`"
        ),
        "draws": draws,
        "seals": seals,
    }


def render_vectors() -> str:
    return json.dumps(build_vectors(), indent=2) + "\n"


def outputs() -> Outputs:
    return {VECTORS_PATH: render_vectors().encode()}


main = generator_main("tools.generate.forced_draw_vectors", __doc__, outputs)

if __name__ == "__main__":
    sys.exit(main())
