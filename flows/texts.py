"""Localised texts and safe `{variable}` substitution: nothing in a flow is evaluated as code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flows.normalise import to_persian_digits

LocalisedText = Mapping[str, str]

_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def pick(text: LocalisedText, lang: str, fallback: str = "fa") -> str:
    """The text in `lang`, else the fallback language, else whatever language there is."""
    if lang in text:
        return text[lang]
    if fallback in text:
        return text[fallback]
    return next(iter(text.values()), "")


def value_text(value: Any, lang: str) -> str:
    """A variable's value as text; a localised value (a dict of languages) picks the language."""
    if isinstance(value, Mapping):
        return pick(value, lang)
    if value is None:
        return ""
    return str(value)


def substitute(template: str, variables: Mapping[str, Any], lang: str) -> str:
    """Replace `{name}` with the variable's text; unknown names become empty, never an error."""
    if "{" not in template:  # most texts have no variable: no regex pass on every hop
        return template
    return _VARIABLE.sub(lambda m: value_text(variables.get(m.group(1)), lang), template)


def render(text: LocalisedText, lang: str, variables: Mapping[str, Any]) -> str:
    """Pick the language and substitute the variables."""
    return substitute(pick(text, lang), variables, lang)


def variables_in(template: str) -> set[str]:
    """The variable names a template uses (for validation)."""
    return set(_VARIABLE.findall(template))


def say(text: LocalisedText, lang: str, **values: object) -> str:
    """A gateway text in `lang` with its `{values}` filled in, Persian digits for Persian: the replies the
    channels send themselves (keywords, surveys, polls, privacy), whose values are always given."""
    out = pick(text, lang)
    for key, value in values.items():
        out = out.replace("{" + key + "}", str(value))
    return to_persian_digits(out) if lang == "fa" else out
