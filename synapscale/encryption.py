"""Encryption at rest for secrets the platform must use again (workflow credentials).

Fernet tokens (AES-128-CBC + HMAC-SHA256, with a timestamp) under a MultiFernet built from
``CREDENTIALS_ENCRYPTION_KEYS``: the first key encrypts, every key decrypts, so a new key is
put first, ``manage.py credentials_rotate_key`` re-encrypts every row with it, and the old
key can then be removed. Local and test settings keep a generated key under ``.data/``;
production settings refuse to start without the variable.
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_FILE_NAME = "credentials-encryption.key"


class DecryptionFailed(Exception):
    """A stored token does not decrypt with any configured key (a key was removed too soon)."""


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("CREDENTIALS_ENCRYPTION_KEYS is empty (see README).")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        # Fernet's message says what is wrong with the key, never the key itself.
        raise ImproperlyConfigured(f"CREDENTIALS_ENCRYPTION_KEYS: {exc}") from None


def check_keys(keys: list[str]) -> None:
    """Raise ImproperlyConfigured unless every key is a valid Fernet key (at start-up)."""
    _multi_fernet(tuple(keys))


def _fernet() -> MultiFernet:
    return _multi_fernet(tuple(settings.CREDENTIALS_ENCRYPTION_KEYS))


def encrypt_text(plaintext: str) -> str:
    """Encrypt text with the first configured key; return the Fernet token as text."""
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt_text(token: str) -> str:
    """Decrypt a token made by encrypt_text with any configured key."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise DecryptionFailed("No configured key decrypts this secret.") from None


def reencrypt_text(token: str) -> str:
    """Return the token encrypted again with the first key (MultiFernet.rotate)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionFailed("No configured key decrypts this secret.") from None


def generate_key() -> str:
    """Return a new random Fernet key (32 bytes, URL-safe base64)."""
    return Fernet.generate_key().decode("ascii")


def development_keys(data_dir: Path) -> list[str]:
    """Return the key kept under data_dir, creating it (mode 0600) on first use.

    Local and test settings only: every process of a checkout (web, worker, manage.py)
    reads the same file, so what one encrypted the others decrypt.
    """
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: of two processes starting together, one writes and the other reads.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(generate_key() + "\n")
    # A reader that opened the file between its creation and its write finds it empty.
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return [key]
        time.sleep(0.01)
    raise ImproperlyConfigured(f"{path} is empty; delete it to generate a new key.")
