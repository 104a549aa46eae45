"""Verification of electronic signatures, offline: PAdES (pyHanko), detached CAdES (pyHanko),
XAdES (signxml for the XML signature, pyhanko-certvalidator for the certificate path).

``verify_file`` runs inside a sandbox worker (``ged.adapters.extraction.pool``); ``anchors``
reads the trust anchors an organisation configured.
"""
