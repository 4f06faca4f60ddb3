"""The operator API on the full app: every auth case, request listing, reading and transitions."""

from __future__ import annotations

import json
import re

import pytest
from ussd_citizen import PHONE, apply_by_ussd, ussd

from gateway.app import GATEWAY, open_gateway
from gateway.tokens import TokenStore

ALI = PHONE


async def apply(client, phone: str = ALI) -> str:  # type: ignore[no-untyped-def]
    return await apply_by_ussd(client, phone=phone)


async def error_of(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.content_type == "application/json"
    return (await response.json())["error"]


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer pk_not-a-real-token"}, {"Authorization": "Bearer " + "x" * 5000},
])
async def test_no_token_or_a_bad_one_is_401(client, headers) -> None:  # type: ignore[no-untyped-def]
    for path in ("/api/v1/requests", "/api/v1/services", "/api/v1/requests/12345678902"):
        response = await client.get(path, headers=headers)
        assert response.status == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await error_of(response))["code"] == "unauthorized"


async def test_a_revoked_token_stops_working(client) -> None:  # type: ignore[no-untyped-def]
    store = TokenStore(client.app[GATEWAY].db)
    token = await store.create("admin", "leaver", actor="cli:test")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/services", headers=headers)).status == 200
    [row] = [r for r in await store.list() if r["name"] == "leaver"]
    assert await store.revoke(int(row["id"]), actor="cli:test")  # type: ignore[arg-type]
    assert (await client.get("/api/v1/services", headers=headers)).status == 401


async def test_tokens_are_stored_only_as_hashes(client, tokens) -> None:  # type: ignore[no-untyped-def]
    rows = await client.app[GATEWAY].db.fetchall("SELECT * FROM api_tokens")
    secret = tokens["admin"]["Authorization"].split()[1]
    assert len(rows) == 3 and all(secret not in str(r) for r in rows)


async def test_roles_viewer_reads_operator_transitions_admin_edits(client, tokens) -> None:  # type: ignore[no-untyped-def]
    code = await apply(client)
    move = {"to": "in_review"}
    for role in ("viewer", "operator", "admin"):
        assert (await client.get(f"/api/v1/requests/{code}", headers=tokens[role])).status == 200
    response = await client.post(f"/api/v1/requests/{code}/transition", json=move, headers=tokens["viewer"])
    assert response.status == 403
    assert (await error_of(response)) == {"code": "forbidden", "message": "this needs the operator role; the token has viewer"}
    assert (await client.post(f"/api/v1/requests/{code}/transition", json=move, headers=tokens["operator"])).status == 200
    patch = {"fee": 1}
    assert (await client.patch("/api/v1/services/121095100", json=patch, headers=tokens["operator"])).status == 403
    assert (await client.patch("/api/v1/services/121095100", json=patch, headers=tokens["admin"])).status == 200


async def test_a_request_with_its_events_and_the_citizen_notified(client, tokens) -> None:  # type: ignore[no-untyped-def]
    code = await apply(client)
    url = f"/api/v1/requests/{code}/transition"
    assert (await client.post(url, json={"to": "in_review"}, headers=tokens["operator"])).status == 200
    response = await client.post(url, json={"to": "needs_info", "reason": "Photo unreadable"}, headers=tokens["operator"])
    body = await response.json()
    assert response.status == 200 and body["status"] == "needs_info"
    body = await (await client.get(f"/api/v1/requests/{code}", headers=tokens["operator"])).json()
    assert body["phone"] == ALI and body["national_code"] == "0499370899" and body["due_date"] and body["late"] is False
    assert [(e["from"], e["to"], e["actor"], e["reason"]) for e in body["events"]] == [
        (None, "submitted", "citizen", None),
        ("submitted", "in_review", "token 2 (test operator)", None),
        ("in_review", "needs_info", "token 2 (test operator)", "Photo unreadable"),
    ]
    rows = await client.app[GATEWAY].db.fetchall(
        "SELECT channel, address, kind, text FROM outbox WHERE kind != 'payment_link' ORDER BY id")  # the fee's link is the payments tests' business
    assert [(r["channel"], r["address"], r["kind"]) for r in rows] == [
        ("sms", f"tel:{ALI}", "receipt"), ("sms", f"tel:{ALI}", "notification"), ("sms", f"tel:{ALI}", "notification")]
    assert code in rows[0]["text"] and "Photo unreadable" in rows[2]["text"]


