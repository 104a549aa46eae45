"""Tenants of the repository and their administration (the platform administrator's API and
``gedsae-sae``'s command line call these use cases alike).

``tenants``: creating and listing the archival services the repository serves; ``setup``: a
tenant's agreements and imported files (referentials, trust anchors, profiles), checked before
anything is kept; ``legacy``: the tenant data that earlier versions read from ``sae.toml``,
imported once into the database.
"""
