"""Each injected fault kind as a real client sees it (``clients/zeep_faults.py``, network cut
off): zeep raises the SOAP faults and reads per-object errors as results; requests gets the
REST and token answers with Marketing Cloud's status, headers and bodies."""

from __future__ import annotations

import pytest

from .netns import ClientRun, run_client

_runs: dict[str, ClientRun] = {}


@pytest.fixture
def run(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if "run" not in _runs:
        _runs["run"] = run_client("zeep_faults.py", tmp_path_factory.mktemp("faults"))
    return _runs["run"]


def test_soap_faults_raise_zeep_faults(run: ClientRun) -> None:
    assert run["soap_fault"] == {
        "raised": "Fault",
        "message": "Server busy (injected)",
        "code": "soap:Server",
    }
    assert run["server_error"]["raised"] == "Fault"
    assert run["server_error"]["message"] == "An unexpected error occurred. It has been logged."
    assert run["token_expired_soap"]["raised"] == "Fault"
    assert run["token_expired_soap"]["message"] == "Token Expired"
    assert run["rate_limit"]["raised"] == "Fault"  # HTTP 429 with a fault body


def test_per_object_errors_are_results(run: ClientRun) -> None:
    created = run["object_error"]
    assert created["raised"] is None
    (result,) = created["value"]["Results"]
    assert (result["StatusCode"], result["ErrorCode"], result["StatusMessage"]) == (
        "Error",
        310007,
        "Row invalid (injected)",
    )
    assert created["value"]["OverallStatus"] == "Error"
    assert run["retrieve_error"]["value"]["OverallStatus"] == "Error: Not now (injected)"


def test_a_delay_answers_as_usual_but_late(run: ClientRun) -> None:
    assert run["delay"]["raised"] is None
    assert run["delay"]["seconds"] >= 0.7
    assert run["delay"]["value"]["OverallStatus"] == "OK"


def test_rest_and_token_faults_as_marketing_cloud_answers(run: ClientRun) -> None:
    expired = run["rest_token_expired"]
    assert expired["status"] == 401
    assert expired["headers"]["www-authenticate"] == 'Bearer error="invalid_token"'
    limited = run["rest_rate_limit"]
    assert (limited["status"], limited["headers"]["retry-after"]) == (429, "9")
    assert limited["body"]["errorcode"] == 50200
    assert run["rest_server_error"]["status"] == 500
    assert run["rest_after"] == 200  # each fault was for the next call only
    token = run["token_rate_limit"]
    assert (token["status"], token["retry_after"]) == (429, "4")
    assert token["body"]["error"] == "too_many_requests"


def test_every_injected_fault_was_logged(run: ClientRun) -> None:
    assert len(run["log"]) == 11
