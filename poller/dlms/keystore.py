"""DLMS key material at rest: AES-256-GCM under a key kept OUTSIDE the database.

The master key is 32 random octets in ``SMF_SECRET_KEY_FILE`` (default ``.smf/secret.key`` of
the checkout, created mode 0600 on first use). What the database holds
(smf_secret.dlms_key.secret) is nonce (12) || ciphertext || tag (16) of a small JSON document
({"password": hex} for LLS, {"ak": hex, "ek": hex} for HLS-GMAC), and ``key_id`` (the first 8
hex digits of SHA-256 of the master key) so that a wrong or replaced key file is named, not
mistaken for a wrong meter key. Secrets are never logged: :class:`Secrets` hides itself in repr.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = Path(__file__).resolve().parents[2]


class KeystoreError(Exception):
    """The master key is missing or another one, or a stored secret is damaged."""


@dataclass(frozen=True, slots=True)
class Secrets:
    password: bytes = b""  # LLS
    authentication_key: bytes = b""  # HLS-GMAC
    encryption_key: bytes = b""

    def __repr__(self) -> str:
        return "Secrets(***)"


def key_path() -> Path:
    return Path(os.environ.get("SMF_SECRET_KEY_FILE") or ROOT / ".smf" / "secret.key")


def master_key(create: bool = True) -> bytes:
    path = key_path()
    if not path.exists():
        if not create:
            raise KeystoreError(f"no secret key file {path} (SMF_SECRET_KEY_FILE)")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(32))
    key = path.read_bytes()
    if len(key) != 32:
        raise KeystoreError(f"secret key file {path} holds {len(key)} octets, 32 expected")
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def seal(secrets: Secrets) -> tuple[bytes, str]:
    """(stored bytes, key id)."""
    key = master_key()
    doc = {
        "password": secrets.password.hex(),
        "ak": secrets.authentication_key.hex(),
        "ek": secrets.encryption_key.hex(),
    }
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, json.dumps(doc).encode(), b"smf-dlms"), key_id(key)


def open_sealed(blob: bytes, stored_key_id: str) -> Secrets:
    key = master_key(create=False)
    if key_id(key) != stored_key_id:
        raise KeystoreError(
            f"the meter's keys were sealed under key {stored_key_id}, the key file "
            f"{key_path()} is {key_id(key)}: restore the original key file or re-enter the keys"
        )
    try:
        doc = json.loads(AESGCM(key).decrypt(blob[:12], blob[12:], b"smf-dlms"))
    except (InvalidTag, ValueError) as exc:
        raise KeystoreError(f"stored DLMS secret does not decrypt ({type(exc).__name__})") from None
    return Secrets(
        bytes.fromhex(doc["password"]), bytes.fromhex(doc["ak"]), bytes.fromhex(doc["ek"])
    )


def parse_key(text: str, what: str) -> bytes:
    """A 16-octet AES key written as 32 hex digits. Raises ValueError naming ``what``."""
    t = text.strip().replace(" ", "").replace(":", "")
    try:
        raw = bytes.fromhex(t)
    except ValueError:
        raise ValueError(f"{what}: 32 hexadecimal digits expected") from None
    if len(raw) != 16:
        raise ValueError(f"{what}: 16 octets (32 hex digits) expected, got {len(raw)}")
    return raw
