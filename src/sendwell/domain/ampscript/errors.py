"""AMPscript errors: every one names the line and column of the content it is about."""

from __future__ import annotations


class AmpscriptError(ValueError):
    """Content that cannot be compiled or run: a syntax error, an unknown function, a bad value.

    A ``ValueError`` so that the engine records a recipient whose content fails at run time as
    not rendered, as it does for any value a message cannot carry.
    """

    def __init__(self, message: str, line: int, column: int, part: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.part = part

    def in_part(self, part: str) -> AmpscriptError:
        """The same error, naming the part of the email (``HTMLBody``, ``Subject`` …) it is in."""
        return AmpscriptError(self.message, self.line, self.column, part)

    @property
    def location(self) -> str:
        where = f"line {self.line}, column {self.column}"
        return f"{self.part} {where}" if self.part else where

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class RecipientSkipped(Exception):
    """``RaiseError`` ran: this recipient is not sent, and the ledger records ``message``.

    Deliberately not a ``ValueError``: it is the content's decision, not a rendering failure.
    """

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class FunctionError(Exception):
    """Raised inside a function implementation; the caller adds the call's line and column."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
