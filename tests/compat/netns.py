"""Run a client script in a network namespace of its own, where only loopback exists.

Every Marketing Cloud SDK has hard-coded production hosts it calls when a setting is missed.
Inside ``unshare -n`` (loopback up, nothing else) such a call fails at once with a name
resolution error instead of reaching Salesforce, so a compatibility test cannot pass by
accident. The script starts Sendwell itself (``clients/harness.py``) on 127.0.0.1 inside the
same namespace and prints one JSON result line, which ``run_client`` returns.

Per run, nothing is shared with other runs or the developer's machine: the working directory
(FuelSDK's ``./soap_cache_file.json``, its WSDL copy, the SQLite database) and ``TMPDIR`` (suds'
parsed-WSDL cache: suds-community 1.x keeps it in ``tempfile.mkdtemp()``, not ``/tmp/suds``) are
in the test's tmp dir, ``HOME`` points there too (FuelSDK reads ``~/.fuelsdk/config.python``,
which would override our settings), and ``FUELSDK_*`` and proxy variables are dropped.

A run may also give ``hosts`` (name → 127.0.0.1 address): it then gets a mount namespace too,
where a hosts file of its own is bind-mounted over ``/etc/hosts``, so that a client's hard-coded
Marketing Cloud host resolves to loopback inside the run and nowhere else.

As root (CI) that is ``unshare -n``; otherwise ``unshare -r -n`` (a user namespace too) where the
kernel allows unprivileged user namespaces. Where neither works, the tests skip with the reason; CI sets ``SENDWELL_REQUIRE_ALL_TESTS=1``, which turns that skip into a failure.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CLIENTS = Path(__file__).parent / "clients"
RESULT_MARKER = "COMPAT-RESULT "  # as in clients/harness.py
# Bring loopback up, then replace the shell with the command ("$0" "$@").
LO_UP = 'ip link set lo up && exec "$0" "$@"'
DROPPED_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE")


# Root (CI) uses "unshare -n"; elsewhere "-r" maps the user to root in a new user namespace,
# which is enough to own a network namespace where unprivileged user namespaces are allowed.
UNSHARE_VARIANTS = (["unshare", "-n"], ["unshare", "-r", "-n"])


@functools.cache
def _unshare() -> tuple[list[str] | None, str]:
    """The first ``unshare`` command that gives a network namespace with loopback up, or None
    and why none does."""
    problems = []
    for variant in UNSHARE_VARIANTS:
        try:
            probe = subprocess.run(
                [*variant, "--", "sh", "-c", "ip link set lo up"],
                capture_output=True,
                text=True,
                timeout=20,
            )
        except FileNotFoundError as exc:
            return None, f"unshare/ip not available: {exc}"
        except subprocess.TimeoutExpired:
            problems.append(f"'{' '.join(variant)}' did not return within 20 s")
            continue
        if probe.returncode == 0:
            return list(variant), ""
        problems.append(
            f"'{' '.join(variant)}' + 'ip link set lo up' failed (exit {probe.returncode}): "
            f"{probe.stderr.strip()}"
        )
    return None, "; ".join(problems) + " (needs root or unprivileged user namespaces)"


def unshare_problem() -> str | None:
    """Why no network namespace with loopback up can be made here, or None when it can."""
    command, problem = _unshare()
    return None if command else problem


def require_unshare() -> list[str]:
    command, problem = _unshare()
    if command is None:
        pytest.skip(f"compat tests need a network namespace: {problem}")
    return command


def isolated_env(workdir: Path) -> dict[str, str]:
    tmp = workdir / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FUELSDK_") and k.upper() not in DROPPED_ENV
    }
    env.update(TMPDIR=str(tmp), HOME=str(workdir), PYTHONDONTWRITEBYTECODE="1")
    return env


def _hosts_mount(hosts_file: Path) -> str:
    """The shell prelude that also puts ``hosts_file`` over /etc/hosts (mount namespace)."""
    return f"mount --bind {shlex.quote(str(hosts_file))} /etc/hosts && {LO_UP}"


@functools.cache
def _hosts_problem() -> str | None:
    """Why a run cannot have a hosts file of its own here (a mount namespace), or None."""
    unshare = require_unshare()
    probe = subprocess.run(
        [*unshare, "-m", "--", "sh", "-c", _hosts_mount(Path("/etc/hosts")), "true"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    if probe.returncode == 0:
        return None
    return f"bind-mounting a hosts file in a mount namespace failed: {probe.stderr.strip()}"


def run_isolated(
    argv: list[str],
    workdir: Path,
    timeout: float = 120,
    hosts: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``argv`` in a new network namespace with only loopback up, cwd ``workdir``; with
    ``hosts``, names resolve to those addresses there (and ``localhost`` to loopback)."""
    unshare = require_unshare()
    prelude = LO_UP
    if hosts:
        problem = _hosts_problem()
        if problem:
            pytest.skip(f"this compat test needs its own /etc/hosts: {problem}")
        hosts_file = workdir / "hosts"
        lines = ["127.0.0.1 localhost", "::1 localhost"]
        hosts_file.write_text("\n".join([*lines, *(f"{a} {n}" for n, a in hosts.items())]) + "\n")
        unshare, prelude = [*unshare, "-m"], _hosts_mount(hosts_file)
    return subprocess.run(
        [*unshare, "--", "sh", "-c", prelude, *argv],
        cwd=workdir,
        env={**isolated_env(workdir), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class ClientRun:
    """One client script's run: its JSON result and where it ran."""

    result: dict[str, Any]
    workdir: Path
    stderr: str

    def __getitem__(self, key: str) -> Any:
        self.check()
        return self.result[key]

    def check(self) -> None:
        """Fail with the traceback and the server's request log if the recipe broke."""
        if "error" in self.result:
            pytest.fail(
                "the client recipe failed:\n"
                + self.result["error"]
                + "\nrequests the server saw:\n  "
                + "\n  ".join(self.result.get("requests", []))
                + "\nstderr (tail):\n"
                + self.stderr[-3000:],
                pytrace=False,
            )

    def requests(self) -> list[str]:
        return self.result.get("requests", [])


def run_client(
    script: str,
    workdir: Path,
    *args: str,
    timeout: float = 120,
    hosts: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> ClientRun:
    """Run ``clients/<script>`` isolated; return its result (errors are kept for ``check``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(CLIENTS / script), str(workdir), *args]
    return run_argv(argv, workdir, script, timeout, hosts, env)


def run_argv(
    argv: list[str],
    workdir: Path,
    what: str,
    timeout: float = 120,
    hosts: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> ClientRun:
    """Run ``argv`` isolated (``what`` names it in failures); the result it printed."""
    try:
        proc = run_isolated(argv, workdir, timeout, hosts, env)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"{what} did not finish within {timeout}s; stderr (tail):\n"
            f"{(exc.stderr or b'')[-3000:]!r}",
            pytrace=False,
        )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_MARKER)]
    if not lines:
        pytest.fail(
            f"{what} printed no result (exit {proc.returncode});\nstdout (tail):\n"
            f"{proc.stdout[-2000:]}\nstderr (tail):\n{proc.stderr[-4000:]}",
            pytrace=False,
        )
    return ClientRun(json.loads(lines[-1][len(RESULT_MARKER) :]), workdir, proc.stderr)


def npm_install(
    tmp_path_factory: pytest.TempPathFactory, package: Path, given_env: str, module: str
) -> Path:
    """A folder whose node_modules holds ``package``'s locked dependencies (``npm ci``), or
    the one ``given_env`` names; skips when node >= 18 and npm are not to be had (a failure
    under ``SENDWELL_REQUIRE_ALL_TESTS=1``). ``module`` is the package the test needs."""
    where = package.relative_to(package.parents[2])
    given = os.environ.get(given_env)
    if given:
        folder = Path(given)
        assert (folder / "node_modules" / module / "package.json").is_file(), (
            f"{given_env}={given} has no node_modules/{module}; "
            f"run 'npm ci' there with {where}/package*.json"
        )
        return folder
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(f"{module} needs node >= 18 and npm on PATH")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    major = re.match(r"v(\d+)", version)
    if major is None or int(major.group(1)) < 18:
        pytest.skip(f"{module} needs node >= 18, found {version!r}")
    folder = tmp_path_factory.mktemp(package.name)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(package / name, folder / name)
    try:
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm ci of {where} did not finish within 300 s")
    if proc.returncode != 0:
        pytest.skip(f"npm ci of {where} failed: {proc.stderr[-1500:]}")
    return folder
