"""Full-text search, one implementation per dialect, behind one interface.

SQLite (FTS5): the query starts from the FTS table and joins documents by rowid (``CROSS JOIN``
fixes that order). Written the obvious way, SQLite's planner starts from the metadata index and
probes FTS once per row: p95 538 ms instead of 18 ms on 100k documents. PostgreSQL: a
GIN-indexed tsvector in the ``gedsae_fr`` configuration (French stemming, accents folded by
unaccent).

Sorted by relevance, both rank a window (``RANKED_WINDOW``): the most recently filed matches
that pass the filters, found newest first, then ranked with ``bm25`` or ``ts_rank``. FTS5 walks
its doclist by descending rowid and stops. PostgreSQL reads the GIN index by blocks of
consecutive documents, the newest first, until the window is full: the index holds each row's
block beside its words, and the search row holds the document's organisation, service and date
(migration 0019), so a match is filtered where the index leads, without reading ``documents``.
Ranking every match cost a detoasted vector per row on PostgreSQL (about 15 µs) and a ``bm25``
per row on SQLite: a term found in every document read all of them for 20 rows; reading every
match from the GIN index, then ``documents`` for its filters, cost one random row each (15,000
for a word in 1.5 % of a million documents).
"""

from __future__ import annotations

import math
import weakref
from typing import Any

from sqlalchemy import Connection, Engine, Float, column, text

from ged.adapters.db import rows
from ged.adapters.db import tables as t
from ged.domain.search import (
    MARK_END,
    MARK_START,
    RANKED_WINDOW,
    SearchHit,
    SearchPage,
    SearchQuery,
    SortKey,
    fragments,
    terms,
)
from ged.services.repository import SearchIndex

PG_MAX_BODY = 400_000  # characters: a tsvector is limited to 1 MB
EXCERPT_TOKENS = 24  # words around the match in an excerpt (SQLite snippet)
PG_HEADLINE_BODY = 100_000  # characters of the text ts_headline reads for an excerpt


def search_index_for(conn: Connection) -> SearchIndex:
    if conn.dialect.name == "postgresql":
        return PostgresSearch(conn)
    return SqliteSearch(conn)


_SORT_COLUMNS = {
    SortKey.TITLE: "d.title",
    SortKey.CREATED_AT: "d.created_at",
    SortKey.UPDATED_AT: "d.updated_at",
    SortKey.CREATED_ON: "d.created_on",
}


def _filters(query: SearchQuery, plus: str, dialect: str) -> tuple[list[str], dict[str, Any]]:
    """WHERE fragments on documents ``d``; ``plus`` is SQLite's unary + that keeps the
    planner from starting at a metadata index."""
    clauses, params = _scope(query, "d", plus)
    others, more = _other_filters(query, plus, dialect)
    return clauses + others, params | more


def _scope(query: SearchQuery, alias: str, plus: str = "") -> tuple[list[str], dict[str, Any]]:
    """The organisation, the services and the dates: columns of ``documents`` that
    PostgreSQL's ``document_search`` holds too (``alias`` is either table)."""
    clauses = [f"{plus}{alias}.organisation_id = :org"]
    params: dict[str, Any] = {"org": query.organisation_id}
    if query.service_ids is not None:
        names = [f":svc{i}" for i in range(len(query.service_ids))]
        clauses.append(f"{plus}{alias}.service_id IN ({', '.join(names) or 'NULL'})")
        params.update({f"svc{i}": s for i, s in enumerate(sorted(query.service_ids))})
    if query.created_from is not None:
        clauses.append(f"{plus}{alias}.created_on >= :created_from")
        params["created_from"] = query.created_from
    if query.created_to is not None:
        clauses.append(f"{plus}{alias}.created_on <= :created_to")
        params["created_to"] = query.created_to
    return clauses, params


