"""jobs/products."""
