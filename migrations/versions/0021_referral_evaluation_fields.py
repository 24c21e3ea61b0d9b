"""Referral: home district, re-run link, evaluation-stage timestamps, lock before price

Revision ID: 0021_referral_evaluation_fields
Revises: 0020_organisation_area_districts
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0021_referral_evaluation_fields"
down_revision = "0020_organisation_area_districts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('home_district', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('rerun_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quality_locked_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('price_revealed_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('awarded_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('placed_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('ended_at', UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_referral_rerun_of_id_referral'), 'referral', ['rerun_of_id'], ['id'])
        batch_op.create_check_constraint(
            'locked_before_price',
            "quality_locked_at IS NOT NULL OR status NOT IN ('quality_evaluated', 'price_evaluated', 'awarded')")


def downgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_referral_locked_before_price'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_referral_rerun_of_id_referral'), type_='foreignkey')
        for column in ('ended_at', 'placed_at', 'awarded_at', 'price_revealed_at', 'quality_locked_at',
                       'rerun_of_id', 'home_district'):
            batch_op.drop_column(column)
