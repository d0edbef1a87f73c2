// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CheatBase} from "./CheatBase.sol";

/// @notice Minimal test base: reverting assertions, and the target functions forge's invariant
///         runner reads (the StdInvariant interface).
abstract contract Test is CheatBase {
    /// @notice Marks this contract as a test contract.
    bool public IS_TEST = true;

    /// @notice A contract and the selectors the invariant runner may call on it.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private targetedContracts;
    FuzzSelector[] private targetedSelectors;

    /// @notice Contracts the invariant runner calls.
    /// @return The targeted contracts.
    function targetContracts() public view returns (address[] memory) {
        return targetedContracts;
    }

    /// @notice Selectors the invariant runner calls, per contract.
    /// @return The targeted selectors.
    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return targetedSelectors;
    }

    function targetContract(address target) internal {
        targetedContracts.push(target);
    }

    function targetSelector(address target, bytes4[] memory selectors) internal {
        FuzzSelector storage entry = targetedSelectors.push();
        entry.addr = target;
        for (uint256 i = 0; i < selectors.length; i++) {
            entry.selectors.push(selectors[i]);
        }
    }

    // ---------------------------------------------------------------- assertions (revert on failure)

    function fail(string memory message) internal pure {
        revert(message);
    }

    function assertTrue(bool condition) internal pure {
        if (!condition) fail("assertTrue: false");
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) fail(message);
    }

    function assertFalse(bool condition) internal pure {
        if (condition) fail("assertFalse: true");
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) fail(message);
    }

    function assertEq(uint256 actual, uint256 expected) internal pure {
        assertEq(actual, expected, "assertEq(uint256)");
    }

    function assertEq(uint256 actual, uint256 expected, string memory message) internal pure {
        if (actual != expected) {
            fail(string.concat(message, ": ", vm.toString(actual), " != ", vm.toString(expected)));
        }
    }

    function assertEq(address actual, address expected) internal pure {
        assertEq(actual, expected, "assertEq(address)");
    }

    function assertEq(address actual, address expected, string memory message) internal pure {
        if (actual != expected) {
            fail(string.concat(message, ": ", vm.toString(actual), " != ", vm.toString(expected)));
        }
    }

    function assertEq(bytes32 actual, bytes32 expected) internal pure {
        assertEq(actual, expected, "assertEq(bytes32)");
    }

    function assertEq(bytes32 actual, bytes32 expected, string memory message) internal pure {
        if (actual != expected) {
            fail(string.concat(message, ": ", vm.toString(actual), " != ", vm.toString(expected)));
        }
    }

    function assertEq(bool actual, bool expected) internal pure {
        if (actual != expected) fail("assertEq(bool)");
    }

    function assertLe(uint256 actual, uint256 bound_, string memory message) internal pure {
        if (actual > bound_) fail(string.concat(message, ": ", vm.toString(actual), " > ", vm.toString(bound_)));
    }
}
