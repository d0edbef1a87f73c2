"""Request and response models of the API (the OpenAPI document is generated from these)."""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from typing_extensions import TypedDict

from backend.services.spec_jobs import JobStatus
from tribunal.datasets import TargetKind

T = TypeVar("T")

WeiStr = Annotated[
    str,
    BeforeValidator(lambda v: str(int(v)) if v is not None else v),
    Field(description="an amount in wei, as a decimal string (it may exceed 2**53)", pattern=r"^[0-9]+$"),
]
AddressStr = Annotated[str, Field(description="lowercase 0x-hex address", pattern=r"^0x[0-9a-f]{40}$")]
HashStr = Annotated[str, Field(description="0x-hex of 32 bytes", pattern=r"^0x[0-9a-f]{64}$")]

# `tribunal.protocol_enums.TaskStatus`'s names but NONE (no posted task has it). Written out because
# a type checker cannot read a Literal built at run time; tests/test_protocol_enums.py holds it equal.
TaskStatusName = Literal["OPEN", "CLAIMED", "SUBMITTED", "FINALIZED", "CANCELLED", "REFUNDED", "VOIDED"]


class Model(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Model, Generic[T]):
    items: list[T]
    total: int = Field(description="items matching the filters")
    limit: int
    offset: int


class ErrorOut(BaseModel):
    detail: str | list[dict[str, Any]] = Field(description="what was wrong and how to fix it")


class ProgressOut(Model):
    task_id: int
    operator: AddressStr
    step: int
    loss: float
    steps_per_s: float
    reported_at: int = Field(description="the operator's unix time (signed)")
    received_at: float


class ProgressIn(BaseModel):
    """A training progress report, signed by the task's operator (see `tribunal.progress`)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    operator: Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="the task's operator")]
    step: Annotated[int, Field(ge=0, le=2**53)]
    loss: float
    steps_per_s: Annotated[float, Field(ge=0)]
    timestamp: Annotated[int, Field(ge=0, le=2**40, description="unix seconds when the report was made")]
    signature: Annotated[
        str, Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="EIP-191 signature of the report's message")
    ]


class EvaluationOut(Model):
    """A model's test loss and accuracy as one signer reported them (see `tribunal.evaluation`)."""

    task_id: int
    signer: AddressStr
    role: Literal["operator", "verifier"] = Field(
        description="operator: the task's operator's own numbers; verifier: a staked verifier's own "
        "recomputation with RepOps (bit-exact), posted whether it agrees or not"
    )
    step: int = Field(description="the state evaluated: after this many training steps")
    test_loss: float
    test_accuracy: float | None = Field(description="share of test rows (tokens) right; null for regression")
    test_rows: int
    reported_at: int = Field(description="the signer's unix time (signed)")
    received_at: float


class EvaluationIn(BaseModel):
    """A model's evaluation, signed by the task's operator or a staked verifier (`tribunal.evaluation`)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    signer: Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="who signed the report")]
    step: Annotated[int, Field(ge=0, le=2**53)]
    test_loss: float
    test_accuracy: Annotated[float | None, Field(ge=0, le=1)]
    test_rows: Annotated[int, Field(ge=1, le=2**53)]
    timestamp: Annotated[int, Field(ge=0, le=2**40, description="unix seconds when the report was made")]
    signature: Annotated[
        str, Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="EIP-191 signature of the report's message")
    ]


class SubmissionOut(Model):
    task_id: int
    attempt: int
    operator: AddressStr
    trace_root: HashStr
    model_hash: HashStr = Field(
        description="content hash of the final checkpoint (a locator, not the model)"
    )
    final_state_root: HashStr | None = Field(
        description="h_S, the model: leaf S of the trace root, checked on-chain (null: indexed before 0004)"
    )
    submitted_at: int
    challenge_ends_at: int
    outcome: Literal["pending", "finalized", "voided"]
    block_number: int
    tx_hash: HashStr


class TaskOut(Model):
    task_id: int
    status: TaskStatusName
    submitter: AddressStr
    operator: AddressStr | None
    reward: WeiStr
    min_stake: WeiStr
    spec_hash: HashStr
    spec_uri: str
    dataset_root: HashStr
    init_state_root: HashStr
    graph_root: HashStr
    steps: int
    checkpoint_every: int
    deadline: int
    challenge_window: int
    trace_root: HashStr | None
    model_hash: HashStr | None = Field(description="content hash of the final checkpoint (a locator)")
    final_state_root: HashStr | None = Field(
        description="h_S of the current result: the model, checked on-chain to be leaf S of the trace root"
    )
    challenge_ends_at: int | None
    open_disputes: int
    attempts: int = Field(description="times the task was claimed")
    claimed_at: int | None
    submitted_at: int | None
    settled_at: int | None
    posted_at: int
    posted_block: int
    posted_tx: HashStr
    updated_block: int


class ModelCheckOut(Model):
    """Whether the file the result's model hash names is the committed final state h_S."""

    task_id: int
    status: Literal["matches", "mismatch", "unavailable", "no_result"] = Field(
        description="matches: the file's state is h_S (download it); mismatch: refused; unavailable: not "
        "in the artifact store (or its spec is not), ask again later; no_result: nothing submitted"
    )
    mismatch: Literal["model_hash", "step", "checkpoint", "final_state", "trace_root"] | None = Field(
        description="what differs, when the file is refused"
    )
    detail: str
    trace_root: HashStr | None
    final_state_root: HashStr | None
    model_hash: HashStr | None
    download_url: str | None = Field(description="where to download the file, only when it matches")
    safetensors_url: str | None = Field(
        description="where to download its parameters as safetensors (to load with "
        "tribunal.models.to_torch), only when it matches"
    )


