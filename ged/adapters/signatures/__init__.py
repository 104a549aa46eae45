"""Verification of electronic signatures for the GED: ``verify.verify_file`` runs in a sandbox
worker (``ged.adapters.extraction.pool``) over ``kernel.signing.documents``; ``anchors`` reads
the trust anchors an organisation configured.
"""
