"""``sendwell``: serve the APIs, run workers, manage accounts, look at captured mail."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from sendwell import cli_ops
from sendwell.cli_common import fail, load_settings
from sendwell.cli_crm import app as crm_app
from sendwell.cli_keys import app as key_app
from sendwell.config import Settings
from sendwell.domain.errors import SendwellError
from sendwell.store.db import make_engine, upgrade

app = typer.Typer(help="Sendwell: a self-hosted email send engine.", no_args_is_help=True)
account_app = typer.Typer(help="Accounts (MIDs) and business units.", no_args_is_help=True)
user_app = typer.Typer(help="API users (SOAP UsernameToken).", no_args_is_help=True)
package_app = typer.Typer(
    help="Installed packages (OAuth client credentials).", no_args_is_help=True
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(account_app, name="account")
app.add_typer(user_app, name="user")
app.add_typer(package_app, name="package")
app.add_typer(db_app, name="db")
app.add_typer(crm_app, name="crm")
app.add_typer(key_app, name="key")
send_app = typer.Typer(
    help="Running send jobs: status, pause, resume, cancel.", no_args_is_help=True
)
app.add_typer(send_app, name="send")
app.add_typer(cli_ops.fault_app, name="fault")
console = Console()


def _settings() -> Settings:
    return load_settings()


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _fail(exc: SendwellError) -> None:
    console.print(f"[red]error:[/red] {exc.message}")
    raise typer.Exit(1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    demo: bool = typer.Option(False, help="Create the demo account and data, print credentials."),
    workers: int = typer.Option(None, help="In-process send workers (default from settings)."),
) -> None:
    """Run the SOAP and REST APIs with in-process send workers."""
    import uvicorn

    from sendwell.app import create_app
    from sendwell.cli_serve import (
        PortUnavailable,
        listen,
        print_demo,
        served_url,
        with_served_address,
    )

    _logging()
    settings = _settings()
    if workers is not None:
        settings = replace(settings, workers=workers)
    try:
        sock = listen(host, port)  # first: a taken port is said before any banner
    except PortUnavailable as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None
    settings = with_served_address(settings, host, port)
    application = create_app(settings)
    base = settings.public_url or served_url(host, port)
    if demo:
        from sendwell.services.demo import ensure_demo

        print_demo(console, base, ensure_demo(application.state.engine, settings))
    else:
        console.print(f"Sendwell is listening on {base}", highlight=False)
    config = uvicorn.Config(application, host=host, port=port, log_level="info")
    uvicorn.Server(config).run(sockets=[sock])


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(ctx: typer.Context) -> None:
    """Run one send worker process (audience builds and deliveries) until interrupted.

    With SENDWELL_BROKER_URL it is a Celery worker on that broker; further arguments go to
    ``celery worker`` (e.g. --concurrency 4 --pool threads, -Q sendwell.priority).
    """
    from sendwell.engine.worker import run_worker_process

    _logging()
    settings = _settings()
    if settings.worker_nice:
        os.nice(settings.worker_nice)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    if settings.broker_url:
        from sendwell.engine.celery_app import make_celery, worker_argv

        make_celery(settings).worker_main(worker_argv(list(ctx.args)))
        return
    if ctx.args:
        fail(f"unexpected arguments {' '.join(ctx.args)} (only a Celery worker takes more)")
    run_worker_process(engine, settings)


@app.command()
def bounces() -> None:
    """Take bounces for SENDWELL_BOUNCE_DOMAIN on SENDWELL_BOUNCE_LISTEN until interrupted."""
    import signal
    import time

    from sendwell.engine.bounces import BounceListener

    _logging()
    settings = _settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        listener = BounceListener(engine, settings)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    with listener:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly under a supervisor
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


@app.command()
def demo() -> None:
    """Create the demo account and data (once) and print its credentials, without serving."""
    from sendwell.cli_serve import print_demo
    from sendwell.services.demo import ensure_demo

    settings = _settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    base = settings.public_url or "http://127.0.0.1:8080"
    print_demo(console, base, ensure_demo(engine, settings))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply schema migrations."""
    upgrade(make_engine(_settings().database_url))
    console.print("database is up to date")


@account_app.command("create")
def account_create(
    mid: int, name: str, parent: int = typer.Option(None, help="Parent account for a child unit.")
) -> None:
    """Create an account, or a child business unit with --parent."""
    from sendwell.services.accounts import Accounts

    engine = make_engine(_settings().database_url)
    upgrade(engine)
    try:
        Accounts(engine).create_account(mid, name, parent)
    except SendwellError as exc:
        _fail(exc)
    console.print(f"account {mid} created")


@user_app.command("create")
def user_create(
    mid: int,
    username: str,
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    unit: list[int] = typer.Option([], help="Child business unit the user may act for."),
) -> None:
    """Create an API user (password stored hashed)."""
    from sendwell.services.accounts import Accounts

    engine = make_engine(_settings().database_url)
    upgrade(engine)
    try:
        Accounts(engine).create_user(mid, username, password, unit)
    except SendwellError as exc:
        _fail(exc)
    console.print(f"user {username} created in account {mid}")


@package_app.command("create")
def package_create(
    mid: int,
    name: str,
    unit: list[int] = typer.Option([], help="Child business unit the package may act for."),
    app_type: str = typer.Option(
        "server", "--type", help="server (client credentials), web or public (authorization code)."
    ),
    redirect_uri: list[str] = typer.Option([], help="Where /v2/authorize may send the user back."),
) -> None:
    """Create an installed package; its client secret is shown once, then stored hashed."""
    from sendwell.services.accounts import Accounts

    engine = make_engine(_settings().database_url)
    upgrade(engine)
    try:
        client_id, secret = Accounts(engine).create_package(
            mid, name, units=unit, app_type=app_type, redirect_uris=redirect_uri
        )
    except SendwellError as exc:
        _fail(exc)
    if app_type == "public":
        console.print(f"client id:     {client_id}  (a public app: no client secret)")
        return
    console.print(f"client id:     {client_id}\nclient secret: {secret}  (shown once)")


