"""REST API (FastAPI) under ``/api/v1``; errors are RFC 9457 problem+json."""
