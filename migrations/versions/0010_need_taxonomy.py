"""Needs taxonomy reference data (DESIGN.md starting list)

Revision ID: 0010_need_taxonomy
Revises: 0009_need
"""
from alembic import op
import sqlalchemy as sa

revision = "0010_need_taxonomy"
down_revision = "0009_need"
branch_labels = None
depends_on = None

NEEDS = [
    ("emotional_mental_health", "Emotional and mental health"),
    ("self_harm", "Self-harm"),
    ("suicidal_ideation", "Suicidal ideation"),
    ("cse_risk", "Child sexual exploitation risk"),
    ("cce_county_lines", "Child criminal exploitation / county lines"),
    ("missing_episodes", "Missing episodes"),
    ("substance_misuse", "Substance misuse"),
    ("offending", "Offending"),
    ("harmful_sexual_behaviour", "Harmful sexual behaviour"),
    ("violence_aggression", "Violence or aggression"),
    ("learning_disability", "Learning disability"),
    ("autism", "Autism"),
    ("physical_disability", "Physical disability"),
    ("complex_health", "Complex health needs"),
    ("sen_ehcp", "SEN / EHCP"),
    ("not_in_education", "Not in education"),
    ("trauma_attachment", "Trauma and attachment"),
    ("uasc", "Unaccompanied asylum-seeking child"),
    ("dol_order", "Deprivation of liberty order"),
    ("parent_child_assessment", "Parent and child assessment"),
]

need = sa.table("need", sa.column("code", sa.String), sa.column("label", sa.String), sa.column("position", sa.Integer))


def upgrade() -> None:
    op.bulk_insert(need, [{"code": c, "label": l, "position": i} for i, (c, l) in enumerate(NEEDS, start=1)])


def downgrade() -> None:
    op.execute(need.delete().where(need.c.code.in_([c for c, _ in NEEDS])))
