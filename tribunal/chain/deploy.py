"""Deploy the protocol's contracts to any RPC and write the deployment file."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tribunal.chain.artifacts import load_artifact
from tribunal.chain.client import ChainClient
from tribunal.chain.deployment import Deployment
from tribunal.chain.stake_manager import StakeManager
from tribunal.chain.task_market import TaskMarket

DAY = 86_400

UNBONDING_MARGIN = DAY
"""`TaskMarket.UNBONDING_MARGIN`: what the unbonding delay must leave after the longest challenge
window and dispute, for a timeout that becomes due at a dispute's end to be included before the
loser's stake leaves (docs/protocol.md, "Deploy-time parameters")."""


MIN_MISSED_DEADLINE_SLASH_BPS = 500
"""`TaskMarket.MIN_MISSED_DEADLINE_SLASH_BPS`: the least share of a task's stake that an eviction
(`evictClaim`) or a missed deadline slashes; below it squatting a task is (nearly) free
(docs/economics.md, "Claim squatting")."""


class DeployParamsError(ValueError):
    """Deploy-time parameters that the contracts would reject, said in words."""


@dataclass(frozen=True)
class DeployParams:
    """Deploy-time parameters (the contracts' immutables).

    ``claim_timeout`` is how long an operator has from its claim to submit before anyone may evict
    it (slashed, the task reopens). ``min_challenge_window`` and ``min_task_stake`` are the floors
    a task's ``challengeWindow`` and ``minStake`` must reach. Their defaults suit a local chain
    (anvil, the devnet, the tests: two seconds is one OP-stack block, so a dispute can land after
    the result); a public deployment raises them (docs/economics.md, "Recommended defaults").
    """

    unbonding_delay: int = 4 * DAY
    slash_winner_bps: int = 5_000
    max_challenge_window: int = DAY
    max_dispute_duration: int = 2 * DAY
    missed_deadline_slash_bps: int = 2_000
    challenger_bond: int = 10**18
    max_clock: int = DAY
    min_challenge_window: int = 2
    min_task_stake: int = 10**17
    claim_timeout: int = DAY
    chunk_bond: int = 10**16
    """Wei a challenger locks per chunk named in an availability challenge; the operator is credited
    ``slash_winner_bps`` of it when it delivers, which pays one chunk's delivery (~94k gas, batched) at
    up to ~50 gwei (docs/economics.md, "Availability challenges"; `bench/delivery.py`)."""
    chunk_leaves: int = 64
    """Leaves (32 bytes, 8 float32) per chunk: a power of two in 1..4096; 64 leaves are 2 KiB."""
    forced_error_ppm: int = 0
    """Probability (parts per million) that a result is a forced error (docs/forced-errors.md); 0
    deploys no Jackpot and keeps the plain challenge window."""
    audit_window: int = 0
    """Seconds of the reveal phase after a result's seal phase, and of the game phase after it
    (required, > 0, with forced errors)."""
    jackpot_bps: int = 2_000
    """Share of every finalised reward (basis points) that goes to its operator's jackpot escrow."""
    pot_wei: int = 20 * 10**18
    """Wei a forced error moves from its operator's escrow into its pot, and the least escrow an
    operator needs to claim a task: 20 × a typical reward (docs/economics.md, "Forced errors and the
    verifier committee: parameters", sized for 1-ETH tasks)."""
    verifier_bond_wei: int = 75 * 10**18
    """Wei a verifier bonds to join the registry that each result's committee is drawn from; below
    about 25 ETH an operator's own members become cheap enough to crowd diligent ones out of the
    committees (docs/economics.md)."""
    committee_size: int = 1
    """Members drawn per result; only they may catch its forced error, each paid pot_wei / size."""

    def validate(self) -> None:
        for name in ("unbonding_delay", "max_challenge_window", "max_dispute_duration", "claim_timeout"):
            if getattr(self, name) <= 0:
                raise DeployParamsError(f"{name} must be positive seconds")
        if self.challenger_bond <= 0 or self.max_clock <= 0:
            raise DeployParamsError("challenger_bond (wei) and max_clock (seconds) must be positive")
        if 2 * self.max_clock > self.max_dispute_duration:
            raise DeployParamsError(
                f"2 * max_clock = {2 * self.max_clock}s must fit in max_dispute_duration "
                f"{self.max_dispute_duration}s: both parties' clocks bound a dispute's length"
            )
        for name in ("slash_winner_bps", "missed_deadline_slash_bps"):
            if not 0 <= getattr(self, name) <= 10_000:
                raise DeployParamsError(f"{name} must be 0..10000 basis points")
        if self.missed_deadline_slash_bps < MIN_MISSED_DEADLINE_SLASH_BPS:
            raise DeployParamsError(
                f"missed_deadline_slash_bps {self.missed_deadline_slash_bps} is below the floor of "
                f"{MIN_MISSED_DEADLINE_SLASH_BPS} basis points: each eviction of a claim-squatter (and each "
                "missed deadline) must cost it a share of the task's stake, or squatting a task is free "
                "(docs/economics.md, \"Claim squatting\")"
            )
        if not 1 <= self.min_challenge_window <= self.max_challenge_window:
            raise DeployParamsError(
                f"min_challenge_window {self.min_challenge_window}s must be 1..max_challenge_window "
                f"{self.max_challenge_window}s"
            )
        if self.chunk_bond <= 0:
            raise DeployParamsError("chunk_bond (wei) must be positive: an availability challenge must pay "
                                    "for the delivery it forces")
        if not 1 <= self.chunk_leaves <= 4096 or self.chunk_leaves & (self.chunk_leaves - 1):
            raise DeployParamsError(f"chunk_leaves {self.chunk_leaves} must be a power of two in 1..4096")
        if self.min_task_stake <= 0:
            raise DeployParamsError("min_task_stake (wei) must be positive: tasks must put stake at risk")
        if not 0 <= self.forced_error_ppm <= 1_000_000:
            raise DeployParamsError(
                f"forced_error_ppm {self.forced_error_ppm} must be 0 (off) .. 1,000,000 (every result)")
        if self.forced_error_ppm:
            if self.audit_window <= 0:
                raise DeployParamsError("audit_window (seconds) must be positive with forced errors on")
            if not 0 <= self.jackpot_bps <= 10_000:
                raise DeployParamsError(f"jackpot_bps {self.jackpot_bps} must be 0..10,000")
            if self.pot_wei <= 0:
                raise DeployParamsError("pot_wei must be positive: a caught forced error must pay something")
            if self.verifier_bond_wei <= 0:
                raise DeployParamsError("verifier_bond_wei must be positive: registry members must cost "
                                        "capital")
            if not 1 <= self.committee_size <= 8:
                raise DeployParamsError(f"committee_size {self.committee_size} must be 1..8")
            if self.pot_wei < self.committee_size:
                raise DeployParamsError("pot_wei must be at least committee_size wei: each catch is paid "
                                        "pot_wei / committee_size")
            required = (2 * self.max_challenge_window + 2 * self.audit_window + self.max_dispute_duration
                        + UNBONDING_MARGIN)
            if self.unbonding_delay < required:
                raise DeployParamsError(
                    f"unbonding_delay {self.unbonding_delay}s must be at least 2 * max_challenge_window + "
                    f"2 * audit_window + max_dispute_duration + a one-day margin = {required}s with forced "
                    "errors on (a forced result's fresh window and the audit phases lengthen a result's life)"
                )
        required = self.max_challenge_window + self.max_dispute_duration + UNBONDING_MARGIN
        if self.unbonding_delay < required:
            raise DeployParamsError(
                f"unbonding_delay {self.unbonding_delay}s must be at least max_challenge_window + "
                f"max_dispute_duration + a one-day margin = {required}s, or a losing operator's stake "
                "could leave before the timeout that slashes it is included"
            )


