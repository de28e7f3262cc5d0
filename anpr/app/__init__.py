"""The running program: config, the composition root, pipeline, daemon, replay, health and status.

The only package that knows every stage (`build.py` is the composition root). Stage packages never
import it.
"""
