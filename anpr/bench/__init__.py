"""`anpr bench`: speed figures of the pipeline and its parts, printed (never asserted, never a CI gate)."""
