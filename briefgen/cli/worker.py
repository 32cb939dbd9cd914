"""``worker``: run queued editions (procrastinate, on the PostgreSQL state store)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from briefgen.cli.app import reports_errors


@reports_errors
def worker(
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Jobs run side by side.")] = 1,
    until_empty: Annotated[
        bool, typer.Option("--until-empty", help="Stop once the queue is empty instead of waiting for more.")
    ] = False,
    name: Annotated[str | None, typer.Option("--name", help="This worker's name in logs.")] = None,
) -> None:
    """Run the editions that schedulers queue (PostgreSQL state, queue = true): build and send each once."""
    from briefgen.config import load_config
    from briefgen.schedule.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    run_worker(load_config(), concurrency=concurrency, wait=not until_empty, name=name)
