"""The shared kernel of the GED (``ged``) and the archival repository (``sae``).

What both services truly share, and nothing else: the error families and their problem+json
mapping, the hash-chained operation log, blob stores with streaming hashing, fixity checks and
temp-file ownership, signing and signature verification (CAdES over CMS, RFC 3161), secrets
read from files or the environment, private file modes, HTTP hardening, the durations of the
SEDA management rules and Vitam's rules referential reader. It imports nothing of ours but
``seda``: either service can be deployed without the other.
"""
