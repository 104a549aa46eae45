"""Relational persistence (SQLAlchemy Core): SQLite embedded, PostgreSQL for scale."""
