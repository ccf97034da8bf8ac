"""Scorers and their signed score sheets: city leaders score the county (form 4, L, A8.3), the
county's two heads score each member (form 5, H, A8.4); the team locks the inputs.

Like ballot slips, a scorer's personal link carries a random token of which only the keyed hash
is stored (``ballot.slips.credentials``). Every change is audited in the same transaction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ballot.accounts.models import Role, User
from ballot.assessments.models import Assessment, Member
from ballot.assessments.services import ensure_inputs_open
from ballot.audit.models import AuditEntry
from ballot.audit.services import record
from ballot.clock import utcnow
from ballot.errors import Refusal
from ballot.evaluations.models import Evaluation, State
from ballot.scores.models import CountyLeaderScore, MemberScore, Scorer
from ballot.scores.reading import ScoreProblem, read_score, shown, stored
from ballot.slips.credentials import credential_hash, new_credential, normalize

CITY_LEADER = "city_leader"
COUNTY_HEAD = "county_head"
KINDS = (CITY_LEADER, COUNTY_HEAD)
#: The form field of a city leader's single score (form 4); heads use ``m<member id>``.
COUNTY_FIELD = "score"
SIGNATURE_FIELD = "signed_name"
#: Where a problem that belongs to no single field is reported.
FORM_FIELD = "_form"
#: A form field that names a member (``m<member id>``), whether or not on this sheet.
_MEMBER_FIELD = re.compile(r"m\d*")
MAX_NAME = 40
MAX_TITLE = 80
MAX_REASON = 500


class ScorerError(Refusal):
    """A team action on scorers refused for a reason the team can fix."""


class SheetError(Refusal):
    """A score sheet that cannot be stored: ``problems`` maps each bad field to its message
    (the page shows each beside its input)."""

    #: By form field, not a list: a sheet's problems belong to its inputs.
    problems: dict[str, str]  # type: ignore[assignment]

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(_l("评分表有 %(n)s 处需要修改，未保存任何内容。", n=len(problems)))
        self.problems = problems

    def lines(self) -> list[str]:
        return list(self.problems.values()) or [self.message]


class LinkProblem(Refusal):
    """A personal link that opens no sheet: ``unknown`` (never made, mistyped or replaced by a
    new link), ``withdrawn`` (the team withdrew the scorer) or ``no_sheet`` (this browser opened
    no link and its account chose no sheet)."""

    def __init__(self, reason: str) -> None:
        status, title, message = _LINK_PROBLEMS[reason]
        super().__init__(message)
        self.reason, self.status, self.title = reason, status, title


_LINK_PROBLEMS: dict[str, tuple[int, object, object]] = {
    "unknown": (404, _l("评分链接无效"), _l(
        "这个评分链接无法识别：可能不完整，或考核组已经为您生成了新链接（旧链接随即失效）。"
        "请使用最新的链接，或联系考核组。")),
    "withdrawn": (410, _l("评分表已撤回"), _l(
        "考核组已撤回这份评分表，它不再计入考核结果。如有疑问请联系考核组。")),
    "no_sheet": (400, _l("请先打开评分链接"), _l(
        "没有找到您的评分表。请重新打开考核组发给您的个人评分链接，或登录后从“我的评分表”进入。")),
}


@dataclass(frozen=True)
class NewLink:
    """A scorer with the token of their personal link, which exists in clear only here."""

    scorer: Scorer
    token: str


def score_problem(problem: ScoreProblem, text: str | None) -> str:
    """A sheet's words for a score that does not read (shown beside its input)."""
    value = shown(text)
    messages = {
        ScoreProblem.EMPTY: _l("请填写分数。"),
        ScoreProblem.NOT_A_NUMBER: _l("“%(value)s”不是有效的数字。", value=value),
        ScoreProblem.OUT_OF_RANGE: _l("%(value)s 超出范围：分数应在 0 到 100 之间。", value=value),
        ScoreProblem.TOO_MANY_DECIMALS: _l("%(value)s 的小数超过两位：最多保留两位小数。",
                                           value=value),
    }
    return str(messages[problem])


