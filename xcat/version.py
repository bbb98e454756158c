"""xcat's version (one place; recorded with every catalog and run)."""

__version__ = "0.1.0"
