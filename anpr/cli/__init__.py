"""The `anpr` command: one module per command group; `main` parses and dispatches."""

from anpr.cli.main import main

__all__ = ["main"]