class DisputeSummary(Model):
    game_id: int
    task_id: int
    operator: AddressStr
    challenger: AddressStr
    status: str
    level: str
    winner: AddressStr | None


class DilocoTaskRef(Model):
    """Which DiLoCo job, round and shard (or outer step) a market task is."""

    job_id: int = Field(description="the job (/api/diloco/jobs/{job_id})")
    round: int
    shard: int | None = Field(description="the segment's shard; null for the round's outer step")


class TaskDetail(TaskOut):
    diloco: DilocoTaskRef | None = Field(description="the DiLoCo job the task is part of (null: none)")
    submissions: list[SubmissionOut]
    disputes: list[DisputeSummary]
    latest_progress: ProgressOut | None
    evaluations: list[EvaluationOut] = Field(
        description="the final model's test evaluation: the operator's report first, then any verifier's"
    )


class EventOut(Model):
    block_number: int
    log_index: int
    tx_hash: HashStr
    timestamp: int
    contract: str
    name: str
    task_id: int | None
    game_id: int | None
    args: dict[str, Any] = Field(description="decoded arguments; uints wider than 53 bits as strings")


class OperatorOut(Model):
    address: AddressStr
    bonded: WeiStr
    locked: WeiStr
    free: WeiStr
    unbonding: WeiStr
    unbonding_ready_at: int
    credit: WeiStr
    total_staked: WeiStr
    total_withdrawn: WeiStr
    earnings: WeiStr = Field(description="rewards of finalized tasks")
    slash_winnings: WeiStr
    slashed_total: WeiStr
    slash_count: int
    tasks_posted: int
    tasks_claimed: int
    tasks_completed: int
    tasks_expired: int
    tasks_voided: int
    disputes_won: int
    disputes_lost: int
    wins: int = Field(description="tasks completed + disputes won")
    losses: int = Field(description="tasks expired or voided + disputes lost")
    first_seen_block: int
    updated_block: int


class SlashOut(Model):
    tx_hash: HashStr
    log_index: int
    block_number: int
    timestamp: int
    account: AddressStr
    slasher: str
    winner: AddressStr | None
    amount: WeiStr
    to_winner: WeiStr
    burned: WeiStr
    reason: str | None
    task_id: int | None
    game_id: int | None


class PayoutOut(Model):
    tx_hash: HashStr
    log_index: int
    block_number: int
    timestamp: int
    kind: str
    account: AddressStr
    amount: WeiStr
    task_id: int | None


class OperatorDetail(OperatorOut):
    tasks: list[TaskOut] = Field(description="the tasks it holds or held (newest first, at most 100)")
    slashes: list[SlashOut]
    payouts: list[PayoutOut]


class MoveOut(Model):
    tx_hash: HashStr
    log_index: int
    block_number: int
    timestamp: int
    name: str
    party: str | None
    level: str | None
    args: dict[str, Any]


class DescentProgress(Model):
    level: str = Field(description="current level of the descent")
    levels_done: list[str]
    position: int | None
    height: int | None = Field(description="levels left in the current tree (0 at a leaf)")
    found_step: int | None
    found_node: int | None
    found_element: int | None
    found_instruction: int | None
    rounds: int


class DisputeOut(DisputeSummary):
    collateral: str | None = Field(
        description="what backs the game once funded: TASK_STAKE (the task's stake, one game at a time) "
        "or GAME_STAKE (the operator's free stake, locked for this game alone); None while queued"
    )
    collateral_amount: WeiStr | None = Field(description="wei of the operator's stake backing the game")
    queue_position: int | None = Field(description="place in the task's queue while QUEUED (None otherwise)")
    moot: bool | None = Field(
        description="for a WITHDRAWN game: closed by the chain as moot (the result was voided and nothing "
        "could back it), else by its challenger"
    )
    resolution: str | None
    loser: AddressStr | None
    turn: str | None
    opened_at: int
    resolved_at: int | None
    trace_root_operator: HashStr
    challenger_trace_root: HashStr | None
    leaf_count: int | None = Field(description="leaves of the current descent's tree (None before the first)")
    bond: WeiStr | None
    max_clock: int = Field(description="each party's chess-clock allowance, seconds")
    used_challenger: int = Field(description="seconds of its clock the challenger has spent")
    used_operator: int = Field(description="seconds of its clock the operator has spent")
    move_deadline: int | None = Field(description="last second the party on turn may move (None: no clock)")
    descent: DescentProgress


