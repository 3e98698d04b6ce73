"""``python -m cooc``: the command line."""

from .cli import main

main()