def _other_filters(query: SearchQuery, plus: str, dialect: str) -> tuple[list[str], dict[str, Any]]:
    """The filters on documents ``d`` other than its scope (``_scope``)."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    simple = {
        "dossier_id": query.dossier_id,
        "document_type": query.document_type,
        "author": query.author,
        "language": query.language,
    }
    for name, value in simple.items():
        if value is not None:
            clauses.append(f"{plus}d.{name} = :{name}")
            params[name] = value
    if query.phase is not None:
        clauses.append(_PHASE_CURRENT if query.phase == "current" else _PHASE_IS)
        params["phase"] = query.phase
    if query.mime_type is not None:
        clauses.append(_FORMAT_IS)
        params["mime_type"] = query.mime_type
    if query.keyword:
        params["keyword"] = query.keyword
        clauses.append(
            "EXISTS (SELECT 1 FROM json_each(d.keywords) WHERE value = :keyword)"
            if dialect == "sqlite"
            else "d.keywords::jsonb ? :keyword"
        )
    if query.signature is not None:
        clauses.append(_signature_clause(query.signature))
        if query.signature != "none":
            params["signature"] = query.signature
    for i, (key, value) in enumerate(sorted(query.extra.items())):
        params[f"xk{i}"], params[f"xv{i}"] = key, value
        clauses.append(
            f"json_extract(d.extra, '$.\"' || :xk{i} || '\"') = :xv{i}"
            if dialect == "sqlite"
            else f"d.extra::jsonb ->> :xk{i} = :xv{i}"
        )
    return clauses, params


_REPORTED = (
    "EXISTS (SELECT 1 FROM signature_reports r WHERE r.document_id = d.id "
    "AND r.number = d.current_version AND r.status {})"
)


def _signature_clause(status: str) -> str:
    if status == "none":
        return "NOT " + _REPORTED.format("IN ('valid', 'invalid', 'indeterminate')")
    return _REPORTED.format("= :signature")


# A dossier the lifecycle engine has not seen yet is in its current phase.
_PHASE_IS = (
    "EXISTS (SELECT 1 FROM dossier_lifecycle l WHERE l.dossier_id = d.dossier_id"
    " AND l.phase = :phase)"
)
_PHASE_CURRENT = (
    "NOT EXISTS (SELECT 1 FROM dossier_lifecycle l WHERE l.dossier_id = d.dossier_id"
    " AND l.phase <> :phase)"
)
_FORMAT_IS = (
    "EXISTS (SELECT 1 FROM versions v WHERE v.document_id = d.id"
    " AND v.number = d.current_version AND v.mime_type = :mime_type)"
)


def _order(query: SearchQuery, has_text: bool, rank_desc: str) -> str:
    direction = "DESC" if query.descending else "ASC"
    if query.sort is SortKey.RELEVANCE:
        return f"{rank_desc}, d.pk" if has_text else "d.created_at DESC, d.pk"
    return f"{_SORT_COLUMNS[query.sort]} {direction}, d.pk"


# The SQL below is assembled from fixed fragments of this module only; every value a user
# gives is a bound parameter (hence the S608 exemptions).
def _where_order(clauses: list[str], query: SearchQuery, rank: str) -> str:
    return f" WHERE {' AND '.join(clauses)} ORDER BY {_order(query, True, rank)}"


# Explicit columns in table order, plus the rank: the result is typed by ``_TYPED`` (JSON,
# dates), which a textual query would otherwise not get on SQLite.
_COLUMNS = ", ".join(f"d.{c.name}" for c in t.documents.columns)
_TYPED = [*t.documents.columns, column("rank", Float)]


def _metadata_only(clauses: list[str], query: SearchQuery) -> str:
    where = " AND ".join(clauses)
    order = _order(query, False, "")
    return f"SELECT {_COLUMNS}, CAST(NULL AS REAL) AS rank FROM documents d WHERE {where} ORDER BY {order}"  # noqa: S608


class _Found:
    """One page of matching rows, before excerpts are added."""

    def __init__(self, result: list[Any], query: SearchQuery) -> None:
        self.rows = result[: query.limit]
        self.next_offset = query.offset + query.limit if len(result) > query.limit else None

    @property
    def pks(self) -> list[int]:
        return [int(row["pk"]) for row in self.rows]

    def page(self, excerpts: dict[int, str] | None = None) -> SearchPage:
        hits = [_hit(row, (excerpts or {}).get(int(row["pk"]), "")) for row in self.rows]
        return SearchPage(hits=hits, next_offset=self.next_offset)


def _rows(conn: Connection, sql: str, params: dict[str, Any], query: SearchQuery) -> _Found:
    params = {**params, "limit": query.limit + 1, "offset": query.offset}
    statement = text(sql + " LIMIT :limit OFFSET :offset").columns(*_TYPED)
    return _Found(list(conn.execute(statement, params).mappings().all()), query)


def _page(conn: Connection, sql: str, params: dict[str, Any], query: SearchQuery) -> SearchPage:
    return _rows(conn, sql, params, query).page()


def _hit(row: Any, excerpt: str) -> SearchHit:
    rank = row.get("rank")
    return SearchHit(
        document=rows.document(row),
        rank=float(rank) if rank is not None else None,
        excerpt=fragments(excerpt),
    )


def _in_list(name: str, values: list[int]) -> tuple[str, dict[str, Any]]:
    names = [f":{name}{i}" for i in range(len(values))]
    return ", ".join(names) or "NULL", {f"{name}{i}": v for i, v in enumerate(values)}


_INDEXED = ("title", "description", "keywords", "author", "filename", "body")
# Column weights, in the order of the FTS5 table: title, description, keywords, author,
# file name, text.
_BM25 = "bm25(documents_fts, 10.0, 3.0, 5.0, 2.0, 2.0, 1.0)"


def _index_values(fields: dict[str, str]) -> dict[str, str]:
    return {name: fields.get(name, "") for name in _INDEXED}


# The FTS5 table's content is the view ``search_content`` (migration 0022): the indexed fields
# (``search_fields``) and the text of the version indexed, read from ``texts``. An entry leaves
# the index with the values it was indexed with, read back from that content before it changes.
_FTS_COLUMNS = ", ".join(_INDEXED)
_METADATA = _INDEXED[:-1]  # the indexed fields beside the text (body)
_FTS_DELETE = text(
    f"INSERT INTO documents_fts(documents_fts, rowid, {_FTS_COLUMNS}) "  # noqa: S608
    f"SELECT 'delete', pk, {_FTS_COLUMNS} FROM search_content WHERE pk = :pk"
)
_FTS_INSERT = text(
    f"INSERT INTO documents_fts(rowid, {_FTS_COLUMNS}) "  # noqa: S608
    f"SELECT pk, {_FTS_COLUMNS} FROM search_content WHERE pk = :pk"
)
# The text indexed is the document's current version's, when the caller has one to index: a
# reference to its row in ``texts``, never a copy.
_FIELDS_WRITE = text(
    "INSERT OR REPLACE INTO search_fields "
    "(pk, title, description, keywords, author, filename, text_document_id, text_number) "
    "SELECT d.pk, :title, :description, :keywords, :author, :filename, x.document_id, x.number "
    "FROM documents d LEFT JOIN texts x "
    "ON :has_body AND x.document_id = d.id AND x.number = d.current_version WHERE d.pk = :pk"
)
_FIELDS_DELETE = text("DELETE FROM search_fields WHERE pk = :pk")


class SqliteSearch:
    """FTS5 over the fields indexed and the stored text of each document (migration 0022).

    ``fields["body"]`` is taken as the current version's text: what is indexed is that
    version's row in ``texts`` when the body is not empty."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def index(self, document_pk: int, fields: dict[str, str]) -> None:
        self.index_many([(document_pk, fields)])

    def index_many(self, items: list[tuple[int, dict[str, str]]]) -> None:
        if not items:
            return
        keys = [{"pk": pk} for pk, _ in items]
        self.conn.execute(_FTS_DELETE, keys)
        self.conn.execute(
            _FIELDS_WRITE,
            [
                {name: fields.get(name, "") for name in _METADATA}
                | {"pk": pk, "has_body": bool(fields.get("body"))}
                for pk, fields in items
            ],
        )
        self.conn.execute(_FTS_INSERT, keys)

    def remove(self, document_pk: int) -> None:
        key = {"pk": document_pk}
        self.conn.execute(_FTS_DELETE, key)
        self.conn.execute(_FIELDS_DELETE, key)

    def search(self, query: SearchQuery) -> SearchPage:
        words = terms(query.text)
        if not words:
            clauses, params = _filters(query, "", "sqlite")
            sql = _metadata_only(clauses, query)
            return _page(self.conn, sql, params, query)
        clauses, params = _filters(query, "+", "sqlite")
        params["match"] = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        if query.sort is SortKey.RELEVANCE:
            sql = self._ranked_window(clauses)
            params["window"] = RANKED_WINDOW
        else:
            sql = (
                f"SELECT {_COLUMNS}, f.rank AS rank FROM "  # noqa: S608
                f"(SELECT rowid, {_BM25} AS rank "
                "FROM documents_fts WHERE documents_fts MATCH :match) AS f "
                "CROSS JOIN documents d ON d.pk = f.rowid "
                + _where_order(clauses, query, "f.rank ASC")
            )
        found = _rows(self.conn, sql, params, query)
        if not query.excerpts:
            return found.page()
        return found.page(self._excerpts(params["match"], found.pks))

    @staticmethod
    def _ranked_window(clauses: list[str]) -> str:
        """The window's matches newest first (FTS5 serves ``ORDER BY rowid DESC`` from its
        doclist, so the walk stops after ``:window`` rows that pass the filters), then ranked."""
        window = (
            f"SELECT d.pk AS pk, {_BM25} AS rank FROM documents_fts "  # noqa: S608
            "CROSS JOIN documents d ON d.pk = documents_fts.rowid "
            f"WHERE documents_fts MATCH :match AND {' AND '.join(clauses)} "
            "ORDER BY documents_fts.rowid DESC LIMIT :window"
        )
        return (
            f"SELECT {_COLUMNS}, w.rank AS rank FROM ({window}) AS w "  # noqa: S608
            "CROSS JOIN documents d ON d.pk = w.pk ORDER BY w.rank ASC, d.pk"
        )

    def _excerpts(self, match: str, pks: list[int]) -> dict[int, str]:
        """FTS5 ``snippet()`` of the best column of each hit (computed for one page only)."""
        listed, params = _in_list("pk", pks)
        sql = (
            "SELECT rowid, snippet(documents_fts, -1, :start, :end, '…', :tokens) "  # noqa: S608
            f"FROM documents_fts WHERE documents_fts MATCH :match AND rowid IN ({listed})"
        )
        params.update(match=match, start=MARK_START, end=MARK_END, tokens=EXCERPT_TOKENS)
        return {int(pk): str(excerpt) for pk, excerpt in self.conn.execute(text(sql), params)}


