"""Computed products: kinds (``ingest/products/<kind>.toml``), shaping, links, install."""
