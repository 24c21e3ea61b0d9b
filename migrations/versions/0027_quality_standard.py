"""The QA framework: quality standards as reference data

Revision ID: 0027_quality_standard
Revises: 0026_placement
"""
from alembic import op
import sqlalchemy as sa
from portal.core.db import UTCDateTime  # noqa: F401

revision = "0027_quality_standard"
down_revision = "0026_placement"
branch_labels = None
depends_on = None

# The nine quality standards of the Children's Homes (England) Regulations 2015 (regulations 6 to 14), and
# starting lists for fostering and supported accommodation (editable by QA officers afterwards).
STANDARDS = {
    "childrens_home": [
        ("quality_and_purpose", "The quality and purpose of care standard"),
        ("views_wishes_feelings", "The children's views, wishes and feelings standard"),
        ("education", "The education standard"),
        ("enjoyment_achievement", "The enjoyment and achievement standard"),
        ("health_wellbeing", "The health and well-being standard"),
        ("positive_relationships", "The positive relationships standard"),
        ("protection", "The protection of children standard"),
        ("leadership_management", "The leadership and management standard"),
        ("care_planning", "The care planning standard"),
    ],
    "fostering": [
        ("wishes_feelings", "The child's wishes and feelings and the views of those significant to them"),
        ("positive_behaviour", "Promoting positive behaviour and relationships"),
        ("safeguarding", "Safeguarding children"),
        ("missing", "Children missing from care"),
        ("health_wellbeing", "Promoting good health and well-being"),
        ("education", "Promoting educational attainment"),
        ("contact", "Promoting and supporting contact"),
        ("independence", "Preparation for independence"),
        ("carer_suitability", "Suitability and support of foster carers"),
        ("leadership_management", "Leadership and management"),
    ],
    "supported_accommodation": [
        ("leadership_management", "The leadership and management standard"),
        ("protection", "The protection standard"),
        ("accommodation", "The accommodation standard"),
        ("support", "The support standard"),
    ],
}


def upgrade() -> None:
    op.create_table('quality_standard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework', sa.String(length=30), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("framework IN ('childrens_home', 'fostering', 'supported_accommodation')", name=op.f('ck_quality_standard_framework')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_standard')),
    sa.UniqueConstraint('framework', 'code', name='framework_code')
    )
    standards = sa.table('quality_standard', sa.column('framework', sa.String), sa.column('code', sa.String),
                         sa.column('title', sa.String), sa.column('position', sa.Integer),
                         sa.column('active', sa.Boolean))
    rows = []
    for framework, items in STANDARDS.items():
        rows += [{'framework': framework, 'code': code, 'title': title, 'position': n, 'active': True}
                 for n, (code, title) in enumerate(items)]
    op.bulk_insert(standards, rows)


def downgrade() -> None:
    op.drop_table('quality_standard')
