"""The ``briefgen`` command: a thin Typer layer over the library, one module per command group.

Commands are registered here, in the order ``briefgen --help`` lists them. Each command module
imports only Typer at the top; the library is imported inside the commands, so start-up stays fast.
"""

from __future__ import annotations

from briefgen.cli import analysis, archive, build, deliver, draft, editions, library, schedule, state, worker, workspace
from briefgen.cli.app import app, main

__all__ = ["app", "main"]

app.command()(build.build)
app.command()(build.validate)
app.command()(draft.draft)
app.command()(analysis.lint)
app.command()(analysis.assess)
app.command()(build.schema)
app.add_typer(library.library_app, name="library")
app.command()(workspace.new)
app.command()(workspace.serve)
app.add_typer(workspace.templates_app, name="templates")
app.command()(deliver.send)
app.command()(deliver.deliveries)
app.command()(archive.archive)
app.add_typer(editions.edition_app, name="edition")
app.add_typer(schedule.schedule_app, name="schedule")
app.command()(schedule.approve)
app.add_typer(state.state_app, name="state")
app.command()(worker.worker)
app.command()(workspace.doctor)
