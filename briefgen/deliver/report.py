"""What a send did, recipient by recipient: the report every channel and caller reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Delivery", "Outcome", "SendReport"]


Outcome = Literal["sent", "failed", "uncertain", "delivered", "busy", "planned", "withheld", "tested"]


@dataclass
class Delivery:
    """What happened (or, in a dry run, would happen) for one brief and one recipient."""

    brief_id: str
    recipient: str
    name: str
    format: str
    outcome: Outcome
    detail: str = ""
    subject: str = ""
    attachment: str | None = None
    size: int = 0
    attempts: int = 0
    message_id: str = ""
    #: The release level of the variant sent (None: the brief carries no release markings).
    variant: str | None = None
    #: The bytes sent (kept for the archive), empty unless sent.
    data: bytes = field(default=b"", repr=False)

    @property
    def problem(self) -> bool:
        return self.outcome in ("failed", "uncertain")


@dataclass
class SendReport:
    channel: str
    destination: str
    dry_run: bool
    deliveries: list[Delivery] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: Outcome) -> int:
        return sum(d.outcome == outcome for d in self.deliveries)

    @property
    def problems(self) -> list[Delivery]:
        """Recipients who did not (or may not have) received their brief: non-zero exit."""
        return [d for d in self.deliveries if d.problem]
