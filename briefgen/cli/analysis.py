"""``lint`` and ``assess``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from briefgen.cli.app import SEVERITY_STYLE, reports_errors, stderr
from briefgen.cli.build import PathsArg

if TYPE_CHECKING:
    pass


@reports_errors
def lint(
    paths: PathsArg = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too, not only errors.")] = False,
) -> None:
    """Check analytic integrity: sourcing, estimative language, dates, source disagreements, the risk model.

    Findings print as [bold]file:line: rule-id: message[/]. Errors always fail (exit 2),
    warnings only with --strict, notes (e.g. a recorded source disagreement) never.
    """
    from briefgen.analysis.findings import fails
    from briefgen.builds.briefs import lint as run_lint
    from briefgen.builds.briefs import lint_library_usage

    results = run_lint(paths)
    findings = [f for _, fs in results for f in fs]
    if not paths:  # only the whole workspace can tell that a library entry is unused
        findings += lint_library_usage()
    out = stderr()
    for finding in findings:
        out.print(str(finding), markup=False, style=SEVERITY_STYLE[finding.severity])
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    summary = (
        f"{len(results)} brief(s): {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s)"
    )
    if fails(findings, strict):
        out.print(f"[red]error:[/] {summary}")
        raise typer.Exit(2)
    typer.echo(summary)


def _percent(p: object) -> str:
    value = float(p)  # type: ignore[arg-type]
    return "<1%" if 0 < value < 0.005 else f"{value:.0%}"


@reports_errors
def assess(
    path: Annotated[Path, typer.Argument(help="The input file to assess.", show_default=False)],
    what_if: Annotated[
        list[str] | None,
        typer.Option(
            "--set", "-s", help="What-if: FACTOR=VALUE, e.g. waiver=granted (repeatable).", show_default=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show the sanction-risk model's working for one brief, and what changes under a what-if."""
    import json

    from rich.console import Console
    from rich.table import Table

    from briefgen.analysis.risk import assess as run_assess
    from briefgen.analysis.risk import describe, load_model, parse_overrides
    from briefgen.builds.briefs import validate as run_validate
    from briefgen.config import load_config

    config = load_config()
    (loaded,) = run_validate([path], config)
    model = load_model(config.risk_model_path)
    overrides = parse_overrides(what_if or [])
    base = run_assess(loaded.brief, model)
    if base is None:
        stderr().print(f"{path}: the brief has no sanction_risk section to assess")
        raise typer.Exit(2)
    changed = run_assess(loaded.brief, model, overrides) if overrides else None
    if as_json:
        payload: dict[str, object] = {
            "model": model.model.id,
            "assessment": describe(base),
            "factors": {
                f.id: {"value": f.value, "contribution": f.contribution, "counted": f.counted, "group": f.group}
                for f in base.factors
            },
        }
        if changed is not None:
            payload["what_if"] = {"set": overrides, "assessment": describe(changed)}
        typer.echo(json.dumps(payload, indent=2))
        return
    console = Console(highlight=False, width=max(Console().width, 120))  # one line per row, even when piped
    console.print(f"[bold]question ({base.question}):[/] {base.question_text or loaded.brief.sanction_risk.regime}")  # type: ignore[union-attr]
    table = Table(title=f"{model.model.title} — {loaded.brief.brief.title}", title_justify="left", header_style="bold")
    table.add_column("factor", no_wrap=True)
    table.add_column("value", no_wrap=True)
    table.add_column("effect", justify="right", no_wrap=True)
    table.add_column("counted", justify="right", no_wrap=True)
    table.add_column("evidence", overflow="ellipsis", no_wrap=True, max_width=30)
    if changed is not None:
        table.add_column("what-if", justify="right", no_wrap=True)
    for part, baseline in (("likelihood", base.baseline), ("impact", model.impact.baseline)):
        table.add_row(
            f"[dim]{part} baseline[/]", "", f"{baseline:+.2f}", f"{baseline:+.2f}", "", *([""] * bool(changed))
        )
        for factor in (f for f in base.factors if f.part == part):
            evidence = "; ".join(e.label for e in factor.evidence) or "[dim]no evidence[/]"
            counted = f"{factor.counted:+.2f}" if factor.counted or not factor.group else f"in {factor.group}"
            row = [factor.id, factor.value or "—", f"{factor.contribution:+.2f}", counted, evidence]
            if changed is not None:
                other = changed.factor(factor.id)
                row.append(f"{other.value} → {other.counted:+.2f}" if other.overridden else "")
            table.add_row(*row)
    console.print(table)

    def line(result: object) -> str:
        d = describe(result)  # type: ignore[arg-type]
        return (
            f"likelihood {d['likelihood']} (band {d['range']}; model point {_percent(d['probability'])}), "
            f"impact {d['impact']}, rating {d['rating']}"
        )

    console.print(f"[bold]assessment:[/] {line(base)}")
    moves = base.band_changes
    console.print(f"[bold]sensitivity:[/] {len(moves)} single change(s) of evidence move the band")
    for shift in sorted(moves, key=lambda s: abs(s.delta)):
        console.print(f"  {shift.factor} {shift.value or '—'} → {shift.to}: {shift.delta:+.2f} → {shift.band.term}")
    if changed is not None:
        settings = ", ".join(f"{k}={v}" for k, v in overrides.items())
        console.print(f"[bold]what-if ({settings}):[/] {line(changed)}")
