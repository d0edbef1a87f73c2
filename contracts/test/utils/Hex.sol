// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice Float32 bit patterns as hex strings, for readable failure messages of the vector tests.
library Hex {
    /// @notice `bits` as "0x" and eight lower-case hex digits.
    function bits32(uint32 bits) internal pure returns (string memory) {
        bytes memory digits = "0123456789abcdef";
        bytes memory out = new bytes(10);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i = 0; i < 8; i++) {
            out[9 - i] = digits[(bits >> (4 * i)) & 0xF];
        }
        return string(out);
    }
}
