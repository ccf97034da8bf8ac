"""encrypted ballot box: ciphertext-only ballots, slips keyed by their hash, box columns,
anonymity floor

Ratings were stored in clear in ``rating``; they are dropped here (the tallies of closed
evaluations are kept in ``vote_tally``). An evaluation that is open with ballots cannot be
carried over (its ballots were never encrypted): the upgrade refuses until it is closed with
the previous version. An open evaluation with no ballot yet goes back to draft, so opening it
again makes its key.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _ballot_table() -> None:
    op.create_table('ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('tracker', sa.String(length=11), nullable=True),
    sa.CheckConstraint('valid = (ciphertext IS NOT NULL)', name=op.f('ck_ballot_valid_has_ciphertext')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_ballot_evaluation_id_evaluation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sqlite_with_rowid=False,
    )
    op.create_index('ix_ballot_evaluation_id_tracker', 'ballot', ['evaluation_id', 'tracker'], unique=False)


def upgrade() -> None:
    connection = op.get_bind()
    in_flight = connection.execute(sa.text(
        "SELECT e.id FROM evaluation e WHERE e.state = 'open' "
        "AND EXISTS (SELECT 1 FROM ballot b WHERE b.evaluation_id = e.id)")).scalars().all()
    if in_flight:
        raise RuntimeError(
            "evaluations " + ", ".join(map(str, in_flight)) + " are open and hold ballots stored "
            "before encryption: close them with the previous version, then upgrade")
    connection.execute(sa.text("UPDATE evaluation SET state = 'draft' WHERE state = 'open'"))

    op.drop_table('rating')
    op.drop_table('ballot')
    _ballot_table()

    slips = connection.execute(sa.text(
        "SELECT credential_hash, evaluation_id, spent FROM slip ORDER BY credential_hash")).all()
    op.drop_table('slip')
    slip = op.create_table('slip',
    sa.Column('credential_hash', sa.String(length=64), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('spent', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_slip_evaluation_id_evaluation')),
    sa.PrimaryKeyConstraint('credential_hash', name=op.f('pk_slip')),
    sqlite_with_rowid=False,
    )
    op.create_index('ix_slip_evaluation_id_spent', 'slip', ['evaluation_id', 'spent'], unique=False)
    if slips:
        op.bulk_insert(slip, [{"credential_hash": h, "evaluation_id": e, "spent": bool(s)}
                              for h, e, s in slips])

    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('box_keys', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('box_header', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('box_result', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('box_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('box_public_token', sa.String(length=43), nullable=True))
        batch_op.add_column(sa.Column('counts_withheld', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('counts_published_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('counts_published_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('counts_published_at', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_evaluation_box_public_token'), ['box_public_token'])
        batch_op.create_foreign_key(batch_op.f('fk_evaluation_counts_published_by_id_user_account'),
                                    'user_account', ['counts_published_by_id'], ['id'])
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.alter_column('counts_withheld', server_default=None)

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymity_floor', sa.Integer(), nullable=False,
                                      server_default='5'))
        batch_op.create_check_constraint(op.f('ck_assessment_anonymity_floor_range'),
                                         'anonymity_floor BETWEEN 3 AND 1000')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.alter_column('anonymity_floor', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_assessment_anonymity_floor_range'), type_='check')
        batch_op.drop_column('anonymity_floor')
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_evaluation_counts_published_by_id_user_account'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_evaluation_box_public_token'), type_='unique')
        for column in ('counts_published_at', 'counts_published_reason', 'counts_published_by_id',
                       'counts_withheld', 'box_public_token', 'box_digest', 'box_result',
                       'box_header', 'box_keys'):
            batch_op.drop_column(column)

    # Encrypted ballots cannot go back to clear ratings: they are dropped with their table.
    op.drop_table('ballot')
    op.create_table('ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_ballot_evaluation_id_evaluation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sqlite_with_rowid=False,
    )
    op.create_index('ix_ballot_evaluation_id', 'ballot', ['evaluation_id'], unique=False)
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

    slips = op.get_bind().execute(sa.text(
        "SELECT credential_hash, evaluation_id, spent FROM slip")).all()
    op.drop_table('slip')
    slip = op.create_table('slip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('credential_hash', sa.String(length=64), nullable=False),
    sa.Column('spent', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_slip_evaluation_id_evaluation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slip')),
    sa.UniqueConstraint('credential_hash', name=op.f('uq_slip_credential_hash'))
    )
    op.create_index('ix_slip_evaluation_id_spent', 'slip', ['evaluation_id', 'spent'], unique=False)
    if slips:
        op.bulk_insert(slip, [{"credential_hash": h, "evaluation_id": e, "spent": bool(s)}
                              for h, e, s in slips])
