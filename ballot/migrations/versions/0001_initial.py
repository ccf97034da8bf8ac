"""counties, assessments, members, evaluations, slips, ballots

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('county',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_county')),
    sa.UniqueConstraint('name', name=op.f('uq_county_name'))
    )
    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_assessment_year_range')),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], name=op.f('fk_assessment_county_id_county')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment')),
    sa.UniqueConstraint('county_id', 'year', name='county_year')
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_county_id'), ['county_id'], unique=False)

    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=True),
    sa.Column('excellent_cap', sa.Integer(), nullable=True),
    sa.Column('closed_reason', sa.String(length=20), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('ballots_cast', sa.Integer(), nullable=True),
    sa.Column('invalid_ballots', sa.Integer(), nullable=True),
    sa.Column('manage_key', sa.String(length=43), nullable=False),
    sa.CheckConstraint("kind IN ('democratic', 'interview')", name=op.f('ck_evaluation_kind_known')),
    sa.CheckConstraint("state IN ('draft', 'open', 'closed')", name=op.f('ck_evaluation_state_known')),
    sa.CheckConstraint('excellent_cap IS NULL OR excellent_cap >= 0', name=op.f('ck_evaluation_cap_not_negative')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_evaluation_assessment_id_assessment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation')),
    sa.UniqueConstraint('manage_key', name=op.f('uq_evaluation_manage_key'))
    )
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('position', sa.String(length=80), nullable=False),
    sa.Column('portfolio', sa.String(length=200), nullable=False),
    sa.Column('order', sa.Integer(), nullable=False),
    sa.CheckConstraint('"order" >= 1', name=op.f('ck_member_order_positive')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_member_assessment_id_assessment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member')),
    sa.UniqueConstraint('assessment_id', 'order', name='display_order')
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_ballot_evaluation_id_evaluation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_evaluation_id'), ['evaluation_id'], unique=False)

    op.create_table('slip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('credential_hash', sa.String(length=64), nullable=False),
    sa.Column('spent', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_slip_evaluation_id_evaluation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slip')),
    sa.UniqueConstraint('credential_hash', name=op.f('uq_slip_credential_hash'))
    )
    with op.batch_alter_table('slip', schema=None) as batch_op:
        batch_op.create_index('ix_slip_evaluation_id_spent', ['evaluation_id', 'spent'], unique=False)

    op.create_table('vote_tally',
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('excellent', sa.Integer(), nullable=False),
    sa.Column('competent', sa.Integer(), nullable=False),
    sa.Column('basically_competent', sa.Integer(), nullable=False),
    sa.Column('incompetent', sa.Integer(), nullable=False),
    sa.Column('abstained', sa.Integer(), nullable=False),
    sa.Column('score', sa.String(length=12), nullable=True),
    sa.CheckConstraint('excellent >= 0 AND competent >= 0 AND basically_competent >= 0 AND incompetent >= 0 AND abstained >= 0', name=op.f('ck_vote_tally_counts_not_negative')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_vote_tally_evaluation_id_evaluation')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_vote_tally_member_id_member')),
    sa.PrimaryKeyConstraint('evaluation_id', 'member_id', name=op.f('pk_vote_tally'))
    )
    op.create_table('rating',
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=20), nullable=False),
    sa.CheckConstraint("rating IN ('excellent', 'competent', 'basically_competent', 'incompetent')", name=op.f('ck_rating_rating_known')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_rating_ballot_id_ballot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_rating_member_id_member')),
    sa.PrimaryKeyConstraint('ballot_id', 'member_id', name=op.f('pk_rating')),
    sqlite_with_rowid=False,
    )



def downgrade() -> None:

    op.drop_table('rating')
    op.drop_table('vote_tally')
    with op.batch_alter_table('slip', schema=None) as batch_op:
        batch_op.drop_index('ix_slip_evaluation_id_spent')

    op.drop_table('slip')
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_evaluation_id'))

    op.drop_table('ballot')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_assessment_id'))

    op.drop_table('member')
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_assessment_id'))

    op.drop_table('evaluation')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_county_id'))

    op.drop_table('assessment')
    op.drop_table('county')

