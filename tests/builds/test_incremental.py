"""Incremental and parallel builds: what is up to date is not rendered again; --jobs gives
the same files as one process. (Speed itself is measured in benchmarks/, not here.)"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from briefgen import build, load_config
from briefgen.builds.editions import build_editions
from briefgen.errors import InputError, TemplateError

from ..conftest import DATA, make_workspace, run_cli

MINIMAL = DATA / "minimal.yaml"


def two_briefs(root: Path) -> Path:
    make_workspace(root, MINIMAL)
    text = MINIMAL.read_text().replace("harbour-conference-2030", "port-conference-2030")
    (root / "inputs" / "port.yaml").write_text(text.replace("date: 2030-03-01", "date: 2030-03-09"))
    (root / "briefgen.toml").write_text('[build]\nformats = ["html"]\n')
    return root


def stamps(root: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (root / "output").iterdir() if p.is_file()}


def test_nothing_changed_renders_nothing(tmp_path: Path) -> None:
    config = load_config(two_briefs(tmp_path))
    first = build(config=config)
    assert len(first.rendered) == 2
    before = stamps(tmp_path)
    again = build(config=config)
    assert again.rendered == [] and [r.cached for r in again.results] == [True, True]
    assert stamps(tmp_path) == before
    assert [o.path for r in again.results for o in r.outputs] == [o.path for r in first.results for o in r.outputs]


def test_only_the_changed_input_is_rendered(tmp_path: Path) -> None:
    config = load_config(two_briefs(tmp_path))
    build(config=config)
    port = tmp_path / "inputs" / "port.yaml"
    port.write_text(port.read_text().replace("Ministers meet on harbour safety", "Ministers meet on port safety"))
    report = build(config=config)
    assert [r.brief_id for r in report.rendered] == ["port-conference-2030"]
    assert "port safety" in (tmp_path / "output" / "port-conference-2030.html").read_text()


@pytest.mark.parametrize("change", ["template", "config", "deleted output", "edited output", "force"])
def test_what_invalidates_a_build(tmp_path: Path, change: str) -> None:
    root = two_briefs(tmp_path)
    build(config=load_config(root))
    force = False
    if change == "template":
        (root / "templates").mkdir()
        (root / "templates" / "style.css").write_text("body { color: navy; }")
    elif change == "config":
        (root / "briefgen.toml").write_text('[build]\nformats = ["html"]\npage_size = "Letter"\n')
    elif change == "deleted output":
        (root / "output" / "port-conference-2030.html").unlink()
    elif change == "edited output":
        (root / "output" / "port-conference-2030.html").write_text("tampered")
    else:
        force = True
    report = build(config=load_config(root), force=force)
    expected = {"deleted output": 1, "edited output": 1}.get(change, 2)
    assert len(report.rendered) == expected
    assert "tampered" not in (root / "output" / "port-conference-2030.html").read_text()


def test_lint_findings_are_reported_from_the_cache(tmp_path: Path) -> None:
    root = two_briefs(tmp_path)
    port = root / "inputs" / "port.yaml"
    port.write_text(port.read_text().replace("will be in place", "might be in place"))
    first = build(config=load_config(root))
    again = build(config=load_config(root))
    assert again.rendered == []
    assert [str(f) for f in again.findings] == [str(f) for f in first.findings]
    assert any(f.rule == "hedge-word" for f in again.findings)
    result = run_cli("build", "--strict", cwd=root)
    assert result.returncode == 2 and "hedge-word" in result.stderr


def test_a_new_input_reusing_a_cached_id_is_refused(tmp_path: Path) -> None:
    root = two_briefs(tmp_path)
    build(config=load_config(root))
    shutil.copy(MINIMAL, root / "inputs" / "copy.yaml")
    with pytest.raises(InputError, match="already used by"):
        build(config=load_config(root))


def test_a_new_input_reusing_a_cached_id_names_both_files_and_lines(tmp_path: Path) -> None:
    root = two_briefs(tmp_path)
    build(config=load_config(root))
    shutil.copy(MINIMAL, root / "inputs" / "copy.yaml")
    with pytest.raises(InputError) as info:
        build(config=load_config(root))
    (problem,) = info.value.problems
    assert problem.file.endswith("copy.yaml") and problem.line == 3
    assert "minimal.yaml:3" in problem.message


def versioned_ids(root: Path) -> Path:
    make_workspace(root)
    for version in ("v1", "v2"):
        text = MINIMAL.read_text().replace("id: harbour-conference-2030", f"id: summit.{version}")
        (root / "inputs" / f"{version}.yaml").write_text(text.replace("Ministers meet", f"Ministers ({version}) meet"))
    (root / "briefgen.toml").write_text('[build]\nformats = ["html"]\n')
    return root


def test_dotted_ids_name_their_own_files(tmp_path: Path) -> None:
    # "summit.v1" and "summit.v2" were both cut at the last dot and wrote one output/summit.html.
    root = versioned_ids(tmp_path)
    report = build(config=load_config(root))
    assert sorted(p.name for p in (root / "output").iterdir()) == ["summit.v1.html", "summit.v2.html"]
    assert [o.path.name for r in report.results for o in r.outputs] == ["summit.v1.html", "summit.v2.html"]
    assert "(v1)" in (root / "output" / "summit.v1.html").read_text()
    assert "(v2)" in (root / "output" / "summit.v2.html").read_text()
    again = build(config=load_config(root))
    assert [o.path.name for r in again.results if r.cached for o in r.outputs] == ["summit.v1.html", "summit.v2.html"]


def test_colliding_ids_write_nothing_and_exit_2(tmp_path: Path) -> None:
    root = versioned_ids(tmp_path)
    text = (root / "inputs" / "v1.yaml").read_text()
    (root / "inputs" / "v3.yaml").write_text(text.replace("(v1)", "(v3)"))
    for command in ("validate", "build"):
        result = run_cli(command, cwd=root)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert "inputs/v3.yaml:3:3: brief.id: id 'summit.v1' is already used by inputs/v1.yaml:3" in result.stderr
    assert not (root / "output").exists()


@pytest.mark.parametrize(
    "damage",
    [
        "{not json",
        '{"version": 1, "entries": ',  # truncated
        "[1, 2]",
        '{"version": 1, "entries": []}',
        '{"version": 1, "entries": {"k": "text"}}',
        '{"version": 1, "entries": {"k": {"fingerprint": 1, "outputs": 2}}}',
        "KEYS",  # the right keys with values of the wrong types
        "FOLDER",  # a folder where the file should be
    ],
)
def test_a_damaged_build_cache_is_ignored_and_rebuilt(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    root = two_briefs(tmp_path)
    build(config=load_config(root))
    cache = root / ".briefgen" / "build-cache.json"
    if damage == "KEYS":
        data = json.loads(cache.read_text())
        for entry in data["entries"].values():
            entry.update(brief_id=7, findings="none", warnings=3, outputs=[{"path": 1, "stamp": "x"}])
        damage = json.dumps(data)
    if damage == "FOLDER":
        cache.unlink()
        cache.mkdir()
    else:
        cache.write_text(damage)
    report = build(config=load_config(root))
    assert len(report.rendered) == 2
    assert "build-cache.json" in caplog.text and "ignoring the build cache" in caplog.text
    if cache.is_file():  # rebuilt with a good cache: the next build renders nothing
        assert build(config=load_config(root)).rendered == []
    result = run_cli("build", "-q", cwd=root)
    assert result.returncode == 0 and "Traceback" not in result.stderr


def test_a_cache_entry_with_wrong_extras_is_rebuilt(tmp_path: Path) -> None:
    root = two_briefs(tmp_path)
    build(config=load_config(root))
    cache = root / ".briefgen" / "build-cache.json"
    data = json.loads(cache.read_text())
    for entry in data["entries"].values():
        entry.update(findings=[{"no": "such field"}])
    cache.write_text(json.dumps(data))
    assert len(build(config=load_config(root)).rendered) == 2


def test_jobs_give_the_same_files_as_one_process(tmp_path: Path) -> None:
    one, two = two_briefs(tmp_path / "one"), two_briefs(tmp_path / "two")
    for root in (one, two):
        (root / "briefgen.toml").write_text('[build]\nformats = ["html", "pdf"]\n')
    serial = build(config=load_config(one), jobs=1)
    parallel = build(config=load_config(two), jobs=2)
    assert [r.brief_id for r in parallel.results] == [r.brief_id for r in serial.results]
    for name in ("harbour-conference-2030.pdf", "port-conference-2030.pdf", "port-conference-2030.html"):
        assert (one / "output" / name).read_bytes() == (two / "output" / name).read_bytes(), name
    pages = [r.output("pdf").pages for r in parallel.results]  # type: ignore[union-attr]
    assert pages == [r.output("pdf").pages for r in serial.results] and all(pages)  # type: ignore[union-attr]


def test_an_error_in_a_worker_reaches_the_caller(tmp_path: Path) -> None:
    root = two_briefs(tmp_path)
    (root / "templates" / "partials").mkdir(parents=True)
    (root / "templates" / "partials" / "event.html.j2").write_text("{{ nope.nope }}\n")
    with pytest.raises(TemplateError) as info:
        build(config=load_config(root), jobs=2)
    assert info.value.line == 1 and info.value.file.endswith("event.html.j2")


WEEK = """\
brief: {{id: w{n}, title: Week {n} talks, date: {day}, author: Desk}}
sources: [{{id: s, publisher: Wire, title: Talks {n}}}]
key_judgments: [{{text: Talks go on., likelihood: likely, confidence: low, sources: [s]}}]
event: {{kind: talks, title: Week {n} talks, date: {day}, place: {{city: Valletta}}, sources: [s]}}
"""


def test_editions_all_in_parallel_chain_what_changed_and_skip_what_is_up_to_date(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    for n, day in enumerate(["2030-03-05", "2030-03-12", "2030-03-19"], 1):
        (tmp_path / "inputs" / f"w{n}.yaml").write_text(textwrap.dedent(WEEK.format(n=n, day=day)))
    (tmp_path / "briefgen.toml").write_text('[build]\nformats = ["html"]\n')
    config = load_config(tmp_path)
    first = build_editions(None, config, jobs=2)
    assert [e.id for e in first] == ["2030-W10", "2030-W11", "2030-W12"]
    assert [e.previous_id for e in first] == [None, "2030-W10", "2030-W11"]
    assert [len(e.changes) for e in first] == [0, 1, 1]  # each later week brings a new event
    assert not any(e.cached for e in first)
    again = build_editions(None, config, jobs=2)
    assert all(e.cached for e in again)
    (tmp_path / "inputs" / "w3.yaml").write_text(
        (tmp_path / "inputs" / "w3.yaml").read_text().replace("Talks go on.", "Talks continue.")
    )
    third = build_editions(None, config)
    assert [e.id for e in third if not e.cached] == ["2030-W12"]
    result = run_cli("edition", "build", "--all", "-j", "2", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.count("up to date") == 3


def test_doctor_reports_the_engine_and_the_subsetter(tmp_path: Path) -> None:
    result = run_cli("doctor", cwd=tmp_path, env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"})
    assert "weasyprint" in result.stdout and "pango" in result.stdout and "fast font subsetter" in result.stdout
    assert result.returncode in (0, 1)
    assert ("missing" in result.stdout) == (result.returncode == 1)
