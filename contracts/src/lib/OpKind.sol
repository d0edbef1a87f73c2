// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title OpKind
/// @notice The op kinds of RepOps: the numbers of the Python `OpKind`
///         enum, as a node's descriptor commits them. Never renumber.
library OpKind {
    uint8 internal constant MATMUL = 1;
    uint8 internal constant MATMUL_AT = 2;
    uint8 internal constant MATMUL_BT = 3;
    uint8 internal constant BINARY = 4;
    uint8 internal constant BINARY_CONST = 5;
    uint8 internal constant UNARY = 6;
    uint8 internal constant RELU_GRAD = 7;
    uint8 internal constant REDUCE = 8;
    uint8 internal constant EXP = 9;
    uint8 internal constant LOG = 10;
    uint8 internal constant PICK = 11;
    uint8 internal constant XENT_GRAD = 12;
    uint8 internal constant MSE_LOSS = 13;
    uint8 internal constant MSE_GRAD = 14;
    uint8 internal constant LN_RSTD = 15;
    uint8 internal constant LN_APPLY = 16;
    uint8 internal constant LN_GRAD_STATS = 17;
    uint8 internal constant LN_GRAD_INPUT = 18;
    uint8 internal constant LN_GRAD_GAIN = 19;
    uint8 internal constant SGD = 20;
    uint8 internal constant MOMENTUM = 21;
    uint8 internal constant ADAM_M = 22;
    uint8 internal constant ADAM_V = 23;
    uint8 internal constant ADAM_UPDATE = 24;
    uint8 internal constant COPY = 25;
    uint8 internal constant EMBEDDING = 26;
    uint8 internal constant EMBEDDING_GRAD = 27;
    uint8 internal constant CAUSAL_MASK = 28;
    uint8 internal constant BATCH_GATHER = 29;
    uint8 internal constant GATHER_SUM = 30;
}
