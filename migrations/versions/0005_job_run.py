"""Background job runs with idempotency keys

Revision ID: 0005_job_run
Revises: 0004_audit_append_only
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime

revision = "0005_job_run"
down_revision = '0004_audit_append_only'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('function', sa.String(length=200), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('max_attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('run_after', UTCDateTime(), nullable=False),
        sa.Column('claimed_at', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'retrying', 'succeeded', 'failed')", name=op.f('ck_job_run_status')),
        sa.CheckConstraint('attempts >= 0 AND attempts <= max_attempts', name=op.f('ck_job_run_attempts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run')),
        sa.UniqueConstraint('key', name=op.f('uq_job_run_key'))
        )
    op.create_index('ix_job_run_status_run_after', 'job_run', ['status', 'run_after'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_job_run_status_run_after', table_name='job_run')
    op.drop_table('job_run')
