"""Scorers and their signed score sheets: city leaders score the county (form 4, L, A8.3), the
county's two heads score each member (form 5, H, A8.4); the team locks the inputs.

Like ballot slips, a scorer's personal link carries a random token of which only the keyed hash
is stored (``ballot.slips.credentials``). Every change is audited in the same transaction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ballot.accounts.models import Role, User
from ballot.assessments.models import Assessment, Member
from ballot.assessments.services import ensure_inputs_open
from ballot.audit.models import AuditEntry
from ballot.audit.services import record
from ballot.clock import utcnow
from ballot.scores.models import CountyLeaderScore, MemberScore, Scorer
from ballot.slips.credentials import credential_hash, new_credential, normalize

CITY_LEADER = "city_leader"
COUNTY_HEAD = "county_head"
KINDS = (CITY_LEADER, COUNTY_HEAD)
#: The form field of a city leader's single score (form 4); heads use ``m<member id>``.
COUNTY_FIELD = "score"
SIGNATURE_FIELD = "signed_name"
#: Where a problem that belongs to no single field is reported.
FORM_FIELD = "_form"
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MAX_REASON = 500


class ScorerError(Exception):
    """A team action on scorers refused for a reason the team can fix (message in Chinese)."""


class SheetError(Exception):
    """A score sheet that cannot be stored: ``problems`` maps each bad field to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


class LinkProblem(Exception):
    """A personal link that opens no sheet: ``unknown`` (never made, mistyped or replaced by a
    new link) or ``withdrawn`` (the team withdrew the scorer)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NewLink:
    """A scorer with the token of their personal link, which exists in clear only here."""

    scorer: Scorer
    token: str


def parse_score(text: str) -> Decimal:
    """A 0-100 score with at most 2 decimals; ValueError with a Chinese message otherwise.

    Full-width digits from a phone keyboard are read as ASCII (NFKC); never a float.
    """
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        raise ValueError(_("请填写分数。"))
    if not _NUMBER.match(value):
        raise ValueError(_("“%(value)s”不是有效的数字。", value=value[:20]))
    try:
        score = Decimal(value)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(_("“%(value)s”不是有效的数字。", value=value[:20])) from error
    if not Decimal(0) <= score <= Decimal(100):
        raise ValueError(_("%(value)s 超出范围：分数应在 0 到 100 之间。", value=value))
    if "." in value and len(value.split(".", 1)[1]) > 2:
        raise ValueError(_("%(value)s 的小数超过两位：最多保留两位小数。", value=value))
    return score


def _same_name(typed: str, name: str) -> bool:
    """A signature matches the name on record ignoring spaces and full-width forms."""
    def norm(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split())
    return bool(norm(typed)) and norm(typed) == norm(name)


def _open_assessment(session: Session, assessment_id: int) -> Assessment:
    """The assessment, row-locked for this transaction, if its inputs are still open.

    Locking the row serialises sheet submissions with ``lock_inputs`` on PostgreSQL (SQLite
    already queues writers), so no sheet slips in after the lock.
    """
    assessment = session.scalar(
        select(Assessment).where(Assessment.id == assessment_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    assert assessment is not None
    ensure_inputs_open(assessment)
    return assessment


def sheet_scores(session: Session, scorer: Scorer) -> dict[str, str]:
    """What the scorer's sheet holds, by form field: ``score`` or ``m<member id>``."""
    if scorer.kind == CITY_LEADER:
        score = session.get(CountyLeaderScore, scorer.id)
        return {COUNTY_FIELD: score.score} if score else {}
    rows = session.execute(select(MemberScore.member_id, MemberScore.score)
                           .where(MemberScore.scorer_id == scorer.id))
    return {f"m{member_id}": score for member_id, score in rows}


def _state(session: Session, scorer: Scorer) -> dict[str, Any]:
    return {
        "signed_name": scorer.signed_name,
        "signed_at": scorer.signed_at.isoformat() if scorer.signed_at else None,
        "source": scorer.source,
        "scores": sheet_scores(session, scorer),
    }


