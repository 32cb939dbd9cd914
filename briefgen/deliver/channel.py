"""What every channel shares: the envelope, the channel protocol, delivery errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["DeliveryError", "Envelope", "Transport"]


Kind = Literal["transient", "permanent", "uncertain"]


class DeliveryError(Exception):
    def __init__(self, detail: str, kind: Kind, *, fatal: bool = False, code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.kind = kind
        self.fatal = fatal
        self.code = code
        #: Raised while connecting: the next recipient would fare no better.
        self.connecting = False


@dataclass(frozen=True)
class Envelope:
    sender: str  # a bare address, for MAIL FROM
    recipient: str  # a bare address, for RCPT TO
    brief_id: str


class Transport(Protocol):
    channel: str
    #: Where messages go, for the ledger and the summary (never with credentials).
    destination: str
    #: Delivering the same message twice leaves one copy (the outbox overwrites its file).
    replayable: bool

    def deliver(self, envelope: Envelope, data: bytes, ready: Callable[[], None]) -> str:
        """Deliver ``data``; call ``ready()`` just before the point of no return; return the
        server's reply (or where the message went)."""
        ...

    def scrub(self, text: str) -> str:
        """``text`` (a server's reply, an error) with the credentials blotted out, in any encoding."""
        ...

    def close(self) -> None: ...
