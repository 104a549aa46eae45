"""HTTP API of the archival repository under ``/api/v1/sae`` (contract version 1 of
``connectors/sae_http.py``): one router per resource, wired in ``sae.api.app.create_app``;
errors are RFC 9457 problem+json (``kernel.problems``)."""