def _describe(scorer: Scorer) -> dict[str, Any]:
    return {"kind": scorer.kind, "name": scorer.name, "title": scorer.title,
            "user_id": scorer.user_id, "withdrawn": scorer.withdrawn}


def _target(scorer: Scorer) -> str:
    return f"scorer:{scorer.id}"


def _new_token(key: str) -> tuple[str, str]:
    token = new_credential()
    return token, credential_hash(key, token)


def add_scorer(
    session: Session, assessment: Assessment, key: str, *, kind: str, name: str,
    title: str = "", username: str = "", actor: User | None,
) -> NewLink:
    """Add a named scorer (A8.3 city leader or A8.4 county head) and make their personal link;
    the token is returned once and only its hash is kept. ``username`` links a scorer account."""
    assessment = _open_assessment(session, assessment.id)
    name, title, username = name.strip(), title.strip(), username.strip().lower()
    if kind not in KINDS:
        raise ScorerError(_("请选择评分人类别（市级领导或县委书记、县长）。"))
    if not name:
        raise ScorerError(_("请填写评分人姓名。"))
    if len(name) > 40:
        raise ScorerError(_("姓名最多 40 个字，“%(name)s”太长。", name=name[:40]))
    if len(title) > 80:
        raise ScorerError(_("职务最多 80 个字。"))
    user_id = None
    if username:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or user.role != Role.SCORER:
            raise ScorerError(_("没有名为“%(username)s”的评分人账号。", username=username))
        user_id = user.id
    token, token_hash = _new_token(key)
    scorer = Scorer(assessment_id=assessment.id, kind=kind, name=name, title=title,
                    token_hash=token_hash, user_id=user_id, source="link", withdrawn=False)
    session.add(scorer)
    session.flush()
    record(session, "scorer.add", actor=actor, assessment_id=assessment.id,
           target=_target(scorer), after=_describe(scorer))
    return NewLink(scorer, token)


def regenerate_link(session: Session, scorer: Scorer, key: str, *, actor: User | None) -> NewLink:
    """A new personal link for the scorer; the old one stops working (e.g. a lost phone)."""
    _open_assessment(session, scorer.assessment_id)
    if scorer.withdrawn:
        raise ScorerError(_("评分人 %(name)s 已撤回，不能生成新链接。", name=scorer.name))
    token, scorer.token_hash = _new_token(key)
    session.flush()
    record(session, "scorer.new_link", actor=actor, assessment_id=scorer.assessment_id,
           target=_target(scorer), after={"name": scorer.name})
    return NewLink(scorer, token)


def find_scorer_by_token(session: Session, key: str, token: str) -> Scorer:
    """The scorer whose personal link carries ``token``; LinkProblem when there is none."""
    credential = normalize(token or "")
    if credential is None:
        raise LinkProblem("unknown")
    scorer = session.scalar(
        select(Scorer).where(Scorer.token_hash == credential_hash(key, credential))
    )
    if scorer is None:
        raise LinkProblem("unknown")
    if scorer.withdrawn:
        raise LinkProblem("withdrawn")
    return scorer


def sheet_members(scorer: Scorer) -> list[Member]:
    """The members a sheet scores, in roster order: none for form 4, all for form 5."""
    return list(scorer.assessment.members) if scorer.kind == COUNTY_HEAD else []


