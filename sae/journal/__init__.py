"""The repository's operation log and its seals (NF Z42-013, ISO 14641).

``log``: entries that go with no other change (an audit, a revocation) and verification of the
chain; ``checkpoints``: sealing the head, signed and kept on every storage offer;
``verification``: the log against its sealed checkpoints, found again from the offers alone;
``schedule``: sealing every so often while the repository serves.
"""
