"""The backend's tables.

Chain-derived tables are a cache of the chain, rebuilt by the indexer at will. Each says how a reorg
undoes it, in ``__table__.info["chain"]``:

- ``"append"``: rows that record one event (or one block); a rollback deletes the rows above the
  common ancestor by their ``block_number``.
- ``"state"``: current state folded from events (a task, an account); every change in a block that
  may still be reorged is journaled in ``state_journal`` and a rollback restores the journaled rows.

Tables without ``info["chain"]`` (progress reports, artifacts, stats snapshots, spec jobs) are not
chain data and survive re-indexing.

Conventions: addresses are lowercase ``0x``-hex; hashes are ``0x``-hex of 32 bytes; amounts are
wei (`Wei`); times are unix seconds of the block that made the change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from backend.db.types import Wei

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Address = String(42)
Hash = String(66)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)

    if TYPE_CHECKING:
        # every model here is mapped to a Table (SQLAlchemy types it as any FromClause)
        __table__: ClassVar[Table]


APPEND = {"chain": "append"}
STATE = {"chain": "state"}


# ---------------------------------------------------------------- indexer bookkeeping


class IndexerState(Base):
    """Where the indexer stands (one row). Updated in the same transaction as the data it covers."""

    __tablename__ = "indexer_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    contracts: Mapped[dict[str, Any]] = mapped_column(JSON, doc="indexed contracts: name -> address")
    base_block: Mapped[int] = mapped_column(BigInteger, doc="block before the first indexed one")
    cursor_block: Mapped[int] = mapped_column(BigInteger, doc="last indexed block")
    cursor_hash: Mapped[str] = mapped_column(Hash)
    finalized_block: Mapped[int] = mapped_column(
        BigInteger, doc="highest block whose changes are no longer journaled (reorgs cannot go below it)"
    )
    reorgs: Mapped[int] = mapped_column(Integer, default=0, doc="reorgs rolled back so far")
    last_reorg_ancestor: Mapped[int | None] = mapped_column(
        BigInteger, nullable=True, doc="the common ancestor the last reorg rolled back to"
    )
    updated_at: Mapped[float] = mapped_column(Float)


class StateJournal(Base):
    """Before-images of state rows, one per (table, row, block) changed in a reversible block."""

    __tablename__ = "state_journal"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    row_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (Index("ix_state_journal_block", "block_number"),)


class Block(Base):
    """Every indexed block: the hashes reorg detection compares."""

    __tablename__ = "blocks"
    __table_args__ = {"info": APPEND}

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(Hash)
    parent_hash: Mapped[str] = mapped_column(Hash)
    timestamp: Mapped[int] = mapped_column(BigInteger)


class Event(Base):
    """Every log of the indexed contracts, decoded with their ABIs (the timeline's source)."""

    __tablename__ = "events"

    tx_hash: Mapped[str] = mapped_column(Hash, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(Hash)
    tx_index: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    address: Mapped[str] = mapped_column(Address)
    contract: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    game_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    args: Mapped[dict[str, Any]] = mapped_column(JSON, doc="decoded arguments; uint above 53 bits as strings")

    __table_args__ = (
        Index("ix_events_block_log", "block_number", "log_index"),
        Index("ix_events_task", "task_id", "block_number", "log_index"),  # a task's timeline, in order
        Index("ix_events_game", "game_id"),
        {"info": APPEND},
    )


# ---------------------------------------------------------------- state folded from events


class Task(Base):
    """A task's current state (TaskMarket), rebuilt from its events."""

    __tablename__ = "tasks"

    task_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    submitter: Mapped[str] = mapped_column(Address)
    operator: Mapped[str | None] = mapped_column(Address, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    reward: Mapped[int] = mapped_column(Wei)
    min_stake: Mapped[int] = mapped_column(Wei)
    spec_hash: Mapped[str] = mapped_column(Hash)
    spec_uri: Mapped[str] = mapped_column(Text)
    dataset_root: Mapped[str] = mapped_column(Hash)
    init_state_root: Mapped[str] = mapped_column(Hash)
    graph_root: Mapped[str] = mapped_column(Hash)
    steps: Mapped[int] = mapped_column(BigInteger)
    checkpoint_every: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[int] = mapped_column(BigInteger)
    challenge_window: Mapped[int] = mapped_column(BigInteger)
    trace_root: Mapped[str | None] = mapped_column(Hash, nullable=True)
    model_hash: Mapped[str | None] = mapped_column(
        Hash, nullable=True, doc="the final checkpoint's content hash"
    )
    final_state_root: Mapped[str | None] = mapped_column(
        Hash, nullable=True, doc="h_S, leaf S of the trace root (checked on-chain): the model"
    )
    challenge_ends_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    open_disputes: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, doc="times the task was claimed")
    claimed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    submitted_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    settled_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    posted_at: Mapped[int] = mapped_column(BigInteger)
    posted_block: Mapped[int] = mapped_column(BigInteger)
    posted_tx: Mapped[str] = mapped_column(Hash)
    updated_block: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        # each filter of /api/tasks with its order, so a page reads `limit` rows and sorts none
        Index("ix_tasks_status", "status", "task_id"),
        Index("ix_tasks_submitter", "submitter", "task_id"),
        Index("ix_tasks_operator", "operator", "task_id"),
        {"info": STATE},
    )


class Account(Base):
    """A staker, operator, challenger or submitter: balances in the StakeManager and a track record."""

    __tablename__ = "accounts"

    address: Mapped[str] = mapped_column(Address, primary_key=True)
    bonded: Mapped[int] = mapped_column(Wei, doc="bonded stake, locked included")
    locked: Mapped[int] = mapped_column(Wei, doc="bonded stake locked by the market or the game")
    unbonding: Mapped[int] = mapped_column(Wei)
    unbonding_ready_at: Mapped[int] = mapped_column(BigInteger)
    credit: Mapped[int] = mapped_column(Wei, doc="owed to the account, not withdrawn yet")
    total_staked: Mapped[int] = mapped_column(Wei)
    total_withdrawn: Mapped[int] = mapped_column(Wei, doc="unbonded stake withdrawn")
    total_credited: Mapped[int] = mapped_column(Wei)
    total_credit_withdrawn: Mapped[int] = mapped_column(Wei)
    earnings: Mapped[int] = mapped_column(Wei, doc="rewards of finalized tasks")
    slash_winnings: Mapped[int] = mapped_column(Wei, doc="shares of others' slashes credited as winner")
    slashed_total: Mapped[int] = mapped_column(Wei, doc="stake taken from this account by slashes")
    slash_count: Mapped[int] = mapped_column(Integer)
    tasks_posted: Mapped[int] = mapped_column(Integer)
    tasks_claimed: Mapped[int] = mapped_column(Integer)
    tasks_completed: Mapped[int] = mapped_column(Integer, doc="claimed tasks finalized (paid)")
    tasks_expired: Mapped[int] = mapped_column(Integer, doc="claimed tasks whose deadline passed")
    tasks_voided: Mapped[int] = mapped_column(Integer, doc="submitted results voided by a lost dispute")
    disputes_won: Mapped[int] = mapped_column(Integer)
    disputes_lost: Mapped[int] = mapped_column(Integer)
    first_seen_block: Mapped[int] = mapped_column(BigInteger)
    updated_block: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_accounts_bonded", "bonded"), {"info": STATE})


class Submission(Base):
    """One submitted result of a task (a task reopened after a lost dispute has several)."""

    __tablename__ = "submissions"

    task_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    attempt: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    operator: Mapped[str] = mapped_column(Address)
    trace_root: Mapped[str] = mapped_column(Hash)
    model_hash: Mapped[str] = mapped_column(Hash)
    final_state_root: Mapped[str | None] = mapped_column(
        Hash, nullable=True, doc="h_S (None: indexed before 0004)"
    )
    submitted_at: Mapped[int] = mapped_column(BigInteger)
    challenge_ends_at: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(16), doc="pending, finalized or voided")
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(Hash)
    settled_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (Index("ix_submissions_operator", "operator"), {"info": STATE})


