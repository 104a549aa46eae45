"""People who log in, for both services: local accounts (argon2id), their lock after repeated
failures, OpenID Connect identities and server-side web sessions.

``model`` decides (plain classes, no I/O), ``login`` runs the flows over the small ports of
``ports`` (each service implements ``AccountStore`` on its own database and gives its own kind
of person), ``passwords`` and ``oidc_authlib`` are the adapters, ``oidc`` the provider's port.
"""
