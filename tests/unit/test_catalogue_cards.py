"""Identity cards are read strictly: a misspelt key is an error naming the service and the closest key,
never a silent default (`fees: 160000` used to validate and show "Fee: free")."""

from __future__ import annotations

from pathlib import Path

import yaml

from gateway.catalogue import parse_catalogue

CATALOGUE = Path(__file__).resolve().parents[2] / "config" / "catalogue.yaml"


def _errors_with(change: dict, where: str = "service") -> list[str]:  # type: ignore[type-arg]
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    if where == "service":
        data["services"][0].update(change)
    elif where == "input":
        data["services"][1]["inputs"][0].update(change)
    elif where == "category":
        data["categories"][0].update(change)
    else:
        data.update(change)
    errors: list = []
    parse_catalogue(data, "catalogue.yaml", errors)
    return [str(e) for e in errors]


def test_the_shipped_catalogue_has_no_unknown_key() -> None:
    assert _errors_with({}) == []


def test_a_misspelt_card_key_names_the_service_and_the_key_meant() -> None:
    assert _errors_with({"fees": 160000}) == [
        "catalogue.yaml: node `service 121095000`: unknown key `fees` (did you mean `fee`?)"]


def test_unknown_keys_in_inputs_categories_and_the_file_are_errors_too() -> None:
    assert any("input `national_code`: unknown key `validater` (did you mean `validator`?)" in e
               for e in _errors_with({"validater": "text"}, "input"))
    assert _errors_with({"titel": {"fa": "x", "en": "x"}}, "category") == [
        "catalogue.yaml: node `category identity`: unknown key `titel` (did you mean `title`?)"]
    assert _errors_with({"service": []}, "top") == ["catalogue.yaml: unknown key `service` (did you mean `services`?)"]


def test_the_limits_the_catalogue_documents_are_enforced() -> None:
    assert _errors_with({"title": {"fa": "ت" * 29, "en": "National smart ID card"}}) == [
        "catalogue.yaml: node `service 121095000`: `title.fa` is 29 characters; at most 28 fit a USSD menu line "
        "(shorten it, or give a `short` menu label)"]
    assert any("`short.en` is 19 characters; at most 18" in e for e in _errors_with({"short": {"fa": "کارت", "en": "x" * 19}}))
    assert _errors_with({"fee": 160000, "account": None}) == [
        "catalogue.yaml: node `service 121095000`: `fee` is 160000 rials but there is no `account` to pay it into "
        "(add `account: <treasury IBAN>`, or make the fee 0)"]
    assert any("`account` is set but the service is free" in e for e in _errors_with({"fee": 0, "account": "IR000000000000000000000000"}))


def test_a_sub_service_shares_its_parents_first_six_digits() -> None:
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    child = next(s for s in data["services"] if s.get("parent") == "121095000")
    child["id"] = "121099100"
    errors: list = []
    parse_catalogue(data, "catalogue.yaml", errors)
    assert any("service 121099100`: does not share its parent's first 6 digits 121095" in str(e) for e in errors)
