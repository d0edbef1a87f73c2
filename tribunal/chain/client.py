"""A web3.py 7 client that signs locally with eth-account and names every revert."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from eth_typing import ChecksumAddress, HexStr
from web3 import HTTPProvider, Web3
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.types import Nonce, TxParams, TxReceipt, Wei

from tribunal.chain.errors import ContractRevert, UnknownRevert, decode_revert
from tribunal.chain.errors import revert_data_from_exception as _revert_data
from tribunal.chain.keys import Signer

log = logging.getLogger(__name__)
T = TypeVar("T")


class TransactionFailed(Exception):
    """A mined transaction has status 0 (it reverted after estimation succeeded)."""


class RpcUnavailable(ConnectionError):
    """The RPC endpoint did not answer after every retry."""


@dataclass(frozen=True)
class Sent:
    """A mined transaction: its hash, receipt and the ETH it cost in gas (wei)."""

    tx_hash: str
    receipt: TxReceipt

    @property
    def gas_used(self) -> int:
        return int(self.receipt["gasUsed"])

    @property
    def fee_wei(self) -> int:
        return int(self.receipt["gasUsed"]) * int(self.receipt["effectiveGasPrice"])

    @property
    def contract_address(self) -> ChecksumAddress:
        """The address of the contract this transaction deployed."""
        address = self.receipt["contractAddress"]
        if address is None:
            raise TransactionFailed(f"transaction {self.tx_hash} deployed no contract")
        return address


def connect(rpc_url: str, timeout_s: float = 30.0) -> Web3:
    return Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s}))


def with_rpc_retry(fn: Callable[[], T], attempts: int = 5, first_delay_s: float = 0.5) -> T:
    """Retry an RPC call on connection failures with exponential backoff."""
    delay = first_delay_s
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except (requests.ConnectionError, requests.Timeout, ConnectionError) as exc:
            if attempt == attempts:
                raise RpcUnavailable(f"RPC unreachable after {attempts} attempts: {exc}") from exc
            log.warning("RPC call failed (%s); retry %d/%d in %.1fs", exc, attempt, attempts, delay)
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


class ChainClient:
    """One signer on one chain. Owns the signer's nonce (one client per key)."""

    def __init__(self, w3: Web3, signer: Signer | None, receipt_timeout_s: float = 120.0) -> None:
        self.w3 = w3
        self.signer = signer
        self.receipt_timeout_s = receipt_timeout_s
        self._nonce: int | None = None
        self._lock = threading.Lock()

    @property
    def address(self) -> ChecksumAddress:
        if self.signer is None:
            raise ValueError("this client is read-only: configure a key to send transactions")
        return self.signer.address

    @property
    def chain_id(self) -> int:
        return with_rpc_retry(lambda: self.w3.eth.chain_id)

    def balance(self, address: str) -> int:
        return with_rpc_retry(lambda: self.w3.eth.get_balance(Web3.to_checksum_address(address)))

    def call(self, fn: ContractFunction, context: str = "") -> Any:
        """A read-only call; custom errors come back as `ContractRevert`."""
        try:
            return with_rpc_retry(lambda: fn.call())
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            raise self._named(exc, context) from exc

    def transact(
        self, fn: ContractFunction | ContractConstructor, value: int = 0, context: str = ""
    ) -> Sent:
        """Estimate (naming any revert), sign, send and wait for the receipt."""
        sender = self.address
        # Estimated with the fees it is sent with: a contract may read the gas price (an availability
        # delivery reimburses its gas from the challenger's bond), and at price 0 it would take
        # another path and the estimate would fall short.
        params: TxParams = {"from": sender, "value": Wei(value), **self._fees()}
        try:
            # Against the pending block: the transaction lands in the next block, and a time-gated
            # action (finalize after a window, a clock timeout) must be judged at that block's time,
            # not at the last block's (an idle devnet mines no blocks between transactions).
            gas = with_rpc_retry(lambda: fn.estimate_gas(params, block_identifier="pending"))
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            raise self._named(exc, context) from exc
        with self._lock:
            tx = fn.build_transaction(
                {
                    **params,
                    "gas": int(gas * 1.2) + 10_000,
                    "nonce": Nonce(self._next_nonce()),
                    "chainId": self.chain_id,
                }
            )
            tx_hash = self._send_signed(tx)
        return self._wait(tx_hash, context)

    def send_value(self, to: str, value: int) -> Sent:
        with self._lock:
            tx: TxParams = {
                "from": self.address,
                "to": Web3.to_checksum_address(to),
                "value": Wei(value),
                "gas": 21_000,
                "nonce": Nonce(self._next_nonce()),
                "chainId": self.chain_id,
                **self._fees(),
            }
            tx_hash = self._send_signed(tx)
        return self._wait(tx_hash, "transfer")

    def deploy(self, abi: list[dict[str, Any]], bytecode: str, *args: Any, context: str = "") -> Sent:
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        return self.transact(factory.constructor(*args), context=context or "deploy")

    def reset_nonce(self) -> None:
        """Forget the local nonce: the next send reads it from the chain (after a transaction was
        dropped or replaced, or its receipt never came)."""
        with self._lock:
            self._nonce = None

    def _fees(self) -> TxParams:
        block = with_rpc_retry(lambda: self.w3.eth.get_block("latest"))
        base = int(block.get("baseFeePerGas", 0) or 0)
        tip = with_rpc_retry(lambda: self.w3.eth.max_priority_fee)
        return {"maxFeePerGas": Wei(base * 2 + tip), "maxPriorityFeePerGas": tip}

    def _next_nonce(self) -> int:
        chain_nonce = with_rpc_retry(
            lambda: self.w3.eth.get_transaction_count(self.address, "pending")
        )
        # INVARIANT: never reuse a nonce we already used; follow the chain if it moved past us.
        self._nonce = chain_nonce if self._nonce is None else max(self._nonce, chain_nonce)
        nonce = self._nonce
        self._nonce += 1
        return nonce

    def _send_signed(self, tx: Mapping[str, Any]) -> str:
        assert self.signer is not None
        # web3 builds a TxParams TypedDict; eth-account signs a plain dict of the same keys
        signed = self.signer.account.sign_transaction(dict(tx))
        try:
            sent = with_rpc_retry(lambda: self.w3.eth.send_raw_transaction(signed.raw_transaction))
            return sent.to_0x_hex()
        except Exception:
            self._nonce = None  # resynchronise from the chain on the next send
            raise

    def _wait(self, tx_hash: str, context: str) -> Sent:
        receipt = with_rpc_retry(
            lambda: self.w3.eth.wait_for_transaction_receipt(HexStr(tx_hash), timeout=self.receipt_timeout_s)
        )
        if receipt["status"] != 1:
            raise TransactionFailed(f"{context or 'transaction'} {tx_hash} reverted when mined")
        return Sent(tx_hash=tx_hash, receipt=receipt)

    @staticmethod
    def _named(exc: BaseException, context: str) -> ContractRevert | UnknownRevert:
        data = _revert_data(exc)
        if data is None:
            return UnknownRevert(f"{context}: {exc}" if context else str(exc))
        return decode_revert(data, context)
