"""anpr: an edge number-plate reader for Chilean roads."""

__version__ = "0.1.0"
