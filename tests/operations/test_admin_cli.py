"""Issue 15: `pod accounts usage`, `pod admin ...`, `pod backup` and `pod restore` on a data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from pod.cli import main

BASE = "http://localhost:3000/"


def cli(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--data-dir", str(data), "--base-url", BASE])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def data(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    args = ("accounts", "create", "--email", "a@example.org", "--password", "correct horse battery")
    assert cli(capsys, folder, *args, "--pod", "alice")[0] == 0
    return folder


def test_usage_lists_each_pod_with_bytes_and_quota(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    code, out, _ = cli(capsys, data, "accounts", "usage")
    assert code == 0 and f"{BASE}alice/" in out and "bytes of unlimited" in out
    assert cli(capsys, data, "admin", "quota", "a@example.org", "5000")[0] == 0
    assert "bytes of 5000" in cli(capsys, data, "accounts", "usage")[1]


def test_bad_quota_values_are_refused(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    for bad in ("-1", "lots"):
        code, _, err = cli(capsys, data, "admin", "quota", "a@example.org", bad)
        assert code == 1 and "quota" in err


def test_suspend_shows_in_the_list_and_delete_removes_the_data(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    assert cli(capsys, data, "admin", "suspend", "a@example.org")[0] == 0
    assert "SUSPENDED" in cli(capsys, data, "admin", "list")[1]
    assert cli(capsys, data, "admin", "delete", "a@example.org")[0] == 0
    assert not (data / "alice").exists()
    assert "a@example.org" not in cli(capsys, data, "admin", "list")[1]


def test_backup_then_restore_gives_the_same_pod(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    (data / "alice" / "note.txt").write_text("before")
    assert cli(capsys, data, "backup", str(tmp_path / "copy"))[0] == 0
    # The server replaces files (temp + rename), never writes in place: the backup's link keeps its version.
    (data / "alice" / "new.tmp").write_text("after: an app overwrote it")
    (data / "alice" / "new.tmp").replace(data / "alice" / "note.txt")
    restored = tmp_path / "restored"
    assert cli(capsys, restored, "restore", str(tmp_path / "copy"))[0] == 0
    assert (restored / "alice" / "note.txt").read_text() == "before"
    assert "alice/" in cli(capsys, restored, "accounts", "usage")[1]
    code, _, err = cli(capsys, restored, "restore", str(tmp_path / "copy"))
    assert code == 1 and "not empty" in err
