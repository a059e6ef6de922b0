"""What every ``sendwell`` command shares: the console, failing with a message, the settings."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from sendwell.config import Settings
from sendwell.config_values import SettingsError

console = Console()


def fail(message: str, code: int = 1) -> None:
    """Print ``error: message`` and end the command with ``code``."""
    console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


def load_settings() -> Settings:
    """The settings from the environment; a bad one ends the command before it does anything."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        fail(str(exc), 2)
        raise  # unreachable: fail raises