# The window is read by blocks of consecutive documents, the newest first
# (``PostgresSearch._by_blocks``): the GIN index holds each row's block,
# ``ARRAY[document_pk / 4096]`` (migration 0019: the same expression, or the index is not used).
PG_BLOCK = 4096
PG_RARE_SHARE = 0.005  # the share assumed for a word rarer than those ANALYZE counts
# The newest document, the query's lexemes and when ``ANALYZE`` last counted the words, in one
# round trip: the shares themselves are read from ``pg_stats`` once per count and kept
# (``_WordShares``); reading them for each search cost 1 ms of its 5.4 on the server.
_START = text(
    "SELECT (SELECT max(document_pk) FROM document_search) AS newest, "
    "tsvector_to_array(to_tsvector('gedsae_fr', :q)) AS lexemes, "
    "greatest(pg_stat_get_last_analyze_time(t.oid), pg_stat_get_last_autoanalyze_time(t.oid)) "
    "AS analyzed FROM (SELECT CAST('document_search' AS regclass) AS oid) AS t"
)
_SHARES = text(
    "SELECT x.lexeme, x.share FROM pg_stats p, "
    "unnest(p.most_common_elems::text::text[], p.most_common_elem_freqs) AS x(lexeme, share) "
    "WHERE p.schemaname = current_schema() AND p.tablename = 'document_search' "
    "AND p.attname = 'tsv' AND x.lexeme IS NOT NULL"
)


