"""The running program: config, the composition root, pipeline, daemon, replay, health and status.

The only package that knows every stage. Stage packages never import it (checked by the import
contracts in `pyproject.toml`).
"""
