// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {GameStatus, GameView, Level, Party, Resolution} from "./DisputeTypes.sol";
import {Errors} from "./Errors.sol";
import {IDisputeGame} from "./IDisputeGame.sol";
import {IOneStepProver, InputShape, OperandProof, StepContext} from "./IOneStepProver.sol";
import {StakeManager} from "./StakeManager.sol";
import {RootKind, Task} from "./Task.sol";
import {TaskMarket} from "./TaskMarket.sol";
import {ChessClock, Clock} from "./lib/Clock.sol";
import {Commitments} from "./lib/Commitments.sol";
import {Descent} from "./lib/Descent.sol";
import {Merkle} from "./lib/Merkle.sol";
import {ShapeWords} from "./lib/ShapeWords.sol";

/// @title DisputeGame
/// @notice One game per challenge of a submitted training result (`docs/protocol.md, "The dispute game"`, the
///         binding interface). A challenger (C) posts its own trace root and a bond; C and the
///         task's operator (O) descend steps -> graph nodes -> output elements -> program
///         instructions by binary leftmost-difference descents, and the chain re-executes the one
///         float32 instruction they first disagree on (`IOneStepProver`). The loser is slashed
///         through the StakeManager with the winner credited; the market learns the outcome.
///
///         Moves. Reveal rounds (`reveal`, `revealOutputRoot`, `commitIntermediates`) carry a
///         party's own data: C moves first, then O; O's move completes the round. Proof moves
///         (`startStep`, `startNode`, `oneStep`) carry data anyone can check against agreed roots;
///         either party may send them, and they do not change whose clock runs (C's, between rounds).
///
///         Clocks. Each party has MAX_CLOCK seconds in total (a chess clock, `Clock`); only the party
///         on turn spends time. Every move requires the clock of the party on turn to be live, and
///         `claimTimeout` resolves against that party only once its accumulated time exceeds
///         MAX_CLOCK: never on time since the last move, never while the mover's clock is live.
///
///         Money. The game holds no ETH. C's bond is locked in the StakeManager at `open`; a loser is
///         slashed there (SLASH_WINNER_BPS to the winner as pull credit, the rest burned), so no
///         payout can fail or be re-entered here.
///
///         INVARIANT: a game's status moves None -> Active -> (OperatorWon | ChallengerWon) once;
///         nothing changes a resolved game.
///         INVARIANT: STAKE_MANAGER.lockedBy(account, this) == CHALLENGER_BOND * (active games the
///         account challenges), unless a slash of the account as an operator found too little free
///         stake to keep its bonds locked (see `_slashOperator`); bond releases are capped at what
///         is still locked, so resolution never reverts.
///         Every loop is bounded by a Merkle proof's length (checked against the tree's depth) or by
///         the 8 lanes of a leaf.
///
///         Gas (forge 1.7.1, solc 0.8.37, optimizer 200 runs, cancun; execution gas, without the
///         21000 base and calldata; `test/game/DisputeGameGas.t.sol`, table in
///         `contracts/GAS-dispute.md`): open ~365k (the task's roots are copied once); a descent round
///         ~13k (challenger reveal) + ~23k (operator reveal) on average, at most 52k / 80k when a
///         round first writes a slot or reaches a leaf; startStep ~95k; startNode ~73k; output roots
///         ~10k + ~16k; intermediates ~84k (challenger, computes L through the prover) + ~41k;
///         oneStep with the real prover and resolution ~113k-137k (prover ~34k, slash ~53k);
///         claimTimeout with resolution ~64k. A dispute of 43 rounds (1000 steps, 128 nodes, 2^20
///         elements, programs of 4096) is 94 transactions and ~4.5M gas with intrinsic gas.
contract DisputeGame is IDisputeGame {
    using Clock for ChessClock;

    /// @notice The stake and credit ledger (locks bonds, slashes losers, credits winners).
    StakeManager public immutable STAKE_MANAGER;

    /// @notice The task market (source of the disputed result; told when a dispute opens and ends).
    TaskMarket public immutable MARKET;

    /// @notice Stake a challenger locks per game (wei); slashed if it loses.
    uint256 public immutable CHALLENGER_BOND;

    /// @notice Seconds each party's chess clock holds for the whole game.
    uint64 public immutable MAX_CLOCK;

    /// @notice Executes the final instruction (level 7).
    IOneStepProver public immutable ONE_STEP_PROVER;

    /// @dev What the descents found, level by level (zero until reached).
    struct Found {
        uint256 step;
        bytes32 stateRoot;
        bytes32 nextStateOperator;
        bytes32 nextStateChallenger;
        bytes32 nodesRoot;
        uint256 numNodes;
        uint256 numSlots;
        uint256 node;
        bytes32 outputOperator;
        bytes32 outputChallenger;
        bytes32 descriptorHash;
        bytes32 shapeWord;
        uint256 numel;
        uint256 element;
        uint256 programLength;
        bytes32 intermediatesOperator;
        bytes32 intermediatesChallenger;
        uint256 instruction;
        bytes32 instructionLeaf;
        uint32 valueOperator;
        uint32 valueChallenger;
        uint32 claimOperator;
        uint32 claimChallenger;
    }

    /// @dev One game. The task's fields are copied at `open`: the game never re-reads the market, so
    ///      nothing the market does later can change what the game checks moves against.
    struct Game {
        address challenger;
        GameStatus status;
        Level level;
        uint16 height;
        Resolution resolution;
        address operator;
        uint32 steps;
        ChessClock clock;
        uint256 taskId;
        uint256 position;
        uint256 leafCount;
        bytes32 rootOperator;
        bytes32 rootChallenger;
        bytes32 challengerLeft;
        bytes32 challengerRight;
        bytes32 traceRootOperator;
        bytes32 traceRootChallenger;
        bytes32 initStateRoot;
        bytes32 graphRoot;
        bytes32 datasetRoot;
        uint256 minStake;
        Found found;
    }

    /// @notice Number of games opened; game ids are 1..gameCount.
    uint256 public gameCount;

    mapping(uint256 gameId => Game) private games;

    /// @param stakeManager The stake ledger; must be the market's.
    /// @param market The task market; its MAX_DISPUTE_DURATION must hold both clocks (2 * maxClock).
    /// @param challengerBond Wei a challenger locks per game (> 0; should cover the operator's gas
    ///        for a whole dispute).
    /// @param maxClock Seconds each party's clock holds (> 0).
    /// @param oneStepProver The level-7 executor (non-zero).
    constructor(
        StakeManager stakeManager,
        TaskMarket market,
        uint256 challengerBond,
        uint64 maxClock,
        IOneStepProver oneStepProver
    ) {
        if (address(stakeManager) == address(0) || address(market) == address(0)) {
            revert Errors.ZeroAddress();
        }
        if (address(oneStepProver) == address(0)) revert Errors.ZeroAddress();
        address marketStakeManager = address(market.STAKE_MANAGER());
        if (marketStakeManager != address(stakeManager)) {
            revert Errors.StakeManagerMismatch(address(stakeManager), marketStakeManager);
        }
        if (challengerBond == 0) revert Errors.ZeroChallengerBond();
        if (maxClock == 0) revert Errors.ZeroMaxClock();
        uint256 maxDisputeDuration = market.MAX_DISPUTE_DURATION();
        // INVARIANT: a game whose parties use both clocks up fits in the dispute duration the market
        // (and the StakeManager's unbonding delay) is built for.
        if (2 * uint256(maxClock) > maxDisputeDuration) {
            revert Errors.ClockExceedsDisputeDuration(2 * uint256(maxClock), maxDisputeDuration);
        }
        STAKE_MANAGER = stakeManager;
        MARKET = market;
        CHALLENGER_BOND = challengerBond;
        MAX_CLOCK = maxClock;
        ONE_STEP_PROVER = oneStepProver;
    }

    // ---------------------------------------------------------------- opening

    /// @notice Challenges task `taskId`'s submitted result with the caller's own trace root. Locks
    ///         CHALLENGER_BOND of the caller's free stake; the challenger's clock starts.
    /// @dev Reverts (from the market) unless the task is Submitted and inside its challenge window;
    ///      (from the StakeManager) `StakeTooLow` if the caller's free stake is below the bond.
    /// @param taskId The task.
    /// @param challengerTraceRoot The challenger's Merkle root over h_0..h_S (non-zero, not the task's).
    /// @return gameId The new game's id.
    function open(uint256 taskId, bytes32 challengerTraceRoot) external returns (uint256 gameId) {
        Task memory task = MARKET.getTask(taskId);
        if (msg.sender == task.operator) revert Errors.ChallengerIsOperator(taskId, task.operator);
        if (challengerTraceRoot == bytes32(0)) revert Errors.ZeroRoot(RootKind.Trace);
        if (challengerTraceRoot == task.traceRoot) revert Errors.SameTraceRoot(challengerTraceRoot);

        gameId = ++gameCount;
        Game storage g = games[gameId];
        g.challenger = msg.sender;
        g.status = GameStatus.Active;
        g.operator = task.operator;
        g.steps = task.steps;
        g.clock = Clock.start(Party.Challenger, block.timestamp);
        g.taskId = taskId;
        g.traceRootOperator = task.traceRoot;
        g.traceRootChallenger = challengerTraceRoot;
        g.initStateRoot = task.initStateRoot;
        g.graphRoot = task.graphRoot;
        g.datasetRoot = task.datasetRoot;
        g.minStake = task.minStake;
        emit GameOpened(
            gameId, taskId, msg.sender, task.operator, task.traceRoot, challengerTraceRoot, CHALLENGER_BOND, MAX_CLOCK
        );
        emit ClockStarted(gameId, taskId, msg.sender, 0, 0, block.timestamp + MAX_CLOCK);
        // INVARIANT: the trace roots differ, as every descent requires; S >= 1 (the market refuses
        // zero steps), so the tree of S + 1 states has height >= 1 and no leaf is reached here.
        _startDescent(gameId, g, Level.Steps, uint256(task.steps) + 1, task.traceRoot, challengerTraceRoot);

        STAKE_MANAGER.lock(msg.sender, CHALLENGER_BOND);
        MARKET.onDisputeOpened(taskId);
    }

    // ---------------------------------------------------------------- reveal rounds

    /// @notice Reveals the two children of the caller's current node in a descent (levels Steps,
    ///         Nodes, Element, Instruction). The challenger reveals first, then the operator; the
    ///         operator's reveal completes the round and the descent goes left if the left children
    ///         differ, else right. Reaching a leaf moves the game to the next level (or resolves it).
    /// @param gameId The game.
    /// @param left The left child: keccak256(left ‖ right) must be the caller's node.
    /// @param right The right child.
    function reveal(uint256 gameId, bytes32 left, bytes32 right) external {
        Game storage g = _active(gameId);
        Level level = g.level;
        if (level != Level.Steps && level != Level.Nodes && level != Level.Element && level != Level.Instruction) {
            revert Errors.NotDescending(gameId, level);
        }
        (Party mover, ChessClock clock) = _onTurn(g);
        uint256 taskId = g.taskId;
        uint256 position = g.position;
        uint256 height = g.height;

        if (mover == Party.Challenger) {
            _checkOpens(g.rootChallenger, left, right);
            g.challengerLeft = left;
            g.challengerRight = right;
            emit ChildrenRevealed(gameId, taskId, msg.sender, level, position, height, left, right);
            _passTurn(gameId, g, clock);
            return;
        }

        _checkOpens(g.rootOperator, left, right);
        emit ChildrenRevealed(gameId, taskId, msg.sender, level, position, height, left, right);
        (uint256 child, bytes32 rootOperator, bytes32 rootChallenger) =
            Descent.bisect(position, left, right, g.challengerLeft, g.challengerRight);
        height -= 1;
        g.position = child;
        // forge-lint: disable-next-line(unsafe-typecast) below the tree's depth, itself at most 256
        g.height = uint16(height);
        g.rootOperator = rootOperator;
        g.rootChallenger = rootChallenger;
        emit Bisected(gameId, taskId, msg.sender, level, child, height, rootOperator, rootChallenger);
        _passTurn(gameId, g, clock);
        if (height == 0) _atLeaf(gameId, g, level);
    }

    /// @notice Reveals the data root of the caller's output tensor of the found node (level
    ///         OutputRoot): keccak256(dataRoot ‖ shapeWord) must be the caller's output root. The
    ///         challenger first, then the operator, whose reveal starts the element descent.
    /// @param gameId The game.
    /// @param dataRoot The Merkle root over the output's leaves (8 float32 lanes each).
    function revealOutputRoot(uint256 gameId, bytes32 dataRoot) external {
        Game storage g = _active(gameId);
        _requireLevel(gameId, g, Level.OutputRoot);
        (Party mover, ChessClock clock) = _onTurn(g);
        Found storage f = g.found;
        bytes32 tensorRoot = Commitments.bindShape(dataRoot, f.shapeWord);
        bytes32 expected = mover == Party.Challenger ? f.outputChallenger : f.outputOperator;
        if (tensorRoot != expected) revert Errors.OutputRootMismatch(tensorRoot, expected);
        emit OutputRootRevealed(gameId, g.taskId, msg.sender, dataRoot);

        if (mover == Party.Challenger) {
            g.challengerLeft = dataRoot;
            _passTurn(gameId, g, clock);
            return;
        }
        _passTurn(gameId, g, clock);
        // INVARIANT: the data roots differ, since the output roots do and the shape word is shared.
        _startDescent(gameId, g, Level.Element, Commitments.numLeavesFor(f.numel), dataRoot, g.challengerLeft);
    }

    /// @notice Commits the caller's intermediates of the found element's program as a float32
    ///         tensor of shape (L,) (level Intermediates) and proves that its last intermediate is the
    ///         element value the caller claimed. The challenger first (it re-supplies the descriptor,
    ///         from which L is computed), then the operator, whose commit starts the instruction descent.
    /// @param gameId The game.
    /// @param descriptor The node's descriptor (checked and used on the challenger's commit; the
    ///        operator's is ignored and may be empty).
    /// @param inputs The shapes of the node's inputs with their proofs (see `InputShape`; used on the
    ///        challenger's commit, the operator's are ignored and may be empty).
    /// @param dataRoot Merkle root over the intermediates' leaves (8 float32 lanes each).
    /// @param lastLeaf The leaf holding intermediate L - 1 (leaf (L - 1) / 8, lane (L - 1) % 8).
    /// @param lastLeafProof Its Merkle proof under `dataRoot` (depth of ceil(L / 8) leaves).
    function commitIntermediates(
        uint256 gameId,
        bytes calldata descriptor,
        InputShape[] calldata inputs,
        bytes32 dataRoot,
        bytes32 lastLeaf,
        bytes32[] calldata lastLeafProof
    ) external {
        Game storage g = _active(gameId);
        _requireLevel(gameId, g, Level.Intermediates);
        (Party mover, ChessClock clock) = _onTurn(g);
        uint256 length = mover == Party.Challenger ? _programLength(g, descriptor, inputs) : g.found.programLength;
        uint32 claimed = mover == Party.Challenger ? g.found.valueChallenger : g.found.valueOperator;
        uint32 lastValue = _checkLastIntermediate(length, dataRoot, lastLeaf, lastLeafProof, claimed);
        _commitIntermediates(gameId, g, mover, clock, dataRoot, length, lastValue);
    }

    // ---------------------------------------------------------------- proof moves

    /// @notice Proves h_t, the agreed state before the found step t, and the graph's size (level
    ///         StepStart); starts the node descent over h_{t+1}. Either party may send it.
    /// @param gameId The game.
    /// @param stateRoot h_t (ignored for t = 0, where h_0 is the task's initial state root).
    /// @param stateProof Its Merkle proof as leaf t of the operator's trace root (depth of S + 1 leaves;
    ///        ignored for t = 0).
    /// @param nodesRoot Merkle root over keccak256(descriptor) of the step's nodes.
    /// @param numNodes Nodes per step.
    /// @param numSlots State tensors of h_0. keccak256(abi.encode(nodesRoot, numNodes, numSlots)) must
    ///        be the task's graph root.
    function startStep(
        uint256 gameId,
        bytes32 stateRoot,
        bytes32[] calldata stateProof,
        bytes32 nodesRoot,
        uint256 numNodes,
        uint256 numSlots
    ) external {
        Game storage g = _proofMove(gameId, Level.StepStart);
        Found storage f = g.found;
        uint256 step = f.step;
        if (step == 0) {
            stateRoot = g.initStateRoot;
        } else {
            uint256 numStates = uint256(g.steps) + 1;
            // INVARIANT: leaf t lies left of the differing leaf t + 1, so it is agreed and the
            // operator's tree proves it for both.
            if (!Commitments.verifyTraceProof(stateRoot, step, stateProof, g.traceRootOperator, numStates)) {
                revert Errors.StateProofInvalid(step, stateProof.length, Merkle.treeDepth(numStates));
            }
        }
        bytes32 graphRoot = keccak256(abi.encode(nodesRoot, numNodes, numSlots));
        if (graphRoot != g.graphRoot) revert Errors.GraphRootMismatch(graphRoot, g.graphRoot);
        f.stateRoot = stateRoot;
        f.nodesRoot = nodesRoot;
        f.numNodes = numNodes;
        f.numSlots = numSlots;
        emit StepStarted(gameId, g.taskId, msg.sender, step, stateRoot, nodesRoot, numNodes, numSlots);
        _startDescent(gameId, g, Level.Nodes, numNodes, f.nextStateOperator, f.nextStateChallenger);
    }

    /// @notice Proves the found node's descriptor (level NodeStart) and fixes its output shape;
    ///         the output-root reveal round follows. Either party may send it.
    /// @param gameId The game.
    /// @param descriptor abi.encode(uint256 index, uint8 opKind, uint256[] params, uint256[] inputRefs,
    ///        uint256[] shape) (`tribunal/graph.py`).
    /// @param proof Merkle proof of keccak256(descriptor) as leaf n under the nodes root (depth of
    ///        numNodes leaves).
    function startNode(uint256 gameId, bytes calldata descriptor, bytes32[] calldata proof) external {
        Game storage g = _proofMove(gameId, Level.NodeStart);
        Found storage f = g.found;
        bytes32 leaf = keccak256(descriptor);
        uint256 node = f.node;
        uint256 numNodes = f.numNodes;
        if (!Merkle.verify(leaf, node, proof, f.nodesRoot, numNodes)) {
            revert Errors.DescriptorProofInvalid(node, proof.length, Merkle.treeDepth(numNodes));
        }
        (,,,, uint256[] memory shape) = abi.decode(descriptor, (uint256, uint8, uint256[], uint256[], uint256[]));
        bytes32 word = ShapeWords.encode(shape);
        (, uint256 numel) = ShapeWords.validNumel(word);
        f.descriptorHash = leaf;
        f.shapeWord = word;
        f.numel = numel;
        g.level = Level.OutputRoot;
        emit NodeStarted(gameId, g.taskId, msg.sender, node, leaf, word, numel);
    }

    /// @notice Executes the first differing instruction from agreed operands (level OneStep) and
    ///         resolves the game: the challenger loses if the result equals the operator's claim,
    ///         else the operator loses. Either party may send it.
    /// @param gameId The game.
    /// @param descriptor The found node's descriptor (must hash to the stored one).
    /// @param inputs The shapes of the node's inputs with their proofs (see `InputShape`).
    /// @param operands One proof per operand of the instruction (see `OperandProof`).
    function oneStep(
        uint256 gameId,
        bytes calldata descriptor,
        InputShape[] calldata inputs,
        OperandProof[] calldata operands
    ) external {
        Game storage g = _proofMove(gameId, Level.OneStep);
        Found storage f = g.found;
        _checkDescriptor(f, descriptor);
        (uint8 opcode, uint32[3] memory values, uint32 result) =
            ONE_STEP_PROVER.step(_stepContext(g), descriptor, inputs, operands);
        uint32 claimOperator = f.claimOperator;
        emit OneStepExecuted(
            gameId, g.taskId, msg.sender, f.instruction, opcode, values, result, claimOperator, f.claimChallenger
        );
        _resolve(gameId, g, result == claimOperator ? Party.Challenger : Party.Operator, Resolution.OneStep);
    }

    // ---------------------------------------------------------------- timeout

    /// @notice Resolves the game against the party on turn once its clock is used up:
    ///         used + (now - turnStartedAt) > MAX_CLOCK. Anyone may call it.
    /// @param gameId The game.
    function claimTimeout(uint256 gameId) external {
        Game storage g = _active(gameId);
        ChessClock clock = g.clock;
        Party onTurn = clock.onTurn();
        // INVARIANT: no resolution while the mover's clock is live.
        if (clock.isLive(block.timestamp, MAX_CLOCK)) {
            revert Errors.ClockNotExpired(onTurn, clock.spent(block.timestamp), MAX_CLOCK, clock.deadline(MAX_CLOCK));
        }
        _resolve(gameId, g, onTurn, Resolution.Timeout);
    }

    // ---------------------------------------------------------------- views

    /// @notice Everything about game `gameId` (all zero for an unknown id).
    /// @param gameId The game.
    /// @return s The game's state (see `GameView`).
    function gameState(uint256 gameId) external view returns (GameView memory s) {
        Game storage g = games[gameId];
        ChessClock clock = g.clock;
        s.taskId = g.taskId;
        s.operator = g.operator;
        s.challenger = g.challenger;
        s.status = g.status;
        s.resolution = g.resolution;
        s.level = g.level;
        s.onTurn = clock.onTurn();
        s.challengerRevealed = s.status == GameStatus.Active && s.onTurn == Party.Operator;
        s.position = g.position;
        s.height = g.height;
        s.leafCount = g.leafCount;
        s.rootOperator = g.rootOperator;
        s.rootChallenger = g.rootChallenger;
        s.challengerLeft = g.challengerLeft;
        s.challengerRight = g.challengerRight;
        s.usedChallenger = clock.used(Party.Challenger);
        s.usedOperator = clock.used(Party.Operator);
        s.turnStartedAt = clock.turnStartedAt();
        if (s.status == GameStatus.Active) s.deadline = clock.deadline(MAX_CLOCK);
        s.traceRootOperator = g.traceRootOperator;
        s.traceRootChallenger = g.traceRootChallenger;
        _viewFound(g.found, s);
    }

    /// @notice The game's status (None for an unknown id).
    /// @param gameId The game.
    /// @return The status.
    function gameStatus(uint256 gameId) external view returns (GameStatus) {
        return games[gameId].status;
    }

    // ---------------------------------------------------------------- internals: moves

    function _active(uint256 gameId) private view returns (Game storage g) {
        g = games[gameId];
        // INVARIANT: no moves after resolution (and none on a game that does not exist).
        if (g.status != GameStatus.Active) revert Errors.GameNotActive(gameId, g.status);
    }

    function _requireLevel(uint256 gameId, Game storage g, Level expected) private view {
        if (g.level != expected) revert Errors.WrongLevel(gameId, g.level, expected);
    }

    /// @dev A reveal move: the caller must be the party on turn, with its clock live.
    function _onTurn(Game storage g) private view returns (Party mover, ChessClock clock) {
        clock = g.clock;
        mover = clock.onTurn();
        address expected = mover == Party.Operator ? g.operator : g.challenger;
        if (msg.sender != expected) revert Errors.NotOnTurn(msg.sender, expected);
        _requireLive(clock);
    }

    /// @dev A proof move: either party, at the right level, while the clock on turn is live.
    function _proofMove(uint256 gameId, Level expected) private view returns (Game storage g) {
        g = _active(gameId);
        _requireLevel(gameId, g, expected);
        if (msg.sender != g.challenger && msg.sender != g.operator) revert Errors.NotParty(msg.sender);
        _requireLive(g.clock);
    }

    function _requireLive(ChessClock clock) private view {
        // INVARIANT: a move is accepted only while the clock of the party on turn is live, so once
        // `claimTimeout` is possible nothing but `claimTimeout` is.
        if (!clock.isLive(block.timestamp, MAX_CLOCK)) {
            revert Errors.ClockExpired(clock.onTurn(), clock.spent(block.timestamp), MAX_CLOCK);
        }
    }

    function _passTurn(uint256 gameId, Game storage g, ChessClock clock) private {
        clock = clock.pass(block.timestamp);
        g.clock = clock;
        Party next = clock.onTurn();
        emit ClockStarted(
            gameId,
            g.taskId,
            next == Party.Operator ? g.operator : g.challenger,
            clock.used(Party.Challenger),
            clock.used(Party.Operator),
            clock.deadline(MAX_CLOCK)
        );
    }

    function _checkOpens(bytes32 root, bytes32 left, bytes32 right) private pure {
        if (!Descent.opens(root, left, right)) revert Errors.RevealMismatch(Merkle.hashPair(left, right), root);
    }

    function _checkDescriptor(Found storage f, bytes calldata descriptor) private view {
        bytes32 given = keccak256(descriptor);
        if (given != f.descriptorHash) revert Errors.DescriptorMismatch(given, f.descriptorHash);
    }

    /// @dev The challenger's commit fixes L from the re-supplied descriptor and input shapes.
    function _programLength(Game storage g, bytes calldata descriptor, InputShape[] calldata inputs)
        private
        returns (uint256 length)
    {
        Found storage f = g.found;
        _checkDescriptor(f, descriptor);
        length = ONE_STEP_PROVER.programLength(_stepContext(g), descriptor, inputs);
        if (length == 0) revert Errors.EmptyProgram(f.node, f.element);
        f.programLength = length;
    }

    function _commitIntermediates(
        uint256 gameId,
        Game storage g,
        Party mover,
        ChessClock clock,
        bytes32 dataRoot,
        uint256 length,
        uint32 lastValue
    ) private {
        Found storage f = g.found;
        emit IntermediatesCommitted(gameId, g.taskId, msg.sender, dataRoot, length, lastValue);
        if (mover == Party.Challenger) {
            f.intermediatesChallenger = dataRoot;
            _passTurn(gameId, g, clock);
            return;
        }
        f.intermediatesOperator = dataRoot;
        _passTurn(gameId, g, clock);
        // INVARIANT: the data roots differ, since their last intermediates (the claimed element
        // values) differ.
        _startDescent(
            gameId, g, Level.Instruction, Commitments.numLeavesFor(length), dataRoot, f.intermediatesChallenger
        );
    }

    /// @dev Checks that intermediate L - 1 under `dataRoot` is `claimed`; returns it.
    function _checkLastIntermediate(
        uint256 length,
        bytes32 dataRoot,
        bytes32 lastLeaf,
        bytes32[] calldata lastLeafProof,
        uint32 claimed
    ) private pure returns (uint32 lastValue) {
        uint256 last = length - 1;
        uint256 numLeaves = Commitments.numLeavesFor(length);
        uint256 leafIndex = last / Descent.LANES;
        if (!Merkle.verify(lastLeaf, leafIndex, lastLeafProof, dataRoot, numLeaves)) {
            revert Errors.IntermediatesProofInvalid(leafIndex, lastLeafProof.length, Merkle.treeDepth(numLeaves));
        }
        lastValue = Commitments.leafLane(lastLeaf, last % Descent.LANES);
        if (lastValue != claimed) revert Errors.LastIntermediateMismatch(lastValue, claimed);
    }

    // ---------------------------------------------------------------- internals: descent

    /// @dev Begins a descent over a tree of `leafCount` leaves; a single-leaf tree is at its leaf at once.
    function _startDescent(
        uint256 gameId,
        Game storage g,
        Level level,
        uint256 leafCount,
        bytes32 rootOperator,
        bytes32 rootChallenger
    ) private {
        uint256 height = Merkle.treeDepth(leafCount);
        g.level = level;
        g.leafCount = leafCount;
        // forge-lint: disable-next-line(unsafe-typecast) a tree depth is at most 256
        g.height = uint16(height);
        g.position = 0;
        g.rootOperator = rootOperator;
        g.rootChallenger = rootChallenger;
        emit DescentStarted(gameId, g.taskId, msg.sender, level, leafCount, height, rootOperator, rootChallenger);
        if (height == 0) _atLeaf(gameId, g, level);
    }

    /// @dev The descent of `level` reached its leaf at `g.position`: everything left of it is agreed,
    ///      and the two leaves differ. Moves to the next level, or resolves the game.
    function _atLeaf(uint256 gameId, Game storage g, Level level) private {
        uint256 position = g.position;
        bytes32 leafOperator = g.rootOperator;
        bytes32 leafChallenger = g.rootChallenger;
        Found storage f = g.found;
        uint256 taskId = g.taskId;

        if (level == Level.Steps || level == Level.Nodes) {
            if (position >= g.leafCount) {
                _resolve(gameId, g, Descent.paddingLoser(uint256(leafChallenger)), Resolution.Padding);
                return;
            }
            if (level == Level.Nodes) {
                f.node = position;
                f.outputOperator = leafOperator;
                f.outputChallenger = leafChallenger;
                g.level = Level.NodeStart;
                emit NodeFound(gameId, taskId, msg.sender, position, leafOperator, leafChallenger);
                return;
            }
            if (position == 0) {
                // Both wrong: the challenger loses (it must be right to win).
                Party loser = leafChallenger != g.initStateRoot ? Party.Challenger : Party.Operator;
                _resolve(gameId, g, loser, Resolution.InitialState);
                return;
            }
            f.step = position - 1;
            f.nextStateOperator = leafOperator;
            f.nextStateChallenger = leafChallenger;
            g.level = Level.StepStart;
            emit StepFound(gameId, taskId, msg.sender, position - 1, leafOperator, leafChallenger);
            return;
        }

        // Element or Instruction: leaves of 8 float32 lanes, compared lane by lane.
        uint256 lane = Descent.firstDifferingLane(leafOperator, leafChallenger);
        // INVARIANT: the leaves differ, so lane < 8.
        uint256 index = position * Descent.LANES + lane;
        uint256 count = level == Level.Element ? f.numel : f.programLength;
        if (index >= count) {
            _resolve(gameId, g, Descent.paddingLoser(Commitments.leafLane(leafChallenger, lane)), Resolution.Padding);
            return;
        }
        uint32 valueOperator = Commitments.leafLane(leafOperator, lane);
        uint32 valueChallenger = Commitments.leafLane(leafChallenger, lane);
        if (level == Level.Element) {
            f.element = index;
            f.valueOperator = valueOperator;
            f.valueChallenger = valueChallenger;
            g.level = Level.Intermediates;
            emit ElementFound(gameId, taskId, msg.sender, index, valueOperator, valueChallenger);
        } else {
            f.instruction = index;
            f.claimOperator = valueOperator;
            f.claimChallenger = valueChallenger;
            f.instructionLeaf = leafOperator;
            g.level = Level.OneStep;
            emit InstructionFound(gameId, taskId, msg.sender, index, valueOperator, valueChallenger);
        }
    }

    // ---------------------------------------------------------------- internals: resolution

    /// @dev Ends the game against `loser`. Effects first, then the market and StakeManager calls in the
    ///      documented order. Operator won: slash the challenger's bond (the operator is credited),
    ///      then tell the market. Challenger won: tell the market first (it releases the operator's
    ///      task lock, so the slash can reach that stake), slash the operator's task stake (the
    ///      challenger is credited), release the challenger's bond.
    function _resolve(uint256 gameId, Game storage g, Party loser, Resolution resolution) private {
        bool operatorWon = loser == Party.Challenger;
        g.status = operatorWon ? GameStatus.OperatorWon : GameStatus.ChallengerWon;
        g.resolution = resolution;
        _emitResolved(gameId, g, operatorWon, resolution);
        uint256 taskId = g.taskId;
        address operator = g.operator;
        address challenger = g.challenger;

        if (operatorWon) {
            STAKE_MANAGER.slash(challenger, CHALLENGER_BOND, operator);
            MARKET.onDisputeResolved(taskId, true);
        } else {
            MARKET.onDisputeResolved(taskId, false);
            _slashOperator(operator, g.minStake, challenger);
            _releaseBond(challenger);
        }
    }

    function _emitResolved(uint256 gameId, Game storage g, bool operatorWon, Resolution resolution) private {
        (address winner, address loser) = operatorWon ? (g.operator, g.challenger) : (g.challenger, g.operator);
        emit GameResolved(gameId, g.taskId, winner, loser, g.status, resolution, g.level);
    }

    /// @dev The StakeManager slashes a slasher's own locks first, and this game's locks on the operator
    ///      are the operator's bonds in games it challenges elsewhere. Those are released for the
    ///      slash and locked again afterwards, so the slash is taken from the operator's free stake
    ///      (which holds at least the task stake the market just released) and the bonds stay
    ///      backed whenever the operator's stake allows.
    function _slashOperator(address operator, uint256 amount, address challenger) private {
        uint256 bonds = STAKE_MANAGER.lockedBy(operator, address(this));
        if (bonds > 0) STAKE_MANAGER.unlock(operator, bonds);
        STAKE_MANAGER.slash(operator, amount, challenger);
        if (bonds > 0) {
            uint256 free = STAKE_MANAGER.freeOf(operator);
            uint256 relock = bonds < free ? bonds : free;
            if (relock > 0) STAKE_MANAGER.lock(operator, relock);
        }
    }

    /// @dev Releases the challenger's bond, capped at what this game still holds locked on it.
    function _releaseBond(address challenger) private {
        uint256 held = STAKE_MANAGER.lockedBy(challenger, address(this));
        uint256 amount = CHALLENGER_BOND < held ? CHALLENGER_BOND : held;
        if (amount > 0) STAKE_MANAGER.unlock(challenger, amount);
    }

    // ---------------------------------------------------------------- internals: views

    function _stepContext(Game storage g) private view returns (StepContext memory ctx) {
        Found storage f = g.found;
        ctx.taskId = g.taskId;
        ctx.datasetRoot = g.datasetRoot;
        ctx.step = f.step;
        ctx.stateRoot = f.stateRoot;
        ctx.nextStateRoot = f.nextStateOperator;
        ctx.nodesRoot = f.nodesRoot;
        ctx.numNodes = f.numNodes;
        ctx.numSlots = f.numSlots;
        ctx.node = f.node;
        ctx.element = f.element;
        ctx.instruction = f.instruction;
        ctx.programLength = f.programLength;
        ctx.intermediatesRoot = f.intermediatesOperator;
        ctx.instructionLeaf = f.instructionLeaf;
    }

    function _viewFound(Found storage f, GameView memory s) private view {
        s.step = f.step;
        s.stateRoot = f.stateRoot;
        s.nextStateOperator = f.nextStateOperator;
        s.nextStateChallenger = f.nextStateChallenger;
        s.nodesRoot = f.nodesRoot;
        s.numNodes = f.numNodes;
        s.numSlots = f.numSlots;
        s.node = f.node;
        s.outputOperator = f.outputOperator;
        s.outputChallenger = f.outputChallenger;
        s.descriptorHash = f.descriptorHash;
        s.shapeWord = f.shapeWord;
        s.numel = f.numel;
        s.element = f.element;
        s.valueOperator = f.valueOperator;
        s.valueChallenger = f.valueChallenger;
        s.programLength = f.programLength;
        s.intermediatesOperator = f.intermediatesOperator;
        s.intermediatesChallenger = f.intermediatesChallenger;
        s.instruction = f.instruction;
        s.claimOperator = f.claimOperator;
        s.claimChallenger = f.claimChallenger;
        s.instructionLeaf = f.instructionLeaf;
    }
}