class _WordShares:
    """The share of documents holding each word ``ANALYZE`` counted (``most_common_elems`` of
    the vectors), as of its last count: one per engine, read again when a count is newer. A
    share only sizes the first block read; a stale one costs a read, never a result."""

    def __init__(self) -> None:
        self.analyzed: object = None
        self.shares: dict[str, float] | None = None

    def share(self, conn: Connection, lexemes: list[str], analyzed: object) -> float:
        shares = self.shares
        if shares is None or analyzed != self.analyzed:
            shares = {str(w): float(f) for w, f in conn.execute(_SHARES)}
            self.shares, self.analyzed = shares, analyzed
        return min((shares.get(w, 0.0) for w in lexemes), default=0.0)


_WORD_SHARES: weakref.WeakKeyDictionary[Engine, _WordShares] = weakref.WeakKeyDictionary()


# The window ranked from its vectors alone; the documents read for the rows shown only (the
# page and those before it: the LIMIT and OFFSET added after apply to these). Reading the 200
# rows of ``documents`` first cost 17 ms of 41 on a cold cache at a million documents.
_RANK_LISTED = (
    f"SELECT {_COLUMNS}, r.rank AS rank FROM (SELECT s.document_pk, ts_rank(s.tsv, q) AS rank "  # noqa: S608
    "FROM document_search s, plainto_tsquery('gedsae_fr', :q) AS q "
    "WHERE s.document_pk = ANY({window}) ORDER BY rank DESC, s.document_pk "
    "LIMIT :limit + :offset) AS r JOIN documents d ON d.pk = r.document_pk "
    "ORDER BY r.rank DESC, d.pk"
)
# A window whose last matches are read with the ranking, in the same statement: the newest
# ``:missing`` of the matches ``rest`` reads, older than the blocks read before (``:below``).
# ``rest`` is materialized, so the planner cannot walk the documents backwards to serve the
# ORDER BY and LIMIT.
_WITH_REST = (
    "CAST(:window AS BIGINT[]) || ARRAY(SELECT document_pk FROM rest "
    "WHERE document_pk < :below ORDER BY document_pk DESC LIMIT :missing)"
)