async def test_viewers_see_personal_data_masked(client, tokens) -> None:  # type: ignore[no-untyped-def]
    code = await apply(client)
    body = await (await client.get(f"/api/v1/requests/{code}", headers=tokens["viewer"])).json()
    assert body["phone"] == "+98912****567" and body["national_code"] == "*******899"
    assert body["inputs"]["national_code"] == "*******899" and "0499370899" not in str(body) and ALI not in str(body)


async def test_viewers_see_every_personal_input_masked(client, tokens) -> None:  # type: ignore[no-untyped-def]
    """Issue 12 item 16: a viewer saw the birth date (and any personal input but the national code) in full."""
    code = await apply(client)
    stored = (await client.get(f"/api/v1/requests/{code}", headers=tokens["operator"]))
    full = (await stored.json())["inputs"]
    assert full["birth_date"] and full["national_code"] == "0499370899"
    one = await (await client.get(f"/api/v1/requests/{code}", headers=tokens["viewer"])).json()
    listed = (await (await client.get("/api/v1/requests", headers=tokens["viewer"])).json())["items"][0]
    for shown in (one["inputs"], listed["inputs"]):
        assert shown == {"national_code": "*******899", "birth_date": "*" * len(full["birth_date"])}


async def test_inputs_are_personal_as_the_catalogue_marks_them(client, tokens) -> None:  # type: ignore[no-untyped-def]
    card = await (await client.get("/api/v1/services/121095100", headers=tokens["viewer"])).json()
    assert [(i["name"], i["personal"]) for i in card["inputs"]] == [("national_code", True), ("birth_date", True)]
    child = await (await client.get("/api/v1/services/121096100", headers=tokens["viewer"])).json()
    assert {i["name"]: i["personal"] for i in child["inputs"]}["child_name"] is True   # a text input marked in catalogue.yaml
    inputs = [card["inputs"][0], {**card["inputs"][1], "personal": False}]
    response = await client.patch("/api/v1/services/121095100", json={"inputs": inputs}, headers=tokens["admin"])
    assert response.status == 200 and (await response.json())["inputs"][1]["personal"] is False
    code = await apply(client)
    shown = (await (await client.get(f"/api/v1/requests/{code}", headers=tokens["viewer"])).json())["inputs"]
    assert shown["national_code"] == "*******899" and "*" not in shown["birth_date"]


@pytest.mark.parametrize("method, path, field", [
    ("get", "/api/v1/requests?limit=²", "limit"), ("get", "/api/v1/requests?offset=²", "offset"), ("get", "/api/v1/requests?limit=۵", "limit"),
    ("get", "/api/v1/outbox?before_id=²", "before_id"), ("get", "/api/v1/outbox?limit=²", "limit"), ("get", "/api/v1/payments?offset=²", "offset"),
    ("get", "/api/v1/outbox/²", "id"), ("get", "/api/v1/payments/²", "id"), ("post", "/api/v1/outbox/²/retry", "id"),
    ("get", "/api/v1/services/١٢١٠٩٥١٠٠", "id"), ("get", "/api/v1/requests/١٢٣٤٥٦٧٨٩٠١", "code"),
    ("get", "/api/v1/requests?created_to=9999-12-31", "created_to"), ("get", "/api/v1/payments?created_from=2023-02-29", "created_from"),
    ("get", "/api/v1/requests?created_from=1402/12/30", "created_from"), ("get", "/api/v1/requests?service_id=١٢١٠٩٥١٠٠", "service_id"),
    ("get", "/api/v1/requests?statuss=delivered", "statuss"), ("get", "/api/v1/services?status=x", "status"),
    ("get", "/api/v1/requests?status=submitted&status=delivered", "status"), ("post", "/api/v1/payments/reconcile?dry=1", "dry"),
])
async def test_every_parameter_is_read_with_ascii_rules_and_refused_by_name(client, tokens, method, path, field) -> None:  # type: ignore[no-untyped-def]
    """Issue 12 item 12: digits str.isdigit() takes but int() does not, and a far date, were 500s; unknown parameters were ignored."""
    response = await getattr(client, method)(path, headers=tokens["admin"])
    assert response.status == 422, await response.text()
    error = await error_of(response)
    assert error["code"] == "invalid" and error["field"] == field and error["message"].startswith(f"{field}: ")


async def test_the_last_day_of_a_range_is_a_day_like_any_other(client, tokens) -> None:  # type: ignore[no-untyped-def]
    for query in ("created_to=2099-12-31", "created_from=1900-01-01", "created_to=1499/12/29", "created_from=1403/12/30"):
        response = await client.get(f"/api/v1/requests?{query}", headers=tokens["viewer"])
        assert response.status == 200, (query, await response.text())


