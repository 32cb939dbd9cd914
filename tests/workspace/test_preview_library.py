"""The preview watches the fact library: an edit there rebuilds every brief."""

from __future__ import annotations

from pathlib import Path

from watchfiles import Change

from briefgen.workspace.preview import Preview, _Relevant
from briefgen.workspace.scaffold import new_workspace


def test_a_library_change_is_relevant_and_rebuilds_everything(tmp_path: Path) -> None:
    new_workspace(tmp_path / "ws")
    plan = Preview(tmp_path / "ws")._plan()
    library = (tmp_path / "ws" / "library").resolve()
    assert library in plan.sources
    relevant = _Relevant(plan)
    entry = str(library / "example.yaml")
    assert relevant(Change.modified, entry)
    everything, inputs, outputs = relevant.classify([(Change.modified, entry)])
    assert everything and not inputs and not outputs