def parse_score(text: str) -> Decimal:
    """A 0-100 score with at most 2 decimals (``reading.read_score``: full-width digits from a
    phone keyboard read as ASCII; never a float); ValueError with the sheet's message otherwise."""
    score = read_score(text)
    if isinstance(score, ScoreProblem):
        raise ValueError(score_problem(score, text))
    return score


def same_name(typed: str, name: str) -> bool:
    """A signature matches the name on record ignoring spaces and full-width forms."""
    def norm(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split())
    return bool(norm(typed)) and norm(typed) == norm(name)


def signature_problem(scorer: Scorer, typed: str) -> str | None:
    """Why the typed signature does not sign the scorer's sheet, or None (A8.3, A8.4: signed
    with the scorer's own name)."""
    if not typed.strip():
        return str(_l("请签名：输入您的姓名 %(name)s。", name=scorer.name))
    if not same_name(typed, scorer.name):
        return str(_l("签名“%(typed)s”与评分人姓名“%(name)s”不一致。请输入您本人的完整姓名。",
                      typed=typed.strip()[:40], name=scorer.name))
    return None


def _locked_row(session: Session, assessment_id: int) -> Assessment:
    """The assessment, row-locked for this transaction and read afresh.

    Locking the row serialises sheet submissions with ``lock_inputs`` on PostgreSQL (SQLite
    already queues writers), so no sheet slips in after the lock.
    """
    assessment = session.get(Assessment, assessment_id, with_for_update=True,
                             populate_existing=True)
    assert assessment is not None
    return assessment


def _open_assessment(session: Session, assessment_id: int) -> Assessment:
    """The assessment, row-locked, if its inputs are still open (LockedError otherwise)."""
    assessment = _locked_row(session, assessment_id)
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
        raise ScorerError(_l("请选择评分人类别（市级领导或县委书记、县长）。"))
    if not name:
        raise ScorerError(_l("请填写评分人姓名。"))
    if len(name) > MAX_NAME:
        raise ScorerError(_l("姓名最多 40 个字，“%(name)s”太长。", name=name[:MAX_NAME]))
    if len(title) > MAX_TITLE:
        raise ScorerError(_l("职务最多 80 个字。"))
    user_id = None
    if username:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or user.role != Role.SCORER:
            raise ScorerError(_l("没有名为“%(username)s”的评分人账号。", username=username[:60]))
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
        raise ScorerError(_l("评分人 %(name)s 已撤回，不能生成新链接。", name=scorer.name))
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


def sheet_fields(scorer: Scorer) -> dict[str, int | None]:
    """The sheet's score fields, in order, each with the member it scores: ``score`` (the
    county, form 4) or ``m<member id>`` per member of the roster (form 5)."""
    if scorer.kind == CITY_LEADER:
        return {COUNTY_FIELD: None}
    return {f"m{m.id}": m.id for m in sheet_members(scorer)}


def form_problem(scorer: Scorer, names: Iterable[str]) -> str | None:
    """What makes a sheet's form as a whole unfit, given its field names: a form 5 with no
    roster to score, or fields naming members not on this sheet (a tampered or stale form)."""
    fields = sheet_fields(scorer)
    if not fields:
        return str(_l("本县尚未导入班子成员名单，暂不能评分。"))
    if scorer.kind == CITY_LEADER:
        return None
    strangers = [k for k in names if _MEMBER_FIELD.fullmatch(k) and k not in fields]
    if strangers:
        return str(_l(
            "提交的评分表包含不属于本表的成员（%(fields)s），未保存任何内容。请重新打开链接填写。",
            fields=", ".join(sorted(strangers))[:100]))
    return None


def read_scores(scorer: Scorer, form: Mapping[str, str]) -> dict[str, Decimal]:
    """Every score of the sheet from the form; SheetError naming each bad field."""
    whole = form_problem(scorer, form)
    if whole is not None:
        raise SheetError({FORM_FIELD: whole})
    problems: dict[str, str] = {}
    scores: dict[str, Decimal] = {}
    for field in sheet_fields(scorer):
        text = form.get(field, "")
        score = read_score(text)
        if isinstance(score, ScoreProblem):
            problems[field] = score_problem(score, text)
        else:
            scores[field] = score
    if problems:
        raise SheetError(problems)
    return scores