def postgres_vectors(fields: dict[str, str]) -> tuple[str, str]:
    """The columns of ``document_search`` and the SQL that computes them from ``fields``
    (SQL expressions by indexed field name; a missing field is empty): title weighted A,
    keywords B, description, author and file name C, the text D."""

    def field(name: str) -> str:
        return fields.get(name, "''")

    tsv = (
        f"setweight(to_tsvector('gedsae_fr', {field('title')}), 'A') || "
        f"setweight(to_tsvector('gedsae_fr', {field('keywords')}), 'B') || "
        f"setweight(to_tsvector('gedsae_fr', {field('description')} || ' ' || "
        f"{field('author')} || ' ' || {field('filename')}), 'C') || "
        f"setweight(to_tsvector('gedsae_fr', {field('body')}), 'D')"
    )
    return "tsv", tsv


class PostgresSearch:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def index(self, document_pk: int, fields: dict[str, str]) -> None:
        self.index_many([(document_pk, fields)])

    def index_many(self, items: list[tuple[int, dict[str, str]]]) -> None:
        if not items:
            return
        rows = [
            {**_index_values(f), "pk": pk, "body": f.get("body", "")[:PG_MAX_BODY]}
            for pk, f in items
        ]
        columns, expressions = postgres_vectors({name: f":{name}" for name in _INDEXED})
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns.split(", "))
        self.conn.execute(
            text(
                f"INSERT INTO document_search(document_pk, {columns}) "  # noqa: S608
                f"VALUES (:pk, {expressions}) "
                f"ON CONFLICT (document_pk) DO UPDATE SET {updates}"
            ),
            rows,
        )

    def remove(self, document_pk: int) -> None:
        self.conn.execute(
            text("DELETE FROM document_search WHERE document_pk = :pk"), {"pk": document_pk}
        )

    def search(self, query: SearchQuery) -> SearchPage:
        words = terms(query.text)
        clauses, params = _filters(query, "", "postgresql")
        if not words:
            sql = _metadata_only(clauses, query)
            return _page(self.conn, sql, params, query)
        params["q"] = " ".join(words)
        if query.sort is SortKey.RELEVANCE:
            sql = self._ranked_window(query, params)
        else:
            # Sorted by a column, every match is read: the tsvectors live out of line (TOAST),
            # so the planner prices a sequential scan of document_search at a few hundred pages
            # when it really detoasts every row (230 ms on 30k documents against a few ms
            # through the GIN index).
            self.conn.execute(text("SET LOCAL enable_seqscan = off"))
            sql = (
                f"SELECT {_COLUMNS}, ts_rank(s.tsv, q) AS rank FROM document_search s "  # noqa: S608
                "JOIN documents d ON d.pk = s.document_pk, plainto_tsquery('gedsae_fr', :q) AS q "
                + _where_order(["s.tsv @@ q", *clauses], query, "rank DESC")
            )
        found = _rows(self.conn, sql, params, query)
        if not query.excerpts:
            return found.page()
        return found.page(self._excerpts(params["q"], found.pks))

    def _ranked_window(self, query: SearchQuery, params: dict[str, Any]) -> str:
        """The statement ranking the window, its parameters added to ``params``: when the
        window's last matches come from the rest of the index, they are read by that same
        statement (one round trip fewer)."""
        found, below = self._by_blocks(query, params, *self._start(params["q"]))
        params["window"] = found
        if below is None:
            return _RANK_LISTED.format(window=":window")
        params.update(below=below, missing=RANKED_WINDOW - len(found))
        rest = self._block_matches(query)
        return f"WITH rest AS MATERIALIZED ({rest}) " + _RANK_LISTED.format(window=_WITH_REST)

    def _share(self, words: str) -> float:
        """The share of documents holding every word, as ``ANALYZE`` last counted it
        (``most_common_elems`` of the vectors; 0 for a word rarer than those it keeps)."""
        return self._start(words)[1]

    def _start(self, words: str) -> tuple[int | None, float]:
        """The newest document's key (None if there is none) and the share of ``words``."""
        newest, lexemes, analyzed = self.conn.execute(_START, {"q": words}).one()
        shares = _WORD_SHARES.setdefault(self.conn.engine, _WordShares())
        return newest, shares.share(self.conn, list(lexemes), analyzed)

    def _by_blocks(
        self, query: SearchQuery, params: dict[str, Any], newest: int | None, share: float
    ) -> tuple[list[int], int | None]:
        """The window: the word's matches in the newest blocks of ``PG_BLOCK`` documents, read
        from the GIN index (which holds each row's block) and filtered on the search row itself
        (it holds the document's scope: ``documents`` is joined only for the other filters),
        then in older blocks until the window is full. The first read spans the blocks where the
        word's share (or, for a word rarer than those ``ANALYZE`` counted, ``PG_RARE_SHARE``)
        puts a window of matches; the next, as many blocks as the matches found so far say are
        missing. A read that would reach the oldest block reads the index without blocks: each
        block listed costs the index its entry (13 ms for 245 blocks, against 0.2 ms for the
        2,400 matches of the word alone). That last read is left to the ranking statement: the
        matches read before it are returned with the key its matches must be below."""
        if newest is None:
            return [], None
        last = int(newest) // PG_BLOCK
        count = math.ceil(RANKED_WINDOW / (max(share, PG_RARE_SHARE) * PG_BLOCK))
        in_blocks = text(self._block_matches(query, blocks=True))
        found: list[int] = []
        while len(found) < RANKED_WINDOW:
            if count > last:  # the rest of the index: the matches already read are left out
                return [int(pk) for pk in found], (last + 1) * PG_BLOCK
            blocks = list(range(last, last - count, -1))
            rows = self.conn.execute(in_blocks, {**params, "blocks": blocks}).scalars()
            found += sorted(rows, reverse=True)
            read = int(newest) // PG_BLOCK - last + count
            last -= count
            rate = len(found) / read  # matches a block, so far
            missing = RANKED_WINDOW - len(found)
            count = math.ceil(missing / rate * 1.25) if rate else count * 4
        return [int(pk) for pk in found[:RANKED_WINDOW]], None

    @staticmethod
    def _block_matches(query: SearchQuery, blocks: bool = False) -> str:
        """The matches (in the listed blocks, or all) that pass the filters, in no order: with
        an ORDER BY and a LIMIT the planner would walk the documents backwards, checking each
        vector."""
        scope, _ = _scope(query, "s")
        others, _ = _other_filters(query, "", "postgresql")
        joined = " JOIN documents d ON d.pk = s.document_pk" if others else ""
        in_blocks = f"ARRAY[s.document_pk / {PG_BLOCK}] && CAST(:blocks AS BIGINT[])"
        where = " AND ".join(
            [
                "s.tsv @@ plainto_tsquery('gedsae_fr', :q)",
                *([in_blocks] if blocks else []),
                *scope,
                *others,
            ]
        )
        return f"SELECT s.document_pk FROM document_search s{joined} WHERE {where}"  # noqa: S608

    def _excerpts(self, words: str, pks: list[int]) -> dict[int, str]:
        """``ts_headline`` of each hit's title and text (the start of it: headlines re-parse
        the text), for one page only."""
        listed, params = _in_list("pk", pks)
        options = (
            f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, "
            'MaxFragments=2, FragmentDelimiter=" … "'
        )
        sql = (
            "SELECT d.pk, ts_headline('gedsae_fr', d.title || E'\\n' || "  # noqa: S608
            "coalesce(left(x.body, :body), ''), plainto_tsquery('gedsae_fr', :q), :options) "
            "FROM documents d LEFT JOIN texts x ON x.document_id = d.id "
            f"AND x.number = d.current_version WHERE d.pk IN ({listed})"
        )
        params.update(q=words, options=options, body=PG_HEADLINE_BODY)
        return {int(pk): str(line) for pk, line in self.conn.execute(text(sql), params)}
