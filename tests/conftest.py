"""Shared fixtures: real servers (PostgreSQL, S3 endpoint), a wired GED, the SEDA corpus."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.s3",
    "tests.fixtures.postgres",
    "tests.fixtures.sae",
    "tests.fixtures.ged",
    "tests.fixtures.seda_corpus",
    "tests.fixtures.tls",
    "tests.fixtures.processes",
    "tests.fixtures.sftp",
    "tests.fixtures.leftovers",
    "tests.fixtures.web",
]

from hypothesis import settings  # noqa: E402 - after the plugin list, which pytest reads first

# Speed is measured by the benchmarks, never asserted: no Hypothesis deadline (a slow first
# example on a loaded machine is not a failure), and a fixed derandomised run so that every
# change is checked against the same examples.
settings.register_profile("gedsae", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("gedsae")