class DisputeDetail(DisputeOut):
    moves: list[MoveOut]


class StatsOut(Model):
    block_number: int | None = Field(description="last indexed block")
    tasks: int
    tasks_by_status: dict[str, int]
    operators: int = Field(description="accounts that claimed a task or hold stake")
    disputes: int
    disputes_open: int = Field(description="games running or queued")
    events: int
    progress_reports: int
    artifacts: int
    total_bonded: WeiStr | None = Field(description="from the latest aggregation (background job)")
    total_locked: WeiStr | None
    rewards_escrowed: WeiStr | None = Field(description="rewards of live tasks")
    rewards_paid: WeiStr | None
    slashed_total: WeiStr | None
    burned_total: WeiStr | None
    aggregated_at: float | None


class IndexerOut(Model):
    running: bool
    chain_id: int | None
    contracts: dict[str, str]
    cursor_block: int | None
    finalized_block: int | None
    head: int | None
    lag_blocks: int | None
    range_size: int | None
    reorgs: int
    error: str | None


class HealthOut(Model):
    status: Literal["ok", "degraded"]
    database: str
    indexer: IndexerOut


class ArtifactOut(Model):
    hash: HashStr
    size: int
    kind: str
    created_at: float
    verified: bool | None = Field(description="the background re-hash matched (None: not run yet)")
    verified_at: float | None


class DatasetOut(Model):
    """A dataset a task can train on: built in (`tribunal.datasets`) or uploaded by a user."""

    ref: str = Field(description="what a spec's `dataset` field takes: a built-in dataset's name, or an "
                                 "uploaded dataset's 0x hash (its artifact)")
    name: str
    uploaded: bool = Field(description="uploaded by a user (False: built in)")
    rows: int = Field(description="training rows (a batch is drawn from these)")
    test_rows: int = Field(description="held-out rows (one in five)")
    features: int
    targets: int
    target_kind: TargetKind
    num_classes: int | None = Field(description="None for a regression target")
    description: str
    root: HashStr | None = Field(
        default=None, description="the dataset root of the training rows (uploaded datasets; a built-in "
                                  "one's is computed when a spec is prepared)")
    preparation: dict[str, Any] | None = Field(
        default=None, description="how an uploaded dataset was made from its file: source file hash, "
                                  "columns, standardisation, class labels")
    created_at: float | None = Field(default=None, description="when it was uploaded (unix seconds)")


class PreparedSpecOut(Model):
    """A spec validated and stored, with the fields `TaskMarket.postTask` takes, named as the
    contract names them."""

    spec: dict[str, Any] = Field(description="the spec in canonical form")
    specHash: HashStr = Field(description="keccak256 of the canonical spec: its artifact hash")
    specURI: str = Field(description="where the stored spec is served")
    datasetRoot: HashStr
    initStateRoot: HashStr
    graphRoot: HashStr
    steps: int
    checkpointEvery: int


class SpecJobOut(Model):
    """A spec whose roots a background job computes: POST /api/specs answers it (202) and
    GET /api/specs/jobs/{job_id} follows it."""

    job_id: str = Field(description="the job's id")
    status: JobStatus = Field(
        description="pending (queued), running, done (see result) or failed (see error)"
    )
    status_url: str = Field(description="where to poll the job (also the 202's Location)")
    spec_hash: HashStr = Field(description="keccak256 of the canonical spec")
    created_at: float = Field(description="when the job was posted, unix seconds")
    elapsed_s: float = Field(description="seconds since it was posted, or that it took")
    result: PreparedSpecOut | None = Field(
        default=None, description="done: what POST /api/specs answers for a prepared spec"
    )
    error: str | None = Field(default=None, description="failed: why, and what to do")


# `tribunal.protocol_enums.JobStatus`'s names but NONE (no posted job has it); tests/test_protocol_enums.py
# holds it equal.
DilocoJobStatusName = Literal["TRAINING", "AVERAGING", "COMPLETED", "FAILED"]


