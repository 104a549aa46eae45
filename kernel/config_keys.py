"""Unknown keys in a TOML configuration file are refused, each named with the file, its line
and the closest known key (« vouliez-vous dire … ? »), nested tables included.

A misspelt key would otherwise be ignored in silence and its default used: ``max_upload_byte``
left uploads unbounded, ``[agreements.X] purge_after`` kept content the operator meant to
purge. ``check_keys`` takes the allowed schema, so that every configuration file (the GED's
``config.toml``, the repository's ``sae.toml``) is checked by the same code:

- a ``Mapping`` of key → spec describes a table with fixed keys;
- a spec ``None`` is a value (its type is checked where it is read);
- ``NamedTables(schema)`` is a table of tables named by the operator (``[connectors.NAME]``),
  each following ``schema``, or ``schema(table)`` when the keys depend on the table (a
  connector's ``kind``); a schema of ``None`` leaves that table to its reader.

TOML (v1.0.0) parsers give no line numbers: ``key_lines`` finds each key's line in the text
(table headers, dotted and quoted keys; multi-line strings and arrays skipped).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from kernel.errors import InvalidError, Issue

Schema: TypeAlias = Mapping[str, "Spec"]
KeyPath: TypeAlias = tuple[str, ...]


@dataclass(frozen=True)
class NamedTables:
    """``[NAME.X]`` tables: every ``X`` follows ``of`` (or ``of(table)``; None: not checked)."""

    of: Schema | Callable[[Mapping[str, Any]], Schema | None]

    def schema_for(self, table: Mapping[str, Any]) -> Schema | None:
        return self.of(table) if callable(self.of) else self.of


Spec: TypeAlias = Schema | NamedTables | None


class UnknownConfigKey(InvalidError):
    code = "config_key_unknown"
    title = "Clé inconnue dans le fichier de configuration"


def check_keys(path: Path, text: str, data: Mapping[str, Any], schema: Schema) -> None:
    """Refuses (422, every key listed) the keys of ``data`` (``text`` parsed) that ``schema``
    does not know."""
    lines = key_lines(text)
    issues = [_issue(path, key, lines.get(key), known) for key, known in unknown_keys(data, schema)]
    if issues:
        names = ", ".join(".".join(key) for key, _ in unknown_keys(data, schema))
        raise UnknownConfigKey(f"{path} : clé(s) inconnue(s) : {names}", issues=issues)


def unknown_keys(
    data: Mapping[str, Any], schema: Schema, prefix: KeyPath = ()
) -> Iterator[tuple[KeyPath, list[str]]]:
    """Each unknown key's path, with the keys its table does know."""
    for key, value in data.items():
        if key not in schema:
            yield (*prefix, key), sorted(schema)
            continue
        spec = schema[key]
        if isinstance(spec, NamedTables) and isinstance(value, dict):
            for name, table in value.items():
                inner = spec.schema_for(table) if isinstance(table, dict) else None
                if inner is not None:
                    yield from unknown_keys(table, inner, (*prefix, key, name))
        elif isinstance(spec, Mapping) and isinstance(value, dict):
            yield from unknown_keys(value, spec, (*prefix, key))


def _issue(path: Path, key: KeyPath, line: int | None, known: list[str]) -> Issue:
    where = f"{path}, ligne {line}" if line else str(path)
    close = difflib.get_close_matches(key[-1], known, n=1, cutoff=0.6)
    hint = f" — vouliez-vous dire « {close[0]} » ?" if close else ""
    dotted = ".".join(key)
    message = f"{where} : clé inconnue « {dotted} »{hint}"
    return Issue("config_key_unknown", message, line=line, path=dotted)


# -- where each key is written ------------------------------------------------------------------
_BARE = re.compile(r"[A-Za-z0-9_-]+")


def key_lines(text: str) -> dict[KeyPath, int]:
    """The line (from 1) where each key path is first written: ``[a.b]`` gives ``(a, b)``, a
    ``c = 1`` under it ``(a, b, c)``."""
    found: dict[KeyPath, int] = {}
    table: KeyPath = ()
    skip_until: Callable[[str], bool] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if skip_until is not None:
            skip_until = None if skip_until(line) else skip_until
            continue
        stripped = line.strip()
        if stripped.startswith("["):
            table = tuple(_key_parts(stripped.strip("[]").split("]")[0]))
            _note(found, table, number)
        elif stripped and not stripped.startswith("#") and "=" in stripped:
            name, _, value = stripped.partition("=")
            _note(found, (*table, *_key_parts(name)), number)
            skip_until = _continuation(value.strip())
    return found


def _note(found: dict[KeyPath, int], path: KeyPath, number: int) -> None:
    for end in range(1, len(path) + 1):
        found.setdefault(path[:end], number)


def _key_parts(raw: str) -> list[str]:
    """``a."b.c".d`` → ``[a, b.c, d]`` (TOML dotted keys, quoted parts kept whole)."""
    parts, rest = [], raw.strip()
    while rest:
        if rest[0] in "\"'":
            end = rest.find(rest[0], 1)
            end = len(rest) if end < 0 else end
            parts.append(rest[1:end])
            rest = rest[end + 1 :]
        else:
            match = _BARE.match(rest)
            parts.append(match.group(0) if match else rest)
            rest = rest[len(parts[-1]) :] if match else ""
        rest = rest.strip().removeprefix(".").strip()
    return parts


def _continuation(value: str) -> Callable[[str], bool] | None:
    """When ``value`` goes on past its line (multi-line string or array), a test that tells
    the line where it ends."""
    for quote in ('"""', "'''"):
        if value.startswith(quote) and value.count(quote) < 2:
            return _ends_with(quote)
    depth = _depth(value)
    if depth <= 0:
        return None
    remaining = [depth]

    def closes(line: str) -> bool:
        remaining[0] += _depth(line)
        return remaining[0] <= 0

    return closes


def _ends_with(quote: str) -> Callable[[str], bool]:
    def closes(line: str) -> bool:
        return quote in line

    return closes


def _depth(text: str) -> int:
    """Brackets opened minus closed, outside strings (escapes respected) and comments."""
    depth, quote, escaped = 0, "", False
    for char in text:
        if quote:
            quote = "" if char == quote and not escaped else quote
            escaped = quote == '"' and char == "\\" and not escaped
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return depth
