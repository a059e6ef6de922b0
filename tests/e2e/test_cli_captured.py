"""``sendwell captured``: the captured mail of an account, and a clear error for a MID that
does not exist (rather than an empty list that reads as "nothing was sent")."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sendwell.cli import app


def test_captured_of_an_unknown_account_says_so_and_fails(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SENDWELL_DATABASE_URL", f"sqlite:///{tmp_path}/sendwell.db")
    runner = CliRunner()
    assert runner.invoke(app, ["account", "create", "100001", "Known"]).exit_code == 0

    unknown = runner.invoke(app, ["captured", "--mid", "424242"])
    assert unknown.exit_code == 1
    assert " ".join(unknown.output.split()) == (
        "error: there is no account with MID 424242 in this database."
    )
    known = runner.invoke(app, ["captured", "--mid", "100001"])
    assert known.exit_code == 0, known.output
    assert "0 captured messages" in known.output


@pytest.mark.parametrize("args", [["--show", "1"], []])
def test_captured_on_a_fresh_database_is_not_a_traceback(tmp_path: Path, monkeypatch, args) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SENDWELL_DATABASE_URL", f"sqlite:///{tmp_path}/fresh.db")
    result = CliRunner().invoke(app, ["captured", "--mid", "100001", *args])
    assert result.exit_code == 1
    assert "there is no account with MID 100001" in result.output
