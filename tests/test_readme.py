"""The README tells the truth: its examples run here, exactly as a reader would run them.

Every ```python block of README.md and docs/*.md runs. Every ```console block with ``$ ``
lines runs its commands in a shell and checks the exit code (0, or the ``# exit N`` comment
at the end of the command) and that each output line the block shows appears in what the
command printed (paths, durations, sizes, decimals, hashes and timestamps normalised; ``…``
stands for anything). Blocks of one ``##`` section run in order in one workspace, the
current folder carrying over: a section that runs ``briefgen new`` starts in an empty
folder, any other in a copy of the repository's inputs and stakeholders. In both the
folder shows as ``/home/you`` (the repository copy as ``/home/you/briefgen``).

A block that cannot run here is preceded by ``<!-- readme: skip REASON -->`` and is
reported as skipped with that reason. Fenced blocks of other languages (``sh``, ``toml``,
``yaml``, ``text``) are not run; the configuration blocks are checked against the models.

    .venv/bin/python -m pytest tests/test_readme.py -q
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from sybil import Document
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

from briefgen.builds.briefs import check
from briefgen.config import Config, load_config
from briefgen.errors import InputError, TemplateError, UsageError

from .conftest import REPO, SEED, make_workspace, run_cli

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SKIP = re.compile(r"^<!--\s*readme:\s*skip\s+(?P<reason>.+?)\s*-->\s*$")
HOME = "/home/you"
#: What a repository section's folder is called (the README shows it as /home/you/briefgen).
REPO_COPY = "briefgen"
COMMAND_TIMEOUT = 180


@dataclass
class Block:
    document: Path
    line: int  # of the opening fence, 1-based
    language: str
    source: str
    section: str
    skip: str | None

    @property
    def name(self) -> str:
        return f"{self.document.name}:{self.line}-{self.language}"

    @property
    def runs(self) -> bool:
        if self.language == "python":
            return True
        return self.language == "console" and any(line.startswith("$ ") for line in self.source.splitlines())


def _blocks(path: Path) -> list[Block]:
    document = Document.parse(str(path), FencedCodeBlockLexer(r"[\w-]*"))
    text = document.text
    regions = [region for _, region in document.regions]  # sorted by position
    fenced = [(r.start, r.end) for r in regions]
    headings = [
        (m.start(), m[1].strip())
        for m in re.finditer(r"^## (.+)$", text, re.MULTILINE)
        if not any(start <= m.start() < end for start, end in fenced)
    ]
    blocks = []
    for region in regions:
        before = text[: region.start].rstrip("\n").rsplit("\n", 1)[-1].strip()
        skip = SKIP.match(before)
        section = next((title for start, title in reversed(headings) if start < region.start), "(top)")
        blocks.append(
            Block(
                document=path,
                line=text.count("\n", 0, region.start) + 1,
                language=str(region.lexemes["language"]),
                source=str(region.lexemes["source"]),
                section=section,
                skip=skip["reason"] if skip else None,
            )
        )
    return blocks


ALL_BLOCKS = [block for path in DOCUMENTS for block in _blocks(path)]
RUNNABLE = [block for block in ALL_BLOCKS if block.runs]


# --------------------------------------------------------------------------- normalising output

_NORMALISE = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}| UTC)?"), "<time>"),
    (re.compile(r"\b[0-9a-f]{12,}\b"), "<hash>"),
    (re.compile(r"\b\d+(?:\.\d+)? ?(?:B|KiB|MiB|GiB|kB|KB|MB|GB)\b"), "<size>"),
    (re.compile(r"\b\d+\.\d+ ?s\b"), "<seconds>"),
    (re.compile(r"\b\d+\.\d+\b"), "<n>"),  # e.g. a table's seconds column
]


def normalise(line: str) -> str:
    for pattern, replacement in _NORMALISE:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


def _matches(expected: str, actual_lines: list[str]) -> bool:
    pattern = re.compile(".*".join(re.escape(part) for part in normalise(expected).split("…")))
    return any(pattern.fullmatch(line) for line in actual_lines)


# --------------------------------------------------------------------------- running a section


@dataclass
class Command:
    text: str
    expected: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        found = re.search(r"#\s*exit\s+(\d+)\s*$", self.text)
        return int(found[1]) if found else 0


def _commands(source: str) -> list[Command]:
    commands: list[Command] = []
    continued = False  # the previous command line ended with a backslash
    for line in source.splitlines():
        if continued:
            commands[-1].text += "\n" + line
        elif line.startswith("$ "):
            commands.append(Command(line[2:]))
        elif commands and line.strip() and line.strip() != "…":
            commands[-1].expected.append(line)
        continued = bool(commands) and (line.startswith("$ ") or continued) and line.endswith("\\")
    return commands


def jinja_environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFGEN_", "COLUMNS", "FORCE_COLOR"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home),  # nothing a command writes under ~ lands in the real home folder
        COLUMNS="200",  # tables and error lines as one line each
        NO_COLOR="1",
        TERM="dumb",
        PYTHONIOENCODING="utf-8",
    )
    return env


@dataclass
class Section:
    """One ``##`` section's blocks and the workspace they share."""

    blocks: list[Block]
    home: Path
    cwd: Path
    namespace: dict[str, Any] = field(default_factory=dict)
    done: int = 0  # blocks run so far
    failed: str | None = None

    def run_through(self, block: Block) -> None:
        """Run the section's blocks in order up to and including ``block``."""
        index = self.blocks.index(block)
        while self.done <= index:
            current = self.blocks[self.done]
            self.done += 1
            if self.failed:
                pytest.skip(f"{self.failed} failed, and this block runs after it in the same workspace")
            if current.skip:
                if current is block:
                    pytest.skip(f"{block.name} ({block.section}): {block.skip}")
                continue
            try:
                self._run(current)
            except BaseException:
                self.failed = current.name
                raise

    def _run(self, block: Block) -> None:
        if block.language == "python":
            self._run_python(block)
        else:
            for command in _commands(block.source):
                self._run_command(block, command)

    def _run_python(self, block: Block) -> None:
        code = compile(block.source, f"{block.name}", "exec")
        previous = Path.cwd()
        saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("BRIEFGEN_")}
        os.chdir(self.cwd)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, self.namespace)  # the README's own code, run as a reader would
        finally:
            os.chdir(previous)
            os.environ.update(saved)

    def _run_command(self, block: Block, command: Command) -> None:
        marker = self.home / ".readme-cwd"
        script = f"{command.text}\n__status=$?\npwd > {marker}\nexit $__status\n"
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=self.cwd,
            env=jinja_environment(self.home),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        if marker.is_file():
            self.cwd = Path(marker.read_text().strip())
        printed = (result.stdout + result.stderr).replace(str(self.home), HOME)
        where = f"{block.name}: $ {command.text}"
        assert result.returncode == command.exit_code, f"{where}\nexit {result.returncode}\n{printed}"
        lines = [normalise(line) for line in printed.splitlines()]
        missing = [line for line in command.expected if not _matches(line, lines)]
        assert not missing, f"{where}\nnot printed: {missing}\nprinted:\n{printed}"


