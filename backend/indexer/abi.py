"""Decode raw logs with the contracts' ABIs (from `tribunal.chain.artifacts`).

Static argument types are sliced straight out of the hex data (the hot path); anything dynamic
(strings, bytes, arrays, tuples) goes through eth_abi.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak

# uints wider than this are JSON strings (a JavaScript number keeps 53 bits)
JSON_SAFE_BITS = 53


def _canonical_type(entry: dict[str, Any]) -> str:
    kind = entry["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in entry["components"])
        return f"({inner}){kind[5:]}"
    return kind


def _is_static_word(kind: str) -> bool:
    return (
        kind.startswith(("uint", "int", "bytes")) and kind not in ("bytes",) and "[" not in kind
    ) or kind in ("address", "bool")


def _bits(kind: str) -> int:
    digits = kind[4:] if kind.startswith("uint") else kind[3:]
    return int(digits) if digits else 256


def _wide(kind: str) -> bool:
    return kind.startswith(("uint", "int")) and "[" not in kind and _bits(kind) > JSON_SAFE_BITS


def _word_decoder(kind: str) -> Any:
    if kind == "address":
        return lambda word: "0x" + word[24:]
    if kind == "bool":
        return lambda word: int(word, 16) != 0
    if kind.startswith("uint"):
        return lambda word: int(word, 16)
    if kind.startswith("int"):
        # intN is sign-extended to 256 bits in logs, so 256-bit two's complement covers every N
        def signed(word: str) -> int:
            value = int(word, 16)
            return value - (1 << 256) if value >> 255 else value

        return signed
    if kind.startswith("bytes"):
        size = int(kind[5:])
        return lambda word: "0x" + word[: size * 2]
    raise ValueError(f"not a one-word type: {kind}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


def _dynamic_bytes(kind: str) -> Any:
    """Decoder of a top-level `string` or `bytes` from the whole data hex and its offset word."""

    def decode(body: str, word: str) -> Any:
        start = int(word, 16) * 2
        length = int(body[start : start + 64], 16)
        raw = body[start + 64 : start + 64 + 2 * length]
        return bytes.fromhex(raw).decode("utf-8", errors="replace") if kind == "string" else "0x" + raw

    return decode


WordDecoder = Callable[[str], Any]
"""Decodes one 32-byte word (64 hex digits)."""
DataDecoder = Callable[[str, str], Any]
"""Decodes a top-level string or bytes from the whole data (hex) and its offset word."""


@dataclass(frozen=True)
class EventSpec:
    """One event of one contract, ready to decode its logs."""

    contract: str
    name: str
    signature: str
    topic0: str
    indexed: tuple[tuple[str, str], ...]
    data: tuple[tuple[str, str], ...]
    wide: frozenset[str]
    _topics: tuple[tuple[str, WordDecoder], ...] = field(init=False, repr=False, compare=False)
    _words: tuple[tuple[str, WordDecoder | None, DataDecoder | None], ...] | None = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # Decoding plans, computed once: (name, decoder) per topic, and per head word of the data
        # (one-word types, and top-level strings/bytes through their offset). Anything else (arrays,
        # tuples) is left to eth_abi.
        topics = tuple(
            (name, _DECODERS[kind] if _is_static_word(kind) else (lambda word: "0x" + word))
            for name, kind in self.indexed
        )
        simple = all(_is_static_word(kind) or kind in ("string", "bytes") for _, kind in self.data)
        words = (
            tuple(
                (
                    name,
                    _DECODERS[kind] if _is_static_word(kind) else None,
                    None if _is_static_word(kind) else _dynamic_bytes(kind),
                )
                for name, kind in self.data
            )
            if simple
            else None
        )
        object.__setattr__(self, "_topics", topics)
        object.__setattr__(self, "_words", words)

    def decode(self, topics: list[str], data: str) -> dict[str, Any]:
        """Arguments by name; uints as ints, addresses lowercase, bytesN as 0x-hex."""
        plan = self._topics
        if len(topics) != len(plan) + 1:
            raise ValueError(
                f"{self.contract}.{self.name} expects {len(plan)} indexed topics, got {len(topics) - 1}"
            )
        args = {name: decode(topic[2:]) for (name, decode), topic in zip(plan, topics[1:], strict=True)}
        body = data[2:]
        words = self._words
        if words is not None:
            for i, (name, static, dynamic) in enumerate(words):
                word = body[64 * i : 64 * i + 64]
                if static is not None:
                    args[name] = static(word)
                else:
                    assert dynamic is not None  # INVARIANT: every word has one of the two decoders
                    args[name] = dynamic(body, word)
        elif self.data:
            values = abi_decode([kind for _, kind in self.data], bytes.fromhex(body))
            for (name, _), value in zip(self.data, values, strict=True):
                args[name] = _jsonable(value)
        return args

    def to_json(self, args: dict[str, Any]) -> dict[str, Any]:
        """The stored form: wide integers as decimal strings."""
        if not self.wide:
            return args
        wide = self.wide
        return {k: (str(v) if k in wide else v) for k, v in args.items()}


class _Decoders(dict[str, Any]):
    def __missing__(self, kind: str) -> Any:
        decoder = _word_decoder(kind)
        self[kind] = decoder
        return decoder


_DECODERS = _Decoders()


def event_specs(contract: str, abi: Iterable[dict[str, Any]]) -> list[EventSpec]:
    specs = []
    for entry in abi:
        if entry.get("type") != "event" or entry.get("anonymous"):
            continue
        inputs = entry.get("inputs", [])
        types = [_canonical_type(i) for i in inputs]
        signature = f"{entry['name']}({','.join(types)})"
        names = [i.get("name") or f"arg{n}" for n, i in enumerate(inputs)]
        indexed = tuple((n, t) for n, t, i in zip(names, types, inputs, strict=True) if i.get("indexed"))
        data = tuple((n, t) for n, t, i in zip(names, types, inputs, strict=True) if not i.get("indexed"))
        specs.append(
            EventSpec(
                contract=contract,
                name=entry["name"],
                signature=signature,
                topic0="0x" + keccak(text=signature).hex(),
                indexed=indexed,
                data=data,
                wide=frozenset(n for n, t in zip(names, types, strict=True) if _wide(t)),
            )
        )
    return specs
