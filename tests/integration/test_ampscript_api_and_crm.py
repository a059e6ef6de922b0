"""AMPscript's SOAP API functions against Sendwell's own object layer, for the sending account
only, and its Salesforce functions against the local CRM store; previews change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, select

from sendwell.domain.ampscript import RenderEnvironment, compile_content
from sendwell.services.ampscript_api import AccountApi, PreviewApi
from sendwell.services.ampscript_crm import AccountCrm, PreviewCrm
from sendwell.store.tables import crm_people, subscribers

MAKE = """%%[
SET @s = CreateObject("Subscriber")
SetObjectProperty(@s, "EmailAddress", "new@example.test")
SetObjectProperty(@s, "SubscriberKey", "new-1")
SET @a = CreateObject("Attribute")
SetObjectProperty(@a, "Name", "Tier")
SetObjectProperty(@a, "Value", "Gold")
AddObjectArrayItem(@s, "Attributes", @a)
SET @c = CreateObject("ClientID")
SetObjectProperty(@c, "ID", 999)
SetObjectProperty(@s, "Client", @c)
SET @status = InvokeCreate(@s, @message, @code)
]%%%%=v(@status)=%%|%%=v(@code)=%%"""
FIND = """%%[
SET @rr = CreateObject("RetrieveRequest")
SetObjectProperty(@rr, "ObjectType", "Subscriber")
AddObjectArrayItem(@rr, "Properties", "SubscriberKey")
AddObjectArrayItem(@rr, "Properties", "EmailAddress")
SET @f = CreateObject("SimpleFilterPart")
SetObjectProperty(@f, "Property", "SubscriberKey")
SetObjectProperty(@f, "SimpleOperator", "equals")
SetObjectProperty(@f, "Value", "new-1")
SetObjectProperty(@rr, "Filter", @f)
SET @rows = InvokeRetrieve(@rr, @status, @request)
]%%%%=RowCount(@rows)=%%|%%=v(@status)=%%|%%=Field(Row(@rows, 1), "EmailAddress")=%%"""


def render(content: str, **env: Any) -> str:
    return compile_content(content).render({}, RenderEnvironment(**env))


def keys(world: Any) -> list[tuple[int, str]]:
    with world.engine.connect() as conn:
        return [(r.mid, r.subscriber_key) for r in conn.execute(select(subscribers))]


def test_invoke_create_and_retrieve_act_for_the_sending_account(sqlite_world) -> None:
    world = sqlite_world
    api = AccountApi(world.engine, world.mid)
    assert render(MAKE, api=api) == "OK|0"
    assert (world.mid, "new-1") in keys(world)  # the Client named 999 was not used
    assert all(mid == world.mid for mid, _ in keys(world))
    assert render(FIND, api=api) == "1|OK|new@example.test"
    other = AccountApi(world.engine, 1002)  # another account sees none of it
    assert (
        render(FIND.replace('Field(Row(@rows, 1), "EmailAddress")', "v(@status)"), api=other)
        == "0|OK|OK"
    )


def test_invoke_errors_are_results_not_failures(sqlite_world) -> None:
    world = sqlite_world
    content = """%%[ SET @o = CreateObject("Frobnicator")
SET @status = InvokeCreate(@o, @message, @code)
SET @d = CreateObject("Subscriber") SetObjectProperty(@d, "SubscriberKey", "nobody")
SET @deleted = InvokeDelete(@d, @m2, @c2) ]%%%%=v(@status)=%%: %%=v(@message)=%% / %%=v(@deleted)=%%"""
    shown = render(content, api=AccountApi(world.engine, world.mid))
    assert shown.startswith("Error: Sendwell's API has no object type 'Frobnicator' / Error")


def test_a_preview_invokes_nothing(sqlite_world) -> None:
    world = sqlite_world
    before = keys(world)
    assert render(MAKE, api=PreviewApi(world.engine, world.mid)) == "OK|0"
    assert keys(world) == before


def test_without_the_api_it_is_refused() -> None:
    with pytest.raises(Exception) as raised:
        render(MAKE)
    assert "the SOAP API cannot be called here" in str(raised.value)


def add_contact(world: Any) -> None:
    with world.engine.begin() as conn:
        conn.execute(
            insert(crm_people).values(
                mid=world.mid,
                sf_id="003D000000QOWkGIAX",
                kind="Contact",
                first_name="Ann",
                last_name="Lee",
                email="ann@example.test",
                opted_out=False,
                fields={"Id": "003D000000QOWkGIAX", "Title": "CTO", "Score": "12"},
            )
        )


def test_salesforce_functions_on_the_local_crm_store(sqlite_world) -> None:
    world = sqlite_world
    add_contact(world)
    crm = AccountCrm(world.engine, world.mid, "test-secret-key")
    found = """%%[ SET @rows = RetrieveSalesforceObjects("Contact", "Id,FirstName,Title", "Email", "=", "ann@example.test", "Score", ">", "10") ]%%%%=RowCount(@rows)=%%:%%=Field(Row(@rows, 1), "Title")=%%"""
    assert render(found, crm=crm) == "1:CTO"
    made = render(
        """%%=CreateSalesforceObject("Lead", 2, "Email", "lee@example.test", "LastName", "Lee")=%%""",
        crm=crm,
    )
    assert len(made) == 18 and made.startswith("00Q")
    updated = render(
        """%%=UpdateSingleSalesforceObject("Contact", "003D000000QOWkG", "FirstName", "Zoe")=%%""",
        crm=crm,
    )
    assert updated == "1"
    again = """%%=Field(Row(RetrieveSalesforceObjects("Contact", "FirstName", "Id", "=", "003D000000QOWkGIAX"), 1), "FirstName")=%%"""
    assert render(again, crm=crm) == "Zoe"
    assert (
        render(
            """%%=UpdateSingleSalesforceObject("Contact", "003000000000000", "FirstName", "X")=%%""",
            crm=crm,
        )
        == "0"
    )


def test_salesforce_errors_and_previews(sqlite_world) -> None:
    world = sqlite_world
    add_contact(world)
    crm = AccountCrm(world.engine, world.mid, "test-secret-key")
    with pytest.raises(Exception) as raised:
        render(
            """%%=RowCount(RetrieveSalesforceObjects("Opportunity", "Id", "Name", "=", "x"))=%%""",
            crm=crm,
        )
    assert "no Opportunity records" in str(raised.value)
    with pytest.raises(Exception) as raised:
        render(
            """%%=RowCount(RetrieveSalesforceObjects("Contact", "Id", "Name", "~", "x"))=%%""",
            crm=crm,
        )
    assert "operator must be one of" in str(raised.value)
    preview = PreviewCrm(world.engine, world.mid, "test-secret-key")
    render("""%%=CreateSalesforceObject("Lead", 1, "LastName", "P")=%%""", crm=preview)
    with world.engine.connect() as conn:
        assert conn.execute(select(crm_people.c.kind)).scalars().all() == ["Contact"]
