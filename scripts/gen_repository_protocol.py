#!/usr/bin/env python3
"""Regenerates ged/services/repository.py (the Repository port) from SqlRepository's methods.

Run after adding a public method to ged/adapters/db/repository.py, then `ruff format`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = '''"""The repository port: every query the services need (implemented in ged.adapters.db).

Generated from ``SqlRepository`` by scripts/gen_repository_protocol.py; mypy checks that the
adapter satisfies it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ged.domain.access import Principal
from ged.domain.model import (
    Document,
    Dossier,
    DossierStatus,
    ExtractionStatus,
    Organisation,
    PlanNode,
    Service,
    Version,
)
from ged.domain.search import SearchPage, SearchQuery
from ged.services.ports import ContentRef


class SearchIndex(Protocol):
    def index(self, document_pk: int, fields: dict[str, str]) -> None: ...

    def index_many(self, items: list[tuple[int, dict[str, str]]]) -> None: ...

    def remove(self, document_pk: int) -> None: ...

    def search(self, query: SearchQuery) -> SearchPage: ...


class Repository(Protocol):
    @property
    def search(self) -> SearchIndex: ...
'''


def main() -> None:
    source = (ROOT / "ged/adapters/db/repository.py").read_text(encoding="utf-8")
    cls = next(
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.ClassDef) and node.name == "SqlRepository"
    )
    methods = []
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            node.body = [ast.Expr(ast.Constant(...))]
            node.decorator_list = []
            methods.append("    " + ast.unparse(node).replace("\n", "\n    "))
    target = ROOT / "ged/services/repository.py"
    target.write_text(HEADER + "\n" + "\n\n".join(methods) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
