"""Validators that flows attach to questions, built from the flow YAML.

Each one normalises what the citizen typed, then either returns the value to
store in its canonical form (E.164 phone, ISO date, ASCII digits) or a short
fa/en message that fits on a USSD page next to the question.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from flows.dates import parse_date
from flows.normalise import ASCII_INTEGER, is_ascii_digits, normalise_input, to_persian_digits
from flows.tracking import is_valid_tracking_code

LocalisedText = dict[str, str]


@dataclass(frozen=True)
class Validated:
    """The outcome of checking one reply: a value to store, or what to tell the citizen."""

    ok: bool
    value: str | None = None
    error: LocalisedText | None = None

    @classmethod
    def accept(cls, value: str) -> Validated:
        """A reply that passed, stored as `value`."""
        return cls(ok=True, value=value)

    @classmethod
    def reject(cls, en: str, fa: str) -> Validated:
        """A reply that failed; digits in the Persian text are shown as Persian digits."""
        return cls(ok=False, error={"fa": to_persian_digits(fa), "en": en})


class Validator(Protocol):
    """Checks one raw reply from a citizen."""

    def __call__(self, raw: str) -> Validated: ...


@dataclass(frozen=True)
class ChoiceValidator:
    """One of a fixed set of replies, ignoring case and keyboard differences."""

    options: tuple[str, ...]

    def __call__(self, raw: str) -> Validated:
        reply = normalise_input(raw).casefold()
        for option in self.options:
            if normalise_input(option).casefold() == reply:
                return Validated.accept(option)
        return Validated.reject(
            "Please reply with one of the options shown.",
            "لطفاً یکی از گزینه‌های نشان‌داده‌شده را بفرستید.",
        )


@dataclass(frozen=True)
class IntegerValidator:
    """A whole number, optionally within bounds; stored without leading zeros."""

    min: int | None = None
    max: int | None = None

    def __call__(self, raw: str) -> Validated:
        text = normalise_input(raw)
        if ASCII_INTEGER.fullmatch(text) is None:
            return Validated.reject("Please send a number, using digits only.", "لطفاً فقط عدد بفرستید.")
        number = int(text)
        too_small = self.min is not None and number < self.min
        too_big = self.max is not None and number > self.max
        if not (too_small or too_big):
            return Validated.accept(str(number))
        if self.min is not None and self.max is not None:
            return Validated.reject(
                f"Please send a number from {self.min} to {self.max}.",
                f"لطفاً عددی از {self.min} تا {self.max} بفرستید.",
            )
        if too_small:
            return Validated.reject(
                f"Please send a number of at least {self.min}.",
                f"لطفاً عددی برابر یا بیشتر از {self.min} بفرستید.",
            )
        return Validated.reject(
            f"Please send a number of at most {self.max}.",
            f"لطفاً عددی برابر یا کمتر از {self.max} بفرستید.",
        )


@dataclass(frozen=True)
class TextValidator:
    """Free text within a length range (counted in characters, after normalising)."""

    min_length: int = 1
    max_length: int = 160

    def __call__(self, raw: str) -> Validated:
        text = normalise_input(raw)
        if not text:
            return Validated.reject("Please type a reply.", "لطفاً پاسخی بنویسید.")
        if len(text) < self.min_length:
            return Validated.reject(
                f"Please write at least {self.min_length} characters.",
                f"لطفاً دست‌کم {self.min_length} نویسه بنویسید.",
            )
        if len(text) > self.max_length:
            return Validated.reject(
                f"Please keep it to {self.max_length} characters or fewer.",
                f"لطفاً حداکثر {self.max_length} نویسه بنویسید.",
            )
        return Validated.accept(text)


def is_valid_national_code(code: str) -> bool:
    """True for an Iranian national code: 10 ASCII digits whose last is the mod-11 check."""
    if len(code) != 10 or not is_ascii_digits(code) or len(set(code)) == 1:
        return False
    digits = [int(c) for c in code]
    s = sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return digits[9] == (s if s < 2 else 11 - s)


@dataclass(frozen=True)
class NationalCodeValidator:
    """An Iranian national code (کد ملی)."""

    def __call__(self, raw: str) -> Validated:
        code = normalise_input(raw)
        if len(code) != 10 or not is_ascii_digits(code):
            return Validated.reject("National code must be 10 digits.", "کد ملی باید 10 رقم باشد.")
        if not is_valid_national_code(code):
            return Validated.reject(
                "That national code is not valid; please check it.",
                "این کد ملی معتبر نیست؛ لطفاً آن را بررسی کنید.",
            )
        return Validated.accept(code)


_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


@dataclass(frozen=True)
class MobileValidator:
    """A mobile number in national or international form; stored as E.164."""

    region: str

    @property
    def example(self) -> str:
        """A mobile number as people in the region write it, for error messages."""
        number = phonenumbers.example_number_for_type(self.region, PhoneNumberType.MOBILE)
        assert number is not None, "_build_mobile refuses regions without mobile numbers"
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL).replace(" ", "")

    def __call__(self, raw: str) -> Validated:
        try:
            number = phonenumbers.parse(normalise_input(raw), self.region)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            return Validated.reject(
                f"That phone number is not valid; send one like {self.example}.",
                f"این شماره معتبر نیست؛ شماره‌ای مانند {self.example} بفرستید.",
            )
        if phonenumbers.number_type(number) not in _MOBILE_TYPES:
            return Validated.reject(
                f"Please send a mobile number, like {self.example}.",
                f"لطفاً شماره همراه بفرستید، مانند {self.example}.",
            )
        return Validated.accept(phonenumbers.format_number(number, PhoneNumberFormat.E164))


@dataclass(frozen=True)
class DateValidator:
    """A Jalali or Gregorian date; stored as ISO yyyy-mm-dd."""

    past_only: bool = False
    # The clock is a field so tests can pin "today"; it is not part of equality.
    today: Callable[[], datetime.date] = field(default=datetime.date.today, compare=False)

    def __call__(self, raw: str) -> Validated:
        try:
            date = parse_date(raw)
        except ValueError:
            return Validated.reject(
                "Please send a valid date, like 1403/05/12 or 2024-08-02.",
                "لطفاً تاریخ درستی مانند 1403/05/12 بفرستید.",
            )
        if self.past_only and date > self.today():
            return Validated.reject(
                "That date is in the future; please check it.",
                "این تاریخ در آینده است؛ لطفاً آن را بررسی کنید.",
            )
        return Validated.accept(date.isoformat())


@dataclass(frozen=True)
class TrackingCodeValidator:
    """A Pishkhan tracking code; stored as ASCII digits."""

    def __call__(self, raw: str) -> Validated:
        code = normalise_input(raw)
        if not is_valid_tracking_code(code):
            return Validated.reject(
                "That tracking code is not valid; please check it.",
                "این کد رهگیری معتبر نیست؛ لطفاً آن را بررسی کنید.",
            )
        return Validated.accept(code)


def _param(name: str, params: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    """params[key] checked against kind; bool is not accepted where an int is wanted."""
    value = params.get(key, default)
    if value is default:
        return value
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"validator '{name}': '{key}' must be {kind.__name__}, not {value!r}")
    return value


def _build_choice(name: str, params: Mapping[str, Any], region: str) -> Validator:
    options = _param(name, params, "options", list, None)
    if not options or not all(isinstance(o, (str, int)) and not isinstance(o, bool) for o in options):
        raise ValueError(f"validator '{name}' needs 'options': a list of strings")
    return ChoiceValidator(tuple(str(o) for o in options))


def _build_integer(name: str, params: Mapping[str, Any], region: str) -> Validator:
    low, high = _param(name, params, "min", int, None), _param(name, params, "max", int, None)
    if low is not None and high is not None and low > high:
        raise ValueError(f"validator '{name}': min {low} is above max {high}")
    return IntegerValidator(low, high)


def _build_text(name: str, params: Mapping[str, Any], region: str) -> Validator:
    low = _param(name, params, "min_length", int, 1)
    high = _param(name, params, "max_length", int, 160)
    if not 1 <= low <= high:
        raise ValueError(f"validator '{name}': need 1 <= min_length <= max_length, got {low} and {high}")
    return TextValidator(low, high)


def _build_mobile(name: str, params: Mapping[str, Any], region: str) -> Validator:
    region = _param(name, params, "region", str, region)
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"validator '{name}': unknown region {region!r}; use a code such as 'IR'")
    if phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE) is None:
        # the error messages quote an example number, and a region without mobiles has none to quote
        raise ValueError(f"validator '{name}': region {region!r} has no mobile numbers")
    return MobileValidator(region)


def _build_date(name: str, params: Mapping[str, Any], region: str) -> Validator:
    return DateValidator(past_only=_param(name, params, "past_only", bool, False))


_Builder = Callable[[str, Mapping[str, Any], str], Validator]
# type -> (builder, the parameters it understands)
_BUILDERS: dict[str, tuple[_Builder, frozenset[str]]] = {
    "choice": (_build_choice, frozenset({"options"})),
    "date": (_build_date, frozenset({"past_only"})),
    "integer": (_build_integer, frozenset({"min", "max"})),
    "mobile": (_build_mobile, frozenset({"region"})),
    "national_code": (lambda name, params, region: NationalCodeValidator(), frozenset()),
    "text": (_build_text, frozenset({"min_length", "max_length"})),
    "tracking_code": (lambda name, params, region: TrackingCodeValidator(), frozenset()),
}
VALIDATOR_TYPES: tuple[str, ...] = tuple(sorted(_BUILDERS))


def build_validator(spec: str | dict, *, default_region: str = "IR") -> Validator:
    """The validator a flow's YAML asks for: a type name, or a mapping with `type` and params.

    Raises ValueError naming the problem, which the flow loader reports as a flow error.
    """
    name: object  # from YAML: anything until checked against the known types
    if isinstance(spec, str):
        name, params = spec, {}
    elif isinstance(spec, dict):
        params = {k: v for k, v in spec.items() if k != "type"}
        name = spec.get("type")
    else:
        raise ValueError(f"a validator is a type name or a mapping with 'type', not {spec!r}")
    if not isinstance(name, str) or name not in _BUILDERS:
        raise ValueError(f"unknown validator {name!r}; known: {', '.join(VALIDATOR_TYPES)}")
    builder, known = _BUILDERS[name]
    unknown = sorted(set(params) - known)
    if unknown:
        allowed = ", ".join(sorted(known)) or "none"
        raise ValueError(f"validator '{name}': unknown parameter {unknown[0]!r}; it takes: {allowed}")
    return builder(name, params, default_region)
