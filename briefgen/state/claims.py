"""Who holds a claim, and whether it is still alive: owners, pids, leases."""

from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path

from briefgen.state.store import StateError

__all__ = ["LEASE_SECONDS", "ClaimLost", "lease_seconds"]


#: A claim whose lease ran out is stale even if its owner seems alive (a stopped process, pid
#: reuse, another host). A live run renews its leases every third of this.
LEASE_SECONDS = 15 * 60


#: Overrides :data:`LEASE_SECONDS` (and ``[mail] lease``), e.g. short leases in tests.
LEASE_VARIABLE = "BRIEFGEN_LEASE_SECONDS"


class ClaimLost(Exception):
    """This run's claim was taken over (its lease ran out): it must not send the final "."."""


def lease_seconds(default: float | None = None) -> float:
    """The lease length: ``BRIEFGEN_LEASE_SECONDS`` if set, else ``default`` or 15 minutes."""
    value = os.environ.get(LEASE_VARIABLE, "").strip()
    if value:
        try:
            seconds = float(value)
        except ValueError:
            raise StateError(f"{LEASE_VARIABLE}={value!r}: expected a number of seconds") from None
        if seconds > 0:
            return seconds
    return default or LEASE_SECONDS


def start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), which tells a pid that
    was reused from the one that made a claim; "" where /proc is unavailable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 and fields[0] != "Z" else "zombie"


def make_owner() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}|{pid}|{start_time(pid)}|{uuid.uuid4().hex[:12]}"


def owner_alive(
    owner: str | None, touched: float, *, me: str, now: float | None = None, lease: float | None = None
) -> bool:
    """Whether the run that wrote ``owner`` (last sign of life at ``touched``) may still be
    working on its claim."""
    if owner is None:
        return False
    if owner == me:
        return True
    if (now or time.time()) - touched > (lease or lease_seconds()):
        return False
    return process_alive(owner, me=me)


def process_alive(owner: str | None, *, me: str) -> bool:
    if owner is None:
        return False
    if owner == me:
        return True
    try:
        host, pid_text, started, _token = owner.split("|")
        pid = int(pid_text)
    except ValueError:
        return True  # not ours to judge: wait for the lease
    if host != socket.gethostname():
        return True
    if pid == os.getpid():
        return False  # an earlier run in this process, which has returned
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's live process
    now_started = start_time(pid)
    return not (now_started == "zombie" or (started and now_started and now_started != started))