def _starts_empty(blocks: list[Block]) -> bool:
    return any(
        re.match(r"(?:\S+/)?briefgen new\b", c.text)
        for b in blocks
        if b.language == "console"
        for c in _commands(b.source)
    )


@pytest.fixture(scope="module")
def sections(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[Path, str], Section]]:
    made: dict[tuple[Path, str], Section] = {}

    def get(block: Block) -> Section:
        key = (block.document, block.section)
        if key not in made:
            blocks = [b for b in RUNNABLE if (b.document, b.section) == key]
            home = tmp_path_factory.mktemp("home", numbered=True)
            cwd = home
            if not _starts_empty(blocks):
                cwd = make_workspace(home / REPO_COPY, *sorted((REPO / "inputs").glob("*.yaml")))
                shutil.copy(REPO / "stakeholders.yaml", cwd)
            made[key] = Section(blocks, home, cwd)
        return made[key]

    yield get  # type: ignore[misc]


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.name for b in RUNNABLE])
def test_readme_block(block: Block, sections: Any) -> None:
    sections(block).run_through(block)


def test_the_readme_has_runnable_examples() -> None:
    """The harness finds what it should (a parser that finds nothing passes everything)."""
    assert sum(b.language == "python" for b in RUNNABLE) >= 3
    assert sum(b.language == "console" for b in RUNNABLE) >= 3
    assert all(b.section != "(top)" for b in RUNNABLE)
    # A skip marker must say why, and must sit on a block that would otherwise run.
    for block in ALL_BLOCKS:
        assert block.skip is None or (block.runs and block.skip.strip()), block.name


def test_output_normalisation() -> None:
    assert normalise("built output/x.pdf, 3 pages (1.2 s)") == normalise("built output/x.pdf, 3 pages (0.4 s)")
    assert normalise(" output/x.pdf   3  88.5 KiB  2.31 ") == "output/x.pdf 3 <size> <n>"
    assert _matches("2 to send (outbox …/outbox) in 0.3 s", [normalise("2 to send (outbox /a/b/outbox) in 1.0 s")])
    assert not _matches("3 pages", [normalise("4 pages")])


# --------------------------------------------------------------------------- blocks that are not run


def _config_blocks() -> list[Block]:
    return [b for b in ALL_BLOCKS if b.language == "toml"]


@pytest.mark.parametrize("block", _config_blocks(), ids=[b.name for b in _config_blocks()])
def test_every_toml_block_is_valid_configuration(block: Block, tmp_path: Path) -> None:
    """Each briefgen.toml excerpt the README shows loads as it is written."""
    (tmp_path / "briefgen.toml").write_text(block.source, encoding="utf-8")
    try:
        load_config(tmp_path)
    except InputError as exc:
        pytest.fail(f"{block.name} ({block.section}): {exc}")


