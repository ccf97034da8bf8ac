"""accounts, assessment settings, scores, decisions, approvals, audit log

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempt_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_username'), ['username'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('display_name', sa.String(length=60), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('office', sa.String(length=30), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role != 'reviewer' OR office IS NOT NULL", name=op.f('ck_user_account_reviewer_has_office')),
    sa.CheckConstraint("role = 'reviewer' OR office IS NULL", name=op.f('ck_user_account_office_only_for_reviewers')),
    sa.CheckConstraint("role IN ('admin', 'team', 'scorer', 'reviewer', 'observer')", name=op.f('ck_user_account_role_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    op.create_table('county_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('performance', sa.String(length=12), nullable=True),
    sa.Column('target', sa.String(length=12), nullable=True),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], name=op.f('fk_county_score_county_id_county')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_county_score')),
    sa.UniqueConstraint('county_id', 'year', name=op.f('uq_county_score_county_id'))
    )
    with op.batch_alter_table('county_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_county_score_county_id'), ['county_id'], unique=False)

    op.create_table('user_county',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['county.id'], name=op.f('fk_user_county_county_id_county')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_county_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'county_id', name=op.f('pk_user_county'))
    )
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.String(length=120), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_audit_entry_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_audit_entry_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)

    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('raised_by', sa.String(length=100), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('complaint', 'appeal')", name=op.f('ck_complaint_kind_known')),
    sa.CheckConstraint("status IN ('open', 'investigating', 'resolved')", name=op.f('ck_complaint_status_known')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_complaint_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['recorded_by'], ['user_account.id'], name=op.f('fk_complaint_recorded_by_user_account')),
    sa.ForeignKeyConstraint(['resolved_by'], ['user_account.id'], name=op.f('fk_complaint_resolved_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('result_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_result_snapshot_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_result_snapshot_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_snapshot'))
    )
    with op.batch_alter_table('result_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_snapshot_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('scorer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('signed_name', sa.String(length=40), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('city_leader', 'county_head')", name=op.f('ck_scorer_kind_known')),
    sa.CheckConstraint("source IN ('link', 'paper')", name=op.f('ck_scorer_source_known')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_scorer_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_scorer_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorer')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_scorer_token_hash'))
    )
    with op.batch_alter_table('scorer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scorer_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('amendment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('grade_before', sa.String(length=24), nullable=True),
    sa.Column('grade_after', sa.String(length=24), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_amendment_reason_given')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_amendment_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_amendment_member_id_member')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['result_snapshot.id'], name=op.f('fk_amendment_snapshot_id_result_snapshot')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_amendment_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_amendment'))
    )
    with op.batch_alter_table('amendment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_amendment_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('approval_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('office', sa.String(length=30), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("action IN ('propose', 'sign_off', 'return', 'deliberate', 'approve')", name=op.f('ck_approval_step_action_known')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_approval_step_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['result_snapshot.id'], name=op.f('fk_approval_step_snapshot_id_result_snapshot')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_approval_step_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_step'))
    )
    with op.batch_alter_table('approval_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_step_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('grade', sa.String(length=24), nullable=True),
    sa.Column('veto_area', sa.String(length=40), nullable=True),
    sa.Column('facts', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("grade IS NULL OR grade IN ('excellent', 'competent', 'basically_competent', 'incompetent')", name=op.f('ck_decision_grade_known')),
    sa.CheckConstraint("kind IN ('tie', 'veto', 'missing_input', 'promotion')", name=op.f('ck_decision_kind_known')),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_decision_reason_given')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_decision_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_decision_member_id_member')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_decision_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision'))
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('leader_score',
    sa.Column('scorer_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['scorer_id'], ['scorer.id'], name=op.f('fk_leader_score_scorer_id_scorer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('scorer_id', name=op.f('pk_leader_score'))
    )
    op.create_table('member_score',
    sa.Column('scorer_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_member_score_member_id_member')),
    sa.ForeignKeyConstraint(['scorer_id'], ['scorer.id'], name=op.f('fk_member_score_scorer_id_scorer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('scorer_id', 'member_id', name=op.f('pk_member_score'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('other_cadres_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('other_cadres_excellent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('quota_ratio', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('quota_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('excellent_cap', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decimals', sa.Integer(), nullable=False, server_default='2'))
        batch_op.add_column(sa.Column('inputs_locked', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('stage', sa.String(length=20), nullable=False, server_default='setup'))
        batch_op.create_check_constraint('other_cadres_counts', 'other_cadres_count >= 0 AND other_cadres_excellent >= 0 AND other_cadres_excellent <= other_cadres_count')
        batch_op.create_check_constraint('decimals_range', 'decimals BETWEEN 0 AND 4')
        batch_op.create_check_constraint('stage_known', "stage IN ('setup', 'proposed', 'review', 'deliberation', 'approval', 'approved')")

    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_evaluation_manage_key'), type_='unique')
        batch_op.drop_column('manage_key')

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_grade', sa.String(length=24), nullable=True))

    _append_only()




APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
]
APPEND_ONLY_POSTGRES = [
    "CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()",
]


def _append_only() -> None:
    """The audit log refuses UPDATE and DELETE in the database itself (A21)."""
    dialect = op.get_bind().dialect.name
    for statement in APPEND_ONLY_POSTGRES if dialect == "postgresql" else APPEND_ONLY_SQLITE:
        op.execute(statement)


def downgrade() -> None:

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('previous_grade')

    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manage_key', sa.VARCHAR(length=43), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_evaluation_manage_key'), ['manage_key'])

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_assessment_stage_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_assessment_decimals_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_assessment_other_cadres_counts'), type_='check')
        batch_op.drop_column('stage')
        batch_op.drop_column('inputs_locked')
        batch_op.drop_column('decimals')
        batch_op.drop_column('excellent_cap')
        batch_op.drop_column('quota_reason')
        batch_op.drop_column('quota_ratio')
        batch_op.drop_column('other_cadres_excellent')
        batch_op.drop_column('other_cadres_count')

    op.drop_table('member_score')
    op.drop_table('leader_score')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_assessment_id'))

    op.drop_table('decision')
    with op.batch_alter_table('approval_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_step_assessment_id'))

    op.drop_table('approval_step')
    with op.batch_alter_table('amendment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_amendment_assessment_id'))

    op.drop_table('amendment')
    with op.batch_alter_table('scorer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scorer_assessment_id'))

    op.drop_table('scorer')
    with op.batch_alter_table('result_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_result_snapshot_assessment_id'))

    op.drop_table('result_snapshot')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_assessment_id'))

    op.drop_table('complaint')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_assessment_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_action'))

    op.drop_table('audit_entry')
    op.drop_table('user_county')
    with op.batch_alter_table('county_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_county_score_county_id'))

    op.drop_table('county_score')
    op.drop_table('user_account')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempt_username'))
        batch_op.drop_index(batch_op.f('ix_login_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_login_attempt_address'))

    op.drop_table('login_attempt')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
