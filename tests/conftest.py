"""Shared fixtures: real servers (PostgreSQL, S3 endpoint) and a wired GED context."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.fixtures.s3", "tests.fixtures.postgres", "tests.fixtures.ged"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    del config, items