def deploy_contracts(client: ChainClient, rpc_url: str, params: DeployParams | None = None) -> Deployment:
    """Deploy StakeManager, TaskMarket, ProgramRegistry, OneStepProver and DisputeGame, wire them,
    and, with forced errors on, the Jackpot (`TaskMarket.setJackpot`, before any task exists); then
    DilocoJobs, which posts its segment and outer tasks into that market (it needs no wiring: to the
    market it is a submitter like any other).

    Wiring order: StakeManager.setSlashers(market, game), then TaskMarket.setDisputeGame(game)
    (the market checks that the StakeManager already names the same game, and that the game names
    this market and the same StakeManager).
    """
    params = params or DeployParams()
    params.validate()
    stake_artifact = load_artifact("StakeManager")
    market_artifact = load_artifact("TaskMarket")
    start_block = client.w3.eth.block_number
    sm = client.deploy(
        stake_artifact.abi, stake_artifact.bytecode,
        params.unbonding_delay, params.slash_winner_bps, context="deploy StakeManager",
    )
    sm_address = sm.contract_address
    market = client.deploy(
        market_artifact.abi, market_artifact.bytecode,
        sm_address, params.max_challenge_window, params.max_dispute_duration,
        params.missed_deadline_slash_bps, params.min_challenge_window, params.min_task_stake,
        params.claim_timeout, context="deploy TaskMarket",
    )
    market_address = market.contract_address
    registry_artifact = load_artifact("ProgramRegistry")
    registry = client.deploy(registry_artifact.abi, registry_artifact.bytecode,
                             context="deploy ProgramRegistry")
    prover_artifact = load_artifact("OneStepProver")
    prover = client.deploy(prover_artifact.abi, prover_artifact.bytecode,
                           registry.contract_address, context="deploy OneStepProver")
    prover_address = prover.contract_address
    game_artifact = load_artifact("DisputeGame")
    game = client.deploy(
        game_artifact.abi, game_artifact.bytecode,
        sm_address, market_address, params.challenger_bond, params.max_clock, prover_address,
        params.chunk_bond, params.chunk_leaves, context="deploy DisputeGame",
    )
    game_address = game.contract_address
    StakeManager(client, sm_address).set_slashers(market_address, game_address)
    task_market = TaskMarket(client, market_address)
    task_market.set_dispute_game(game_address)
    jackpot_address = None
    if params.forced_error_ppm:
        jackpot_artifact = load_artifact("Jackpot")
        jackpot_address = client.deploy(
            jackpot_artifact.abi, jackpot_artifact.bytecode, market_address, params.pot_wei,
            params.verifier_bond_wei, params.committee_size,
            context="deploy Jackpot",
        ).contract_address
        task_market.set_jackpot(
            jackpot_address, params.forced_error_ppm, params.audit_window, params.jackpot_bps)
    diloco_artifact = load_artifact("DilocoJobs")
    diloco_address = client.deploy(diloco_artifact.abi, diloco_artifact.bytecode, market_address, sm_address,
                                   context="deploy DilocoJobs").contract_address
    return Deployment(
        chain_id=client.chain_id,
        rpc_url=rpc_url,
        block_number=start_block,
        stake_manager=sm_address,
        task_market=market_address,
        dispute_game=game_address,
        one_step_prover=prover_address,
        jackpot=jackpot_address,
        diloco_jobs=diloco_address,
        params=asdict(params),
    )
