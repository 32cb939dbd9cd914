"""`briefgen templates list|copy`: where each template comes from, and copying one to edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefgen.errors import UsageError
from briefgen.render.theme import builtin_template_names, builtin_templates_dir, copy_template, list_templates

from ..conftest import run_cli


def test_list_marks_workspace_templates_and_what_they_replace(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "title.html.j2").write_text("<h1>mine</h1>\n")
    (tmp_path / "partials" / "extra.html.j2").write_text("new\n")
    (tmp_path / "README.md").write_text("not a template\n")
    (tmp_path / ".style.css.swp").write_text("editor junk\n")
    templates = {t.name: t for t in list_templates(tmp_path)}
    assert templates["partials/title.html.j2"].origin == "workspace" and templates["partials/title.html.j2"].overrides
    assert templates["partials/extra.html.j2"].origin == "workspace"
    assert not templates["partials/extra.html.j2"].overrides
    assert templates["style.css"].origin == "built-in"
    assert templates["style.css"].path == builtin_templates_dir() / "style.css"
    assert "README.md" not in templates and ".style.css.swp" not in templates
    assert set(builtin_template_names()) <= set(templates)


def test_copy_by_full_name_file_name_or_stem_and_never_overwrites(tmp_path: Path) -> None:
    copied = copy_template("title", tmp_path)
    assert copied == tmp_path / "partials" / "title.html.j2"
    assert copied.read_text() == (builtin_templates_dir() / "partials" / "title.html.j2").read_text()
    copied.write_text("edited\n")
    with pytest.raises(UsageError, match="already exists; use --force"):
        copy_template("partials/title.html.j2", tmp_path)
    assert copied.read_text() == "edited\n"
    copy_template("title.html.j2", tmp_path, force=True)
    assert copied.read_text() != "edited\n"
    assert copy_template("style.css", tmp_path) == tmp_path / "style.css"
    with pytest.raises(UsageError, match="no built-in template named 'nope'"):
        copy_template("nope", tmp_path)


def test_cli_list_and_copy(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text('[paths]\ntemplates = "theme"\n')
    result = run_cli("templates", "copy", "style.css", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "theme" / "style.css").is_file() and "theme/style.css" in result.stdout
    listing = run_cli("templates", "list", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line for line in listing.stdout.splitlines()}
    assert "workspace, replaces built-in" in rows["style.css"] and "theme/style.css" in rows["style.css"]
    assert "built-in" in rows["brief.html.j2"]
    again = run_cli("templates", "copy", "style.css", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
