"""xmatch."""
