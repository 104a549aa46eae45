"""The archival repository (SAE), a service of its own beside the GED.

``ingest`` (receipt and checks), ``review`` (the archivist's decisions and replies),
``storage`` (offers, batches, audit), ``journal`` (the operation log and its seals),
``catalogue`` (what is archived, and finding it), over one domain ``model`` and the ``ports``
its ``adapters`` implement; ``api`` and ``cli`` are its two entry points, ``config`` reads its
``sae.toml`` and ``bootstrap`` wires it. It imports nothing of the GED: only the shared
``kernel`` and ``seda``.
"""