async def test_a_method_a_path_does_not_take_is_405_with_allow(client, tokens) -> None:  # type: ignore[no-untyped-def]
    response = await client.delete("/api/v1/services", headers=tokens["admin"])
    assert response.status == 405 and (await error_of(response))["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(",")) >= {"GET", "POST"}


async def test_transition_errors(client, tokens) -> None:  # type: ignore[no-untyped-def]
    code = await apply(client)
    url, op = f"/api/v1/requests/{code}/transition", tokens["operator"]
    response = await client.post(url, json={"to": "approved"}, headers=op)
    assert response.status == 409 and (await error_of(response))["code"] == "transition_not_allowed"
    await client.post(url, json={"to": "in_review"}, headers=op)
    response = await client.post(url, json={"to": "rejected"}, headers=op)
    assert response.status == 422 and (await error_of(response))["field"] == "reason"
    for body, field in (({"to": "done"}, "to"), ({}, "to"), ({"to": "rejected", "reason": 5}, "reason")):
        response = await client.post(url, json=body, headers=op)
        assert response.status == 422 and (await error_of(response))["field"] == field
    response = await client.post(url, data="{not json", headers=op)
    assert response.status == 400 and (await error_of(response))["code"] == "bad_json"
    response = await client.post(url, json=["to", "x"], headers=op)
    assert response.status == 422
    response = await client.post(url, data="x" * 20000, headers=op)
    assert response.status == 413 and (await error_of(response))["code"] == "too_large"
    response = await client.post("/api/v1/requests/12345678902/transition", json={"to": "in_review"}, headers=op)
    assert response.status == 404 and (await error_of(response))["code"] == "not_found"
    for malformed in ("abc", "1" * 13, "１２３４５６７８９０"):
        response = await client.post(f"/api/v1/requests/{malformed}/transition", json={"to": "in_review"}, headers=op)
        assert response.status == 422 and (await error_of(response))["field"] == "code", malformed
    response = await client.post(url, json={"to": "in_review", "note": "x"}, headers=op)
    assert response.status == 422 and (await error_of(response))["field"] == "note"


async def test_list_filters_and_paging(client, tokens) -> None:  # type: ignore[no-untyped-def]
    gateway = client.app[GATEWAY]
    codes = [await apply(client, f"+98912000000{i}") for i in range(3)]
    await gateway.requests.transition(codes[0], "in_review", actor="t", reason=None)
    await gateway.db.execute("UPDATE requests SET due_date = '2020-01-01' WHERE tracking_code = ?", (codes[1],))
    view = tokens["viewer"]

    async def listed(query: str) -> dict:
        response = await client.get(f"/api/v1/requests?{query}", headers=view)
        assert response.status == 200, await response.text()
        return await response.json()

    everything = await listed("")
    assert everything["total"] == 3 and [i["tracking_code"] for i in everything["items"]] == codes[::-1]
    assert [i["tracking_code"] for i in (await listed("status=in_review"))["items"]] == [codes[0]]
    late = await listed("late=true")
    assert [i["tracking_code"] for i in late["items"]] == [codes[1]] and late["items"][0]["late"] is True
    assert (await listed("service_id=121095100"))["total"] == 3 and (await listed("service_id=131020000"))["total"] == 0
    today = gateway.requests.calendar.today().isoformat()
    assert (await listed(f"created_from={today}&created_to={today}"))["total"] == 3
    assert (await listed("created_to=2020-01-01"))["total"] == 0
    assert (await listed("created_from=1400/01/01"))["total"] == 3   # Jalali works too
    page = await listed("limit=2&offset=2")
    assert page["total"] == 3 and len(page["items"]) == 1 and page["limit"] == 2
    for query, field in (("limit=201", "limit"), ("limit=0", "limit"), ("offset=-1", "offset"), ("status=lost", "status"),
                         ("late=yes", "late"), ("created_from=yesterday", "created_from"), ("service_id=12", "service_id")):
        response = await client.get(f"/api/v1/requests?{query}", headers=view)
        assert response.status == 422 and (await error_of(response))["field"] == field, query


async def test_unknown_api_paths_answer_json(client, tokens) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/nothing", headers=tokens["admin"])
    assert response.status == 404 and (await error_of(response))["code"] == "not_found"
    response = await client.delete("/api/v1/services", headers=tokens["admin"])
    assert response.status == 405 and (await error_of(response))["code"] == "method_not_allowed"


async def test_the_openapi_document_describes_every_route(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/openapi.json")
    doc = await response.json()
    assert response.status == 200 and doc["openapi"].startswith("3.1")
    routes = {(r.method.lower(), r.resource.canonical) for r in _api_routes(client.app)} - {("get", "/api/v1/openapi.json")}
    documented = {(method, "/api/v1" + path) for path, item in doc["paths"].items() for method in item if method != "parameters"}
    assert len(routes) == 43 and routes == documented  # services, categories, flows, requests (one, many), payments, outbox, audit, polls,
    # complaints, feedback, analytics, agencies' event subscriptions, delivery log and replay
    parameters = [p for item in doc["paths"].values() for operation in item.values() for p in operation.get("parameters", ())]
    limit = {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}  # an integer everywhere, as the server reads it
    assert {p["name"]: p["schema"] for p in parameters if p["name"] == "limit"} == {"limit": limit}
    assert all(len({json.dumps(p["schema"]) for p in parameters if p["name"] == name}) == 1 for name in ("limit", "offset", "created_from"))
    assert all("enum" in p["schema"] or "pattern" in p["schema"] or p["schema"]["type"] == "integer" for p in parameters)
    refs = re.findall(r'"#/components/schemas/(\w+)"', str(doc).replace("'", '"'))
    assert refs and set(refs) <= set(doc["components"]["schemas"])
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method != "parameters" and path != "/openapi.json":
                assert "401" in operation["responses"] and "403" in operation["responses"], (method, path)


def _api_routes(app):  # type: ignore[no-untyped-def]
    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        if sub is not None and resource.canonical == "/api/v1":  # not the console's pages
            for route in sub.router.routes():
                if route.method != "HEAD":
                    yield route


NEW_SERVICE = {
    "id": "121097000", "category": "identity", "agency": "sabt", "type": "G2C",
    "title": {"fa": "گواهی تجرد", "en": "Single status certificate"},
    "description": {"fa": "صدور گواهی تجرد.", "en": "A certificate that you are not married."},
    "days_to_deliver": 3, "fee": 50000, "account": "IR820100000001130000000999", "channels": ["ussd", "sms"],
    "inputs": [{"name": "national_code", "validator": "national_code",
                "prompt": {"fa": "کد ملی را وارد کنید:", "en": "Enter your national code:"}}],
}


async def test_services_list_every_identity_card_field(client, tokens) -> None:  # type: ignore[no-untyped-def]
    body = await (await client.get("/api/v1/services", headers=tokens["viewer"])).json()
    assert body["total"] == len(body["items"]) >= 18
    card = next(s for s in body["items"] if s["id"] == "121095100")
    assert set(card) >= {"id", "parent", "category", "title", "type", "description", "documents", "days_to_deliver", "hours",
                         "visits", "fee", "account", "channels", "complaint", "steps", "inputs"}
    assert card["parent"] == "121095000" and card["fee"] == 300000 and card["inputs"][0]["name"] == "national_code"
    assert (await (await client.get("/api/v1/services/121095100", headers=tokens["viewer"])).json()) == card
    assert (await client.get("/api/v1/services/999999999", headers=tokens["viewer"])).status == 404


async def test_a_service_created_over_the_api_is_on_ussd_at_once(client, tokens, settings) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/services", json=NEW_SERVICE, headers=tokens["admin"])
    assert response.status == 201, await response.text()
    assert (await response.json())["title"]["en"] == "Single status certificate"
    page = await ussd(client, "+989121110000", ["2", "1", "1"])
    assert "3. Single status certificate" in page
    page = await ussd(client, "+989121110002", ["2", "1", "1", "3", "1", "0499370899", "1"])
    assert page.startswith("END ") and "Tracking code:" in page and "To pay: 50,000 rials" in page
    response = await client.post("/api/v1/services", json=NEW_SERVICE, headers=tokens["admin"])
    assert response.status == 409
    again = await open_gateway(settings)   # kept in the store: a restart serves it too
    try:
        assert again.catalogue.get("121097000") is not None
    finally:
        await again.close()


async def test_a_fee_change_shows_on_the_menus(client, tokens) -> None:  # type: ignore[no-untyped-def]
    response = await client.patch("/api/v1/services/121095100", json={"fee": 350000}, headers=tokens["admin"])
    assert response.status == 200 and (await response.json())["fee"] == 350000
    assert "Fee: 350,000 rials" in await ussd(client, "+989121110001", ["2", "1", "1", "1", "1", "2"])  # the service card
    assert client.app[GATEWAY].catalogue.get("121095100").fee == 350000  # type: ignore[union-attr]


async def test_put_replaces_the_whole_card_and_needs_all_of_it(client, tokens) -> None:  # type: ignore[no-untyped-def]
    """Issue 12 item 13: a PUT with only the required fields wiped the fee, inputs, channels and complaint."""
    url, admin = "/api/v1/services/121095100", tokens["admin"]
    before = await (await client.get(url, headers=admin)).json()
    response = await client.put(url, json={k: NEW_SERVICE[k] for k in ("category", "type", "title")}, headers=admin)
    assert response.status == 422, await response.text()
    error = await error_of(response)
    assert error["field"] == "parent" and "short" in error["message"] and "inputs" in error["message"]
    assert await (await client.get(url, headers=admin)).json() == before  # nothing was wiped
    whole = {**before, "title": {"fa": "کارت ملی نو", "en": "New national ID"}}
    response = await client.put(url, json=whole, headers=admin)
    assert response.status == 200 and await response.json() == whole
    response = await client.put(url, json={**whole, "id": "121095200"}, headers=admin)
    assert response.status == 422 and (await error_of(response))["field"] == "id"


async def test_patch_changes_only_the_fields_it_names(client, tokens) -> None:  # type: ignore[no-untyped-def]
    url, admin = "/api/v1/services/121095100", tokens["admin"]
    before = await (await client.get(url, headers=admin)).json()
    response = await client.patch(url, json={"visits": 2}, headers=admin)
    assert response.status == 200 and await response.json() == {**before, "visits": 2}


@pytest.mark.parametrize("method", ["put", "patch", "post"])
async def test_unknown_body_fields_are_refused_by_name(client, tokens, method) -> None:  # type: ignore[no-untyped-def]
    admin = tokens["admin"]
    card = await (await client.get("/api/v1/services/121095100", headers=admin)).json()
    url = "/api/v1/services" if method == "post" else "/api/v1/services/121095100"
    body = {**card, "id": "121095900", "foo": 1} if method == "post" else {"foo": 1} if method == "patch" else {**card, "foo": 1}
    response = await getattr(client, method)(url, json=body, headers=admin)
    assert response.status == 422 and (await error_of(response))["field"] == "foo"
    inputs = [{**card["inputs"][0], "secret": True}]
    response = await client.patch("/api/v1/services/121095100", json={"inputs": inputs}, headers=admin)
    assert response.status == 422 and (await error_of(response))["field"] == "inputs[0].secret"
    response = await client.patch("/api/v1/services/121095100", json={"fees": 160000}, headers=admin)
    assert (await error_of(response))["message"].startswith("fees: unknown field fees (did you mean fee?); the fields are id, parent")
    assert await (await client.get("/api/v1/services/121095100", headers=admin)).json() == card


@pytest.mark.parametrize("change, field", [
    ({"type": "C2G"}, "type"), ({"days_to_deliver": -1}, "days_to_deliver"), ({"title": "ID"}, "title"),
    ({"id": "121095999"}, "id"), ({"channels": ["fax"]}, "channels[0]"), ({"category": "space"}, "category"),
    ({"inputs": [{"name": "x", "validator": "telepathy", "prompt": {"fa": "؟", "en": "?"}}]}, "inputs[0].validator"),
    ({"fee": 1.5}, "fee"), ({"fee": True}, "fee"), ({"parent": 0}, "parent"), ({"title": {"fa": "شناسه", "en": 5}}, "title.en"),
    ({"inputs": [{"name": "x", "validator": {"type": "date", "options": ["1"]}, "prompt": {"fa": "؟", "en": "?"}}]}, "inputs[0].validator"),
    ({"inputs": [{"name": "x", "validator": {"type": "integer", "min": 5, "max": 1}, "prompt": {"fa": "؟", "en": "?"}}]}, None),
])
async def test_an_invalid_service_change_is_422_and_changes_nothing(client, tokens, change, field) -> None:  # type: ignore[no-untyped-def]
    before = client.app[GATEWAY].catalogue
    response = await client.patch("/api/v1/services/121095100", json=change, headers=tokens["admin"])
    assert response.status == 422, await response.text()
    error = await error_of(response)
    assert error["code"] == "invalid" and error.get("field") == field and error["message"]
    assert client.app[GATEWAY].catalogue is before


async def test_a_new_service_needs_a_valid_card(client, tokens) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/services", json={"id": "12"}, headers=tokens["admin"])
    assert response.status == 422 and "9-digit" in (await error_of(response))["message"]
    response = await client.post("/api/v1/services", json={**NEW_SERVICE, "title": {"fa": "گواهی"}}, headers=tokens["admin"])
    assert response.status == 422 and "en" in (await error_of(response))["message"]
