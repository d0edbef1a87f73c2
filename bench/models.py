"""Model configurations the benchmarks share."""

from __future__ import annotations

from tribunal.spec import TransformerConfig

TRANSFORMER_10M = TransformerConfig(context=16, d_model=384, heads=6, d_ff=1536, layers=6)
"""Issue 13 §4's model of a real size: 10,656,784 parameters (6 pre-norm blocks, d = 384, 6 heads)
on the char_copy tokens."""
