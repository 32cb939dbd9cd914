"""`briefgen schedule install`: hand the ticking to cron or a systemd user timer.

Both call ``briefgen schedule tick`` every minute in the workspace; the tick decides what
is due, so the crontab line and the timer never need to know the schedules themselves.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from briefgen.config import Config
from briefgen.errors import BriefgenError


def _command() -> str:
    return f"{shlex.quote(sys.executable)} -m briefgen"


def _tag(config: Config) -> str:
    """A short stable name per workspace, so several workspaces can be installed side by side."""
    return hashlib.sha256(str(config.root.resolve()).encode()).hexdigest()[:8]


def cron_line(config: Config) -> str:
    root = shlex.quote(str(config.root.resolve()))
    log = shlex.quote(str(config.root.resolve() / ".briefgen" / "schedule.log"))
    return (
        f"* * * * * cd {root} && mkdir -p .briefgen && {_command()} schedule tick >> {log} 2>&1"
        f"  # briefgen:{_tag(config)}"
    )


def install_cron(line: str) -> str:
    """Add (or replace) this workspace's line in the user's crontab."""
    crontab = shutil.which("crontab")
    if crontab is None:
        raise BriefgenError("crontab is not installed; install cron, or use --systemd")
    marker = line.rsplit("# ", 1)[-1]
    current = subprocess.run([crontab, "-l"], capture_output=True, text=True, check=False)
    kept = [entry for entry in current.stdout.splitlines() if marker not in entry] if current.returncode == 0 else []
    result = subprocess.run([crontab, "-"], input="\n".join([*kept, line]) + "\n", text=True, capture_output=True)
    if result.returncode != 0:
        raise BriefgenError(f"crontab refused the new table: {result.stderr.strip()}")
    return f"installed in the crontab of user {os.environ.get('USER', 'current')}: {line}"


def systemd_units(config: Config) -> dict[str, str]:
    name = f"briefgen-schedule-{_tag(config)}"
    root = str(config.root.resolve())
    service = (
        "[Unit]\n"
        f"Description=briefgen scheduled editions for {root}\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"WorkingDirectory={root}\n"
        f"ExecStart={_command()} schedule tick\n"
    )
    timer = (
        "[Unit]\n"
        f"Description=Tick briefgen's schedules for {root} every minute\n\n"
        "[Timer]\n"
        "OnCalendar=*-*-* *:*:00\n"
        "AccuracySec=1s\n"
        "Persistent=true\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return {f"{name}.service": service, f"{name}.timer": timer}


def install_systemd(units: dict[str, str]) -> list[Path]:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "systemd" / "user"
    base.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in units.items():
        path = base / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
