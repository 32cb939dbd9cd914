"""Which templates a workspace builds with, where each comes from, and copying one to edit.

The workspace's templates folder is searched before the built-in theme (see
:func:`template_dirs`), so a file there replaces the built-in file of the
same name and everything else still comes from the theme.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from briefgen.errors import UsageError

__all__ = ["TemplateFile", "builtin_template_names", "copy_template", "list_templates"]

Origin = Literal["workspace", "built-in"]


@dataclass(frozen=True)
class TemplateFile:
    name: str  # as templates include it: "style.css", "partials/title.html.j2"
    origin: Origin
    path: Path
    overrides: bool = False  # a workspace file that replaces the built-in one of the same name


def builtin_templates_dir() -> Path:
    """The default theme: inside the installed package, or at the repository root in a checkout."""
    package = Path(__file__).resolve().parents[1]
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parent / "templates"


def template_dirs(user_dir: Path | None) -> list[Path]:
    dirs = [user_dir] if user_dir is not None and user_dir.is_dir() else []
    builtin = builtin_templates_dir()
    if not any(d.resolve() == builtin.resolve() for d in dirs):
        dirs.append(builtin)
    return dirs


def _builtin_dir() -> Path:
    return builtin_templates_dir()


def _names(folder: Path) -> list[str]:
    """Template names under ``folder``: every file but hidden ones and READMEs."""
    if not folder.is_dir():
        return []
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(folder).parts)
        and not path.name.upper().startswith("README")
    )


def builtin_template_names() -> list[str]:
    return _names(_builtin_dir())


def list_templates(workspace_dir: Path) -> list[TemplateFile]:
    """Every template a build uses, sorted by name, with the folder it is read from."""
    builtin_dir = _builtin_dir()
    builtin = set(_names(builtin_dir))
    mine = set() if workspace_dir.resolve() == builtin_dir.resolve() else set(_names(workspace_dir))
    return [
        TemplateFile(name, "workspace", workspace_dir / name, name in builtin)
        if name in mine
        else TemplateFile(name, "built-in", builtin_dir / name)
        for name in sorted(builtin | mine)
    ]


def _resolve_name(name: str, builtin: list[str]) -> str:
    """Accept the full name (``partials/title.html.j2``), the file name or its stem (``title``)."""
    wanted = name.strip().lstrip("/")
    if wanted in builtin:
        return wanted
    matches = [n for n in builtin if Path(n).name == wanted or Path(n).name.split(".")[0] == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(f"{name!r} could be any of: {', '.join(matches)}; give the full name")
    raise UsageError(f"no built-in template named {name!r}; the built-in templates are: {', '.join(builtin)}")


def copy_template(name: str, workspace_dir: Path, *, force: bool = False) -> Path:
    """Copy the built-in template ``name`` into ``workspace_dir`` for editing; return the copy.

    An existing file is never overwritten unless ``force``.
    """
    builtin_dir = _builtin_dir()
    if workspace_dir.resolve() == builtin_dir.resolve():
        raise UsageError(f"{workspace_dir} is the built-in theme itself; nothing to copy")
    resolved = _resolve_name(name, _names(builtin_dir))
    destination = workspace_dir / resolved
    if destination.exists() and not force:
        raise UsageError(f"{destination} already exists; use --force to overwrite it with the built-in version")
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(builtin_dir / resolved, destination)
    return destination
