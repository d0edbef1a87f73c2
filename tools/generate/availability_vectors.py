"""Test vectors for availability challenges' chunks, shared bit for bit with the Solidity tests.

``python -m tools.generate.availability_vectors`` rewrites ``vectors/availability.json``;
``--check`` exits 1 if the file differs from what the code produces now. Each tensor case gives
a few of its chunks (the first two, the middle one, the last) with their data, chunk root and
proof up to the data root (`tribunal.availability`). Byte strings are ``0x``-prefixed lowercase
hex; masks, which may pass 2**53, are decimal strings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

import numpy as np

from tools.generate import VECTORS_DIR, Outputs, generator_main
from tribunal.availability import ChunkedTensor, chunk_mask
from tribunal.commitments import bind_shape, shape_word

VECTORS_PATH: Final[Path] = VECTORS_DIR / "availability.json"

SHAPES: Final[tuple[tuple[int, ...], ...]] = ((9,), (20, 30), (50, 100))
"""numel 9 (2 leaves), 600 (75 leaves), 5000 (625 leaves)."""
CHUNK_LEAVES: Final[tuple[int, ...]] = (1, 4, 64)
MASK_CASES: Final[tuple[tuple[int, ...], ...]] = (
    (0,),
    (3, 1, 2),
    (0, 255, 256),
    (5, 260, 261, 1000),
    tuple(range(0, 600, 7)),
)


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def tensor_values(numel: int) -> np.ndarray:
    """Element ``i`` = ``((i · 2654435761) mod 2^23 − 2^22) / 2^20``: exact in float32, signed,
    and the same on every numpy version (no random generator involved)."""
    index = np.arange(numel, dtype=np.int64)
    return (((index * 2654435761) % (1 << 23) - (1 << 22)) / (1 << 20)).astype(np.float32)


def _shown_chunks(count: int) -> list[int]:
    return sorted({0, 1, count // 2, count - 1} & set(range(count)))


def _case(shape: tuple[int, ...], chunk_leaves: int) -> dict[str, Any]:
    values = tensor_values(int(np.prod(shape))).reshape(shape)
    tensor = ChunkedTensor.from_tensor(values, chunk_leaves)
    return {
        "shape": list(shape),
        "numel": int(values.size),
        "shape_word": _hex(shape_word(shape)),
        "num_leaves": tensor.num_leaves,
        "chunk_leaves": chunk_leaves,
        "num_chunks": tensor.num_chunks,
        "height": tensor.height,
        "data_root": _hex(tensor.data_root),
        "tensor_root": _hex(bind_shape(tensor.data_root, shape)),
        "chunks": [
            {
                "chunk": chunk,
                "data": _hex(tensor.data(chunk)),
                "chunk_root": _hex(tensor.root(chunk)),
                "proof": [_hex(sibling) for sibling in tensor.proof(chunk)],
            }
            for chunk in _shown_chunks(tensor.num_chunks)
        ],
    }


def build_vectors() -> dict[str, Any]:
    return {
        "description": (
            "Availability challenge chunk vectors (docs/protocol.md, 'Availability challenges'); "
            "regenerate with `python -m tools.generate.availability_vectors`"
        ),
        "values_rule": "element i = float32(((i * 2654435761) mod 2^23 - 2^22) / 2^20), row-major",
        "tensors": [_case(shape, chunk_leaves) for shape in SHAPES for chunk_leaves in CHUNK_LEAVES],
        "masks": [
            {"chunks": list(chunks), "pairs": [[first, str(mask)] for first, mask in chunk_mask(chunks)]}
            for chunks in MASK_CASES
        ],
    }


def render_vectors() -> str:
    return json.dumps(build_vectors(), indent=2) + "\n"


def outputs() -> Outputs:
    return {VECTORS_PATH: render_vectors().encode()}


main = generator_main("tools.generate.availability_vectors", __doc__, outputs)

if __name__ == "__main__":
    sys.exit(main())
