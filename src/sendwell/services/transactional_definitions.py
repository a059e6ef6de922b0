"""Transactional Messaging API definitions (``/messaging/v1/email/definitions``).

A definition names the email (a Content Builder asset key), a transactional send
classification, the list subscribers join and the data extension a row goes to per send. Like
a triggered send definition it has one continuous job: Active mails, Inactive queues (up to
three days in Marketing Cloud), deleting it archives it under a new key and drops its queue.
Messages and errors follow the MCMS_UTM wording of triggered-transactional.md section 5.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from sendwell.domain import errors as e
from sendwell.domain import not_sent
from sendwell.domain.clock import SYSTEM_UTC_OFFSET_MINUTES, to_system_time, utcnow
from sendwell.domain.errors import Duplicate, Invalid, NotFound, WrongState, shown
from sendwell.domain.jobs import TERMINAL, JobStatus, addresses
from sendwell.domain.secrets import new_guid
from sendwell.services import job_specs
from sendwell.services.assets import email_by_asset_key
from sendwell.services.catalog import find_ref, to_json
from sendwell.services.rules import valid_email
from sendwell.store import continuous, jobs
from sendwell.store.tables import objects, recipients, send_jobs

TYPE = "TransactionalEmailDefinition"
STATUSES = {"active": "Active", "inactive": "Inactive"}
ALL_SUBSCRIBERS = "all subscribers"  # "All Subscribers - 277": no list beyond All Subscribers
MAX_KEY = 36
SORTABLE = {
    "definitionkey": objects.c.customer_key,
    "name": objects.c.name,
    "createddate": objects.c.created_at,
    "modifieddate": objects.c.modified_at,
}


def _invalid(field: str, text: str) -> Invalid:
    return Invalid(f"MCMS_UTM_Validation_InvalidValue_{field}: {text}", e.REST_INVALID_VALUE)


def _missing(field: str, code: int = e.REST_MISSING_FIELD) -> Invalid:
    return Invalid(f"MCMS_UTM_Validation_MissingRequiredField_{field}: {field} is required", code)


def normalise(conn: Connection, mid: int, given: Mapping[str, Any], old: Mapping | None) -> dict:
    """A definition body checked against the account, with its defaults."""
    body = {**(old or {}), **{k: v for k, v in given.items() if k != "definitionKey"}}
    if not isinstance(body.get("name"), str) or not body["name"].strip():
        raise _missing("name")
    status = str(body.get("status") or "Active").lower()
    if status not in STATUSES:
        raise _invalid("status", f"{shown(body.get('status'))} is not active or inactive")
    body["status"] = STATUSES[status]
    content = body.get("content")
    if not isinstance(content, Mapping) or not content.get("customerKey"):
        raise _missing("content.customerKey")
    if email_of(conn, mid, str(content["customerKey"])) is None:
        raise _invalid(
            "content", f"no email asset with customerKey {shown(content['customerKey'])}"
        )
    body["content"] = {"customerKey": str(content["customerKey"])}
    body["classification"] = str(body.get("classification") or "Default Transactional")
    classification = find_ref(
        conn, mid, "SendClassification", {"CustomerKey": body["classification"]}
    )
    if classification is None:
        raise _invalid("classification", f"no send classification {shown(body['classification'])}")
    if classification.props.get("SendClassificationType", "Marketing") != "Operational":
        raise Invalid(
            "MCMS_UTM_Validation_InvalidValue_classification_IncorrectType: "
            "the send classification must be transactional",
            109123,
        )
    body["subscriptions"] = _subscriptions(conn, mid, body.get("subscriptions"))
    body["options"] = _options(body.get("options"))
    body["description"] = str(body.get("description") or "")
    # What each send needs, resolved once here rather than per message (internal: view()
    # shows only the API's fields).
    subs = body["subscriptions"]
    listed = find_ref(conn, mid, "List", {"CustomerKey": subs["list"]})
    de = find_ref(conn, mid, "DataExtension", {"CustomerKey": subs.get("dataExtension")})
    body["__rules"] = {
        "classification": classification.props.get("SendClassificationType", "Marketing"),
        "list_id": listed.id if listed else None,
        "data_extension_id": de.id if de else None,
    }
    return body


def _subscriptions(conn: Connection, mid: int, given: Any) -> dict[str, Any]:
    if not isinstance(given, Mapping) or not given.get("list"):
        raise _missing("subscriptions.list")
    out: dict[str, Any] = {"list": str(given["list"])}
    if (
        not out["list"].lower().startswith(ALL_SUBSCRIBERS)
        and find_ref(conn, mid, "List", {"CustomerKey": out["list"]}) is None
    ):
        raise _invalid("subscriptions", f"no list with key {shown(out['list'])}")
    if given.get("dataExtension"):
        key = str(given["dataExtension"])
        if find_ref(conn, mid, "DataExtension", {"CustomerKey": key}) is None:
            raise _invalid("subscriptions", f"no data extension with key {shown(key)}")
        out["dataExtension"] = key
    for flag, code in (("autoAddSubscriber", 109113), ("updateSubscriber", 109125)):
        value = given.get(flag, True)
        if not isinstance(value, bool):
            raise Invalid(f"MCMS_UTM_Validation_InvalidValue_{flag}: must be true or false", code)
        out[flag] = value
    return out


def _options(given: Any) -> dict[str, Any]:
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise Invalid("MCMS_UTM_Validation_InvalidValue_options: must be an object", 109112)
    out: dict[str, Any] = {"trackLinks": given.get("trackLinks", True) is not False}
    for field in ("cc", "bcc"):
        if given.get(field):
            values = addresses(given[field])
            if any(not valid_email(a) for a in values):
                raise Invalid(f"MCMS_UTM_Validation_InvalidValue_options: {field}", 109112)
            out[field] = list(values)
    if "createJourney" in given:
        out["createJourney"] = bool(given["createJourney"])
    return out


def email_of(conn: Connection, mid: int, asset_key: str) -> Any:
    """The Email a definition's ``content.customerKey`` names (an email asset's key)."""
    return email_by_asset_key(conn, mid, asset_key)


def create(conn: Connection, mid: int, given: Mapping[str, Any]) -> Any:
    """A new definition (and its job, Active or Inactive as asked)."""
    key = given.get("definitionKey")
    if not isinstance(key, str) or not key.strip():
        raise _missing("definitionKey", 109107)
    if len(key) > MAX_KEY:
        raise _invalid("definitionKey", f"longer than {MAX_KEY} characters")
    if _row(conn, mid, key) is not None:
        raise Duplicate(
            f"MCMS_UTM_Runtime_ObjectAlreadyExists: a definition with key {shown(key)} exists",
            e.REST_EXISTS,
        )
    body = normalise(conn, mid, given, None)
    now = utcnow()
    row_id = conn.execute(
        insert(objects).values(
            mid=mid,
            type=TYPE,
            object_id=new_guid(),
            customer_key=key,
            name=body["name"],
            props=to_json(body),
            created_at=now,
            modified_at=now,
        )
    ).inserted_primary_key[0]
    row = conn.execute(select(objects).where(objects.c.id == row_id)).one()
    _follow(conn, mid, row, refresh=False)
    return row


def patch(conn: Connection, mid: int, key: str, given: Mapping[str, Any]) -> Any:
    """Change a definition; content changes apply to the messages still to come."""
    row = definition(conn, mid, key)
    if "definitionKey" in given and given["definitionKey"] != row.customer_key:
        raise _invalid("definitionKey", "the key of a definition cannot be changed")
    body = normalise(conn, mid, given, row.props)
    conn.execute(
        update(objects)
        .where(objects.c.id == row.id)
        .values(name=body["name"], props=to_json(body), modified_at=utcnow())
    )
    row = conn.execute(select(objects).where(objects.c.id == row.id)).one()
    _follow(conn, mid, row, refresh=bool(set(given) - {"status", "name", "description"}))
    return row


def delete(conn: Connection, mid: int, key: str) -> str:
    """Archive a definition under a new key (the old one may be used again); its queue is
    dropped. Returns the archive key."""
    row = definition(conn, mid, key)
    archived = new_guid()
    job = current_job(conn, mid, row.id)
    if job is not None:
        jobs.move(conn, job, "cancel")
        continuous.clear_queue(conn, mid, job.id)
    conn.execute(
        update(objects)
        .where(objects.c.id == row.id)
        .values(
            customer_key=archived,
            props={**row.props, "status": "Deleted"},
            modified_at=utcnow(),
        )
    )
    return archived


def _follow(conn: Connection, mid: int, row: Any, refresh: bool) -> None:
    job = current_job(conn, mid, row.id)
    if job is None:
        spec = job_specs.for_transactional_definition(conn, mid, row)
        job_id = jobs.create_job(
            conn, mid, spec, interaction_object_id=row.object_id, definition_id=row.id
        )
        job = jobs.job_by_id(conn, job_id)
    elif refresh:
        jobs.republish(conn, job.id, job_specs.for_transactional_definition(conn, mid, row))
    active = row.props.get("status") == "Active"
    if active and job.status == JobStatus.PAUSED:
        jobs.move(conn, job, "resume")
    elif not active and job.status == JobStatus.SENDING:
        jobs.move(conn, job, "pause")


_JOB = send_jobs.alias("job")
# The definition with a key and its newest job still taking requests (built once: this runs
# for every message sent).
_FOR_SEND = (
    select(objects, _JOB.c.id.label("job_id"))
    .join(_JOB, _JOB.c.definition_id == objects.c.id)
    .where(
        objects.c.mid == bindparam("mid"),
        objects.c.type == TYPE,
        func.lower(objects.c.customer_key) == bindparam("key"),
        _JOB.c.status.not_in(tuple(TERMINAL)),
    )
    .order_by(_JOB.c.id.desc())
    .limit(1)
)


def for_send(conn: Connection, mid: int, key: str) -> tuple[Any, int]:
    """The definition with that key and its job, in one query; NotFound when it has none."""
    row = conn.execute(_FOR_SEND, {"mid": mid, "key": str(key).lower()}).first()
    if row is None or row.props.get("status") == "Deleted":
        raise NotFound(
            f"MCMS_UTM_Runtime_ObjectNotFound: no definition with key {shown(key)}",
            e.REST_NOT_FOUND,
        )
    return row, row.job_id


def current_job(conn: Connection, mid: int, definition_id: int) -> Any:
    job_id = jobs.latest_job_of_definition(conn, mid, definition_id)
    job = jobs.job_by_id(conn, job_id) if job_id is not None else None
    return None if job is None or job.status in TERMINAL else job


def _row(conn: Connection, mid: int, key: str) -> Any:
    return conn.execute(
        select(objects).where(
            objects.c.mid == mid,
            objects.c.type == TYPE,
            func.lower(objects.c.customer_key) == str(key).lower(),
        )
    ).first()


def definition(conn: Connection, mid: int, key: str) -> Any:
    """The account's definition with that key, or NotFound (404, 30003)."""
    row = _row(conn, mid, key)
    if row is None or row.props.get("status") == "Deleted":
        raise NotFound(
            f"MCMS_UTM_Runtime_ObjectNotFound: no definition with key {shown(key)}",
            e.REST_NOT_FOUND,
        )
    return row


