"""Decode the contracts' custom errors into Python exceptions that name them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_hex

from tribunal.chain.artifacts import all_artifacts

# DilocoJobs.postJob checks the wiring against the job's shape; `job_wiring` computes one that fits.
_WIRING = ("the job's wiring does not fit its shape: compute it with `tribunal.diloco.job.job_wiring` "
           "(`tribunal diloco post` does)")
# DilocoJobs.openOuter checks the roots it is given against the round's stored ones.
_OUTER_ROOTS = ("give openOuter the round's global roots and each shard's trainable roots from its finalised "
                "checkpoint's leaves, in `segmentOut` order (`tribunal.diloco.advance` does)")
# A DilocoJobs call the job's status does not allow: it moved on, or ended.
_JOB_MOVED = "the job has moved on or ended: check it with `tribunal diloco status JOB_ID`"

# One line per error a user can hit: what to do about it.
HINTS: dict[str, str] = {
    "ZeroReward": "send a reward with the task (value > 0)",
    "DeadlineInPast": "choose a deadline later than the current block time",
    "StakeTooLow": "stake more first (e.g. `worker start --stake N`) or pick a task with a lower minimum",
    "WrongStatus": "the task is not in the state this action needs; check it with `tribunal task show ID`",
    "NotOperator": "only the operator that claimed the task can do this",
    "NotSubmitter": "only the task's submitter can do this",
    "UnbondingNotReady": "wait until the unbonding delay has passed, then withdraw again",
    "NothingToWithdraw": "there is nothing to withdraw for this account",
    "ChallengeWindowOpen": "wait until the challenge window has ended, then finalize",
    "ChallengeWindowClosed": "the challenge window of this task is over",
    "DisputesOpen": "wait until every open dispute on the task is resolved",
    "DeadlinePassed": "the task's deadline has passed; it can only be expired now",
    "SelfClaim": "a submitter cannot claim its own task; use another account",
    "ChallengeWindowOutOfRange": "choose a challenge window within min..max (seconds, shown above)",
    "MinStakeBelowFloor": "ask for a min stake of at least the market's floor (wei, shown above)",
    "UnbondingDelayTooShort": (
        "deploy with --unbonding-delay of at least max challenge window + max dispute duration + one day"
    ),
    "MinChallengeWindowOutOfRange": "deploy with a min challenge window within 1 s..the max challenge window",
    "ZeroMinTaskStake": "deploy with a positive min task stake (wei)",
    "ZeroClaimTimeout": "deploy with a positive claim timeout (seconds)",
    "MissedDeadlineSlashTooLow": (
        "deploy with --missed-deadline-slash-bps at or above the floor (shown above): an eviction must cost "
        "a squatter stake"
    ),
    "ClaimNotTimedOut": "the operator may still submit: evict the claim only after timeoutAt (shown above)",
    "DisputeGameMarketMismatch": "deploy the dispute game with this market's address, then wire it again",
    "StakeManagerMismatch": "deploy the dispute game with the market's StakeManager, then wire it again",
    "NotQueued": "only a queued game can be withdrawn; a funded game is played to its end",
    "NotChallenger": "only the game's challenger can withdraw it",
    "QueueEmpty": "no game waits in this task's queue",
    "WrongVerifierBond": "send exactly the Jackpot's verifier bond (shown above) to join the registry",
    "AlreadyMember": "this account is already in the verifier registry",
    "NotMember": "this account is not in the verifier registry: register (bonding the verifier bond) first",
    "NotInCommittee": "only the result's committee may catch its forced error: this account was not drawn",
    "CommitteeGoesFirst": (
        "the result's committee opens games first: wait for TaskMarket.committeeFirstUntil(taskId)"
    ),
    "CommitteeNotReady": "the committee is drawn from the submit block's hash: assign from the next block on",
    "CommitteeExpired": (
        "the result's block is more than 256 blocks old and nobody drew its committee: nobody can catch it"
    ),
    "CommitteeAlreadyDrawn": "this result's committee is already drawn (Jackpot.committeeOf)",
    "JobShapeOutOfRange": "choose --rounds and --shards within DilocoJobs.MAX_ROUNDS and MAX_SHARDS",
    "JobRewardOutOfRange": "choose shard and outer rewards above 0 and at most max (wei, shown above)",
    "WrongJobEscrow": (
        "send exactly rounds × (shards × shard reward + outer reward) with postJob (expected, shown above)"
    ),
    "TaskTimeoutOutOfRange": "choose a positive task timeout (the job file's terms.deadline)",
    "ZeroJobRoot": "every root a job names must be non-zero: compute them with `tribunal diloco post`",
    "ShardDatasetRootsLength": _WIRING,
    "SegmentGraphRootsLength": _WIRING,
    "WiringSlotsOutOfRange": _WIRING,
    "SegmentSlotsOutOfRange": _WIRING,
    "WiringNodesOutOfRange": _WIRING,
    "InitialGlobalLength": _WIRING,
    "SegmentConstLength": _WIRING,
    "SegmentOutLength": _WIRING,
    "OuterOutLength": _WIRING,
    "SegmentInitOutOfRange": _WIRING,
    "ZeroSegmentConst": _WIRING,
    "WiringOutputOutOfRange": _WIRING,
    "JobNotTraining": _JOB_MOVED,
    "JobNotAveraging": _JOB_MOVED,
    "JobNotLive": _JOB_MOVED,
    "ShardOutOfRange": "name a shard below the job's shard count (shown above)",
    "SegmentAlreadyRecorded": (
        "this segment is recorded already (another agent moved the job along): nothing to do"
    ),
    "TaskNotFinalized": (
        "wait until the task is finalised (challenge window over, no dispute open): only a finalised result "
        "links two tasks"
    ),
    "WrongLeafCount": "give the leaves of the task's final checkpoint: one per node of its step graph",
    "LeavesNotFinalState": (
        "give the leaves of the task's final checkpoint, which hash to its finalised final state h_S"
    ),
    "RoundNotRecorded": "record every segment of the round (recordSegment) before opening its outer step",
    "GlobalLength": _OUTER_ROOTS,
    "ShardRootsLength": _OUTER_ROOTS,
    "GlobalRootMismatch": _OUTER_ROOTS,
    "ShardRootMismatch": _OUTER_ROOTS,
    "RoundStillRunning": (
        "the task (shown above) may still be finalised: wait for it, or expire it past its deadline; a job "
        "is abandoned only once every current task is finalised, refunded or cancelled"
    ),
    "JobNotStalled": (
        "no current task of the job was refunded and it has not stalled: start its stall clock once every "
        "current task is final (reportStall; stalledAt 0 above means not started), then abandon it after "
        "taskTimeout more seconds if nobody moved it on"
    ),
    "StallAlreadyReported": (
        "the job's stall clock is already running (since stalledAt above): wait it out, then abandon the job"
    ),
    "NotStakeManager": "do not send ETH to DilocoJobs: postJob takes the escrow, withdraw pays credits",
}


@dataclass(frozen=True)
class ErrorSpec:
    name: str
    types: tuple[str, ...]
    arg_names: tuple[str, ...]


class ContractRevert(Exception):
    """A transaction or call reverted with a custom error declared in the contracts."""

    def __init__(
        self,
        name: str,
        args: dict[str, Any],
        context: str = "",
        hint: str | None = None,
    ) -> None:
        self.error_name = name
        self.error_args = args
        self.context = context
        self.hint = hint if hint is not None else HINTS.get(name, "")
        shown = ", ".join(f"{k}={_fmt(v)}" for k, v in args.items())
        message = f"{name}({shown})"
        if context:
            message = f"{context}: {message}"
        if self.hint:
            message = f"{message} — {self.hint}"
        super().__init__(message)


class UnknownRevert(Exception):
    """A revert whose data matches no declared error (raw data kept)."""


def _fmt(value: Any) -> str:
    if isinstance(value, bytes):
        return to_hex(value)
    return str(value)


def _abi_type(entry: dict[str, Any]) -> str:
    if entry["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in entry["components"])
        return f"({inner}){entry['type'][5:]}"
    return str(entry["type"])


def error_specs_from_abi(abi: Iterable[dict[str, Any]]) -> dict[bytes, ErrorSpec]:
    specs: dict[bytes, ErrorSpec] = {}
    for entry in abi:
        if entry.get("type") != "error":
            continue
        types = tuple(_abi_type(i) for i in entry.get("inputs", []))
        selector = keccak(text=f"{entry['name']}({','.join(types)})")[:4]
        names = tuple(i.get("name") or f"arg{n}" for n, i in enumerate(entry.get("inputs", [])))
        specs[selector] = ErrorSpec(entry["name"], types, names)
    return specs


@lru_cache(maxsize=1)
def known_errors() -> dict[bytes, ErrorSpec]:
    specs: dict[bytes, ErrorSpec] = {}
    for artifact in all_artifacts():
        specs.update(error_specs_from_abi(artifact.abi))
    return specs


def decode_revert(data: bytes | str, context: str = "") -> ContractRevert | UnknownRevert:
    """Turn raw revert data into a named exception."""
    raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else data
    if len(raw) < 4:
        return UnknownRevert(f"{context}: reverted without data".lstrip(": "))
    spec = known_errors().get(raw[:4])
    if spec is None:
        return UnknownRevert(f"{context}: reverted with unknown data {to_hex(raw)}".lstrip(": "))
    values = abi_decode(list(spec.types), raw[4:]) if spec.types else ()
    return ContractRevert(spec.name, dict(zip(spec.arg_names, values, strict=True)), context)


def revert_data_from_exception(exc: BaseException) -> str | None:
    """Dig the revert data out of whatever web3 or the node raised."""
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return data
    if isinstance(data, dict):
        inner = data.get("data")
        if isinstance(inner, str) and inner.startswith("0x"):
            return inner
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, str) and arg.startswith("0x") and len(arg) >= 10:
            return arg
        if isinstance(arg, dict):
            inner = arg.get("data")
            if isinstance(inner, str) and inner.startswith("0x"):
                return inner
    return None
