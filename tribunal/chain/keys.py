"""Signing keys: from an encrypted keystore file or an environment variable, never logged."""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

PRIVATE_KEY_ENV = "TRIBUNAL_PRIVATE_KEY"
KEYSTORE_ENV = "TRIBUNAL_KEYSTORE"
KEYSTORE_PASSWORD_ENV = "TRIBUNAL_KEYSTORE_PASSWORD"


class KeyConfigError(ValueError):
    """No usable key was configured; the message says how to provide one."""


@dataclass(frozen=True)
class Signer:
    """An account that signs transactions. Its repr shows the address only."""

    account: LocalAccount = field(repr=False)

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    def __repr__(self) -> str:
        return f"Signer({self.address})"

    __str__ = __repr__


def signer_from_private_key(private_key: str) -> Signer:
    try:
        return Signer(Account.from_key(private_key))
    except (ValueError, TypeError) as exc:
        raise KeyConfigError(
            "the private key is not a 32-byte hex string (0x followed by 64 hex digits)"
        ) from exc


def signer_from_keystore(path: Path, password: str | None = None, prompt: bool = True) -> Signer:
    """Decrypt an eth-account (web3 secret storage) keystore file; ``prompt=False`` never asks for the
    password (a service or a check has nobody to answer)."""
    if not path.exists():
        raise KeyConfigError(f"keystore file {path} does not exist")
    try:
        encrypted = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise KeyConfigError(f"keystore file {path} is not JSON") from exc
    if password is None:
        password = os.environ.get(KEYSTORE_PASSWORD_ENV)
    if password is None and not prompt:
        raise KeyConfigError(f"keystore file {path} needs its password in ${KEYSTORE_PASSWORD_ENV} "
                             "(a service cannot answer a prompt)")
    if password is None:
        password = getpass.getpass(f"password for {path}: ")
    try:
        key = Account.decrypt(encrypted, password)
    except ValueError as exc:
        raise KeyConfigError(f"could not decrypt {path}: wrong password or corrupt keystore") from exc
    return Signer(Account.from_key(key))


def write_keystore(signer: Signer, path: Path, password: str) -> None:
    """Encrypt the signer's key into ``path`` (mode 0600)."""
    encrypted = Account.encrypt(signer.account.key, password)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(encrypted, fh)


def load_signer(keystore: Path | None = None, private_key: str | None = None, prompt: bool = True) -> Signer:
    """Pick the key: explicit keystore, explicit key, then the environment variables."""
    if keystore is not None:
        return signer_from_keystore(keystore, prompt=prompt)
    if private_key:
        return signer_from_private_key(private_key)
    if env_keystore := os.environ.get(KEYSTORE_ENV):
        return signer_from_keystore(Path(env_keystore), prompt=prompt)
    if env_key := os.environ.get(PRIVATE_KEY_ENV):
        return signer_from_private_key(env_key)
    raise KeyConfigError(
        f"no key configured: pass --keystore FILE (password in ${KEYSTORE_PASSWORD_ENV} or "
        f"prompted) or set ${PRIVATE_KEY_ENV}"
    )
