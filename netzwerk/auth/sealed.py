"""Secrets the application must read back (the TOTP secret), encrypted at rest.

AES-256-GCM with a key derived (HKDF-SHA256) from the application's secret
key, one random nonce per value, and the value's place (``context``, e.g.
``"user:42:totp"``) as associated data: a sealed value copied into another
row does not open there.  Stored as ``v1:`` and the URL-safe base64 of
nonce, ciphertext and tag.

A database dump alone no longer reveals the secrets; whoever has the secret
key as well can open them.  Rotating the key: put the old one in
``SECRET_KEY_FALLBACKS``; values sealed with it still open, and are sealed
again with the new key when next used.  The migration ``d20d4e5f6a7b``
sealed the secrets stored in plain text before (it keeps its own copy of
these few lines, as migrations do).
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "v1:"
_INFO = b"netzwerk.auth.sealed.v1"
_NONCE_BYTES = 12
_CACHE_KEY = "netzwerk.sealed_keys"


class SealError(ValueError):
    """A sealed value does not open with any of the application's keys."""


def derive_key(secret_key: str | bytes) -> bytes:
    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material)


def _keys() -> list[bytes]:
    """The current key first, then those of SECRET_KEY_FALLBACKS."""
    config = current_app.config
    secret_keys = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or ())]
    cache = current_app.extensions.setdefault(_CACHE_KEY, {})
    marker = tuple(secret_keys)
    if cache.get("marker") != marker:
        cache["marker"], cache["keys"] = marker, [derive_key(s) for s in secret_keys if s]
    return list(cache["keys"])


def seal(plaintext: str, context: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_keys()[0]).encrypt(nonce, plaintext.encode(), context.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(value: str, context: str) -> tuple[str, bool]:
    """The plaintext, and whether it was sealed with an older key (then the
    caller seals it again).  Raises SealError."""
    if not value.startswith(PREFIX):
        raise SealError("not a sealed value")
    try:
        raw = base64.urlsafe_b64decode(value[len(PREFIX) :].encode())
    except (binascii.Error, ValueError):
        raise SealError("not a sealed value") from None
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    for index, key in enumerate(_keys()):
        try:
            plain = AESGCM(key).decrypt(nonce, sealed, context.encode())
        except (InvalidTag, ValueError):
            continue
        return plain.decode(), index > 0
    raise SealError("the value does not open with the secret key (or its fallbacks)")
