"""Imports from the business systems (actes, parapheur, séances): one use case per function.

The format readers live in ``ged.adapters.inbound`` and reach the use cases through
``InboundSetup`` (wired in ``ged.bootstrap``).
"""
