// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice Forge's typed JSON cheatcode (at the same address as `Vm`), which `VmFiles` does not
///         declare: it decodes a JSON array of objects into a Solidity struct array by field name,
///         coercing decimal strings to uint256 — the program vectors need both.
interface VmProgramsFiles {
    function parseJsonTypeArray(string calldata json, string calldata key, string calldata typeDescription)
        external
        pure
        returns (bytes memory);
}
