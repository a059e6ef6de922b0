"""The values of a data extension row, checked by the data extension's field types.

The one row validator: SOAP ``DataExtensionObject`` writes (``services.audience_data``) and the
REST row routes (``services.de_rows``, ``services.async_rows``) use it alike. It collects every
problem of a row, so a REST caller hears of each bad column (Marketing Cloud's
``additionalErrors``), and gives values in the form they are stored in: booleans ``true`` /
``false``, dates ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sendwell.domain import errors as e
from sendwell.domain.errors import Invalid, shown
from sendwell.services.rules import de_fields, valid_email


@dataclass(frozen=True)
class RowProblem:
    """Why one value of a row was refused; ``column`` is None for the row as a whole."""

    column: str | None
    message: str


def check_row(
    de_props: Mapping[str, Any], given: list[tuple[str, Any]], partial: bool
) -> tuple[dict[str, str], list[RowProblem]]:
    """A row's values with canonical field names and values, and every problem found in it (not
    only the first): unknown fields, values not of their field's type, missing required fields
    (unless ``partial``)."""
    fields = {f["Name"].lower(): f for f in de_fields(de_props)}
    data: dict[str, str] = {}
    problems: list[RowProblem] = []
    for name, value in given:
        field = fields.get(str(name).lower())
        if field is None:
            problems.append(
                RowProblem(str(name), f"The data extension has no field named {shown(name)}.")
            )
            continue
        try:
            data[field["Name"]] = field_value(field, value)
        except Invalid as exc:
            problems.append(RowProblem(field["Name"], exc.message))
    if not partial:
        refused = {p.column for p in problems}
        missing = [
            f["Name"]
            for f in fields.values()
            if f.get("IsRequired") and not data.get(f["Name"]) and f["Name"] not in refused
        ]
        if missing:
            problems.append(RowProblem(None, f"Required fields are missing: {', '.join(missing)}."))
    return data, problems


# Dates as Marketing Cloud shows them (rowset reads, the UI's exports): 5/22/2010 12:00:00 AM.
US_DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y")


def _date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", ""))
    except ValueError:
        pass
    for form in US_DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), form)
        except ValueError:
            continue
    raise ValueError(text)


def field_value(field: Mapping[str, Any], value: Any) -> str:
    """``value`` as stored in ``field`` (canonical booleans and dates); raises Invalid."""
    if isinstance(value, Mapping | list):
        raise Invalid(
            f"The value for column [{field['Name']}] is not a single value.", e.DE_ROW_INVALID
        )
    text = "" if value is None else str(value)
    kind = field.get("FieldType", "Text")
    if text == "":
        return text
    if kind == "EmailAddress" and not valid_email(text):
        raise Invalid(
            f"The value for column [{field['Name']}] is not a valid email address: {shown(text)}.",
            e.DE_ROW_INVALID,
        )
    if kind in ("Number", "Decimal"):
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if (
            number is None
            or not number.is_finite()
            or (kind == "Number" and number != number.to_integral_value())
        ):
            raise Invalid(
                f"The value for column [{field['Name']}] is not a valid "
                f"{'whole number' if kind == 'Number' else 'decimal number'}: {shown(text)}.",
                e.DE_ROW_INVALID,
            )
    if kind == "Boolean":
        lowered = text.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise Invalid(
                f"The value for column [{field['Name']}] is not a valid boolean: {shown(text)}.",
                e.DE_ROW_INVALID,
            )
        text = "true" if lowered in ("true", "1") else "false"
    if kind == "Date":
        try:
            text = _date(text).isoformat(sep=" ")
        except ValueError:
            raise Invalid(
                f"The value for column [{field['Name']}] is not a valid date: {shown(text)}.",
                e.DE_ROW_INVALID,
            ) from None
    max_length = field.get("MaxLength")
    if max_length and kind == "Text" and len(text) > int(max_length):
        raise Invalid(
            f"The value for column [{field['Name']}] is longer than {max_length} characters.",
            e.DE_ROW_INVALID,
        )
    return text