@app.command()
def captured(
    mid: int = typer.Option(..., help="Account whose captured mail to list."),
    job: int = typer.Option(None, help="Only this JobID."),
    limit: int = typer.Option(20, help="How many, newest first."),
    show: int = typer.Option(None, help="Print this captured message in full."),
) -> None:
    """List (or show) messages kept by the capture:// transport."""
    from sendwell.services.accounts import Accounts
    from sendwell.services.captured import get_captured, list_captured

    engine = make_engine(_settings().database_url)
    upgrade(engine)
    if not Accounts(engine).account_exists(mid):
        # Else a mistyped MID reads as "0 captured messages", as if nothing had been sent.
        _fail(SendwellError(f"there is no account with MID {mid} in this database."))
    if show is not None:
        try:
            _, data = get_captured(engine, mid, show)
        except SendwellError as exc:
            _fail(exc)
        sys.stdout.write(data.decode("utf-8", "replace"))
        return
    total, items = list_captured(engine, mid, job, None, 0, limit)
    table = Table(title=f"{total} captured messages")
    for column in ("ID", "Job", "To", "Subject", "When"):
        table.add_column(column)
    for item in items:
        table.add_row(
            str(item.id),
            str(item.job_id or ""),
            item.rcpt_to,
            item.subject,
            item.created_at.isoformat(timespec="seconds"),
        )
    console.print(table)


def _send_action(mid: int, job: int, action: str | None) -> None:
    from sendwell.services.send_control import control, job_row

    engine = make_engine(_settings().database_url)
    try:
        with engine.begin() as conn:
            if action:
                control(conn, mid, job, action)
            row = job_row(conn, mid, job)
    except SendwellError as exc:
        _fail(exc)
    console.print(
        f"send {row.id}: {row.status} — {row.sent} sent, {row.errored} failed, "
        f"{row.deferred} waiting to retry, of {row.targeted} targeted"
    )


@send_app.command("status")
def send_status(
    job: int,
    mid: int = typer.Option(..., help="The send's account."),
    watch: bool = typer.Option(False, help="A progress bar until the send ends."),
) -> None:
    """Show a send job's status and counts (with --watch, until it ends)."""
    if watch:
        cli_ops.watch(mid, job)
        return
    _send_action(mid, job, None)


@send_app.command("list")
def send_list(
    mid: int = typer.Option(..., help="The account."),
    status: str = typer.Option(None, help="Only sends in this status."),
    definition: str = typer.Option(None, help="Only sends of this definition (key, name, ID)."),
    limit: int = typer.Option(25, help="How many, newest first."),
) -> None:
    """List the account's sends with their counts."""
    cli_ops.send_list(mid, status, definition, limit)


@send_app.command("pause")
def send_pause(job: int, mid: int = typer.Option(..., help="The send's account.")) -> None:
    """Pause a running send: no further chunks are handed out until it is resumed."""
    _send_action(mid, job, "pause")


@send_app.command("resume")
def send_resume(job: int, mid: int = typer.Option(..., help="The send's account.")) -> None:
    """Resume a paused send where it stopped."""
    _send_action(mid, job, "resume")


@send_app.command("cancel")
def send_cancel(job: int, mid: int = typer.Option(..., help="The send's account.")) -> None:
    """Cancel a send for good; what was sent stays sent and counted."""
    _send_action(mid, job, "cancel")


@app.command()
def render(
    file: Path = typer.Argument(..., help="Content of one part, or a JSON email."),
    attributes: str = typer.Option("{}", help="The subscriber's attributes, a JSON object."),
    data_extension: list[str] = typer.Option(
        [], "--data-extension", help="NAME=FILE.csv: rows that lookups into NAME read."
    ),
    part: str = typer.Option(
        "html", help="The part FILE is, or the part to print: html, text, subject."
    ),
    content_dir: Path | None = typer.Option(
        None, "--content-dir", help="Folder of content blocks: DIR/NAME.EXT is the block NAME."
    ),
) -> None:
    """Print what FILE renders to for one subscriber, as Marketing Cloud's preview does."""
    import json

    from sendwell.domain.ampscript import AmpscriptError, RecipientSkipped
    from sendwell.services.ampscript_http import PreviewHttp
    from sendwell.services.ampscript_writes import PreviewWrites
    from sendwell.services.preview import PARTS, CsvDataExtensions, render_file

    try:
        given = json.loads(attributes)
        if not isinstance(given, dict):
            raise ValueError("--attributes must be a JSON object")
        if part not in PARTS:
            raise ValueError("--part must be html, text or subject")
        data = CsvDataExtensions.from_options(data_extension)
        settings = _settings()
        offset = settings.system_utc_offset_minutes  # Now() is system time
        content = file.read_text(encoding="utf-8")
        http = PreviewHttp.from_settings(settings)
        writes = PreviewWrites(data)  # a render changes no data: it says what it would write
        rendered = render_file(content, part, given, data, offset, content_dir, http, writes)
        sys.stdout.write(rendered)
        for line in writes.log:
            sys.stderr.write(f"{file}: {line}\n")
    except AmpscriptError as exc:
        sys.stderr.write(f"{file}: {exc}\n")
        raise typer.Exit(1) from None
    except RecipientSkipped as exc:
        sys.stderr.write(
            f"{file}: line {exc.line}, column {exc.column}: RaiseError: {exc.message}\n"
        )
        raise typer.Exit(1) from None
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(2) from None