class DilocoJobOut(Model):
    """A DiLoCo job (`DilocoJobs`, docs/diloco-jobs.md): R rounds × N shards run as market tasks."""

    job_id: int
    status: DilocoJobStatusName = Field(
        description="TRAINING: the current round's segments run; AVERAGING: its outer step runs; "
        "COMPLETED: the last round closed; FAILED: abandoned, the unpaid rewards credited to the submitter"
    )
    submitter: AddressStr
    spec_hash: HashStr = Field(
        description="keccak256 of the job document (a DilocoJobSpec, in the artifact store)"
    )
    spec_uri: str
    rounds: int
    shards: int
    escrow: WeiStr = Field(
        description="what postJob took: R·(N·shardReward + outerReward), every task's reward"
    )
    round: int = Field(description="the current round: the newest whose segment tasks were posted")
    global_root: HashStr | None = Field(
        description="the global state root after the newest closed round (the final one once COMPLETED)"
    )
    refund: WeiStr | None = Field(description="credited to the submitter when the job FAILED")
    posted_at: int
    posted_block: int
    posted_tx: HashStr
    settled_at: int | None
    updated_block: int


class DilocoTaskCell(Model):
    """A market task of a DiLoCo job, as the market indexed it, with its operator's last reported loss."""

    task_id: int = Field(description="the task's id on the TaskMarket (/api/tasks/{task_id})")
    status: TaskStatusName | None = Field(description="the task's market status (null: not indexed yet)")
    operator: AddressStr | None = Field(description="the task's current operator")
    open_disputes: int = Field(
        description="dispute games open against its result (SUBMITTED and > 0: disputed)"
    )
    attempts: int = Field(description="times the task was claimed")
    init_state_root: HashStr | None = Field(description="h_0, computed on-chain by the job")
    loss: float | None = Field(
        description="the loss its current operator reported (signed progress, not verified) at its highest "
        "reported step: a segment's training loss; for an outer step, the outer update's size "
        "Σ_X mean((θ_X − θ'_X)²). Null: nothing reported"
    )
    loss_step: int | None = Field(description="the step of that report")


class DilocoSegmentCell(DilocoTaskCell):
    shard: int
    recorded: bool = Field(
        description="the job recorded the segment's final parameter roots (SegmentRecorded)"
    )
    shard_root: HashStr | None = Field(description="root of the shard's final parameter roots, once recorded")
    recorded_at: int | None


class DilocoRoundOut(Model):
    round: int
    status: Literal["TRAINING", "AVERAGING", "CLOSED"] = Field(
        description="TRAINING: segments run; AVERAGING: the outer task is posted; CLOSED: the outer step "
        "was recorded and the round's global root is known"
    )
    segments: list[DilocoSegmentCell] = Field(description="one per shard, by shard")
    segments_recorded: int
    outer: DilocoTaskCell | None = Field(description="the round's outer step, once posted")
    global_root: HashStr | None = Field(
        description="the global state root the round's outer step produced: the next round's start"
    )
    train_loss: float | None = Field(
        description="the mean over the round's N segments of each one's reported training loss at its "
        "highest reported step (a mini-batch loss, as the operators signed it, not verified); null until "
        "every segment has reported"
    )
    outer_update_size: float | None = Field(
        description="the outer step's reported update size Σ_X mean((θ_X − θ'_X)²) (null: not reported)"
    )
    opened_at: int
    outer_posted_at: int | None
    closed_at: int | None


class DilocoJobDetail(DilocoJobOut):
    grid: list[DilocoRoundOut] = Field(description="the rounds posted so far, oldest first")


class DeployedContracts(Model):
    task_market: str = Field(description="0x-hex address as the deployment file records it")
    stake_manager: str
    dispute_game: str | None
    jackpot: str | None = Field(default=None, description="the Jackpot, when forced errors are on")
    diloco_jobs: str | None = Field(default=None, description="DilocoJobs, when DiLoCo jobs are deployed")


class DeployParamsOut(TypedDict, total=False):
    """The contracts' deploy-time parameters (`tribunal.chain.deploy.DeployParams`) as the deployment
    file records them; a file written without them has none."""

    unbonding_delay: int
    slash_winner_bps: int
    max_challenge_window: int
    max_dispute_duration: int
    missed_deadline_slash_bps: int
    challenger_bond: WeiStr
    max_clock: int
    min_challenge_window: int
    min_task_stake: WeiStr
    claim_timeout: int
    chunk_bond: WeiStr
    chunk_leaves: int
    forced_error_ppm: int
    audit_window: int
    jackpot_bps: int
    pot_wei: WeiStr
    verifier_bond_wei: WeiStr  # a verifier's bond to join the registry committees are drawn from
    committee_size: int  # members drawn per result; each that catches its forced error gets pot_wei / size


class ConfigOut(Model):
    chain_id: int
    rpc_url: str = Field(description="the RPC URL browsers should use")
    contracts: DeployedContracts
    params: DeployParamsOut
    explorer_url: str | None