def read_scores(scorer: Scorer, form: Mapping[str, str]) -> dict[str, Decimal]:
    """Every score of the sheet from the form; SheetError naming each bad field."""
    problems: dict[str, str] = {}
    scores: dict[str, Decimal] = {}
    if scorer.kind == CITY_LEADER:
        fields = [COUNTY_FIELD]
    else:
        fields = [f"m{m.id}" for m in sheet_members(scorer)]
        if not fields:
            raise SheetError({FORM_FIELD: _("本县尚未导入班子成员名单，暂不能评分。")})
        strangers = [k for k in form if re.fullmatch(r"m\d*", k) and k not in fields]
        if strangers:
            raise SheetError({FORM_FIELD: _(
                "提交的评分表包含不属于本表的成员（%(fields)s），未保存任何内容。请重新打开链接填写。",
                fields=", ".join(sorted(strangers))[:100])})
    for field in fields:
        try:
            scores[field] = parse_score(form.get(field, ""))
        except ValueError as error:
            problems[field] = str(error)
    if problems:
        raise SheetError(problems)
    return scores


def _store(session: Session, scorer: Scorer, scores: dict[str, Decimal]) -> None:
    session.execute(delete(CountyLeaderScore).where(CountyLeaderScore.scorer_id == scorer.id))
    session.execute(delete(MemberScore).where(MemberScore.scorer_id == scorer.id))
    for field, score in scores.items():
        text = format(score, "f")
        if field == COUNTY_FIELD:
            session.add(CountyLeaderScore(scorer_id=scorer.id, score=text))
        else:
            session.add(MemberScore(scorer_id=scorer.id, member_id=int(field[1:]), score=text))
    session.flush()
    session.expire(scorer, ["member_scores"])


def submit_sheet(session: Session, scorer: Scorer, form: Mapping[str, str]) -> None:
    """The scorer signs and submits their sheet (A8.3 / A8.4), replacing an earlier one.

    The typed signature must equal the name on record. Refused once the inputs are locked
    (LockedError) or the scorer is withdrawn (LinkProblem); SheetError for bad fields.
    """
    _open_assessment(session, scorer.assessment_id)
    session.refresh(scorer)
    if scorer.withdrawn:
        raise LinkProblem("withdrawn")
    problems: dict[str, str] = {}
    scores: dict[str, Decimal] = {}
    try:
        scores = read_scores(scorer, form)
    except SheetError as error:
        problems.update(error.problems)
    signature = form.get(SIGNATURE_FIELD, "")
    if not signature.strip():
        problems[SIGNATURE_FIELD] = _("请签名：输入您的姓名 %(name)s。", name=scorer.name)
    elif not _same_name(signature, scorer.name):
        problems[SIGNATURE_FIELD] = _(
            "签名“%(typed)s”与评分人姓名“%(name)s”不一致。请输入您本人的完整姓名。",
            typed=signature.strip()[:40], name=scorer.name)
    if problems:
        raise SheetError(problems)
    before = _state(session, scorer)
    _store(session, scorer, scores)
    scorer.signed_name, scorer.signed_at, scorer.source = scorer.name, utcnow(), "link"
    session.flush()
    record(session, "sheet.submit", actor=None, actor_label=f"scorer:{scorer.name}",
           assessment_id=scorer.assessment_id, target=_target(scorer),
           before=before, after=_state(session, scorer))


def enter_paper_sheet(
    session: Session, scorer: Scorer, form: Mapping[str, str], *, actor: User | None
) -> None:
    """The team types in a sheet the scorer signed on paper; the entering account is audited."""
    _open_assessment(session, scorer.assessment_id)
    session.refresh(scorer)
    if scorer.withdrawn:
        raise ScorerError(_("评分人 %(name)s 已撤回，不能录入评分表。", name=scorer.name))
    scores = read_scores(scorer, form)
    before = _state(session, scorer)
    _store(session, scorer, scores)
    scorer.signed_name, scorer.signed_at, scorer.source = scorer.name, utcnow(), "paper"
    session.flush()
    record(session, "sheet.paper", actor=actor, assessment_id=scorer.assessment_id,
           target=_target(scorer), before=before, after=_state(session, scorer))


