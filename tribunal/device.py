"""Which torch device RepOps runs on: CUDA when present, else the CPU."""

from __future__ import annotations

import os

import torch


def pick_device(preferred: str | None = None) -> torch.device:
    """``preferred`` or ``$TRIBUNAL_DEVICE`` if set, else cuda:0 when available, else cpu."""
    choice = preferred or os.environ.get("TRIBUNAL_DEVICE")
    if choice:
        device = torch.device(choice)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {choice} requested but CUDA is not available on this machine")
        return device
    return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