def listing(
    conn: Connection,
    mid: int,
    status: tuple[str, str] | None,
    page: int,
    size: int,
    order: str,
    offset: int = SYSTEM_UTC_OFFSET_MINUTES,
) -> tuple[int, list[dict[str, Any]]]:
    """Definitions filtered by status (``("eq"|"neq", value)``), sorted, one page."""
    rows = [r for r in _all(conn, mid, order) if _status_matches(r, status)]
    page_rows = rows[(page - 1) * size : page * size]
    return len(rows), [
        {
            "name": r.name,
            "definitionKey": r.customer_key,
            "status": r.props.get("status"),
            "createdDate": _date(r.created_at, offset),
            "modifiedDate": _date(r.modified_at, offset),
        }
        for r in page_rows
    ]


def _all(conn: Connection, mid: int, order: str) -> list[Any]:
    column, _, direction = order.strip().partition(" ")
    key = SORTABLE.get(column.lower(), objects.c.id)
    sort = key.desc() if direction.strip().lower() == "desc" else key.asc()
    query = select(objects).where(objects.c.mid == mid, objects.c.type == TYPE)
    return list(conn.execute(query.order_by(sort, objects.c.id)))


def _status_matches(row: Any, status: tuple[str, str] | None) -> bool:
    current = str(row.props.get("status", "")).lower()
    if status is None:
        return current != "deleted"  # deleted ones only when asked for
    op, value = status
    return (current == value) if op == "eq" else (current != value)


