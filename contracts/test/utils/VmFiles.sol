// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice Forge's file and JSON cheatcodes (at the same address as `Vm`), for tests that read
///         the shared test vectors. Paths are relative to the project root (`contracts/`) and must
///         be allowed by `fs_permissions` in foundry.toml.
interface VmFiles {
    function readFile(string calldata path) external view returns (string memory data);
    function readFileBinary(string calldata path) external view returns (bytes memory data);
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    function parseJsonUintArray(string calldata json, string calldata key) external pure returns (uint256[] memory);
    function parseJsonBytes32(string calldata json, string calldata key) external pure returns (bytes32);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function parseJsonBytes32Array(string calldata json, string calldata key) external pure returns (bytes32[] memory);
    function parseJsonStringArray(string calldata json, string calldata key) external pure returns (string[] memory);
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
}
