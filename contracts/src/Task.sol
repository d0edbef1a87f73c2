// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice Where a task stands. The numbering is part of the ABI (bindings decode it as uint8).
/// @dev Transitions (every state that is not final has an exit anyone can trigger after a timeout):
///      None      -> Open        postTask
///      Open      -> Claimed     claim          (operator locks minStake)
///      Open      -> Cancelled   cancel         (submitter only; reward credited back)
///      Open      -> Refunded    expire         (anyone, after the deadline)
///      Claimed   -> Submitted   submitResult   (operator only, until the deadline)
///      Claimed   -> Refunded    expire         (anyone, after the deadline; operator slashed)
///      Claimed   -> Open        evictClaim     (anyone, after claimedAt + CLAIM_TIMEOUT and until the
///                                              deadline; operator slashed as for a missed deadline)
///      Submitted -> Finalized   finalize       (anyone, window over and no open dispute)
///      Submitted -> Voided      onDisputeResolved(operatorWon = false) with other disputes still open
///                               (queued ones included)
///      Submitted -> Open        onDisputeResolved(operatorWon = false), last dispute, before the deadline
///      Submitted -> Refunded    onDisputeResolved(operatorWon = false), last dispute, deadline reached
///      Voided    -> Open        onDisputeResolved (any outcome) or onDisputeWithdrawn of the last open
///                               dispute, before the deadline
///      Voided    -> Refunded    onDisputeResolved (any outcome) or onDisputeWithdrawn of the last open
///                               dispute, deadline reached
///      Finalized, Cancelled, Refunded are final.
enum TaskStatus {
    /// No task with this id.
    None,
    /// Posted, reward in escrow, waiting for an operator.
    Open,
    /// An operator has locked stake and is training.
    Claimed,
    /// The operator submitted a trace root; the challenge window runs.
    Submitted,
    /// Paid to the operator; final.
    Finalized,
    /// Withdrawn by the submitter before any claim; final.
    Cancelled,
    /// The reward went back to the submitter (missed deadline or voided result too late to reopen); final.
    Refunded,
    /// The submitted result lost a dispute; the task waits for the disputes still open on that
    /// result to end (they no longer change the task), then reopens or refunds.
    Voided
}

/// @notice Which commitment of a task was zero (used by `Errors.ZeroRoot`).
enum RootKind {
    Spec,
    Dataset,
    InitState,
    Graph,
    Trace,
    Model,
    Checkpoints,
    /// The final state commitment h_S named by `submitResult`.
    FinalState
}

/// @notice What a submitter posts. Mirrors the task spec fields the chain needs.
/// @param specHash keccak256 of the canonical task spec in the artifact store.
/// @param specURI Where the spec can be fetched (content-addressed); emitted, not stored.
/// @param datasetRoot Merkle root of the dataset.
/// @param initStateRoot h_0, the commitment to the initial training state.
/// @param graphRoot Merkle root of the step graph's node descriptors.
/// @param steps Number of training steps S (the trace has S + 1 state commitments).
/// @param checkpointEvery A checkpoint is published every this many steps (1..steps).
/// @param minStake Stake (wei) an operator locks while it holds the task.
/// @param deadline Unix time by which the result must be submitted.
/// @param challengeWindow Seconds after submission during which disputes may be opened.
struct TaskParams {
    bytes32 specHash;
    string specURI;
    bytes32 datasetRoot;
    bytes32 initStateRoot;
    bytes32 graphRoot;
    uint32 steps;
    uint32 checkpointEvery;
    uint256 minStake;
    uint64 deadline;
    uint64 challengeWindow;
}

/// @notice A task as stored (specURI lives only in the TaskPosted event).
/// @dev Field order packs the first three slots; do not reorder without re-measuring gas. The
///      result (`traceRoot`, `modelHash`, `finalStateRoot`) takes one full slot each, written by
///      `submitResult` and cleared together when a voided result reopens the task.
///      `finalStateRoot` is h_S, checked at submission to be leaf S of `traceRoot`, so the game that
///      settles the trace root settles the model too; `modelHash` only locates the checkpoint file
///      (its content hash) in the artifact store, and readers check that file's state against h_S.
struct Task {
    address submitter;
    uint64 deadline;
    uint32 steps;
    address operator;
    uint64 challengeWindow;
    uint32 checkpointEvery;
    TaskStatus status;
    uint64 claimedAt;
    uint64 submittedAt;
    uint32 openDisputes;
    uint256 reward;
    uint256 minStake;
    bytes32 specHash;
    bytes32 datasetRoot;
    bytes32 initStateRoot;
    bytes32 graphRoot;
    bytes32 traceRoot;
    bytes32 modelHash;
    bytes32 finalStateRoot;
}
