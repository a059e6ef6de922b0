"""``sendwell crm``: fill an account's local CRM store from CSV exports, or connect a real org.

An account reads Salesforce audiences (campaigns, reports, contacts, leads) from its connected
org when it has one, otherwise from the local CRM store.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from sqlalchemy import Engine

from sendwell.cli_common import fail, load_settings
from sendwell.config import Settings, resolve_secret_key
from sendwell.domain.errors import SendwellError
from sendwell.store.db import make_engine, upgrade

app = typer.Typer(
    help="Salesforce audiences: the local CRM store, or a connected Salesforce org.",
    no_args_is_help=True,
)
console = Console()


def _engine(settings: Settings) -> Engine:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return engine


def _fail(message: str) -> None:
    fail(message)


def _require_account(engine: Engine, mid: int) -> None:
    from sendwell.services.accounts import Accounts

    if not Accounts(engine).account_exists(mid):
        _fail(f"account {mid} does not exist")


@app.command("import")
def import_(
    folder: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="Folder of contacts.csv, leads.csv, campaigns.csv…"
    ),
    mid: int = typer.Option(..., help="Account whose CRM store to fill."),
) -> None:
    """Import Salesforce CSV exports; a bad file loads nothing and names file, line and field."""
    from sendwell.services.salesforce.crm_import import import_folder

    engine = _engine(load_settings())
    _require_account(engine, mid)
    columns = (TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        checking = progress.add_task("checking files", total=None)
        tasks: dict[str, TaskID] = {}

        def report(name: str, done: int, total: int) -> None:
            progress.update(checking, visible=False)
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=total)
            progress.update(tasks[name], completed=done, total=total)

        try:
            loaded = import_folder(engine, mid, folder, report)
        except SendwellError as exc:
            progress.update(checking, visible=False)
            progress.stop()
            _fail(exc.message)
    table = Table(title=f"Imported into account {mid}")
    table.add_column("File")
    table.add_column("Rows", justify="right")
    for name, rows in loaded.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


@app.command()
def connect(
    mid: int = typer.Argument(..., help="Account to connect."),
    instance_url: str = typer.Option(
        None, help="https://yourdomain.my.salesforce.com (needed with --session-id)."
    ),
    session_id: str = typer.Option(
        None, envvar="SENDWELL_SF_SESSION_ID", help="An OAuth access token / session id."
    ),
    username: str = typer.Option(None, help="Salesforce user (with --password, --security-token)."),
    password: str = typer.Option(None, envvar="SENDWELL_SF_PASSWORD"),
    security_token: str = typer.Option(None, envvar="SENDWELL_SF_SECURITY_TOKEN"),
    domain: str = typer.Option("login", help="login (production) or test (sandbox)."),
    version: str = typer.Option("59.0", help="Salesforce API version."),
) -> None:
    """Read this account's Salesforce audiences from a real org.

    The credentials must stay usable, so they are stored, not hashed: they are sealed with the
    installation's secret key (SENDWELL_SECRET_KEY, or the generated key file), which every
    process that starts sends must share.
    """
    from sendwell.services.salesforce.api import (
        connection_settings,
        describe_connection,
        seal_credentials,
    )
    from sendwell.services.salesforce.connector import save_connection

    settings = load_settings()
    try:
        given = connection_settings(
            instance_url, session_id, username, password, security_token, domain, version
        )
    except SendwellError as exc:
        _fail(exc.message)
    stored = seal_credentials(given, resolve_secret_key(settings))
    engine = _engine(settings)
    _require_account(engine, mid)
    with engine.begin() as conn:
        save_connection(conn, mid, "salesforce", stored)
    console.print(f"account {mid} reads Salesforce audiences from {describe_connection(stored)}")


@app.command()
def disconnect(mid: int = typer.Argument(..., help="Account to disconnect.")) -> None:
    """Forget the account's Salesforce org; it reads the local CRM store again."""
    from sendwell.services.salesforce.connector import remove_connection

    engine = _engine(load_settings())
    with engine.begin() as conn:
        removed = remove_connection(conn, mid)
    if removed:
        console.print(f"account {mid} disconnected; it reads the local CRM store")
    else:
        console.print(f"account {mid} had no Salesforce connection")
