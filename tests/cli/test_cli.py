"""The command line, run as a user runs it: a child process, exit codes, stderr, files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..conftest import DATA, make_workspace, run_cli


def test_version(tmp_path: Path) -> None:
    from briefgen import __version__

    result = run_cli("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"briefgen {__version__}"


def test_help_lists_commands_without_importing_weasyprint(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.argv = ['briefgen', '--help']\n"
        "from briefgen.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('HEAVY' if {'weasyprint', 'jinja2', 'pydantic'} & set(sys.modules) else 'LIGHT')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert "build" in result.stdout and "validate" in result.stdout and "schema" in result.stdout
    assert result.stdout.strip().endswith("LIGHT")


def test_build_writes_html_and_pdf_and_prints_a_summary(tmp_path: Path) -> None:
    make_workspace(tmp_path, DATA / "minimal.yaml")
    result = run_cli("build", "--format", "all", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "output" / "harbour-conference-2030.pdf").is_file()
    assert (tmp_path / "output" / "harbour-conference-2030.html").is_file()
    assert "harbour-conference-2030.pdf" in result.stdout and "Pages" in result.stdout


def test_build_html_only_to_another_folder(tmp_path: Path) -> None:
    make_workspace(tmp_path, DATA / "minimal.yaml")
    result = run_cli("build", "-f", "html", "--out", "site", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["harbour-conference-2030.html"]
    assert result.stdout == ""


def test_bad_input_reports_every_problem_with_exit_code_2(tmp_path: Path) -> None:
    make_workspace(tmp_path)
    text = (DATA / "minimal.yaml").read_text()
    (tmp_path / "inputs" / "a.yaml").write_text(
        text.replace("sources: [wire, port-authority]", "sources: [wyre, port-authority]", 1)
    )
    (tmp_path / "inputs" / "b.yaml").write_text(
        text.replace("id: harbour-conference-2030", "id: b").replace("date: 2030-03-02", "date: someday")
    )
    for command in ("validate", "build"):
        result = run_cli(command, cwd=tmp_path)
        assert result.returncode == 2, command
        lines = result.stderr.splitlines()
        assert any(
            line.startswith("inputs/a.yaml:25:15: key_judgments[0].sources[0]: unknown source id 'wyre'")
            for line in lines
        )
        assert any(line.startswith("inputs/b.yaml:5:3: brief.date:") for line in lines)
        assert "Traceback" not in result.stderr
        assert "2 problems in 2 files" in lines[-1]
    assert not (tmp_path / "output").exists()  # nothing half-built


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    make_workspace(tmp_path)
    (tmp_path / "inputs" / "a.yaml").write_text("brief: {}\n")
    result = run_cli("--debug", "validate", cwd=tmp_path)
    assert result.returncode != 0 and "Traceback" in result.stderr and "InputError" in result.stderr


def test_missing_path_and_empty_inputs(tmp_path: Path) -> None:
    result = run_cli("build", "nowhere.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "nowhere.yaml: no such file or folder" in result.stderr
    (tmp_path / "inputs").mkdir()
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 2 and "no input files" in result.stderr


def test_usage_error_exit_code(tmp_path: Path) -> None:
    result = run_cli("build", "--format", "odt", cwd=tmp_path)
    assert result.returncode == 2 and "odt" in result.stderr


def test_validate_ok(tmp_path: Path) -> None:
    make_workspace(tmp_path, DATA / "minimal.yaml")
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "1 brief valid"


def test_schema_prints_json_schema(tmp_path: Path) -> None:
    result = run_cli("schema", cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == "briefgen brief"
    assert run_cli("schema", "-o", "schema.json", cwd=tmp_path).returncode == 0
    assert json.loads((tmp_path / "schema.json").read_text())["type"] == "object"


def test_workspace_config_is_read_from_a_parent_folder(tmp_path: Path) -> None:
    make_workspace(tmp_path, DATA / "minimal.yaml")
    (tmp_path / "briefgen.toml").write_text('[paths]\noutput = "dist"\n\n[build]\nformats = ["html"]\n')
    (tmp_path / "sub").mkdir()
    result = run_cli("build", "-q", cwd=tmp_path / "sub")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dist" / "harbour-conference-2030.html").is_file()
    assert not (tmp_path / "dist" / "harbour-conference-2030.pdf").exists()


def test_bad_config_names_file_line_and_option(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text('[paths]\ninputs = "inputs"\n\n[build]\npage_size = "A3"\n')
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert f"{tmp_path / 'briefgen.toml'}:5:1: build.page_size: expected 'A4' or 'Letter'" in result.stderr
    (tmp_path / "briefgen.toml").write_text("[build\n")
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 2 and "invalid TOML" in result.stderr and ":1:" in result.stderr


def test_broken_template_fails_cleanly_and_keeps_the_earlier_pdf(tmp_path: Path) -> None:
    make_workspace(tmp_path, DATA / "minimal.yaml")
    assert run_cli("build", "-q", cwd=tmp_path).returncode == 0
    pdf = tmp_path / "output" / "harbour-conference-2030.pdf"
    html = tmp_path / "output" / "harbour-conference-2030.html"
    before = (pdf.read_bytes(), html.read_bytes(), pdf.stat().st_mtime_ns)

    (tmp_path / "templates" / "partials").mkdir(parents=True)
    broken = tmp_path / "templates" / "partials" / "event.html.j2"
    broken.write_text("<p>ok</p>\n{% for x in %}\n")
    result = run_cli("build", "-q", cwd=tmp_path)
    assert result.returncode == 1
    assert "templates/partials/event.html.j2:2: template error:" in result.stderr
    assert "Traceback" not in result.stderr
    assert (pdf.read_bytes(), html.read_bytes(), pdf.stat().st_mtime_ns) == before
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == sorted([pdf.name, html.name])  # no temp files


def test_no_color_output_when_piped(tmp_path: Path) -> None:
    make_workspace(tmp_path)
    (tmp_path / "inputs" / "a.yaml").write_text("brief: {}\n")
    result = run_cli("validate", cwd=tmp_path, env={**os.environ, "NO_COLOR": "1"})
    assert "\x1b[" not in result.stderr


def test_shell_completion_offers_the_commands(tmp_path: Path) -> None:
    """Typer's completion, as `briefgen --install-completion` sets it up (README: Shell completion)."""
    script = Path(sys.executable).with_name("briefgen")
    env = {**os.environ, "_BRIEFGEN_COMPLETE": "complete_bash", "COMP_WORDS": "briefgen te", "COMP_CWORD": "1"}
    result = subprocess.run([str(script)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert result.returncode == 0 and "templates" in result.stdout.split()


def test_send_finds_the_outputs_of_a_dotted_id(tmp_path: Path) -> None:
    # "summit.v1" was built as output/summit.html, and `send summit.v1` then failed with a traceback.
    make_workspace(tmp_path)
    text = (DATA / "minimal.yaml").read_text()
    for version in ("v1", "v2"):
        (tmp_path / "inputs" / f"{version}.yaml").write_text(
            text.replace("harbour-conference-2030", f"summit.{version}")
        )
    (tmp_path / "stakeholders.yaml").write_text("stakeholders:\n  - name: A\n    email: a@example.org\n")
    result = run_cli("send", "summit.v1", cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert (tmp_path / "output" / "outbox" / "summit.v1" / "a@example.org.eml").is_file()
    assert sorted(p.name for p in (tmp_path / "output").glob("summit*")) == ["summit.v1.html", "summit.v1.pdf"]