class Payout(Base):
    """ETH owed or paid to someone: rewards and refunds credited, stake and credit withdrawn."""

    __tablename__ = "payouts"

    tx_hash: Mapped[str] = mapped_column(Hash, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(24), doc="reward, refund, stake_withdrawal, credit_withdrawal")
    account: Mapped[str] = mapped_column(Address)
    amount: Mapped[int] = mapped_column(Wei)
    task_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        Index("ix_payouts_block", "block_number"),
        Index("ix_payouts_account", "account", "block_number", "log_index"),
        Index("ix_payouts_task", "task_id"),
        {"info": APPEND},
    )


class Slash(Base):
    """A slash: who lost how much stake, from where, who won what and what burned."""

    __tablename__ = "slashes"

    tx_hash: Mapped[str] = mapped_column(Hash, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    account: Mapped[str] = mapped_column(Address)
    slasher: Mapped[str] = mapped_column(String(64), doc="contract name of the slasher")
    winner: Mapped[str | None] = mapped_column(Address, nullable=True)
    amount: Mapped[int] = mapped_column(Wei)
    from_locked: Mapped[int] = mapped_column(Wei)
    from_free: Mapped[int] = mapped_column(Wei)
    from_unbonding: Mapped[int] = mapped_column(Wei)
    to_winner: Mapped[int] = mapped_column(Wei)
    burned: Mapped[int] = mapped_column(Wei)
    reason: Mapped[str | None] = mapped_column(
        String(24), nullable=True, doc="missed_deadline, claim_timeout, dispute_lost"
    )
    task_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    game_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        Index("ix_slashes_block", "block_number"),
        Index("ix_slashes_account", "account", "block_number", "log_index"),
        {"info": APPEND},
    )


