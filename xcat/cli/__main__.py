"""``python -m xcat.cli``."""

from xcat.cli import main

main()