def _reason(reason: str, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ScorerError(missing)
    if len(reason) > MAX_REASON:
        raise ScorerError(_("原因最多 %(n)s 个字。", n=MAX_REASON))
    return reason


def withdraw_scorer(session: Session, scorer: Scorer, reason: str, *, actor: User | None) -> None:
    """Withdraw a scorer (e.g. added by mistake): their sheet no longer counts, their link shows
    that it was withdrawn. The reason is required and audited."""
    _open_assessment(session, scorer.assessment_id)
    session.refresh(scorer)
    reason = _reason(reason, _("请填写撤回 %(name)s 的原因。", name=scorer.name))
    if scorer.withdrawn:
        raise ScorerError(_("评分人 %(name)s 已经撤回。", name=scorer.name))
    before = _describe(scorer)
    scorer.withdrawn = True
    session.flush()
    record(session, "scorer.withdraw", actor=actor, assessment_id=scorer.assessment_id,
           target=_target(scorer), before=before, after={**_describe(scorer), "reason": reason})


def lock_inputs(session: Session, assessment: Assessment, *, actor: User | None) -> None:
    """Lock P, T, L, H and the roster before the team proposes grades (A15 procedure)."""
    assessment = _open_assessment(session, assessment.id)
    from ballot.evaluations.models import Evaluation

    still_open = session.scalar(select(Evaluation.id).where(
        Evaluation.assessment_id == assessment.id, Evaluation.state == "open").limit(1))
    if still_open is not None:
        raise ScorerError(_("还有进行中的测评，请先结束测评再锁定录入。"))
    assessment.inputs_locked = True
    session.flush()
    record(session, "inputs.lock", actor=actor, assessment_id=assessment.id,
           target=f"assessment:{assessment.id}", before={"inputs_locked": False},
           after={"inputs_locked": True})


def unlock_inputs(session: Session, assessment: Assessment, reason: str, *,
                  actor: User | None) -> None:
    """An admin reopens the inputs, with a reason, while the results are not yet proposed."""
    assessment = session.scalar(
        select(Assessment).where(Assessment.id == assessment.id).with_for_update()
        .execution_options(populate_existing=True)
    )
    assert assessment is not None
    if actor is None or actor.role != Role.ADMIN:
        raise ScorerError(_("只有管理员可以解除锁定。"))
    if not assessment.inputs_locked:
        raise ScorerError(_("录入尚未锁定。"))
    if assessment.stage != "setup":
        raise ScorerError(_("结果已进入审批流程，不能解除录入锁定。"))
    reason = _reason(reason, _("请填写解除锁定的原因。"))
    assessment.inputs_locked = False
    session.flush()
    record(session, "inputs.unlock", actor=actor, assessment_id=assessment.id,
           target=f"assessment:{assessment.id}", before={"inputs_locked": True},
           after={"inputs_locked": False, "reason": reason})


def paper_entries(session: Session, assessment: Assessment) -> dict[int, str]:
    """Who last entered each paper sheet, by scorer id (from the audit log)."""
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.assessment_id == assessment.id,
                                 AuditEntry.action == "sheet.paper").order_by(AuditEntry.id)
    )
    return {int(e.target.split(":", 1)[1]): (e.user.display_name if e.user else e.actor)
            for e in entries}


def scorers_of(session: Session, assessment: Assessment) -> list[Scorer]:
    """The assessment's scorers, withdrawn ones included, in the order they were added."""
    return list(session.scalars(
        select(Scorer).where(Scorer.assessment_id == assessment.id).order_by(Scorer.id)))


def warnings_for(scorers: list[Scorer]) -> list[str]:
    """What the page warns about without blocking: form 5 expects the two heads, form 4 at
    least one city leader (A8.3, A8.4)."""
    active = [s for s in scorers if not s.withdrawn]
    heads = sum(1 for s in active if s.kind == COUNTY_HEAD)
    leaders = sum(1 for s in active if s.kind == CITY_LEADER)
    warnings = []
    if heads != 2:
        warnings.append(_("表5应由县委书记、县长两人评分，现有 %(n)s 人。", n=heads))
    if leaders == 0:
        warnings.append(_("尚无联系本县的市级领导（表4），L 分将缺失。"))
    return warnings
