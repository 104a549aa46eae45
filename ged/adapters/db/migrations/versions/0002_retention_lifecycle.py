"""Retention rules (versioned), rule bindings, business-event dates, holds, the lifecycle state
of each dossier, elimination proposals with their items, and tombstones.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "elimination_proposals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("executed_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_elimination_proposals_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elimination_proposals")),
    )
    op.create_table(
        "retention_rules",
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=1000), nullable=False),
        sa.Column("duration", sa.String(length=40), nullable=True),
        sa.Column("start_event_kind", sa.String(length=30), nullable=True),
        sa.Column("start_event_name", sa.String(length=500), nullable=True),
        sa.Column("final_action", sa.String(length=30), nullable=True),
        sa.Column("legal_reference", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_retention_rules_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "identifier", "version", name=op.f("pk_retention_rules")
        ),
    )
    with op.batch_alter_table("retention_rules", schema=None) as batch_op:
        batch_op.create_index(
            "ix_retention_rules_org_status", ["organisation_id", "status"], unique=False
        )

    op.create_table(
        "rule_bindings",
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_rule_bindings_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "target_kind", "target_id", "category", name=op.f("pk_rule_bindings")
        ),
    )
    op.create_table(
        "dossier_events",
        sa.Column("dossier_id", sa.String(length=36), nullable=False),
        sa.Column("event_key", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_dossier_events_dossier_id_dossiers")
        ),
        sa.PrimaryKeyConstraint("dossier_id", "event_key", name=op.f("pk_dossier_events")),
    )
    op.create_table(
        "dossier_lifecycle",
        sa.Column("dossier_id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("final_action", sa.String(length=30), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("no_due_reason", sa.String(length=40), nullable=True),
        sa.Column("sort_decision", sa.String(length=20), nullable=True),
        sa.Column("sorted_by", sa.String(length=200), nullable=True),
        sa.Column("transfer_reference", sa.String(length=500), nullable=True),
        sa.Column("transfer_verified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_dossier_lifecycle_dossier_id_dossiers")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_dossier_lifecycle_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_dossier_lifecycle_service_id_services")
        ),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_dossier_lifecycle")),
    )
    with op.batch_alter_table("dossier_lifecycle", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dossier_lifecycle_org_phase", ["organisation_id", "phase"], unique=False
        )

    op.create_table(
        "elimination_items",
        sa.Column("proposal_id", sa.String(length=36), nullable=False),
        sa.Column("dossier_id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("final_action", sa.String(length=30), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_elimination_items_dossier_id_dossiers")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["elimination_proposals.id"],
            name=op.f("fk_elimination_items_proposal_id_elimination_proposals"),
        ),
        sa.PrimaryKeyConstraint("proposal_id", "dossier_id", name=op.f("pk_elimination_items")),
    )
    with op.batch_alter_table("elimination_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_elimination_items_dossier_id"), ["dossier_id"], unique=False
        )

    op.create_table(
        "holds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("dossier_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("placed_by", sa.String(length=200), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=200), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_holds_dossier_id_dossiers")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_holds_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holds_dossier_id"), ["dossier_id"], unique=False)

    op.create_table(
        "tombstones",
        sa.Column("dossier_id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("proposal_id", sa.String(length=36), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=200), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("digests", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_tombstones_dossier_id_dossiers")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_tombstones_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_tombstones")),
    )


def downgrade() -> None:
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holds_dossier_id"))
    with op.batch_alter_table("elimination_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_elimination_items_dossier_id"))
    with op.batch_alter_table("dossier_lifecycle", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_lifecycle_org_phase")
    with op.batch_alter_table("retention_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_retention_rules_org_status")
    for table in (
        "tombstones",
        "holds",
        "elimination_items",
        "dossier_lifecycle",
        "dossier_events",
        "rule_bindings",
        "retention_rules",
        "elimination_proposals",
    ):
        op.drop_table(table)
