"""Ofsted imports: uploads of Ofsted's provider-level CSV and their reports

Revision ID: 0013_ofsted_import
Revises: 0012_vacancy
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0013_ofsted_import"
down_revision = '0012_vacancy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ofsted_import',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('storage_key', sa.String(length=255), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('total_rows', sa.Integer(), nullable=False),
        sa.Column('processed_rows', sa.Integer(), nullable=False),
        sa.Column('changes_count', sa.Integer(), nullable=False),
        sa.Column('unknown_count', sa.Integer(), nullable=False),
        sa.Column('rejected_count', sa.Integer(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'completed', 'failed')", name=op.f('ck_ofsted_import_status')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_ofsted_import_uploaded_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ofsted_import'))
        )
    op.create_index(op.f('ix_ofsted_import_uploaded_by_id'), 'ofsted_import', ['uploaded_by_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ofsted_import_uploaded_by_id'), table_name='ofsted_import')
    op.drop_table('ofsted_import')
