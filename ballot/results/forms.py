"""What the results pages read (STYLE habit 14): a team decision (A12, A14, A17, a missing
input), last year's grades (A18 input), an A15 step and an amendment after approval.

The forms read and check what was sent (a member picked, a choice from the lists, text within
its length) and never raise on any input; the services decide what the member's result and the
assessment's stage allow.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import ValidationError

from ballot.forms import Form, WholeNumberField
from ballot.results.models import GRADES
from tally import DECISION_KINDS, PROMOTION_BASES, VetoArea

#: Longest reason, facts, comment or description (the services check the same).
MAX_NOTE = 2000
#: The A15 actions a page may ask for (``ballot.results.approval.act``).
APPROVAL_ACTIONS = ("propose", "sign_off", "return", "deliberate", "approve")
#: The name of a last-year grade's field: ``previous_<member id>``.
PREVIOUS_PREFIX = "previous_"


def _shown(raw: str) -> str:
    """What the visitor sent, cut short for a message."""
    return raw if len(raw) <= 20 else raw[:20] + "…"


class MemberField(WholeNumberField):
    """The id of a member picked from the list."""

    def __init__(self, label: object = None, **kwargs: Any) -> None:
        super().__init__(label, low=1, required=True, **kwargs)

    def pre_validate(self, form: Any) -> None:
        if self.data is None:
            raise ValidationError(str(_l("成员：请选择成员。")))


class ChoiceField(StringField):  # type: ignore[misc]  # WTForms ships no types
    """One value from a fixed list (a select's options); empty is allowed unless ``required``.
    ``data`` is the value sent, stripped; ``present`` says whether the field was sent at all."""

    def __init__(self, label: object = None, *, choices: Collection[str],
                 required: bool = False, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.choices = frozenset(choices)
        self.required = required
        self.present = False

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.present = bool(valuelist)
        self.data = str(valuelist[0]).strip() if valuelist else ""

    def pre_validate(self, form: Any) -> None:
        value = self.data or ""
        if not value:
            if self.required:
                raise ValidationError(str(_l("%(field)s：请选择。", field=self.label.text)))
            return
        if value not in self.choices:
            raise ValidationError(str(_l("%(field)s：无效的选项“%(value)s”。",
                                         field=self.label.text, value=_shown(value))))


class NoteField(StringField):  # type: ignore[misc]
    """Text from a textarea (line breaks allowed), stripped, at most ``max_length`` characters;
    whether it must be given is the service's to say (its message names the member)."""

    def __init__(self, label: object = None, *, max_length: int = MAX_NOTE,
                 **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.max_length = max_length

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = str(valuelist[0]).strip() if valuelist else ""

    def pre_validate(self, form: Any) -> None:
        text = self.data or ""
        if len(text) > self.max_length:
            raise ValidationError(str(_l("%(field)s：最多 %(most)s 个字，收到 %(count)s 个。",
                                         field=self.label.text, most=self.max_length,
                                         count=len(text))))


class DecisionForm(Form):
    """One team decision on form 6's page: the member, its kind and what that kind needs."""

    member_id = MemberField(_l("成员"))
    kind = ChoiceField(_l("决定类型"), choices=DECISION_KINDS, required=True)
    grade = ChoiceField(_l("等次"), choices=GRADES)
    veto_area = ChoiceField(_l("否决领域"), choices=[area.value for area in VetoArea])
    facts = NoteField(_l("事实"))
    basis = ChoiceField(_l("提拔依据"), choices=PROMOTION_BASES)
    reason = NoteField(_l("理由"))

    def decision_facts(self) -> str | None:
        """What the decision records as its facts: an A17 basis for a promotion, the A14 facts
        otherwise; None when empty."""
        text = self.basis.data if self.kind.data == "promotion" else self.facts.data
        return text or None


class PreviousGradesForm(Form):
    """Last year's grades (A18 input): ``fill`` from last year's approved assessment, or one
    ``previous_<member id>`` select per member of the roster (built by ``previous_grades_form``).
    """

    fill = BooleanField(_l("从上年已审定的考核填入"))

    #: The roster's member ids, one field each.
    member_ids: tuple[int, ...] = ()

    def __init__(self, formdata: Any) -> None:
        super().__init__(formdata)
        self._sent = [str(key) for key in (formdata or {})]

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        fine: bool = super().validate(extra_validators)
        fields = {PREVIOUS_PREFIX + str(member_id) for member_id in self.member_ids}
        strangers = [key for key in self._sent
                     if key.startswith(PREVIOUS_PREFIX) and key not in fields]
        if strangers:
            self.form_errors.append(str(_l("成员：本次考核中没有“%(key)s”这名成员。",
                                           key=_shown(strangers[0][len(PREVIOUS_PREFIX):]))))
            fine = False
        return fine

    def grades(self) -> dict[int, str | None]:
        """The grades sent, by member id (None: none last year); members not sent are left out,
        so a partial form changes only what it holds."""
        grades: dict[int, str | None] = {}
        for member_id in self.member_ids:
            field = self[PREVIOUS_PREFIX + str(member_id)]
            if field.present:
                grades[member_id] = field.data or None
        return grades


def previous_grades_form(member_ids: Iterable[int], formdata: Any) -> PreviousGradesForm:
    """The last-year grades form for a roster, read from ``formdata``."""
    ids = tuple(member_ids)
    fields: dict[str, Any] = {PREVIOUS_PREFIX + str(member_id):
                              ChoiceField(_l("上年等次"), choices=GRADES) for member_id in ids}
    form_class = type("RosterPreviousGradesForm", (PreviousGradesForm,),
                      {**fields, "member_ids": ids})
    form: PreviousGradesForm = form_class(formdata)
    return form


class ApprovalForm(Form):
    """One A15 step: the action (the button pressed) and the comment."""

    action = ChoiceField(_l("操作"), choices=APPROVAL_ACTIONS, required=True)
    comment = NoteField(_l("意见"))


class AmendmentForm(Form):
    """A correction after approval (A15): the member, the new grade, what changed and why."""

    member_id = MemberField(_l("成员"))
    grade = ChoiceField(_l("新等次"), choices=GRADES)
    description = NoteField(_l("更正内容"))
    reason = NoteField(_l("理由"))
