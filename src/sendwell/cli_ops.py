"""``sendwell send list``, ``sendwell send status --watch`` and ``sendwell fault …``."""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sendwell.cli_common import load_settings
from sendwell.domain.errors import SendwellError
from sendwell.domain.faults import fault_spec
from sendwell.services import dashboard, faults
from sendwell.store.db import make_engine, upgrade

console = Console()
fault_app = typer.Typer(
    help="Fault injection (needs SENDWELL_FAULT_INJECTION=true).", no_args_is_help=True
)


def _engine():  # type: ignore[no-untyped-def]
    engine = make_engine(load_settings().database_url)
    upgrade(engine)
    return engine


def _fail(exc: SendwellError) -> None:
    console.print(f"[red]error:[/red] {exc.message}")
    raise typer.Exit(1)


def send_list(mid: int, status: str | None, definition: str | None, limit: int) -> None:
    """Print the account's sends, newest first."""
    with _engine().connect() as conn:
        total, items = dashboard.list_sends(conn, mid, status, definition, 1, limit)
    table = Table(title=f"{total} sends")
    for column in ("JobID", "Origin", "Status", "Targeted", "Sent", "Deferred", "Errored"):
        table.add_column(column)
    for column in ("Opens", "Clicks", "Started", "msg/s"):
        table.add_column(column)
    for s in items:
        table.add_row(
            str(s.id),
            s.origin,
            s.status,
            *(f"{n:,}" for n in (s.targeted, s.sent, s.deferred, s.errored, s.opens, s.clicks)),
            s.created_at.isoformat(timespec="seconds"),
            f"{s.messages_per_second or 0:,.1f}",
        )
    console.print(table)


def watch(mid: int, job: int, interval: float = 0.5) -> None:
    """A progress bar of the send until it ends (continuous sends: until interrupted)."""
    engine = _engine()
    columns = (
        TextColumn("send {task.fields[job]} [bold]{task.fields[status]}[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("send", total=None, job=job, status="", detail="")
            while True:
                with engine.connect() as conn:
                    s = dashboard.send_summary(conn, mid, job)
                detail = f"{s.deferred:,} deferred, {s.errored:,} failed"
                progress.update(
                    task,
                    total=s.targeted or None,
                    completed=s.sent + s.errored,
                    status=s.status,
                    detail=detail,
                )
                if s.done:
                    break
                time.sleep(interval)
    except SendwellError as exc:
        _fail(exc)
    console.print(f"send {s.id}: {s.status} — {s.sent:,} sent of {s.targeted:,} targeted")


@fault_app.command("add")
def fault_add(
    mid: int = typer.Option(..., help="The account whose calls fail."),
    target: str = typer.Option(..., help="soap, rest, token or transport."),
    kind: str = typer.Option(
        ...,
        help="soap_fault, object_error, token_expired, rate_limit, server_error, delay, "
        "smtp_reply.",
    ),
    match: str = typer.Option(None, help="SOAP operation (Retrieve) or REST path prefix."),
    code: int = typer.Option(None, help="ErrorCode (object_error) or SMTP reply (451, 550)."),
    message: str = typer.Option(None, help="The error's message."),
    share: float = typer.Option(None, help="Fail this fraction of the calls (0.3)."),
    count: int = typer.Option(None, help="Fail the next N calls, then stop."),
    delay_ms: int = typer.Option(None, help="delay: milliseconds."),
    retry_after: int = typer.Option(None, help="rate_limit: the Retry-After seconds."),
) -> None:
    """Make the next (or a share of, or every) matching call of an account fail."""
    try:
        spec = fault_spec(
            target,
            kind,
            match=match,
            code=code,
            message=message,
            share=share,
            count=count,
            delay_ms=delay_ms,
            retry_after=retry_after,
        )
        fault = faults.add(_engine(), load_settings().fault_injection, mid, spec)
    except SendwellError as exc:
        _fail(exc)
    console.print(f"added {fault.describe()}")


@fault_app.command("list")
def fault_list(mid: int = typer.Option(..., help="The account.")) -> None:
    """List an account's faults in force and the newest injected ones."""
    engine = _engine()
    for fault in faults.listed(engine, mid):
        console.print(fault.describe(), highlight=False)
    for row in faults.history(engine, mid, 20):
        console.print(f"  {row.at.isoformat(timespec='seconds')} #{row.fault_id} {row.what}")


@fault_app.command("clear")
def fault_clear(
    mid: int = typer.Option(..., help="The account."),
    fault: int = typer.Option(None, help="Only this fault id."),
) -> None:
    """Remove an account's faults (or one)."""
    console.print(f"cleared {faults.clear(_engine(), mid, fault)} fault(s)")
