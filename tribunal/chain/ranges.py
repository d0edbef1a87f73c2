"""The eth_getLogs block range: shrinks when the provider complains, grows when it is calm.

One implementation for every reader of logs: the agents' `tribunal.chain.events.EventFollower`
and the backend's indexer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SUGGESTED = re.compile(r"\[\s*(0x[0-9a-fA-F]+)\s*,\s*(0x[0-9a-fA-F]+)\s*\]")


def suggested_blocks(message: str) -> int | None:
    """Blocks a provider suggests in its error message ("try with this block range [0x.., 0x..]")."""
    match = _SUGGESTED.search(message)
    if not match:
        return None
    low, high = int(match.group(1), 16), int(match.group(2), 16)
    return high - low + 1 if high >= low else None


@dataclass
class AdaptiveRange:
    """Blocks per eth_getLogs request.

    - a provider error halves the range (or takes the range the provider suggests);
    - a reply with more logs than `target_logs` scales the next range down to aim at the target;
    - `calm_to_grow` full-size replies in a row under half the target double it, up to `maximum`.
    """

    size: int
    maximum: int
    target_logs: int = 10_000
    minimum: int = 1
    calm_to_grow: int = 2
    _calm: int = 0

    def on_error(self, suggested: int | None = None) -> None:
        self._calm = 0
        proposal = suggested if suggested is not None and suggested < self.size else self.size // 2
        self.size = max(self.minimum, proposal)

    def on_success(self, blocks: int, logs: int) -> None:
        if logs > self.target_logs:
            self._calm = 0
            self.size = max(self.minimum, min(self.size, blocks * self.target_logs // logs))
            return
        if blocks < self.size or logs * 2 > self.target_logs:
            return  # a short range at the chain's tip, or busy enough: says nothing about calm
        self._calm += 1
        if self._calm >= self.calm_to_grow:
            self._calm = 0
            self.size = min(self.maximum, self.size * 2)
