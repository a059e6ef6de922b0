"""``sendwell key add``: a key of an account's key store (EncryptSymmetric's external keys).

The value is read from a hidden prompt (or standard input), never from the command line, so
that it stays out of shell history and process lists; it is stored sealed.
"""

from __future__ import annotations

import typer
from rich.console import Console

from sendwell.cli_common import fail, load_settings
from sendwell.config import resolve_secret_key
from sendwell.domain.errors import SendwellError
from sendwell.store.db import make_engine, upgrade

app = typer.Typer(help="The accounts' key stores (EncryptSymmetric, DecryptSymmetric).")
console = Console()


@app.command("add")
def key_add(
    mid: int,
    external_key: str,
    kind: str = typer.Option("password", help="password, salt or iv (salt and iv in hex)."),
    value: str = typer.Option(..., prompt=True, hide_input=True, help="Asked for if not given."),
) -> None:
    """Add (or replace) a key that content names by EXTERNAL_KEY."""
    from sendwell.services.key_store import add_key

    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        add_key(engine, mid, external_key, kind, value, resolve_secret_key(settings))
    except SendwellError as exc:
        fail(exc.message)
    console.print(f"key {external_key} ({kind}) stored in account {mid}", highlight=False)
