"""`python -m cjm` is the same as the `cjm` command."""

from .cli import main

main()
