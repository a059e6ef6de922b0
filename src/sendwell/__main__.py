"""``python -m sendwell``: the same as the ``sendwell`` command."""

from sendwell.cli import app

app()
