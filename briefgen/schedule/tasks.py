"""Due runs as tasks on procrastinate (PostgreSQL's own job queue: no second server).

With ``[state] queue = true`` a scheduler does not run an edition itself: it defers a
``briefgen.run_edition`` job (one per schedule and edition: a queueing lock keeps a second
scheduler from queueing it twice), and ``briefgen worker`` processes run them. procrastinate
is at-least-once (a job whose worker died is run again); exactly-once comes from the state
store, as it does for one machine: the job claims the run (schedule, edition) before building,
and the ledger claims each recipient, with the same Message-ID on every attempt.

Why procrastinate and not Celery or Dramatiq: the queue lives in the PostgreSQL database the
state already needs, with job and queueing locks, retries and stalled-worker detection.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from briefgen.config import Config
from briefgen.errors import UsageError
from briefgen.schedule.runs import state_url

if TYPE_CHECKING:
    import procrastinate

__all__ = ["QUEUE", "TASK", "defer_runs", "ensure_schema", "make_app", "retry_stalled"]


log = logging.getLogger("briefgen.schedule")


#: The procrastinate queue briefgen's jobs go to.
QUEUE = "briefgen"


#: A job whose worker has sent no heartbeat for this long is run again (``BRIEFGEN_STALLED_SECONDS``).
STALLED_SECONDS = 30.0


def stalled_seconds() -> float:
    text = os.environ.get("BRIEFGEN_STALLED_SECONDS", "").strip()
    try:
        return float(text) if text else STALLED_SECONDS
    except ValueError:
        raise UsageError(f"BRIEFGEN_STALLED_SECONDS={text!r}: expected a number of seconds") from None


def _dsn(config: Config) -> str:
    url = state_url(config)
    if url.dsn is None:
        raise UsageError(
            'workers need a shared state store: set [state] url = "postgresql://…" (or BRIEFGEN_STATE_URL)'
        )
    return url.dsn


#: The one kind of job: run a due edition (``schedule/worker.py`` registers what it does).
TASK = "briefgen.run_edition"


def make_app(config: Config) -> procrastinate.App:
    """The procrastinate app on the state database. Deferring needs no task function (jobs are
    queued by name), so the queue side never imports what a job runs."""
    import procrastinate

    return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=_dsn(config)))


def ensure_schema(config: Config) -> bool:
    """Create procrastinate's tables once (under an advisory lock); whether they were created now."""
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(_dsn(config), autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('briefgen procrastinate schema', 0))")
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if row and row[0]:
            return False
        conn.execute(SchemaManager.get_schema())
    return True


def defer_runs(config: Config, runs: list[tuple[str, str, str]]) -> list[bool]:
    """Queue each run (schedule, edition, due) unless it is queued already (whether it was
    queued now, for each), and put back jobs whose worker died."""
    import procrastinate.exceptions

    ensure_schema(config)
    app = make_app(config)
    queued = []
    with app.open():
        for schedule, edition, due in runs:
            try:
                app.configure_task(TASK, queue=QUEUE, queueing_lock=f"{schedule}:{edition}").defer(
                    root=str(config.root), schedule=schedule, due=due
                )
                queued.append(True)
            except procrastinate.exceptions.AlreadyEnqueued:
                queued.append(False)
    retry_stalled(app)
    return queued


def retry_stalled(app: procrastinate.App) -> int:
    """Put jobs whose worker stopped sending heartbeats back in the queue; how many."""
    import asyncio

    from procrastinate.exceptions import UniqueViolation
    from procrastinate.jobs import Status

    async def go() -> int:
        async with app.open_async():
            stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds()))
            for job in stalled:
                log.info("job %s (%s) stalled: its worker is gone; queued again", job.id, job.task_kwargs)
                try:
                    await app.job_manager.retry_job(job)
                except UniqueViolation:  # the run is queued again already (its queueing lock): close this one
                    await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
            return len(stalled)

    return asyncio.run(go())
