"""Reports an agent signs for the backend (training progress, evaluations): the checks they share.

A report is signed as an EIP-191 message naming the chain and the market (`tribunal.progress`), and
carries the signer's unix time; the backend takes it only when that time is near its own clock, the
indexer knows the market, and the signature recovers to the address the report claims.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from backend.db.models import IndexerState
from backend.services.errors import Unauthorized, Unavailable
from tribunal.progress import BadSignature


def check_signed(
    session: Session,
    *,
    timestamp: int,
    signer: str,
    recover: Callable[[int, str], str],
    what: str,
    max_skew_s: int,
    now: float,
) -> IndexerState:
    """The indexer's state once the report signed at ``timestamp`` is shown to be ``signer``'s:
    ``recover(chain_id, market)`` gives the address that signed it. ``what`` names the report in
    the errors (`Unauthorized`, or `Unavailable` before the market is indexed)."""
    if abs(now - timestamp) > max_skew_s:
        raise Unauthorized(
            f"{what} timestamp {timestamp} is {abs(now - timestamp):.0f}s away from the server's clock "
            f"(at most {max_skew_s}s accepted): sign a fresh report"
        )
    state = session.get(IndexerState, 1)
    market = state.contracts.get("TaskMarket") if state is not None else None
    if state is None or market is None:
        raise Unavailable("the indexer has not indexed the market yet; retry in a moment")
    try:
        recovered = recover(state.chain_id, market)
    except BadSignature as exc:
        raise Unauthorized(str(exc)) from exc
    if recovered != signer:
        raise Unauthorized(
            f"the signature was made by {recovered}, not by {signer}: sign the {what} for chain "
            f"{state.chain_id} and market {market} with {signer}'s key"
        )
    return state
