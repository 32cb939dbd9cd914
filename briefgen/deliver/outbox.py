"""The outbox channel: one ``.eml`` file per message, for review or when no server is set."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from briefgen.builds.write import atomic_write
from briefgen.deliver.channel import DeliveryError, Envelope

__all__ = ["Outbox"]


class Outbox:
    """Messages written as ``<outbox>/<brief id>/<recipient>.eml``, one file per message."""

    channel = "outbox"
    replayable = True

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.destination = str(folder)

    def path_for(self, envelope: Envelope) -> Path:
        safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", envelope.recipient)
        return self.folder / envelope.brief_id / f"{safe}.eml"

    def deliver(self, envelope: Envelope, data: bytes, ready: Callable[[], None]) -> str:
        path = self.path_for(envelope)
        ready()
        try:
            atomic_write(path, data)
        except OSError as exc:
            raise DeliveryError(f"cannot write {path}: {exc.strerror}", "permanent", fatal=True) from None
        return f"written to {path}"

    def scrub(self, text: str) -> str:
        return text

    def close(self) -> None:
        pass
