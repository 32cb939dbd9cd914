"""Shared fixtures. PDFs are slow to lay out: each is built once per session and shared."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from briefgen import build, load_config
from briefgen.builds.briefs import BuildReport

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED = REPO / "inputs" / "2021-12-06-india-russia-summit.yaml"
SECOND = REPO / "inputs" / "2023-08-18-camp-david-trilateral.yaml"


@dataclass
class Built:
    workspace: Path
    report: BuildReport

    def path(self, brief_id: str, fmt: str) -> Path:
        return self.workspace / "output" / f"{brief_id}.{fmt}"


def make_workspace(root: Path, *inputs: Path) -> Path:
    """A workspace folder with copies of ``inputs``; no briefgen.toml (defaults apply)."""
    (root / "inputs").mkdir(parents=True, exist_ok=True)
    for source in inputs:
        shutil.copy(source, root / "inputs" / source.name)
    if any(source.parent == REPO / "inputs" for source in inputs):
        copy_library(root)
    return root


def copy_library(root: Path) -> Path:
    """The repository's fact library, which the shipped inputs draw on, into ``root``."""
    shutil.copytree(REPO / "library", root / "library", dirs_exist_ok=True)
    return root / "library"


@pytest.fixture(scope="session")
def built_examples(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Both shipped inputs, built once (HTML and PDF) into a throw-away workspace."""
    workspace = make_workspace(tmp_path_factory.mktemp("examples"), SEED, SECOND)
    report = build(config=load_config(workspace))
    return Built(workspace, report)


#: Debian's Chromium (scripts/bootstrap installs it); Playwright never downloads a browser here.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session, driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: {CHROMIUM} is missing (scripts/bootstrap installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "briefgen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def parse_html(text: str):  # type: ignore[no-untyped-def]
    """An ElementTree of an HTML page (tinyhtml5, the HTML5 parser WeasyPrint itself uses)."""
    import tinyhtml5

    return tinyhtml5.parse(text, namespace_html_elements=False)


def text_of(element) -> str:  # type: ignore[no-untyped-def]
    return " ".join("".join(element.itertext()).split())


#: Set by .ci/run (scripts/test-postgres): a throw-away PostgreSQL cluster on loopback.
POSTGRES_URL = os.environ.get("BRIEFGEN_TEST_POSTGRES_URL", "")


def postgres_schema_url(name: str) -> str:
    """A fresh, empty schema in the test cluster, as a URL whose connections use it."""
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{name}"


def needs_postgres() -> None:
    if not POSTGRES_URL and os.environ.get("CI"):
        pytest.fail("CI must run the PostgreSQL tests: .ci/run exports BRIEFGEN_TEST_POSTGRES_URL")
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL store: BRIEFGEN_TEST_POSTGRES_URL is unset (.ci/run sets it; scripts/test-postgres)")


@pytest.fixture(params=["sqlite", "postgresql"])
def state_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test once on the embedded SQLite store and once on PostgreSQL (a fresh schema),
    so the two never drift. A test that is about the SQLite file itself asks for ``sqlite_only``."""
    kind = str(request.param)
    if kind == "postgresql":
        marker = request.node.get_closest_marker("sqlite_only")
        if marker:
            pytest.skip(marker.args[0] if marker.args else "about the SQLite file itself")
        needs_postgres()
        schema = "t_" + uuid.uuid4().hex[:12]
        monkeypatch.setenv("BRIEFGEN_STATE_URL", postgres_schema_url(schema))
    else:
        monkeypatch.delenv("BRIEFGEN_STATE_URL", raising=False)
    return kind
