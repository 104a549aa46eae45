"""Migration 0008 gives each existing role the grant the operation log recorded, so that an
archivist an administrator created before the upgrade still cannot approve that
administrator's proposals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import text

from ged.adapters.db.access_repository import SqlAccessRepository
from ged.adapters.db.engine import alembic_config, make_engine
from ged.domain.access import RoleGrant
from ged.domain.model import Role

CREATED = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)


def test_existing_roles_are_granted_by_the_creator_the_log_names(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
        conn.execute(
            text("INSERT INTO organisations (id, name, created_at) VALUES ('o', 'Org', :at)"),
            {"at": CREATED},
        )
        conn.execute(
            text(
                "INSERT INTO principals (id, organisation_id, name, kind, roles, platform_admin,"
                " created_at) VALUES ('p', 'o', 'alice', 'user', 'agent,archivist', 0, :at)"
            ),
            {"at": CREATED},
        )
        conn.execute(
            text(
                "INSERT INTO oplog (seq, at, organisation_id, actor, action, object_type,"
                " object_id, details, prev_hash, hash) VALUES (1, :at, 'o', 'admin-id',"
                " 'principal.create', 'principal', 'p', '{}', '0', '1')"
            ),
            {"at": CREATED},
        )
        command.upgrade(cfg, "heads")
        grants = SqlAccessRepository(conn)
        assert grants.role_grant("p", Role.ARCHIVIST) == RoleGrant(
            "p", Role.ARCHIVIST, "admin-id", CREATED
        )
        assert grants.role_grant("p", Role.AGENT) is not None
        assert grants.role_grant("p", Role.ADMIN) is None
    engine.dispose()