class Dispute(Base):
    """A dispute game (DisputeGame) and how far its descent has come."""

    __tablename__ = "disputes"

    game_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    task_id: Mapped[int] = mapped_column(BigInteger)
    operator: Mapped[str] = mapped_column(Address)
    challenger: Mapped[str] = mapped_column(Address)
    status: Mapped[str] = mapped_column(
        String(16), doc="QUEUED, ACTIVE, OPERATOR_WON, CHALLENGER_WON or WITHDRAWN (closed while queued)"
    )
    collateral: Mapped[str | None] = mapped_column(
        String(16), nullable=True, doc="TASK_STAKE or GAME_STAKE once funded (None: queued, or never funded)"
    )
    collateral_amount: Mapped[int | None] = mapped_column(
        Wei, nullable=True, doc="the operator's stake backing the game (wei), once funded"
    )
    queue_position: Mapped[int | None] = mapped_column(
        BigInteger, nullable=True, doc="position in the task's queue while QUEUED (None otherwise)"
    )
    moot: Mapped[bool | None] = mapped_column(
        Boolean, nullable=True, doc="WITHDRAWN game: closed by the chain as moot (else by its challenger)"
    )
    level: Mapped[str] = mapped_column(String(16), doc="current level (for a resolved game: where it ended)")
    resolution: Mapped[str | None] = mapped_column(String(16), nullable=True)
    winner: Mapped[str | None] = mapped_column(Address, nullable=True)
    loser: Mapped[str | None] = mapped_column(Address, nullable=True)
    turn: Mapped[str | None] = mapped_column(String(16), nullable=True, doc="CHALLENGER or OPERATOR")
    bond: Mapped[int] = mapped_column(Wei)
    max_clock: Mapped[int] = mapped_column(BigInteger)
    used_challenger: Mapped[int] = mapped_column(BigInteger)
    used_operator: Mapped[int] = mapped_column(BigInteger)
    move_deadline: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    trace_root_operator: Mapped[str] = mapped_column(Hash)
    trace_root_challenger: Mapped[str] = mapped_column(Hash)
    leaf_count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    position: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rounds: Mapped[int] = mapped_column(Integer, doc="completed bisection rounds, all levels")
    found_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    found_node: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    found_element: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    found_instruction: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    opened_at: Mapped[int] = mapped_column(BigInteger)
    opened_block: Mapped[int] = mapped_column(BigInteger)
    resolved_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_block: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_disputes_task", "task_id", "game_id"),
        Index("ix_disputes_status", "status", "game_id"),
        Index("ix_disputes_operator", "operator", "game_id"),
        Index("ix_disputes_challenger", "challenger", "game_id"),
        {"info": STATE},
    )


