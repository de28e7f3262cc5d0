"""The base every config section derives from: unknown keys are errors, values are immutable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A config section: a typo'd key fails at start instead of being silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)
