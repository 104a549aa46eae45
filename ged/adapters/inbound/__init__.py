"""Readers of the files the business systems export: ACTES v1.1 messages and acknowledgements,
i-Parapheur PREMIS and history, web-delib séance descriptions, and the folders, zip and tar
archives holding them. Every input is untrusted: XML is parsed with no network, no DTD and no
entities, archives are checked before anything is read, and every size and count is bounded.
"""
