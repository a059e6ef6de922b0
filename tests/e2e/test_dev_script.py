"""``./dev``: one install serves `test` and every other command, and commands run in the
caller's directory (relative paths and the default database are the caller's).

The virtualenv here is a stand-in (not a mock of Sendwell): its ``python`` logs ``-m pip``
calls instead of installing, which cannot run offline, and runs everything else with the
interpreter running these tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "dev"


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A virtualenv stand-in whose pip calls are recorded in ``pip.log``."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    log = tmp_path / "venv" / "pip.log"
    python = bin_dir / "python"
    python.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "$*" >> "{log}"; exit 0; fi\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    sendwell = bin_dir / "sendwell"
    sendwell.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sendwell "$@"\n')
    for script in (python, sendwell):
        script.chmod(0o755)
    return tmp_path / "venv"


def dev(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDWELL_")}
    env.update(SENDWELL_VENV=str(venv), SENDWELL_DATABASE_URL=f"sqlite:///{venv.parent}/dev.db")
    return subprocess.run(
        [str(DEV), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def pip_installs(venv: Path) -> list[str]:
    log = venv / "pip.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [line for line in lines if "install" in line and "--upgrade pip" not in line]


def test_switching_between_test_and_other_commands_installs_once(venv: Path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    unit = str(ROOT / "tests/unit/test_verp.py")
    for args in (["test", "--co", "-q", unit], ["db", "upgrade"]) * 2:
        result = dev(venv, tmp_path, *args)
        assert result.returncode == 0, result.stdout + result.stderr
    installs = pip_installs(venv)
    assert len(installs) == 2, installs  # one install round
    assert installs[0].endswith(f"-e {ROOT}[test]")  # the test extras, for every command
    # then the test clients whose declared dependencies cannot install (pyproject.toml)
    with (ROOT / "pyproject.toml").open("rb") as handle:
        pins = tomllib.load(handle)["tool"]["sendwell"]["test-no-deps"]
    assert installs[1] == f"-m pip install --quiet --no-deps {' '.join(pins)}"


def test_relative_paths_are_the_callers(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "email.html").write_text("Hi %%FirstName%%!", encoding="utf-8")
    result = dev(
        venv,
        tmp_path,
        "render",
        "email.html",
        "--part",
        "text",
        "--attributes",
        '{"FirstName": "Ada"}',
    )
    assert (result.returncode, result.stdout) == (0, "Hi Ada!"), result.stderr

    folder = tmp_path / "crm"
    folder.mkdir()
    (folder / "contacts.csv").write_text("Id,Email\n003000000000001,ada@example.test\n")
    assert dev(venv, tmp_path, "account", "create", "100001", "Mine").returncode == 0
    imported = dev(venv, folder, "crm", "import", ".", "--mid", "100001")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "contacts.csv" in imported.stdout


def test_the_default_database_is_in_the_callers_directory(venv: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDWELL_")}
    env["SENDWELL_VENV"] = str(venv)
    result = subprocess.run(
        [str(DEV), "db", "upgrade"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "sendwell.db").exists()
