"""Archival storage (OAIS, ISO 14721 §4.1.1.3): every object on every storage offer.

``offers``: writes to every offer (all or nothing), serves only copies that re-verify against
the digest registry; ``batches``: the objects of one transfer written with a few syncs;
``audit``: every copy re-hashed, repaired from a verified copy, quarantined when none is left.
"""