def queue_metrics(conn: Connection, mid: int, key: str) -> tuple[int, int]:
    """Messages accepted and not processed yet, and the age in seconds of the oldest."""
    row = definition(conn, mid, key)
    job = current_job(conn, mid, row.id)
    if job is None:
        return 0, 0
    count, oldest = conn.execute(
        select(func.count(), func.min(recipients.c.created_at)).where(
            recipients.c.job_id == job.id, recipients.c.status.in_(("pending", "deferred"))
        )
    ).one()
    age = int((utcnow() - oldest).total_seconds()) if oldest else 0
    return int(count), age


def clear_queue(conn: Connection, mid: int, key: str) -> int:
    """Drop the queued messages of an Inactive definition (QueuedTransactionDeleted)."""
    row = definition(conn, mid, key)
    if row.props.get("status") != "Inactive":
        raise WrongState(
            "MCMS_UTM_Runtime_InvalidOperation: Definition status must be inactive to delete queue",
            e.REST_INVALID_OPERATION,
        )
    job = current_job(conn, mid, row.id)
    if job is None:
        return 0
    return continuous.clear_queue(conn, mid, job.id, not_sent.QUEUED_TRANSACTION_DELETED)


def _date(moment: datetime, offset: int) -> str:
    """Marketing Cloud's naive system-time form (``2018-12-17T13:00:00``)."""
    return to_system_time(moment, offset).replace(microsecond=0).isoformat()


def view(row: Any, offset: int = SYSTEM_UTC_OFFSET_MINUTES) -> dict[str, Any]:
    """A definition as the API shows it (create, get, patch); dates in system time."""
    props = row.props
    return {
        "name": row.name,
        "definitionKey": row.customer_key,
        "definitionId": row.object_id,
        "description": props.get("description", ""),
        "classification": props.get("classification"),
        "status": props.get("status"),
        "createdDate": _date(row.created_at, offset),
        "modifiedDate": _date(row.modified_at, offset),
        "content": props.get("content"),
        "subscriptions": props.get("subscriptions"),
        "options": props.get("options"),
    }
