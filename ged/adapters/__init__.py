"""Adapters: implementations of the service ports (database, storage, formats, text)."""
