"""``python -m xcat``: the command line."""

from xcat.cli import main

main()
