"""Shared fixtures: real servers (PostgreSQL, S3 endpoint), a wired GED, the SEDA corpus."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.s3",
    "tests.fixtures.postgres",
    "tests.fixtures.ged",
    "tests.fixtures.seda_corpus",
    "tests.fixtures.tls",
    "tests.fixtures.processes",
    "tests.fixtures.sftp",
    "tests.fixtures.leftovers",
]
