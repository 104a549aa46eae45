"""``python -m sae``: the repository's command line (``gedsae-sae``)."""

from sae.cli import main

main()
