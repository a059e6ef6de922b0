"""Tests that read the project's shared folder (reference WSDL, seeds) find it through
``SENDWELL_TEST_SHARED_DIR``; missing, they skip saying what to provide, and under CI's
``SENDWELL_REQUIRE_ALL_TESTS=1`` that skip fails the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

from sendwell.api.soap import types

NODE = "tests/unit/test_soap_types.py::test_pattern_matches_reference"


def pytest_run(shared: Path, require_all: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDWELL_")}
    env["SENDWELL_TEST_SHARED_DIR"] = str(shared)
    if require_all:
        env["SENDWELL_REQUIRE_ALL_TESTS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", NODE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_shared_folder_is_read_from_the_variable(tmp_path: Path) -> None:
    wsdl = tmp_path / "api/reference/etframework.wsdl"
    wsdl.parent.mkdir(parents=True)
    pattern = types.TYPES["instanceid"].pattern
    wsdl.write_text(
        '<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"><types>'
        '<schema xmlns="http://www.w3.org/2001/XMLSchema"><simpleType name="instanceid">'
        f'<restriction base="string"><pattern value="{pattern}"/></restriction></simpleType>'
        "</schema></types></definitions>"
    )
    result = pytest_run(tmp_path, require_all=True)
    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout


def test_a_missing_shared_folder_skips_saying_what_to_provide(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    skipped = pytest_run(missing, require_all=False)
    out = " ".join(skipped.stdout.split())
    assert skipped.returncode == 0 and "1 skipped" in out, out
    assert f"not found at {missing}/api/reference/etframework.wsdl" in out
    assert "set SENDWELL_TEST_SHARED_DIR to the folder that holds" in out

    required = pytest_run(missing, require_all=True)
    assert required.returncode == 1, required.stdout
    assert "skipped, but CI requires every test to run" in required.stdout
