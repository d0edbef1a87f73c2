// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title BenchEmitter
/// @notice Test-only: emits the StakeManager's and TaskMarket's events in bulk (same signatures), so
///         bench/indexer.py can generate 100k realistic logs in a few dozen transactions. Deploy one
///         instance in the StakeManager's place and one in the TaskMarket's; never deploy on a real chain.
contract BenchEmitter {
    event Staked(address indexed account, uint256 amount, uint256 bonded);
    event Credited(address indexed account, address indexed from, uint256 amount);
    event TaskPosted(
        uint256 indexed taskId,
        address indexed submitter,
        uint256 reward,
        bytes32 specHash,
        string specURI,
        bytes32 datasetRoot,
        bytes32 initStateRoot,
        bytes32 graphRoot,
        uint32 steps,
        uint32 checkpointEvery,
        uint256 minStake,
        uint64 deadline,
        uint64 challengeWindow
    );
    event TaskClaimed(uint256 indexed taskId, address indexed operator, uint256 stakeLocked);
    event ResultSubmitted(
        uint256 indexed taskId,
        address indexed operator,
        bytes32 traceRoot,
        bytes32 finalStateRoot,
        bytes32 modelHash,
        uint256 challengeEndsAt
    );
    event TaskFinalized(uint256 indexed taskId, address indexed operator, uint256 reward);

    /// @notice `count` Staked and `count` Credited events over 64 accounts.
    function stakes(uint256 count, uint256 salt) external {
        for (uint256 i = 0; i < count; i++) {
            address account = address(uint160(0x1000 + ((salt + i) % 64)));
            emit Staked(account, 1 ether, (salt + i + 1) * 1 ether);
            emit Credited(account, address(this), i + 1);
        }
    }

    /// @notice The lifecycle of `count` tasks from id `firstId` (posted, claimed, submitted, finalized).
    function tasks(uint256 firstId, uint256 count) external {
        for (uint256 id = firstId; id < firstId + count; id++) {
            address submitter = address(uint160(0x2000 + (id % 16)));
            address operator = address(uint160(0x3000 + (id % 32)));
            bytes32 spec = keccak256(abi.encode(id));
            emit TaskPosted(
                id, submitter, 1 ether, spec, "artifact://bench", spec, spec, spec, 100, 10, 2 ether,
                uint64(block.timestamp + 3600), 600
            );
            emit TaskClaimed(id, operator, 2 ether);
            emit ResultSubmitted(id, operator, spec, spec, spec, block.timestamp + 600);
            emit TaskFinalized(id, operator, 1 ether);
        }
    }
}
