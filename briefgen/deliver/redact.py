"""Secrets never reach output: every form a password takes on the wire, blotted out of replies."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["redact"]


def auth_forms(username: str | None, password: str | None) -> list[str]:
    """What an SMTP login puts on the wire that gives the password away: the password itself
    (AUTH LOGIN sends it alone, base64'd) and the AUTH PLAIN string ``[authzid]\\0user\\0password``."""
    if not password:
        return []
    forms = [password]
    if username:
        forms += [f"\0{username}\0{password}", f"{username}\0{username}\0{password}"]
    return forms


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")


def _encodings(secret: str) -> list[str]:
    """base64 of ``secret`` at each of the three alignments it can have inside a longer
    encoded string, without padding: any piece of an encoded secret is a substring of one."""
    import base64

    data = secret.encode()
    out = []
    for shift, lead in ((0, 0), (1, 2), (2, 3)):  # characters that mix in the bytes before it
        encoded = base64.b64encode(b"\0" * shift + data).decode().rstrip("=")
        tail = 1 if (shift + len(data)) % 3 else 0  # the last character mixes with what follows
        out.append(encoded[lead : len(encoded) - tail])
    return out


def _decodes_to_secret(token: str, secrets: Sequence[str]) -> bool:
    import base64
    import binascii

    body = token.rstrip("=")
    for skip in range(4):
        piece = body[skip:]
        piece = piece[: len(piece) - len(piece) % 4] if len(piece) % 4 == 1 else piece
        try:
            decoded = base64.b64decode(piece + "=" * (-len(piece) % 4))
        except (binascii.Error, ValueError):
            continue
        if any(s.encode() in decoded for s in secrets if len(s) >= 4):
            return True
    return False


def redact(text: str, secrets: Sequence[str], *, encoded_only: Sequence[str] = ()) -> str:
    """``text`` with every secret blotted out: as itself, base64'd (as AUTH sends it), and any
    piece of 8 or more base64 characters of such an encoding (a reply that echoes part of an
    AUTH line, or wraps it over lines). ``encoded_only``: strings to blot out only in base64
    (a login name is no secret, its base64 in an AUTH LOGIN echo is part of the exchange)."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return text
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "********")
    encodings = [e for s in [*secrets, *(u for u in encoded_only if u)] for e in _encodings(s) if e]

    def scrub(match: re.Match[str]) -> str:
        token = match[0]
        core = token.rstrip("=")
        if any(core in e for e in encodings) or _decodes_to_secret(token, secrets):
            return "********"
        return token

    return _BASE64_RUN.sub(scrub, text)
