"""Archivist review of received transfers (OAIS Ingest, ISO 14721 §4.1.1.2).

``decisions``: accept (archive on every offer, catalogue, log — one unit of work) or reject;
``replies``: the ArchiveTransferReply each decision sends; ``summary``: what an archivist sees
of a transfer, in the API and on the command line.
"""
