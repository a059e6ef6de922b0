"""FuelSDKWrapper 1.3.4 (PyPI; on salesforce-fuelsdk-sans) writing and reading data extension
rows against a real Sendwell, in a network namespace with only loopback.

One run of ``clients/fuelsdkwrapper_rows.py``: ``create_data_extension_rows``, the async insert
and upsert with the wrapper's own status polling (its URLs start with ``//``), and
``get_data_extension_rows_rest`` with filters and ``links.next`` paging. The rows the store
holds are read by the script between the calls and compared here with what each call should
have left.
"""

from __future__ import annotations

import pytest

from .netns import ClientRun, run_client

_runs: dict[str, ClientRun] = {}


@pytest.fixture
def run(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if "run" not in _runs:
        _runs["run"] = run_client("fuelsdkwrapper_rows.py", tmp_path_factory.mktemp("fsw"))
    return _runs["run"]


def test_the_rest_base_is_sendwells_and_async_paths_keep_their_double_slash(run: ClientRun) -> None:
    assert run["base_api_url"] == run["base"] + "/"
    requests = run.requests()
    assert "POST //data/v1/async/dataextensions/key:DE_KEY/rows -> 202" in requests
    assert "PUT //data/v1/async/dataextensions/key:DE_KEY/rows -> 202" in requests
    polls = [r for r in requests if r.startswith("GET //data/v1/async/") and "/status" in r]
    assert polls and all(r.endswith("-> 200") for r in polls)


def test_create_data_extension_rows_upserts_and_keeps_rows_before_a_bad_one(run: ClientRun) -> None:
    assert run["rowset"]["status"] == 200
    assert run["rowset"]["body"] == [
        {"keys": {"Email": "ann@example.com"}, "values": {"Name": "Ann", "Age": 30}},
        {"keys": {"Email": "bob@example.com"}, "values": {"Name": "Bob", "Age": 41}},
    ]
    bad = run["bad_rowset"]
    assert bad["status"] == 400 and bad["body"]["errorcode"] == 10006
    assert bad["body"]["additionalErrors"][0]["message"].startswith("Age: ")
    assert run["readme_lists"]["status"] == 400
    assert run["readme_lists"]["body"]["errorcode"] == 10000
    assert run["after_rowsets"] == {
        "ann@example.com": {"Email": "ann@example.com", "Name": "Ann", "Age": "30"},
        "bob@example.com": {"Email": "bob@example.com", "Name": "Bob", "Age": "41"},
        "cyd@example.com": {"Email": "cyd@example.com", "Name": "Cyd"},  # before the bad row
    }


def test_the_async_insert_and_upsert_are_polled_to_complete(run: ClientRun) -> None:
    inserted = run["async_insert_status"]["body"]["status"]
    assert inserted["requestStatus"] == "Complete" and inserted["resultStatus"] == "Has Errors"
    results = run["async_insert_results"]
    assert results["count"] == 2
    assert [r["status"] for r in results["items"]] == ["OK", "Error"]
    upserted = run["async_upsert_status"]["body"]["status"]
    assert upserted["requestStatus"] == "Complete" and upserted["resultStatus"] == "OK"
    after = run["after_async"]
    assert after["fay@example.com"] == {"Email": "fay@example.com", "Name": "Fay", "Age": "7"}
    assert after["ann@example.com"]["Age"] == "31" and "not-an-address" not in after


def test_row_search_with_filters_and_paging(run: ClientRun) -> None:
    assert run["get_one"] == {
        "rows": [{"keys": {"email": "ann@example.com"}, "values": {"name": "Ann", "age": "31"}}],
        "count": 1,
    }

    def emails(name: str) -> list[str]:
        return [r["keys"]["email"] for r in run[name]["rows"]]

    assert emails("get_in") == ["fay@example.com", "bob@example.com"]
    assert emails("get_null") == ["cyd@example.com"]
    assert emails("get_nested") == ["fay@example.com", "ann@example.com"]  # page size 1
    assert run["get_all_paged"]["count"] == 4
    assert emails("get_all_paged") == sorted(run["after_async"])
    followed = [r for r in run.requests() if "/customobjectdata/token/" in r]
    assert len(followed) == 2 and all(r.endswith("?$page=2 -> 200") for r in followed)
