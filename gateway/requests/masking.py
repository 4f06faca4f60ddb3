"""What a viewer may see of a request's inputs and of the texts written about a citizen: one rule for the
operator API and the console, so neither shows more than the other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import overload

from flows.masking import mask_digit_runs, mask_national_code, mask_phone
from gateway.catalogue.model import Service

_MASKS = {"national_code": mask_national_code, "mobile": mask_phone}


def masked_inputs(inputs: Mapping[str, str], service: Service | None) -> dict[str, str]:
    """Inputs as a viewer sees them: personal ones masked, and any the catalogue no longer describes, to be safe."""
    described = {item.name: item for item in service.inputs} if service else {}

    def shown(name: str, value: str) -> str:
        item = described.get(name)
        if item is not None and not item.personal:
            return value
        return _MASKS.get(item.kind if item else "", lambda text: "*" * len(text))(value)

    return {name: shown(name, value) for name, value in inputs.items()}


@overload
def masked_text(text: str, full: bool) -> str: ...
@overload
def masked_text(text: None, full: bool) -> None: ...
@overload
def masked_text(text: str | None, full: bool) -> str | None: ...
def masked_text(text: str | None, full: bool) -> str | None:
    """Free text about a citizen (a status reason, a staff note, an answer, a comment) as this reader sees it:
    whole for operators and above (`full`); for viewers, every phone number and national code in it masked,
    since staff quote them ("checked 0499370899 with +98912...") as readily as citizens type them."""
    return text if full or text is None else mask_digit_runs(text)
