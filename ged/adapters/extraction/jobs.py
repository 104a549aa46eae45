"""One text extraction as a sandbox job (``kernel.sandbox.worker.Task``): it crosses the pipe to a
worker, which runs it under the worker's limits. ``ExtractionBatch`` carries several small files
in one message, each run as its own job (its own CPU budget, its own result).

Extractors are named "module:function" so that tests and deployments can plug their own; they
take the file's path and the character budget and return an ``ExtractorOutput`` or raise an
``ExtractionError`` (``kernel.sandbox.failures``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from ged.adapters.extraction.results import ExtractionResult, ExtractorOutput
from kernel.sandbox.failures import ExtractionError
from kernel.sandbox.worker import limit_cpu

Extractor = Callable[..., ExtractorOutput]
# Extractors already imported by this worker process.
_LOADED: dict[str, Extractor] = {}


@dataclass(frozen=True)
class ExtractionJob:
    """One file to extract, as sent to a worker."""

    path: str
    extractor: str
    max_chars: int
    cpu_seconds: int
    # keyword arguments for extractors that take more than a path (a message's ``parts`` file)
    options: tuple[tuple[str, str], ...] = ()

    def run(self) -> ExtractionResult:
        """Run in the worker; every way the job can end inside Python becomes a result."""
        limit_cpu(self.cpu_seconds)
        try:
            extractor = _LOADED.get(self.extractor) or _load(self.extractor)
            _LOADED[self.extractor] = extractor
            output = extractor(self.path, self.max_chars, **dict(self.options))
            return ExtractionResult.done(output)
        except ExtractionError as exc:
            return ExtractionResult.failed(exc.reason, str(exc))
        except MemoryError:
            return ExtractionResult.failed("memory", "MemoryError under the address-space limit")
        except RecursionError:
            return ExtractionResult.failed("malformed", "structures nested too deeply")
        except Exception as exc:  # a library's own exception on odd input: the job fails
            return ExtractionResult.failed("error", f"{type(exc).__name__}: {exc}"[:500])


def _load(reference: str) -> Extractor:
    module_name, _, name = reference.partition(":")
    extractor: Extractor = getattr(importlib.import_module(module_name), name)
    return extractor


@dataclass(frozen=True)
class BatchResults:
    """The results of an ``ExtractionBatch``, in its order; ``error`` is "memory" when a job
    ran out of memory (then the worker is retired, as after a single job's)."""

    results: tuple[ExtractionResult, ...]

    @property
    def error(self) -> str | None:
        return "memory" if any(r.error == "memory" for r in self.results) else None


@dataclass(frozen=True)
class ExtractionBatch:
    """Several files to extract, as sent to a worker in one message (one round trip)."""

    jobs: tuple[ExtractionJob, ...]

    @property
    def job_count(self) -> int:
        """How many jobs the worker's retirement counts (``SandboxPool``'s max jobs)."""
        return len(self.jobs)

    def run(self) -> BatchResults:
        return BatchResults(tuple(job.run() for job in self.jobs))
