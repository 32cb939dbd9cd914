"""``briefgen worker``: run the editions schedulers queue, each through the same claim a tick takes.

Kept apart from :mod:`briefgen.schedule.tasks` (the queue side a tick uses to defer jobs), so
that deferring a job never imports what the job runs, and running one never imports the queue
side's caller.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from briefgen.config import Config, load_config
from briefgen.schedule.tasks import QUEUE, TASK, ensure_schema, make_app, stalled_seconds
from briefgen.schedule.tick import run_due

__all__ = ["run_worker"]


def run_worker(config: Config, *, concurrency: int = 1, wait: bool = True, name: str | None = None) -> None:
    """Run jobs until stopped (SIGINT/SIGTERM), or, without ``wait``, until the queue is empty."""
    ensure_schema(config)
    app = make_app(config)

    @app.task(name=TASK, queue=QUEUE)
    def run_edition(root: str, schedule: str, due: str) -> str:
        return run_due(load_config(Path(root)), schedule, due)

    heartbeat = max(0.5, stalled_seconds() / 3)
    options: dict[str, Any] = {
        "queues": [QUEUE],
        "concurrency": concurrency,
        "wait": wait,
        "name": name,
        "update_heartbeat_interval": heartbeat,
        "stalled_worker_timeout": stalled_seconds(),
        "fetch_job_polling_interval": 1.0,
        "delete_jobs": "successful",
    }
    app.run_worker(**options)
