"""Connectors to archival repositories (sae_http, Vitam, As@lae, Maarch RM, drop folders)."""
