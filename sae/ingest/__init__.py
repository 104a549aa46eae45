"""Ingest of SEDA 2.x transfers (OAIS Ingest, ISO 14721 §4.1.1.2).

``receive``: admit the agency, quarantine the package, record the transfer and acknowledge it;
``checks``: the package against SEDA (``seda.validate``) and against this repository's
configuration (agreement, announced digest, signature, profile, referentials), reading the
manifest once (``manifest``), its signature (``signature``) and the organisation's referentials
(``referential``). ``settings``: what ingest is configured with.
"""
