"""Sendwell: a self-hosted email send engine that speaks Marketing Cloud's send APIs."""

__version__ = "0.1.0"
