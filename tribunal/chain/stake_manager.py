"""Binding of `contracts/src/StakeManager.sol`: bonded stake, unbonding, credits."""

from __future__ import annotations

from dataclasses import dataclass

from tribunal.chain.bound import BoundContract
from tribunal.chain.client import Sent


@dataclass(frozen=True)
class StakeInfo:
    bonded: int
    locked: int
    free: int
    unbonding: int
    unbonding_ready_at: int
    credit: int


class StakeManager(BoundContract):
    NAME = "StakeManager"

    def stake(self, amount: int) -> Sent:
        return self._send("stake", value=amount, context=f"stake {amount} wei")

    def request_unbond(self, amount: int) -> Sent:
        return self._send("requestUnbond", amount, context=f"unbond {amount} wei")

    def cancel_unbond(self) -> Sent:
        return self._send("cancelUnbond", context="cancel unbonding")

    def withdraw(self) -> Sent:
        return self._send("withdraw", context="withdraw unbonded stake")

    def withdraw_credit(self) -> Sent:
        return self._send("withdrawCredit", context="withdraw credit")

    def info(self, account: str) -> StakeInfo:
        unbonding, ready_at = self._call("unbondingOf", account)
        return StakeInfo(
            bonded=self._call("bondedOf", account),
            locked=self._call("lockedOf", account),
            free=self._call("freeOf", account),
            unbonding=unbonding,
            unbonding_ready_at=ready_at,
            credit=self._call("creditOf", account),
        )

    def credit_of(self, account: str) -> int:
        return int(self._call("creditOf", account))

    def unbonding_delay(self) -> int:
        return int(self._call("UNBONDING_DELAY"))

    def set_slashers(self, market: str, dispute_game: str) -> Sent:
        return self._send("setSlashers", market, dispute_game, context="set slashers")
