"""Adapters of the archival repository's ports (``sae.ports``)."""
