"""The workspace as ``briefgen serve`` sees it: rebuilt on every change, never giving up.

:class:`Preview` builds the workspace with the same library API as ``briefgen build`` and
keeps the outcome as an immutable :class:`State`: every brief's status (its problems, if
its input is invalid) and the workspace's own problems (a broken ``briefgen.toml`` or
template). A failure is recorded, shown and replaced by the next build; it never stops the
preview. :meth:`Preview.watch` rebuilds on changes to inputs, templates, assets or config.

Each input is validated and built on its own, so one broken file hides only its own brief.
HTML is built before PDFs, so a page reloads as soon as its HTML is ready.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import traceback
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from briefgen.config import CONFIG_NAME, Config, Format, find_workspace, load_config
from briefgen.errors import BriefgenError, InputError, LintFailed, Problem, TemplateError

if TYPE_CHECKING:
    from watchfiles import Change

    from briefgen.facts.load import LoadedBrief

__all__ = ["BriefStatus", "Preview", "State"]

Log = Callable[[str], None]

_INPUT_SUFFIXES = {".yaml", ".yml"}
_OUTPUT_SUFFIXES = {".html", ".pdf"}


@dataclass(frozen=True)
class BriefStatus:
    """One input file and what became of it in the latest build."""

    source: Path
    brief_id: str | None = None  # from the latest valid version of the file (kept while it is broken)
    title: str | None = None
    date: str | None = None
    problems: tuple[Problem, ...] = ()  # why the latest version could not be built
    notes: tuple[str, ...] = ()  # warnings of the latest build (refused URLs, lint findings)
    current: bool = False  # its outputs reflect the latest valid version of the file

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class State:
    """What the preview knows, replaced whole on every change (readers never see half of one)."""

    generation: int = 0  # bumped on every change of state, including "building"
    building: bool = False
    builds: int = 0  # completed builds
    config: Config | None = None
    briefs: tuple[BriefStatus, ...] = ()
    problems: tuple[Problem, ...] = ()  # of the workspace itself: its config, its inputs folder
    template_problem: Problem | None = None  # a template that failed: no brief builds until it is fixed
    finished_at: float | None = None  # time.time() of the latest completed build
    seconds: float = 0.0

    def brief(self, brief_id: str) -> BriefStatus | None:
        return next((b for b in self.briefs if b.brief_id == brief_id), None)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _template_problem(exc: TemplateError) -> Problem:
    where = f"{exc.file}:{exc.line}: " if exc.line else f"{exc.file}: "
    return Problem(exc.file, exc.line or 0, 0, "", str(exc).removeprefix(where))


def _problems_of(exc: BaseException, source: Path) -> list[Problem]:
    """A brief's build failure as problems to show in place of the brief."""
    if isinstance(exc, InputError):
        return exc.problems
    if isinstance(exc, LintFailed):
        return [
            Problem(
                str(getattr(f, "file", _display(source))),
                int(getattr(f, "line", 0)),
                0,
                str(getattr(f, "rule", "")),
                str(getattr(f, "message", f)),
            )
            for f in exc.findings
        ]
    kind = "" if isinstance(exc, BriefgenError) else f"{type(exc).__name__}: "
    return [Problem(_display(source), 0, 0, "", f"{kind}{exc}")]


