"""A send definition over a data extension of given addresses, made through the service layer."""

from __future__ import annotations

from sendwell.services.audience_data import insert_rows, validate_row
from sendwell.services.catalog import find_ref
from sendwell.services.registry import KINDS


def make_definition(engine, mid: int, emails: list[str], key: str = "retry-send") -> str:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:

        def create(type_name: str, **props: object) -> dict:
            return KINDS[type_name].create(conn, mid, {"__type__": type_name, **props})

        if find_ref(conn, mid, "SenderProfile", {"CustomerKey": "sp"}) is None:
            create(
                "SenderProfile",
                CustomerKey="sp",
                Name="S",
                FromName="Shop",
                FromAddress="shop@example.test",
            )
            create(
                "SendClassification",
                CustomerKey="Default Commercial",
                Name="C",
                SenderProfile={"CustomerKey": "sp"},
            )
        email = create("Email", Name=f"E {key}", Subject="Hello %%Name%%", TextBody="Hi %%Name%%")
        fields = [
            {"Name": "Key", "FieldType": "Text", "IsPrimaryKey": True},
            {"Name": "Email", "FieldType": "EmailAddress"},
            {"Name": "Name", "FieldType": "Text"},
        ]
        create(
            "DataExtension",
            CustomerKey=f"de-{key}",
            Name=f"DE {key}",
            IsSendable=True,
            SendableDataExtensionField={"Name": "Key"},
            Fields={"Field": fields},
        )
        de = find_ref(conn, mid, "DataExtension", {"CustomerKey": f"de-{key}"})
        insert_rows(
            conn,
            de,
            [
                validate_row(de.props, {"Key": f"k{i}", "Email": e, "Name": e.split("@")[0]})
                for i, e in enumerate(emails)
            ],
        )
        create(
            "EmailSendDefinition",
            CustomerKey=key,
            Name=key,
            Email={"ID": email["ID"]},
            SendDefinitionList=[
                {"DataSourceTypeID": "CustomObject", "CustomObjectID": de.object_id}
            ],
        )
    return key