class DisputeMove(Base):
    """Every event of a game: reveals, proofs, what each descent found, clocks, the resolution."""

    __tablename__ = "dispute_moves"

    tx_hash: Mapped[str] = mapped_column(Hash, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    game_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(64))
    account: Mapped[str | None] = mapped_column(Address, nullable=True, doc="the account that moved")
    party: Mapped[str | None] = mapped_column(String(16), nullable=True, doc="CHALLENGER or OPERATOR")
    level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    args: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_dispute_moves_block", "block_number"),
        Index("ix_dispute_moves_game", "game_id", "block_number", "log_index"),
        {"info": APPEND},
    )


class DilocoJob(Base):
    """A DiLoCo job (DilocoJobs, docs/diloco-jobs.md): R rounds of N segment tasks and one outer task."""

    __tablename__ = "diloco_jobs"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    submitter: Mapped[str] = mapped_column(Address)
    spec_hash: Mapped[str] = mapped_column(Hash, doc="keccak256 of the job document (DilocoJobSpec)")
    spec_uri: Mapped[str] = mapped_column(Text)
    rounds: Mapped[int] = mapped_column(Integer)
    shards: Mapped[int] = mapped_column(Integer)
    escrow: Mapped[int] = mapped_column(Wei, doc="what postJob took: every task's reward")
    status: Mapped[str] = mapped_column(String(16), doc="TRAINING, AVERAGING, COMPLETED or FAILED")
    round: Mapped[int] = mapped_column(
        Integer, doc="the current round: the newest whose segments were posted"
    )
    global_root: Mapped[str | None] = mapped_column(
        Hash, nullable=True, doc="the global root after the newest closed round (the final one if COMPLETED)"
    )
    refund: Mapped[int | None] = mapped_column(
        Wei, nullable=True, doc="credited to the submitter when FAILED"
    )
    posted_at: Mapped[int] = mapped_column(BigInteger)
    posted_block: Mapped[int] = mapped_column(BigInteger)
    posted_tx: Mapped[str] = mapped_column(Hash)
    settled_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_block: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_diloco_jobs_status", "status", "job_id"),
        Index("ix_diloco_jobs_submitter", "submitter", "job_id"),
        {"info": STATE},
    )


class DilocoRound(Base):
    """One round of a DiLoCo job: its outer task once opened, its global root once closed."""

    __tablename__ = "diloco_rounds"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    round: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    segments_recorded: Mapped[int] = mapped_column(Integer, doc="segments whose roots the job recorded")
    outer_task_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    outer_init_state_root: Mapped[str | None] = mapped_column(
        Hash, nullable=True, doc="the outer task's h_0, computed on-chain from the global and shard roots"
    )
    global_root: Mapped[str | None] = mapped_column(
        Hash, nullable=True, doc="the global root the round's outer step produced (next round's start)"
    )
    opened_at: Mapped[int] = mapped_column(BigInteger, doc="when its first segment task was posted")
    outer_posted_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    closed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_block: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_diloco_rounds_outer_task", "outer_task_id"), {"info": STATE})