def _workspace_configuration() -> Block:
    (block,) = [b for b in _config_blocks() if b.section == "Workspace configuration"]
    return block


def test_workspace_configuration_shows_the_real_defaults() -> None:
    """Every value shown is the option's default; an option shown commented out has none."""
    shown = tomllib.loads(_workspace_configuration().source)
    defaults = Config(root=REPO).model_dump(mode="json")
    for section, options in shown.items():
        for option, value in options.items():
            assert value == defaults[section][option], f"[{section}] {option} = {value!r} is not the default"
    commented = re.findall(r"^# ?(\w+) =", _workspace_configuration().source, re.MULTILINE)
    for option in commented:
        assert any(defaults[s].get(option, "") is None for s in defaults if isinstance(defaults[s], dict)), option


def test_the_workspace_configuration_block_copied_into_a_workspace_builds(tmp_path: Path) -> None:
    """Copied as it is into the briefgen.toml of a workspace with a sanction-risk section, it
    passes validate (which makes build's checks)."""
    make_workspace(tmp_path, SEED)
    (tmp_path / "briefgen.toml").write_text(_workspace_configuration().source, encoding="utf-8")
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_stakeholders_example_is_valid(tmp_path: Path) -> None:
    (block,) = [b for b in ALL_BLOCKS if b.language == "yaml" and "stakeholders:" in b.source]
    (tmp_path / "stakeholders.yaml").write_text(block.source, encoding="utf-8")
    run = run_cli("send", "--dry-run", cwd=make_workspace(tmp_path, SEED))
    assert run.returncode == 0, run.stderr
    assert len(yaml.safe_load(block.source)["stakeholders"]) == run.stdout.count("would send")
    # The README says the repository has this file.
    shipped = yaml.safe_load((REPO / "stakeholders.yaml").read_text(encoding="utf-8"))
    assert shipped == yaml.safe_load(block.source)


def test_a_brief_dated_to_the_year_is_explained(tmp_path: Path) -> None:
    """Facts may be dated to the year; the brief's own date may not, and the error says so."""
    text = SEED.read_text(encoding="utf-8")
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / SEED.name).write_text(re.sub(r"(?m)^  date: .*$", "  date: 2021", text, count=1))
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert "brief.date: expected a day as YYYY-MM-DD, got 2021" in result.stderr
    assert "zero time" not in result.stderr


def test_benchmark_docstrings_offer_only_options_that_exist() -> None:
    for script in sorted((REPO / "benchmarks").glob("*.py")):
        text = script.read_text(encoding="utf-8")
        docstring = text.split('"""')[1]
        defined = set(re.findall(r"add_argument\(\s*\"(--[\w-]+)\"", text))
        offered = set(re.findall(r"(--[a-z][\w-]+)", docstring))
        assert offered <= defined, f"{script.name} offers {sorted(offered - defined)}"


# --------------------------------------------------------------------------- validate catches what build fails on


def test_validate_fails_where_build_fails_on_the_risk_model(tmp_path: Path) -> None:
    make_workspace(tmp_path, SEED)
    (tmp_path / "briefgen.toml").write_text('[assess]\nmodel = "my-model.toml"\n')
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert "my-model.toml: cannot read risk model" in result.stderr and "Traceback" not in result.stderr


def test_validate_compiles_the_workspace_templates(tmp_path: Path) -> None:
    make_workspace(tmp_path, SEED)
    (tmp_path / "templates" / "partials").mkdir(parents=True)
    (tmp_path / "templates" / "partials" / "title.html.j2").write_text("<h1>{{ brief.title }</h1>\n")
    with pytest.raises(TemplateError) as caught:
        check(config=load_config(tmp_path))
    assert caught.value.file.endswith("title.html.j2") and caught.value.line == 1


def test_validate_applies_assess_strict(tmp_path: Path) -> None:
    make_workspace(tmp_path, SEED)
    text = SEED.read_text(encoding="utf-8")
    hedged = text.replace("Washington will hold back", "Washington may hold back", 1)
    assert hedged != text
    (tmp_path / "inputs" / SEED.name).write_text(hedged, encoding="utf-8")
    assert run_cli("validate", cwd=tmp_path).returncode == 0
    (tmp_path / "briefgen.toml").write_text("[assess]\nstrict = true\n")
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 2 and "hedge-word" in result.stderr


def test_a_missing_templates_folder_is_a_usage_error(tmp_path: Path) -> None:
    make_workspace(tmp_path, SEED)
    result = run_cli("build", "--templates", "my-theme/", cwd=tmp_path)
    assert result.returncode == 2
    assert "my-theme does not exist" in result.stderr and not (tmp_path / "output").exists()
    (tmp_path / "briefgen.toml").write_text('[paths]\ntemplates = "theme"\n')
    with pytest.raises(UsageError):
        check(config=load_config(tmp_path))
