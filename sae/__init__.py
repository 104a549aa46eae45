"""The archival repository (SAE): ingest, archivist review, storage offers, audits (issue 5)."""