class Preview:
    """A workspace kept built: call :meth:`rebuild`, or :meth:`watch` to rebuild on changes."""

    def __init__(self, root: Path | None = None, *, log: Log | None = None) -> None:
        self.root = find_workspace(root)
        self.log: Log = log or (lambda _message: None)
        self._state = State()
        self._changed = threading.Condition()
        self._build_lock = threading.Lock()

    # ----------------------------------------------------------------- state

    @property
    def state(self) -> State:
        return self._state

    def _publish(self, **changes: object) -> State:
        with self._changed:
            self._state = dataclasses.replace(self._state, generation=self._state.generation + 1, **changes)  # type: ignore[arg-type]
            self._changed.notify_all()
            return self._state

    def wait(self, seen_generation: int, timeout: float) -> State:
        """The state once its generation differs from ``seen_generation`` (or after ``timeout``)."""
        with self._changed:
            self._changed.wait_for(lambda: self._state.generation != seen_generation, timeout)
            return self._state

    def wake(self) -> None:
        """Wake everyone in :meth:`wait` (e.g. to let them notice the server is stopping)."""
        with self._changed:
            self._changed.notify_all()

    # ----------------------------------------------------------------- building

    def rebuild(self, changed_inputs: Collection[Path] | None = None) -> State:
        """Build again: everything when ``changed_inputs`` is None, else those inputs (and any
        brief not yet built). Never raises for a problem in the workspace: it is recorded."""
        with self._build_lock:
            started = time.perf_counter()
            self._publish(building=True)
            try:
                self._rebuild(changed_inputs)
            except Exception as exc:  # a bug must not take the preview down: show it, keep serving
                self.log("".join(traceback.format_exception(exc)))
                self._publish(problems=(Problem("briefgen", 0, 0, "", f"internal error: {type(exc).__name__}: {exc}"),))
            seconds = time.perf_counter() - started
            return self._publish(
                building=False, builds=self._state.builds + 1, finished_at=time.time(), seconds=seconds
            )

    def _rebuild(self, changed_inputs: Collection[Path] | None) -> None:
        from briefgen.builds.briefs import build, validate
        from briefgen.facts.yamldoc import find_inputs

        full = changed_inputs is None or self._state.config is None
        changed = {p.resolve() for p in changed_inputs or ()}
        try:
            config = load_config(self.root) if full else self._state.config
        except InputError as exc:
            self.log("\n".join(str(p) for p in exc.problems))
            self._publish(problems=tuple(exc.problems))
            return
        assert config is not None
        inputs = [p.resolve() for p in find_inputs([config.inputs_dir])] if config.inputs_dir.is_dir() else []
        if not inputs:
            problem = Problem(_display(config.inputs_dir), 0, 0, "", "no input files (*.yaml, *.yml) yet")
            self._publish(config=config, briefs=(), problems=(problem,))
            return

        statuses = self._validate_all(inputs, config, validate)
        self._publish(config=config, briefs=tuple(statuses.values()), problems=())

        wanted = [p for p, s in statuses.items() if s.ok and (full or p in changed or not s.current)]
        # HTML first, so pages reload as soon as theirs is written. HTML is always built: it is the preview.
        formats: list[Format] = ["html", "pdf"] if "pdf" in config.build.formats else ["html"]
        for fmt in formats:
            for path in wanted:
                if not statuses[path].ok:
                    continue
                started = time.perf_counter()
                try:
                    report = build([path], config, formats=[fmt])
                except TemplateError as exc:  # the same for every brief: stop here
                    self.log(str(exc))
                    for rest in wanted:
                        statuses[rest] = dataclasses.replace(statuses[rest], current=False)
                    self._publish(briefs=tuple(statuses.values()), template_problem=_template_problem(exc))
                    return
                except Exception as exc:
                    if not isinstance(exc, BriefgenError):
                        self.log("".join(traceback.format_exception(exc)))
                    problems = _problems_of(exc, path)
                    self.log("\n".join(str(p) for p in problems))
                    statuses[path] = dataclasses.replace(statuses[path], problems=tuple(problems), current=False)
                else:
                    result = report.results[0]
                    notes = [*result.warnings, *(str(f) for f in result.findings if f.severity != "info")]
                    statuses[path] = dataclasses.replace(statuses[path], notes=tuple(notes), current=True)
                    seconds = time.perf_counter() - started
                    for output in result.outputs:
                        pages = f", {output.pages} pages" if output.pages else ""
                        self.log(f"built {_display(output.path)}{pages} ({seconds:.1f} s)")
                # A brief that built shows the templates work again.
                fixed = {"template_problem": None} if statuses[path].current else {}
                self._publish(briefs=tuple(statuses.values()), **fixed)

    def _validate_all(
        self, inputs: list[Path], config: Config, validate: Callable[..., list[LoadedBrief]]
    ) -> dict[Path, BriefStatus]:
        """Every input's status: valid (with its id and title) or its problems."""
        previous = {b.source: b for b in self._state.briefs}
        statuses: dict[Path, BriefStatus] = {}
        first_with_id: dict[str, Path] = {}
        for path in inputs:
            before = previous.get(path, BriefStatus(path))
            try:
                (loaded,) = validate([path], config)
            except InputError as exc:
                statuses[path] = dataclasses.replace(before, problems=tuple(exc.problems), notes=(), current=False)
                self.log("\n".join(str(p) for p in exc.problems))
                continue
            meta = loaded.brief.brief
            current = before.current and before.brief_id == meta.id
            status = BriefStatus(path, meta.id, meta.title, meta.date.isoformat(), notes=before.notes, current=current)
            if meta.id in first_with_id:
                line, column = loaded.document.locate(("brief", "id"))
                from briefgen.facts.load import id_location

                other = id_location(first_with_id[meta.id])  # file:line, as build and validate say it
                message = f"id {meta.id!r} is already used by {other}; both would write {meta.id}.html/.pdf"
                problem = Problem(_display(path), line, column, "brief.id", message)
                status = dataclasses.replace(status, problems=(problem,), current=False)
                self.log(str(problem))
            first_with_id.setdefault(meta.id, path)
            statuses[path] = status
        return statuses

    # ----------------------------------------------------------------- watching

    def _plan(self) -> _Plan:
        """What to watch, for the configuration in force (or on disk, before the first build)."""
        config = self._state.config
        if config is None:
            try:
                config = load_config(self.root)
            except InputError:
                config = Config(root=self.root)
        config_file = self.root / CONFIG_NAME
        # The fact library beside the inputs: an edit there can change every brief.
        folders = {config.inputs_dir, config.templates_dir, config.assets_dir, _library_dir(config)}
        sources = sorted({f.resolve() for f in folders if f.is_dir()})
        if config_file.is_file():
            sources.append(config_file.resolve())
        output = config.output_dir.resolve()
        return _Plan(config, tuple(sources), output if output.is_dir() else None, config_file.resolve())

    def refresh(self) -> State:
        """A new generation without a build: pages re-check what they show (e.g. an edition that
        another command wrote into the output folder)."""
        return self._publish()

    def watch(self, stop: threading.Event, *, poll: float = 0.2) -> None:
        """Build everything, then rebuild on every change until ``stop`` is set.

        Watched: the inputs, templates and assets folders and ``briefgen.toml`` (a change
        rebuilds), and the output folder (a new HTML or PDF there, e.g. an edition, only
        refreshes the pages). A folder or config file that appears later is noticed within
        ``poll`` seconds.
        """
        import watchfiles

        full = True
        while not stop.is_set():
            plan = self._plan()
            paths = [*plan.sources, *([plan.output] if plan.output else [])]
            if not paths:  # nothing to watch yet: look again shortly
                if full:
                    self.rebuild()
                full = False
                stop.wait(poll)
                full = bool(self._plan().sources)
                continue
            relevant = _Relevant(plan)
            for changes in watchfiles.watch(
                *paths,
                watch_filter=relevant,
                stop_event=stop,
                rust_timeout=int(poll * 1000),
                yield_on_timeout=True,
                debounce=800,
                step=50,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                # Armed before the first build, so a file saved during a build is not missed.
                everything, inputs, outputs = relevant.classify(changes)
                if full or everything:
                    self.rebuild()
                elif inputs:
                    self.rebuild(inputs)
                elif outputs:
                    self.refresh()
                full = False
                now = self._plan()
                if now != plan:
                    # Watch the new set of folders. When one appeared or went while the config
                    # stayed the same, nothing saw what is in it: build everything.
                    full = now.sources != plan.sources and now.config == plan.config
                    break


@dataclass(frozen=True)
class _Plan:
    config: Config
    sources: tuple[Path, ...]  # folders and the config file whose changes rebuild
    output: Path | None  # the output folder, once it exists: changes there only refresh pages
    config_file: Path


def _library_dir(config: Config) -> Path:
    from briefgen.facts.library import LIBRARY_DIR

    return config.inputs_dir.resolve().parent / LIBRARY_DIR


class _Relevant:
    """watchfiles filter: the changes that matter to the preview, and what each calls for."""

    def __init__(self, plan: _Plan) -> None:
        from watchfiles import DefaultFilter

        self._default = DefaultFilter()
        self.inputs = plan.config.inputs_dir.resolve()
        self.output = plan.config.output_dir.resolve()
        self.theme = (
            plan.config.templates_dir.resolve(),
            plan.config.assets_dir.resolve(),
            _library_dir(plan.config).resolve(),
        )
        self.config_file = plan.config_file

    def __call__(self, change: Change, path: str) -> bool:
        resolved = Path(path).resolve()
        if resolved == self.config_file:
            return True
        if not self._default(change, path) or resolved.name.startswith("."):
            return False  # editors' and atomic writers' temporary files, .git and the like
        if resolved.is_relative_to(self.output):
            return resolved.suffix in _OUTPUT_SUFFIXES
        if resolved.parent == self.inputs:  # inputs are the YAML files directly in the folder
            return resolved.suffix in _INPUT_SUFFIXES
        return resolved == self.inputs or any(resolved.is_relative_to(folder) for folder in self.theme)

    def classify(self, changes: Iterable[tuple[Change, str]]) -> tuple[bool, set[Path], bool]:
        """(whether everything must be rebuilt, the input files that changed, whether an output did)."""
        inputs: set[Path] = set()
        everything = outputs = False
        for _, path in changes:
            resolved = Path(path).resolve()
            if resolved.is_relative_to(self.output) and resolved != self.config_file:
                outputs = True
            elif resolved.parent == self.inputs and resolved.suffix in _INPUT_SUFFIXES:
                inputs.add(resolved)
            else:
                everything = True
        return everything, inputs, outputs
