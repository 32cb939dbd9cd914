"""The wheel carries the default theme, so a user who only `pip install`s gets it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import DATA, REPO, make_workspace


def test_wheel_ships_templates_and_builds_without_a_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("briefgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"briefgen/templates/brief.html.j2", "briefgen/templates/style.css"} <= names
    assert "briefgen/templates/partials/sources.html.j2" in names
    starter = {
        "briefgen/workspace/starter/gitignore",
        "briefgen/workspace/starter/templates/README.md",
        "briefgen/workspace/starter/stakeholders.yaml",
    }
    assert starter <= names  # for `briefgen new`
    assert any(n.startswith("briefgen/workspace/starter/inputs/") and n.endswith(".yaml") for n in names)

    # Run the unpacked wheel (not the checkout) in a workspace that has no templates/.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    workspace = make_workspace(tmp_path / "ws", DATA / "minimal.yaml")
    code = (
        "import sys, briefgen.render.theme as r\n"
        "print(r.builtin_templates_dir())\n"
        "sys.argv = ['briefgen', 'build', '-q', '-f', 'html']\n"
        "from briefgen.cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=workspace, capture_output=True, text=True, env={"PYTHONPATH": str(site)}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(site / "briefgen" / "templates")
    assert (workspace / "output" / "harbour-conference-2030.html").read_text().count("<section") >= 3
