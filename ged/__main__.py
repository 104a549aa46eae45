"""``python -m ged``: the ``gedsae`` command line."""

from ged.cli import main

main()
