"""Shared fixtures. PDFs are slow to lay out: each is built once per session and shared."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

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


T = TypeVar("T")


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], T]) -> T:
    """``make(folder)`` run once per test run, even when pytest-xdist splits the run over worker
    processes: the first worker to get here makes it under a file lock, the others wait and reuse
    its folder and its (pickled) result. fcntl rather than a lock library: one call, Linux only,
    like the rest of the test set-up."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return make(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent  # the run's folder, common to its workers
    done = shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if done.is_file():
            return pickle.loads(done.read_bytes())  # type: ignore[no-any-return]
        folder = shared / name
        folder.mkdir()
        result = make(folder)
        done.write_bytes(pickle.dumps(result))
        return result


def _build_examples(folder: Path) -> Built:
    workspace = make_workspace(folder, SEED, SECOND)
    return Built(workspace, build(config=load_config(workspace)))


@pytest.fixture(scope="session")
def built_examples(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Both shipped inputs, built once (HTML and PDF) into a throw-away workspace."""
    return once_per_run(tmp_path_factory, "examples", _build_examples)


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
    """Run ``briefgen ARGS`` in ``cwd`` (with ``env`` as the whole environment, if given) in this
    process, through Typer's test runner: the same app, options and error handling as the console
    script, without paying Python's start-up and imports again on every call (the suite makes
    over a hundred). A traceback that would reach the terminal is appended to stderr, as the
    child process would print it. Tests about the process itself (signals, kill -9, exit of the
    real entry point, import cost) use :func:`run_process` or ``subprocess`` directly."""
    import traceback

    from typer.testing import CliRunner

    from briefgen.cli import app

    saved, previous = dict(os.environ), Path.cwd()
    try:
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        os.chdir(cwd)
        result = CliRunner().invoke(app, list(args), prog_name="briefgen")
    finally:
        os.chdir(previous)
        os.environ.clear()
        os.environ.update(saved)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["briefgen", *args], result.exit_code, result.stdout, stderr)


def run_process(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
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


def _build_edition(folder: Path) -> Path:
    from briefgen.builds.editions import build_edition

    workspace = make_workspace(folder, *sorted((REPO / "inputs").glob("*.yaml")))
    build_edition("2021-W49", load_config(workspace))
    return workspace / "output" / "editions"


@pytest.fixture(scope="session")
def built_edition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The week of the seed (2021-W49) as an edition, HTML and PDF, built once; its folder."""
    return once_per_run(tmp_path_factory, "edition", _build_edition)


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


# --------------------------------------------------------------------------- running on several cores
# pyproject's addopts run the suite on pytest-xdist workers with ``--dist loadfile``: each test
# file runs on one worker, in order, so a module-scoped fixture is built once and the README's
# blocks share their section's workspace. The tests below count on leases, back-off steps or
# signals arriving in time; their files run on one worker, one after the other, so that two of
# those clocks never race each other's child processes for the CPU. A new file of such tests
# joins the list.
TIMING_FILES = {
    "tests/deliver/test_delivery_faults.py",  # SIGSTOP past a lease, a heartbeat under a slow server
    "tests/deliver/test_ledger.py",  # leases of 0.2 s
    "tests/schedule/test_distributed.py",  # SIGKILL of schedulers and workers
    "tests/schedule/test_schedule_e2e.py",  # the real scheduler: per-second ticks, back-off steps
}
#: Started first (the longest chains of tests), so that neither ends up alone at the end of a run.
FIRST = ("tests/test_readme.py", *sorted(TIMING_FILES))


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(_file_of(item.nodeid), len(FIRST)))  # stable: the rest keep their order


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadfile``, with the timing-sensitive files as one unit."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class TimingAwareLoadFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            name = _file_of(nodeid)
            return "timing" if name in TIMING_FILES else name

    return TimingAwareLoadFile(config, log)  # type: ignore[arg-type]
