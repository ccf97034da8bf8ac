"""Every rule parameter in one `Rules` value, with SPEC's defaults (A8, A9, A11.6, A12, A13)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal

from tally.errors import InputError
from tally.fields import as_decimal, as_mapping, as_whole, check_keys, join

#: A11.6: Excellent "最多不超过20%"; no rule or override may go above it.
MAX_RATIO = Decimal("0.20")

_ONE = Decimal(1)
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Weights:
    """The A9 weights of the six components; they must add up to exactly 1."""

    P: Decimal = Decimal("0.45")
    T: Decimal = Decimal("0.20")
    L: Decimal = Decimal("0.10")
    H: Decimal = Decimal("0.10")
    D: Decimal = Decimal("0.10")
    I: Decimal = Decimal("0.05")  # noqa: E741 - the component's name in SPEC

    def total(self) -> Decimal:
        """The sum of the six weights (exact: they are Decimals)."""
        return self.P + self.T + self.L + self.H + self.D + self.I


@dataclass(frozen=True)
class VoteValues:
    """What each rating is worth in the vote score (A8.5, A8.6): 1.0, 0.8, 0.5, 0."""

    excellent: Decimal = Decimal("1.0")
    competent: Decimal = Decimal("0.8")
    basically_competent: Decimal = Decimal("0.5")
    incompetent: Decimal = Decimal("0")


@dataclass(frozen=True)
class Bands:
    """The lowest published composite of each grade band (A12): 90, 80, 60; below is Incompetent."""

    excellent: Decimal = Decimal(90)
    competent: Decimal = Decimal(80)
    basically_competent: Decimal = Decimal(60)


@dataclass(frozen=True)
class Rules:
    """All parameters of the method. Construction checks them, so no invalid rules can exist."""

    weights: Weights = field(default_factory=Weights)
    vote_values: VoteValues = field(default_factory=VoteValues)
    bands: Bands = field(default_factory=Bands)
    #: Published figures are rounded half up to this many decimals (SPEC Decision).
    decimals: int = 2
    #: A11.6: "一般掌握在15%以内".
    base_ratio: Decimal = Decimal("0.15")
    #: A13: ratio for a county in the top `top_n` two years running.
    raised_ratio: Decimal = Decimal("0.20")
    #: A13: ratio for a county in the last `bottom_n` places two years running.
    lowered_ratio: Decimal = Decimal("0.10")
    #: A11.6: no ratio may exceed this; itself never above 20%.
    ratio_ceiling: Decimal = MAX_RATIO
    #: A13 "名次靠前" and A18 "排名靠前": a place in the top `top_n`.
    top_n: int = 3
    #: A13 "名次在后两位".
    bottom_n: int = 2

    def __post_init__(self) -> None:
        _check_rules(self)

    @classmethod
    def from_mapping(cls, obj: object, path: str = "rules") -> Rules:
        """Build rules from the JSON `rules` object; any key left out keeps SPEC's default."""
        mapping = as_mapping(obj, path)
        check_keys(mapping, path, [f.name for f in fields(cls)])
        defaults = cls()
        weights = _weights(mapping.get("weights"), join(path, "weights"), defaults.weights)
        vote_values = _vote_values(
            mapping.get("vote_values"), join(path, "vote_values"), defaults.vote_values
        )
        bands = _bands(mapping.get("bands"), join(path, "bands"), defaults.bands)

        def ratio(key: str, default: Decimal) -> Decimal:
            if key not in mapping:
                return default
            return as_decimal(mapping[key], join(path, key), _ZERO, MAX_RATIO)

        def whole(key: str, default: int, low: int, high: int | None) -> int:
            if key not in mapping:
                return default
            return as_whole(mapping[key], join(path, key), low, high)

        return cls(
            weights=weights,
            vote_values=vote_values,
            bands=bands,
            decimals=whole("decimals", defaults.decimals, 0, 6),
            base_ratio=ratio("base_ratio", defaults.base_ratio),
            raised_ratio=ratio("raised_ratio", defaults.raised_ratio),
            lowered_ratio=ratio("lowered_ratio", defaults.lowered_ratio),
            ratio_ceiling=ratio("ratio_ceiling", defaults.ratio_ceiling),
            top_n=whole("top_n", defaults.top_n, 0, None),
            bottom_n=whole("bottom_n", defaults.bottom_n, 0, None),
        )


def _decimal_fields(
    obj: object, path: str, default: object, low: Decimal, high: Decimal
) -> dict[str, Decimal]:
    """Read the Decimal fields of a small rules dataclass, each key optional."""
    names = [f.name for f in fields(default)]  # type: ignore[arg-type]
    values = {name: getattr(default, name) for name in names}
    if obj is None:
        return values
    mapping: Mapping[str, object] = as_mapping(obj, path)
    check_keys(mapping, path, names)
    for name in names:
        if name in mapping:
            values[name] = as_decimal(mapping[name], join(path, name), low, high)
    return values


def _weights(obj: object, path: str, default: Weights) -> Weights:
    return Weights(**_decimal_fields(obj, path, default, _ZERO, _ONE))


def _vote_values(obj: object, path: str, default: VoteValues) -> VoteValues:
    return VoteValues(**_decimal_fields(obj, path, default, _ZERO, _ONE))


def _bands(obj: object, path: str, default: Bands) -> Bands:
    return Bands(**_decimal_fields(obj, path, default, _ZERO, Decimal(100)))


def _check_rules(rules: Rules) -> None:
    """Check the rules as a whole: A9 weights add up to 1, ratios under the A11.6 ceiling."""
    total = rules.weights.total()
    if total != _ONE:
        raise InputError("rules.weights", f"must add up to 1, got {total}")
    for name in ("P", "T", "L", "H", "D", "I"):
        weight = getattr(rules.weights, name)
        if weight < _ZERO:
            raise InputError(f"rules.weights.{name}", f"must be between 0 and 1, got {weight}")
    if not _ZERO <= rules.ratio_ceiling <= MAX_RATIO:
        raise InputError(
            "rules.ratio_ceiling", f"must be between 0 and {MAX_RATIO}, got {rules.ratio_ceiling}"
        )
    for name in ("base_ratio", "raised_ratio", "lowered_ratio"):
        value: Decimal = getattr(rules, name)
        if not _ZERO <= value <= rules.ratio_ceiling:
            raise InputError(
                f"rules.{name}", f"must be between 0 and {rules.ratio_ceiling}, got {value}"
            )
    values = rules.vote_values
    if not (
        values.excellent >= values.competent >= values.basically_competent >= values.incompetent
    ):
        raise InputError("rules.vote_values", "must not increase from excellent to incompetent")
    bands = rules.bands
    if not bands.excellent >= bands.competent >= bands.basically_competent:
        raise InputError("rules.bands", "must not increase from excellent to basically_competent")
    if not 0 <= rules.decimals <= 6:
        raise InputError(
            "rules.decimals", f"must be a whole number from 0 to 6, got {rules.decimals}"
        )
    if rules.top_n < 0 or rules.bottom_n < 0:
        raise InputError("rules.top_n", "top_n and bottom_n must be whole numbers >= 0")


#: SPEC's defaults, used wherever an assessment gives no rules.
DEFAULT_RULES = Rules()
