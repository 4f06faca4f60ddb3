"""Identity cards are read strictly: a misspelt key is an error naming the service and the closest key,
never a silent default (`fees: 160000` used to validate and show "Fee: free")."""

from __future__ import annotations

from pathlib import Path

import yaml

from gateway.catalogue import parse_catalogue
from gateway.catalogue.flows import catalogue_flow

CATALOGUE = Path(__file__).resolve().parents[2] / "config" / "catalogue.yaml"


def _errors_with(change: dict, where: str = "service") -> list[str]:  # type: ignore[type-arg]
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    if where == "service":
        data["services"][0].update(change)
    elif where == "input":
        data["services"][1]["inputs"][0].update(change)
    elif where == "category":
        data["categories"][0].update(change)
    elif where == "agency":
        data["agencies"][0].update(change)
    elif where == "second":
        next(s for s in data["services"] if s["id"] == "121096000").update(change)
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


def test_every_service_names_a_listed_agency_and_sub_services_take_their_parents() -> None:
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    errors: list = []
    catalogue = parse_catalogue(data, "catalogue.yaml", errors)
    assert errors == []
    child = next(s for s in catalogue.services if s.parent == "121095000")
    assert (catalogue.get("121095000").agency, child.agency) == ("sabt", "sabt")  # type: ignore[union-attr]
    assert _errors_with({"agency": "sabtt"}) == [
        "catalogue.yaml: node `service 121095000`: agency 'sabtt' is not listed "
        "(use one of ['ict', 'municipality', 'police', 'sabt', 'tamin', 'tavanir', 'tax', 'welfare'])"]
    assert any("service 121096000`: `agency` is missing" in e for e in _errors_with({"agency": None}, "second"))
    assert _errors_with({"id": "Sabt"}, "agency")[0] == (  # and its services then name no listed agency
        "catalogue.yaml: node `agency Sabt`: `id` must be a lower-case slug of 2-32 letters, digits or _ (e.g. `id: sabt`)")
    assert _errors_with({"phone": "111"}, "agency") == [
        "catalogue.yaml: node `agency sabt`: unknown key `phone` (known keys: complaints, id, name)"]


def test_a_catalogue_that_lists_no_agencies_needs_none_but_may_not_name_one() -> None:
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    del data["agencies"]
    for service in data["services"]:
        service.pop("agency", None)
    errors: list = []
    catalogue = parse_catalogue(data, "catalogue.yaml", errors)
    assert errors == [] and {s.agency for s in catalogue.services} == {""}
    data["services"][0]["agency"] = "sabt"
    parse_catalogue(data, "catalogue.yaml", errors)
    assert [str(e) for e in errors] == [
        "catalogue.yaml: node `service 121095000`: agency 'sabt' is not listed (list the agencies under `agencies:`)"]


def test_a_card_without_its_own_complaint_line_tells_citizens_its_agencys() -> None:
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    traffic = next(s for s in data["services"] if s["id"] == "131020000")
    del traffic["complaint"]
    errors: list = []
    catalogue = parse_catalogue(data, "catalogue.yaml", errors)
    service = catalogue.get("131020000")
    assert service is not None and service.complaint == {}
    assert catalogue.complaint_of(service)["en"] == "Police line 197 or 111 (SAMAD)"
    card = catalogue_flow(catalogue, ("fa", "en"))["nodes"]["card_131020000"]["text"]["en"]
    assert card.endswith("Police line 197 or 111 (SAMAD)")
