"""FuelSDKWrapper 1.3.4 (on salesforce-fuelsdk-sans) writing and reading data extension rows.

Usage: ``python fuelsdkwrapper_rows.py WORKDIR``, inside a network namespace with only loopback.

FuelSDKWrapper's ``ET_API(params=...)`` hands its params to FuelSDK's ``ET_Client``; with
``useOAuth2Authentication`` and ``authenticationurl`` pointing at Sendwell, the client takes
``base_api_url`` from the token reply's ``rest_instance_url`` (which ends with ``/``), and every
row call is built from it: ``{base}hub/v1/dataevents/…``, ``{base}/data/v1/async/…`` (so the
path starts with ``//``), ``{base}data/v1/customobjectdata/…`` and ``{base}data{links.next}``.
Nothing else is changed. (Its ``send_trigger_email`` and ``get_contacts_counts`` post to a
hard-coded ``https://www.exacttargetapis.com`` and cannot be pointed anywhere: not tested here.)

Recipe: a data extension ``DE_KEY`` (Email primary key, Name, Age) is made server-side; then
through the wrapper: ``create_data_extension_rows`` (a good rowset, one with a bad row in the
middle, and the README's list form), ``create_data_extension_rows_async`` with a bad row and
``upsert_data_extension_rows_async`` (each polls the status itself until it is no longer
Pending/Executing), and ``get_data_extension_rows_rest`` with simple, IN, IS NULL and nested
filters, ``$fields``, ``$orderBy`` and a page size that makes it follow ``links.next``.
"""

from __future__ import annotations

import sys
from typing import Any

import harness
from sqlalchemy import select

from sendwell.services.registry import KINDS
from sendwell.store.tables import de_rows, objects

KEY = "DE_KEY"


def make_data_extension(server: harness.Server) -> None:
    fields = [
        {"Name": "Email", "FieldType": "EmailAddress", "IsPrimaryKey": True},
        {"Name": "Name", "FieldType": "Text"},
        {"Name": "Age", "FieldType": "Number"},
    ]
    with server.engine.begin() as conn:
        KINDS["DataExtension"].create(
            conn, server.mid, {"CustomerKey": KEY, "Name": KEY, "Fields": {"Field": fields}}
        )


def stored(server: harness.Server) -> dict[str, dict[str, str]]:
    """The rows as the store holds them, by email: what the test compares with."""
    with server.engine.connect() as conn:
        de_id = conn.execute(select(objects.c.id).where(objects.c.customer_key == KEY)).scalar_one()
        rows = conn.execute(select(de_rows.c.data).where(de_rows.c.de_id == de_id)).all()
    return {r.data["Email"]: dict(r.data) for r in rows}


def answer(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return {"status": response.status_code, "body": body, "url": response.url}


def recipe(server: harness.Server, result: dict[str, Any]) -> None:
    from FuelSDKWrapper import ET_API, Operator, complex_filter, simple_filter

    workdir = sys.argv[1]
    make_data_extension(server)
    api = ET_API(
        params={
            "clientid": server.client_id,
            "clientsecret": server.client_secret,
            "defaultwsdl": server.base + "/etframework.wsdl",
            "wsdl_file_local_loc": f"{workdir}/fuelsdk-wsdl.xml",
            "baseapiurl": server.base,
            "useOAuth2Authentication": "True",
            "authenticationurl": server.base,
            "accountId": str(server.mid),
        }
    )
    result["base_api_url"] = api.client.base_api_url

    good = api.create_data_extension_rows(
        KEY,
        [{"Email": "ann@example.com"}, {"Email": "bob@example.com"}],
        [{"Name": "Ann", "Age": 30}, {"Name": "Bob", "Age": 41}],
    )
    result["rowset"] = answer(good)
    bad = api.create_data_extension_rows(
        KEY,
        [{"Email": "cyd@example.com"}, {"Email": "dan@example.com"}, {"Email": "eve@example.com"}],
        [{"Name": "Cyd"}, {"Age": "forty"}, {"Name": "Eve"}],
    )
    result["bad_rowset"] = answer(bad)
    result["readme_lists"] = answer(api.create_data_extension_rows(KEY, [["Email"]], [["x@y.zz"]]))
    result["after_rowsets"] = stored(server)

    inserted = api.create_data_extension_rows_async(
        KEY, [{"Email": "fay@example.com", "Name": "Fay", "Age": 7}, {"Email": "not-an-address"}]
    )
    result["async_insert_status"] = answer(inserted)
    request_id = inserted.json()["status"]["requestId"]
    results = api.client  # the wrapper has no results call: read them as a user would
    import requests

    result["async_insert_results"] = requests.get(
        f"{results.base_api_url}data/v1/async/{request_id}/results",
        headers={"Authorization": f"Bearer {results.authToken}"},
    ).json()
    upserted = api.upsert_data_extension_rows_async(KEY, [{"Email": "ann@example.com", "Age": 31}])
    result["async_upsert_status"] = answer(upserted)
    result["after_async"] = stored(server)

    def search(**kwargs: Any) -> dict[str, Any]:
        rows, count = api.get_data_extension_rows_rest(KEY, **kwargs)
        return {"rows": rows, "count": count}

    result["get_one"] = search(
        search_filter=simple_filter("Email", Operator.EQUALS, "ann@example.com"),
        property_list=["Name", "Age"],
        order_by="Email ASC",
        page_size=10,
    )
    result["get_in"] = search(
        search_filter=simple_filter("Name", Operator.IN, ["Bob", "Fay"]), order_by="Name DESC"
    )
    result["get_null"] = search(search_filter=simple_filter("Age", Operator.IS_NULL, None))
    result["get_nested"] = search(
        search_filter=complex_filter(
            complex_filter(
                simple_filter("Age", Operator.GREATER_THAN, "10"),
                "AND",
                simple_filter("Name", Operator.LIKE, "%n%"),
            ),
            "OR",
            simple_filter("Email", Operator.EQUALS, "fay@example.com"),
        ),
        order_by="Age ASC",
        page_size=1,  # one row a page: the wrapper follows links.next
    )
    result["get_all_paged"] = search(order_by="Email ASC", page_size=2)


if __name__ == "__main__":
    harness.run(recipe)
