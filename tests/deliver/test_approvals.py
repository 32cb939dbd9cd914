"""Approvals on both stores: rows read back whole, and several processes approving the same
edition at once leave one row per approver and no error for anyone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from briefgen.deliver.approvals import Approvals
from briefgen.state.store import STATE_DB

pytestmark = pytest.mark.usefixtures("state_store")

CONFIG = '[[schedules]]\nname = "weekly"\ncron = "0 7 * * MON"\napproval = true\n'


def test_requests_approvals_and_decisions_read_back_whole(tmp_path: Path) -> None:
    with Approvals(tmp_path / STATE_DB) as store:
        request, new = store.request("edition-2021-w49", "a" * 64, "eda@example.org")
        assert new and store.request("edition-2021-w49", "a" * 64, "eda@example.org") == (request, False)
        later, _ = store.request("edition-2021-w49", "b" * 64, "eda@example.org")
        assert store.first_request("edition-2021-w49") == request
        assert store.latest_request("edition-2021-w49") == later
        store.approve("edition-2021-w49", "b" * 64, "eda", "fine")
        store.approve("edition-2021-w49", "b" * 64, "eda", "fine, again")  # renewed, not doubled
        (approval,) = store.approvals("edition-2021-w49")
        assert (approval.approver, approval.comment, approval.content_hash) == ("eda", "fine, again", "b" * 64)
        assert isinstance(approval.approved_at, float)
        assert store.decide("edition-2021-w49", "weekly", "b" * 64, "skipped").decision == "skipped"
        assert store.decide("edition-2021-w49", "weekly", "b" * 64, "sent-unapproved").decision == "skipped"  # stands
        assert store.decide("edition-2021-w49", "partners", "b" * 64, "sent-unapproved").decision == "sent-unapproved"
        assert [d.schedule for d in store.decisions("edition-2021-w49")] == ["partners", "weekly"]


def test_several_processes_approving_at_once_leave_one_row_and_no_error(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text(CONFIG, encoding="utf-8")
    with Approvals(tmp_path / STATE_DB) as store:
        store.request("edition-2021-w49", "c" * 64, "eda@example.org")
    command = [sys.executable, "-m", "briefgen", "approve", "2021-W49", "--by", "eda"]
    children = [
        subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    results = [(c.wait(timeout=120), *c.communicate()) for c in children]
    assert [code for code, _, _ in results] == [0] * 4, [err for *_, err in results]
    assert all(out.startswith("approved edition-2021-w49 version cccccccc by eda") for _, out, _ in results)
    assert all(err == "" for *_, err in results)
    with Approvals(tmp_path / STATE_DB) as store:
        assert len(store.approvals("edition-2021-w49")) == 1
