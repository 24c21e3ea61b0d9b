"""Organisation profile: Companies House number, address and main contact

Revision ID: 0014_organisation_profile
Revises: 0013_ofsted_import
"""
from alembic import op
import sqlalchemy as sa

revision = "0014_organisation_profile"
down_revision = "0013_ofsted_import"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('companies_house_number', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('address', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('postcode', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=30), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_organisation_companies_house_number'), ['companies_house_number'])


def downgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organisation_companies_house_number'), type_='unique')
        for column in ('contact_phone', 'contact_email', 'contact_name', 'postcode', 'address', 'companies_house_number'):
            batch_op.drop_column(column)
