"""`briefgen new`: a workspace that builds straight away, and a briefgen.toml that lists every option."""

from __future__ import annotations

import re
import tomllib
import typing
from pathlib import Path

import pytest

from briefgen.builds.briefs import validate
from briefgen.config import Config, load_config
from briefgen.deliver.stakeholders import load_stakeholders
from briefgen.errors import UsageError
from briefgen.workspace.scaffold import config_template, new_workspace

from ..conftest import run_cli


def _switched_on(template: str) -> str:
    """The template with every option that has a value switched on, in the sections that are on
    (``# key = value  # note`` -> ``key = value``); commented-out sections stay out."""
    lines, active = [], False
    for line in template.splitlines():
        if line.startswith("["):
            lines.append(line)
            active = True
        elif line.startswith("# ["):
            active = False
        elif active and (match := re.match(r"^# ([\w-]+) = ([^#\s].*?)(?:\s+# .*)?$", line)):
            lines.append(f"{match[1]} = {match[2]}")
    return "\n".join(lines)


def _sections_of(config: type[Config]) -> dict[str, set[str]]:
    sections = {}
    for name, field in config.model_fields.items():
        if field.exclude:
            continue
        annotation = field.annotation
        model = typing.get_args(annotation)[0] if typing.get_origin(annotation) is list else annotation
        sections[name] = set(model.model_fields)
    return sections


def test_config_template_lists_every_option_of_config_py() -> None:
    template = config_template()
    listed: dict[str, set[str]] = {}
    section = ""
    for line in template.splitlines():
        if match := re.match(r"^(?:# )?\[\[?([\w.]+)\]", line):
            section = match[1]
            listed[section] = set()
        elif match := re.match(r"^# ([\w-]+) =", line):
            listed[section].add(match[1])
    assert listed == _sections_of(Config)


def test_config_template_as_written_and_switched_on_gives_the_defaults(tmp_path: Path) -> None:
    defaults = Config(root=tmp_path).model_dump()
    (tmp_path / "briefgen.toml").write_text(config_template())
    assert load_config(tmp_path).model_dump() == defaults
    switched_on = _switched_on(config_template())
    assert "page_size = " in switched_on
    (tmp_path / "briefgen.toml").write_text(switched_on)
    tomllib.loads(switched_on)
    assert load_config(tmp_path).model_dump() == defaults


def test_new_workspace_has_every_part_and_its_example_validates(tmp_path: Path) -> None:
    target = tmp_path / "briefs"
    written = new_workspace(target)
    relative = sorted(p.relative_to(target).as_posix() for p in written)
    assert relative[0] == ".gitignore" and "briefgen.toml" in relative and "templates/README.md" in relative
    assert (target / "output").is_dir()
    (example,) = (target / "inputs").glob("*.yaml")
    (loaded,) = validate([example], load_config(target))
    text = example.read_text()
    assert loaded.brief.brief.title and "fictional" in text.lower()
    assert not re.search(r"India|Russia|S-400", text)
    readme = (target / "templates" / "README.md").read_text()
    assert "`style.css`" in readme and "`partials/title.html.j2`" in readme and "@TEMPLATES@" not in readme
    assert "/output/" in (target / ".gitignore").read_text().splitlines()


def test_new_then_build_in_the_workspace(tmp_path: Path) -> None:
    result = run_cli("new", "briefs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "briefgen serve briefs" in result.stdout
    built = run_cli("build", "-q", cwd=tmp_path / "briefs")
    assert built.returncode == 0, built.stderr
    names = sorted(p.suffix for p in (tmp_path / "briefs" / "output").iterdir())
    assert names == [".html", ".pdf"]


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "briefs").mkdir()
    (tmp_path / "briefs" / "notes.txt").write_text("mine")
    result = run_cli("new", "briefs", cwd=tmp_path)
    assert result.returncode == 2
    assert "briefs is not empty (notes.txt)" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in (tmp_path / "briefs").iterdir()) == ["notes.txt"]

    forced = run_cli("new", "briefs", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "briefs" / "briefgen.toml").is_file()
    assert (tmp_path / "briefs" / "notes.txt").read_text() == "mine"


def test_new_accepts_a_fresh_git_repository_and_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert new_workspace(tmp_path / "repo")
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="not a folder"):
        new_workspace(tmp_path / "file")


def test_a_new_workspace_is_a_complete_example(tmp_path: Path) -> None:
    """Every command the README shows for a `briefgen new` workspace exits 0 there: build,
    validate, lint --strict, send --dry-run to its example stakeholders, and a tick of its
    example schedule in the week of its example brief (which sends the edition to the outbox)."""
    created = run_cli("new", "briefs", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    workspace = tmp_path / "briefs"
    steps = [
        ("build",),
        ("validate",),
        ("lint", "--strict"),
        ("send", "--dry-run"),
        ("schedule", "tick", "--now", "2026-05-18T07:00Z"),
    ]
    outputs = {}
    for args in steps:
        result = run_cli(*args, cwd=workspace)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        outputs[args[0]] = result.stdout
    assert "1 brief valid" in outputs["validate"]
    assert outputs["send"].count("would send") == 2 and "@example.org" in outputs["send"]
    assert "2026-W20" in outputs["schedule"]
    assert (workspace / "output" / "editions" / "2026-W20.pdf").is_file()
    messages = sorted(m.name for m in (workspace / "output" / "outbox").glob("edition-*/*.eml"))
    assert messages == ["dana@example.org.eml", "lee@example.org.eml"]  # the "leadership" group


def test_the_example_stakeholders_are_at_example_org(tmp_path: Path) -> None:
    new_workspace(tmp_path / "briefs")
    people = load_stakeholders(load_config(tmp_path / "briefs"))
    assert len(people) >= 2 and all(p.email.endswith("@example.org") for p in people)
    config = load_config(tmp_path / "briefs")
    (schedule,) = config.schedules
    groups = {g for p in people for g in p.groups}
    assert set(schedule.groups) <= groups  # the example schedule sends to people who exist