class DilocoSegment(Base):
    """One segment of a DiLoCo job: shard `shard`'s market task in round `round`, and its recorded roots."""

    __tablename__ = "diloco_segments"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    round: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    task_id: Mapped[int] = mapped_column(BigInteger)
    init_state_root: Mapped[str] = mapped_column(
        Hash, doc="h_0, computed on-chain from the round's global roots"
    )
    shard_root: Mapped[str | None] = mapped_column(
        Hash, nullable=True, doc="root of the shard's final parameter roots, once recorded (SegmentRecorded)"
    )
    posted_at: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_block: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_diloco_segments_task", "task_id"), {"info": STATE})


# ---------------------------------------------------------------- not chain data


class ProgressReport(Base):
    """Training progress reported (and signed) by the task's operator; not on-chain."""

    __tablename__ = "progress_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(BigInteger)
    operator: Mapped[str] = mapped_column(Address)
    step: Mapped[int] = mapped_column(BigInteger)
    loss: Mapped[float] = mapped_column(Float)
    steps_per_s: Mapped[float] = mapped_column(Float)
    reported_at: Mapped[int] = mapped_column(BigInteger, doc="the operator's timestamp (signed)")
    received_at: Mapped[float] = mapped_column(Float)
    signature: Mapped[str] = mapped_column(String(132))

    __table_args__ = (
        UniqueConstraint("task_id", "operator", "step", name="uq_progress_task_operator_step"),
        Index("ix_progress_reports_task", "task_id", "step"),
    )


class EvaluationReport(Base):
    """A model's test loss and accuracy as its operator, or a verifier who recomputed them, signed
    them (`tribunal.evaluation`); not on-chain and not disputable: a verifier's report beside the
    operator's is how a disagreement is shown."""

    __tablename__ = "evaluation_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(BigInteger)
    signer: Mapped[str] = mapped_column(Address)
    role: Mapped[str] = mapped_column(String(16), doc="operator (the task's) or verifier (anyone staked)")
    step: Mapped[int] = mapped_column(BigInteger, doc="the state evaluated: after this many steps")
    test_loss: Mapped[float] = mapped_column(Float)
    test_accuracy: Mapped[float | None] = mapped_column(Float, nullable=True, doc="null: regression")
    test_rows: Mapped[int] = mapped_column(BigInteger)
    reported_at: Mapped[int] = mapped_column(BigInteger, doc="the signer's timestamp (signed)")
    received_at: Mapped[float] = mapped_column(Float)
    signature: Mapped[str] = mapped_column(String(132))

    __table_args__ = (
        UniqueConstraint("task_id", "signer", "step", name="uq_evaluation_task_signer_step"),
        Index("ix_evaluation_reports_task", "task_id"),
    )


class Artifact(Base):
    """An object in the artifact store (content lives in the store, keyed by its keccak256)."""

    __tablename__ = "artifacts"

    hash: Mapped[str] = mapped_column(Hash, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(24), doc="spec, dataset, checkpoint, model or other")
    created_at: Mapped[float] = mapped_column(Float)
    verified_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    verified: Mapped[bool | None] = mapped_column(Boolean, nullable=True, doc="background re-hash matched")


class StatsSnapshot(Base):
    """Network statistics aggregated by the background job (history for charts)."""

    __tablename__ = "stats_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    taken_at: Mapped[float] = mapped_column(Float)
    block_number: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_stats_snapshots_taken_at", "taken_at"),)


class SpecJob(Base):
    """A spec whose roots a background job computes (POST /api/specs), and what came of it."""

    __tablename__ = "spec_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, doc="uuid4 hex, also the Celery task id")
    spec_hash: Mapped[str] = mapped_column(Hash)
    status: Mapped[str] = mapped_column(String(16), doc="pending, running, done or failed")
    result: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, nullable=True, doc="done: the prepared fields but specURI (each answer names its own host)"
    )
    error: Mapped[str | None] = mapped_column(Text, nullable=True, doc="failed: why")
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (Index("ix_spec_jobs_spec_hash", "spec_hash", "created_at"),)


def chain_tables(kind: str) -> list[Any]:
    """The tables a reorg rolls back, of one kind ("append" or "state"), in dependency order."""
    return [t for t in Base.metadata.sorted_tables if t.info.get("chain") == kind]
