"""DLMS security suite 0 (AES-GCM-128) for HLS-GMAC association and ciphered xDLMS APDUs.

* Ciphered APDU (general-glo): tag | A-XDR length | SC | IC (4) | ciphertext | tag (12), with
  SC (security control) 0x30 = authenticated and encrypted, suite 0. IV = system title (8) ||
  IC (4); additional authenticated data = SC || AK. The sender's system title and counter are
  used: ours for what we send, the meter's (from the AARE) for what it sends.
* HLS-GMAC (mechanism 5) pass 3/4: f(challenge) = SC 0x10 || IC || GMAC, where GMAC is the
  12-octet GCM tag over no plaintext with AAD = 0x10 || AK || challenge.

The invocation counter must only grow (the meter refuses a counter it has seen); the poller
reserves a block of counters in the database before each session (smf_secret.dlms_key).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .axdr import decode_length, encode_length
from .errors import AuthenticationError, DlmsDecodeError

SC_AUTH_ENC = 0x30
SC_AUTH = 0x10
TAG_LEN = 12

#: plain tag -> glo (ciphered) tag
GLO = {
    0x01: 0x21,
    0x08: 0x28,
    0xC0: 0xC8,
    0xC1: 0xC9,
    0xC3: 0xCB,
    0xC4: 0xCC,
    0xC5: 0xCD,
    0xC7: 0xCF,
}
PLAIN = {v: k for k, v in GLO.items()}


@dataclass(frozen=True, slots=True)
class Keys:
    """Key material of a HLS-GMAC meter (16-octet AES-128 keys). Never logged: repr hides it."""

    authentication: bytes
    encryption: bytes

    def __post_init__(self) -> None:
        for name, k in (("authentication", self.authentication), ("encryption", self.encryption)):
            if len(k) != 16:
                raise ValueError(f"the {name} key must be 16 octets (AES-128), got {len(k)}")

    def __repr__(self) -> str:
        return "Keys(***)"


def _gcm_encrypt(key: bytes, iv: bytes, aad: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
    enc = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(aad)
    ct = enc.update(plaintext) + enc.finalize()
    return ct, enc.tag[:TAG_LEN]


def _gcm_decrypt(key: bytes, iv: bytes, aad: bytes, ciphertext: bytes, tag: bytes) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.GCM(iv, tag, min_tag_length=TAG_LEN)).decryptor()
    dec.authenticate_additional_data(aad)
    return dec.update(ciphertext) + dec.finalize()


def gmac(keys: Keys, system_title: bytes, counter: int, challenge: bytes) -> bytes:
    """f(challenge) = 0x10 || IC || GMAC tag (17 octets)."""
    iv = system_title + counter.to_bytes(4, "big")
    _, tag = _gcm_encrypt(
        keys.encryption, iv, bytes((SC_AUTH,)) + keys.authentication + challenge, b""
    )
    return bytes((SC_AUTH,)) + counter.to_bytes(4, "big") + tag


def verify_gmac(keys: Keys, system_title: bytes, answer: bytes, challenge: bytes) -> None:
    """Raise AuthenticationError unless ``answer`` is f(challenge) under the meter's title."""
    if len(answer) != 5 + TAG_LEN or answer[0] != SC_AUTH:
        raise AuthenticationError(f"HLS answer of {len(answer)} octets is not SC || IC || GMAC")
    expected = gmac(keys, system_title, int.from_bytes(answer[1:5], "big"), challenge)
    if expected != answer:
        raise AuthenticationError("the meter's HLS-GMAC answer does not verify (wrong key?)")


def cipher(keys: Keys, system_title: bytes, counter: int, apdu: bytes) -> bytes:
    """A plain xDLMS APDU → its glo-ciphered form (authenticated and encrypted)."""
    glo = GLO.get(apdu[0])
    if glo is None:
        raise ValueError(f"no ciphered form for APDU tag 0x{apdu[0]:02X}")
    iv = system_title + counter.to_bytes(4, "big")
    ct, tag = _gcm_encrypt(keys.encryption, iv, bytes((SC_AUTH_ENC,)) + keys.authentication, apdu)
    body = bytes((SC_AUTH_ENC,)) + counter.to_bytes(4, "big") + ct + tag
    return bytes((glo,)) + encode_length(len(body)) + body


def decipher(keys: Keys, system_title: bytes, apdu: bytes) -> tuple[bytes, int]:
    """A glo-ciphered APDU → (plain APDU, the sender's invocation counter). Raises
    AuthenticationError when the tag does not verify, DlmsDecodeError when malformed."""
    if apdu[0] not in PLAIN:
        raise DlmsDecodeError(f"APDU tag 0x{apdu[0]:02X} is not a ciphered (glo) APDU")
    n, pos = decode_length(apdu, 1)
    body = apdu[pos : pos + n]
    if len(body) != n or n < 5 + TAG_LEN:
        raise DlmsDecodeError("ciphered APDU shorter than its header and tag")
    sc, counter = body[0], int.from_bytes(body[1:5], "big")
    if sc != SC_AUTH_ENC:
        raise DlmsDecodeError(f"security control 0x{sc:02X}: only 0x30 (suite 0) is supported")
    iv = system_title + body[1:5]
    try:
        plain = _gcm_decrypt(
            keys.encryption,
            iv,
            bytes((sc,)) + keys.authentication,
            body[5:-TAG_LEN],
            body[-TAG_LEN:],
        )
    except Exception as exc:  # cryptography raises InvalidTag
        raise AuthenticationError(
            f"ciphered APDU does not authenticate ({type(exc).__name__})"
        ) from None
    return plain, counter