def _store(session: Session, scorer: Scorer, scores: dict[str, Decimal]) -> None:
    session.execute(delete(CountyLeaderScore).where(CountyLeaderScore.scorer_id == scorer.id))
    session.execute(delete(MemberScore).where(MemberScore.scorer_id == scorer.id))
    fields = sheet_fields(scorer)
    for field, score in scores.items():
        member_id = fields[field]
        if member_id is None:
            session.add(CountyLeaderScore(scorer_id=scorer.id, score=stored(score)))
        else:
            session.add(MemberScore(scorer_id=scorer.id, member_id=member_id,
                                    score=stored(score)))
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
    signature = signature_problem(scorer, form.get(SIGNATURE_FIELD, ""))
    if signature is not None:
        problems[SIGNATURE_FIELD] = signature
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
        raise ScorerError(_l("评分人 %(name)s 已撤回，不能录入评分表。", name=scorer.name))
    scores = read_scores(scorer, form)
    before = _state(session, scorer)
    _store(session, scorer, scores)
    scorer.signed_name, scorer.signed_at, scorer.source = scorer.name, utcnow(), "paper"
    session.flush()
    record(session, "sheet.paper", actor=actor, assessment_id=scorer.assessment_id,
           target=_target(scorer), before=before, after=_state(session, scorer))


def _reason(reason: str, missing: object) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ScorerError(missing)
    if len(reason) > MAX_REASON:
        raise ScorerError(_l("原因最多 %(n)s 个字。", n=MAX_REASON))
    return reason


def withdraw_scorer(session: Session, scorer: Scorer, reason: str, *, actor: User | None) -> None:
    """Withdraw a scorer (e.g. added by mistake): their sheet no longer counts, their link shows
    that it was withdrawn. The reason is required and audited."""
    _open_assessment(session, scorer.assessment_id)
    session.refresh(scorer)
    reason = _reason(reason, _l("请填写撤回 %(name)s 的原因。", name=scorer.name))
    if scorer.withdrawn:
        raise ScorerError(_l("评分人 %(name)s 已经撤回。", name=scorer.name))
    before = _describe(scorer)
    scorer.withdrawn = True
    session.flush()
    record(session, "scorer.withdraw", actor=actor, assessment_id=scorer.assessment_id,
           target=_target(scorer), before=before, after={**_describe(scorer), "reason": reason})


def lock_inputs(session: Session, assessment: Assessment, *, actor: User | None) -> None:
    """Lock P, T, L, H and the roster before the team proposes grades (A15 procedure)."""
    assessment = _open_assessment(session, assessment.id)
    still_open = session.scalar(select(Evaluation.id).where(
        Evaluation.assessment_id == assessment.id, Evaluation.state == State.OPEN).limit(1))
    if still_open is not None:
        raise ScorerError(_l("还有进行中的测评，请先结束测评再锁定录入。"))
    assessment.inputs_locked = True
    session.flush()
    record(session, "inputs.lock", actor=actor, assessment_id=assessment.id,
           target=f"assessment:{assessment.id}", before={"inputs_locked": False},
           after={"inputs_locked": True})


def unlock_inputs(session: Session, assessment: Assessment, reason: str, *,
                  actor: User | None) -> None:
    """An admin reopens the inputs, with a reason, while the results are not yet proposed."""
    assessment = _locked_row(session, assessment.id)
    if actor is None or actor.role != Role.ADMIN:
        raise ScorerError(_l("只有管理员可以解除锁定。"))
    if not assessment.inputs_locked:
        raise ScorerError(_l("录入尚未锁定。"))
    if not assessment.stage.inputs_open:
        raise ScorerError(_l("结果已进入审批流程，不能解除录入锁定。"))
    reason = _reason(reason, _l("请填写解除锁定的原因。"))
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
        warnings.append(str(_l("表5应由县委书记、县长两人评分，现有 %(n)s 人。", n=heads)))
    if leaders == 0:
        warnings.append(str(_l("尚无联系本县的市级领导（表4），L 分将缺失。")))
    return warnings
