"""Issue 17 item 3: agency systems retry transitions safely (`Idempotency-Key`) and move many requests at once.

One gateway for the whole module (over HTTP, on the store of the pass: SQLite or PostgreSQL) with a clock
moved by hand; each test makes its own requests, from a phone number of its own. A second connection to
the same store plays another worker: one that holds a key, or one that died half way.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from api_tokens import role_headers
from clock import ManualClock
from postgres_server import _store

from gateway.api.idempotency import Once, fingerprint
from gateway.api.requests import request_json
from gateway.app import GATEWAY, create_app
from gateway.idempotency import HOLD, Claim, ClaimLost, IdempotencyKeys
from gateway.requests import RequestRecord
from gateway.runtime import Gateway
from gateway.settings import load_settings
from gateway.store.url import database_at
from gateway.tokens import TokenInfo, TokenStore

pytestmark = pytest.mark.asyncio(loop_scope="module")

CONFIG = Path(__file__).resolve().parents[2] / "config"
ID_CARD = {"national_code": "0499370899", "birth_date": "1375/06/21"}
UNKNOWN = "12345678902"  # a well-formed tracking code no request has
_phones = itertools.count(1000)


@dataclass
class Api:
    """The module's gateway: its HTTP client, clock, tokens and a second worker's view of the store."""

    http: TestClient
    clock: ManualClock
    headers: dict[str, dict[str, str]]
    other: IdempotencyKeys

    @property
    def gateway(self) -> Gateway:
        return self.http.app[GATEWAY]  # type: ignore[no-any-return]

    async def token(self, role: str) -> TokenInfo:
        info = await TokenStore(self.gateway.db).verify(self.headers[role]["Authorization"].split()[1])
        assert info is not None
        return info

    def keyed(self, key: str, role: str = "operator") -> dict[str, str]:
        return {**self.headers[role], "Idempotency-Key": key}

    async def submit(self) -> str:
        phone = f"+98912123{next(_phones):04d}"
        record = await self.gateway.requests.submit("121095100", ID_CARD, channel="ussd", address=f"tel:{phone}", phone=phone, lang="en")
        return record.tracking_code

    async def status(self, code: str) -> str:
        record = await self.gateway.requests.get(code)
        assert record is not None
        return record.status

    async def told(self, code: str) -> int:
        """Status-change messages queued for the citizen of request `code`."""
        rows = await self.gateway.db.fetchall("SELECT text FROM outbox WHERE kind = 'notification'")
        return sum(code in row["text"] for row in rows)


@pytest.fixture(scope="module")
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The module's one store (the conftest's is one per test)."""
    yield from _store(request, tmp_path_factory.mktemp("store"), migrated=True)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(store_url: str) -> AsyncIterator[Api]:
    clock = ManualClock()
    app = await create_app(load_settings(CONFIG, environ={}).updated({"store": {"url": store_url}}), clock=clock)
    other = await database_at(store_url).open()
    async with TestClient(TestServer(app)) as http:
        yield Api(http, clock, await role_headers(app[GATEWAY].db), IdempotencyKeys(other, clock, 24))
    await other.close()


async def post(api: Api, url: str, body: Any, headers: dict[str, str]) -> tuple[int, str, dict[str, Any], str | None]:
    """Status, raw body, parsed body and the replay mark of one POST."""
    async with api.http.post(url, data=json.dumps(body), headers={**headers, "Content-Type": "application/json"}) as response:
        text = await response.text()
        return response.status, text, json.loads(text), response.headers.get("Idempotent-Replayed")


async def test_a_retry_gets_the_first_answer_and_the_citizen_is_told_once(api: Api) -> None:
    code = await api.submit()
    url = f"/api/v1/requests/{code}/transition"
    status, first, body, replayed = await post(api, url, {"to": "in_review"}, api.keyed("move-1"))
    assert status == 200 and body["status"] == "in_review" and replayed is None
    for same in ({"to": "in_review"}, {"to": "in_review"}):
        again = await post(api, url, same, api.keyed('"move-1"'))  # the structured-field form names the same key
        assert again[:2] == (200, first) and again[3] == "true"
    async with api.http.post(url, data='{ "to" :"in_review"}', headers={**api.keyed("move-1"), "Content-Type": "application/json"}) as spaced:
        assert spaced.status == 200 and await spaced.text() == first and spaced.headers["Idempotent-Replayed"] == "true"
    found = await api.gateway.requests.history(code)
    assert found is not None and [e.to_status for e in found[1]] == ["submitted", "in_review"]
    assert await api.told(code) == 1


async def test_the_same_key_with_another_body_or_route_is_refused(api: Api) -> None:
    code = await api.submit()
    url = f"/api/v1/requests/{code}/transition"
    assert (await post(api, url, {"to": "in_review"}, api.keyed("reused")))[0] == 200
    for other_url, body in ((url, {"to": "cancelled"}), (f"/api/v1/requests/{UNKNOWN}/transition", {"to": "in_review"})):
        status, _, answer, _ = await post(api, other_url, body, api.keyed("reused"))
        assert status == 422 and answer["error"]["code"] == "idempotency_key_reused" and answer["error"]["field"] == "Idempotency-Key"
    assert await api.status(code) == "in_review" and await api.told(code) == 1


async def test_a_refusal_is_the_first_answer_too(api: Api) -> None:
    code = await api.submit()
    url = f"/api/v1/requests/{code}/transition"
    status, first, answer, _ = await post(api, url, {"to": "approved"}, api.keyed("too-soon"))
    assert status == 409 and answer["error"]["code"] == "transition_not_allowed"
    assert (await post(api, url, {"to": "in_review"}, api.headers["operator"]))[0] == 200  # now approved is allowed
    assert await post(api, url, {"to": "approved"}, api.keyed("too-soon")) == (409, first, answer, "true")
    assert await api.status(code) == "in_review"


async def test_each_token_has_its_own_keys(api: Api) -> None:
    codes = [await api.submit(), await api.submit()]
    for code, role in zip(codes, ("operator", "admin"), strict=True):
        status, _, body, replayed = await post(api, f"/api/v1/requests/{code}/transition", {"to": "in_review"}, api.keyed("shared", role))
        assert (status, body["tracking_code"], replayed) == (200, code, None)


@pytest.mark.parametrize("key", ["", '""', 'a"b', "two words", '"back\\slash"', "x" * 256, '"' + "x" * 256 + '"', "a\tb"])
async def test_a_malformed_key_is_refused_naming_the_header(api: Api, key: str) -> None:
    code = await api.submit()
    status, _, body, _ = await post(api, f"/api/v1/requests/{code}/transition", {"to": "in_review"}, api.keyed(key))
    assert status == 422 and body["error"]["field"] == "Idempotency-Key" and "printable ASCII" in body["error"]["message"]
    assert await api.status(code) == "submitted"


async def test_a_key_sent_twice_is_refused(api: Api) -> None:
    code = await api.submit()
    headers = [("Authorization", api.headers["operator"]["Authorization"]), ("Idempotency-Key", "a"), ("Idempotency-Key", "b")]
    async with api.http.post(f"/api/v1/requests/{code}/transition", json={"to": "in_review"}, headers=headers) as response:
        body = await response.json()
    assert response.status == 422 and body["error"] == {"code": "invalid", "message": "Idempotency-Key: give it once", "field": "Idempotency-Key"}


async def test_concurrent_requests_with_one_key_make_one_transition(api: Api) -> None:
    code = await api.submit()
    url = f"/api/v1/requests/{code}/transition"
    answers = await asyncio.gather(*(post(api, url, {"to": "in_review"}, api.keyed("at-once")) for _ in range(6)))
    [first] = [a for a in answers if a[0] == 200 and a[3] is None]
    for status, text, body, replayed in (a for a in answers if a is not first):
        assert (status, text, replayed) == (200, first[1], "true") or (status, body["error"]["code"]) == (409, "idempotency_key_in_flight")
    found = await api.gateway.requests.history(code)
    assert found is not None and [e.to_status for e in found[1]] == ["submitted", "in_review"] and await api.told(code) == 1


async def _claim_elsewhere(api: Api, key: str, url: str, body: Any) -> Claim:
    """Another worker takes `key` for the same request (and is then stopped, or dies)."""
    claim = await api.other.claim((await api.token("operator")).id, key, fingerprint("POST", url, body))
    assert isinstance(claim, Claim)
    return claim


async def test_a_key_held_by_another_worker_is_409_until_that_worker_is_presumed_dead(api: Api) -> None:
    code = await api.submit()
    url, move = f"/api/v1/requests/{code}/transition", {"to": "in_review"}
    claim = await _claim_elsewhere(api, "held", url, move)
    status, _, body, _ = await post(api, url, move, api.keyed("held"))
    assert (status, body["error"]["code"]) == (409, "idempotency_key_in_flight") and await api.status(code) == "submitted"
    api.clock.advance(HOLD + 1)
    status, _, body, replayed = await post(api, url, move, api.keyed("held"))
    assert (status, body["status"], replayed) == (200, "in_review", None)
    # The worker was only slow: its transition, written with its answer, cannot commit over the takeover's.
    late = Once(api.other, claim).answers(lambda record: {"late": True})
    with pytest.raises(ClaimLost):
        await api.gateway.requests.transition(code, "approved", actor="token (slow worker)", reason=None, then=late)
    assert await api.status(code) == "in_review" and await api.told(code) == 1


async def test_a_worker_dying_after_the_change_leaves_its_answer_to_the_retry(api: Api) -> None:
    """The answer commits in the transition's transaction: no crash can leave the change made and its answer unknown."""
    code = await api.submit()
    url, move = f"/api/v1/requests/{code}/transition", {"to": "in_review"}
    claim = await _claim_elsewhere(api, "died", url, move)
    operator = await api.token("operator")

    def shown(record: RequestRecord) -> dict[str, Any]:
        return request_json(record, api.gateway.requests, operator, api.gateway.catalogue)

    await api.gateway.requests.transition(code, "in_review", actor="token (dying worker)", reason=None, then=Once(api.other, claim).answers(shown))
    # ... and the worker dies before it answers. The client's retry gets what it would have answered:
    status, _, body, replayed = await post(api, url, move, api.keyed("died"))
    assert (status, body["tracking_code"], body["status"], replayed) == (200, code, "in_review", "true")
    assert await api.told(code) == 1


async def test_bulk_moves_each_code_or_says_what_the_single_route_would(api: Api) -> None:
    good, also_good, approved = await api.submit(), await api.submit(), await api.submit()
    for to in ("in_review", "approved"):
        assert (await post(api, f"/api/v1/requests/{approved}/transition", {"to": to}, api.headers["operator"]))[0] == 200
    single = {code: await post(api, f"/api/v1/requests/{code}/transition", {"to": "in_review"}, api.headers["operator"])
              for code in (UNKNOWN, approved)}  # what the single route answers
    codes = [good, UNKNOWN, approved, also_good]
    status, _, body, _ = await post(api, "/api/v1/requests/transitions", {"tracking_codes": codes, "to": "in_review"}, api.headers["operator"])
    assert status == 200 and (body["moved"], body["refused"]) == (2, 2)
    assert [r["tracking_code"] for r in body["results"]] == codes and [r["moved"] for r in body["results"]] == [True, False, False, True]
    assert body["results"][0]["request"]["status"] == "in_review" and body["results"][0]["request"]["phone"].startswith("+98912123")
    assert [single[code][0] for code in (UNKNOWN, approved)] == [404, 409]
    for result, code in ((body["results"][1], UNKNOWN), (body["results"][2], approved)):
        assert (result["status"], result["error"]) == (single[code][0], single[code][2]["error"])
    assert [await api.told(code) for code in (good, also_good)] == [1, 1]
    status, _, body, _ = await post(api, "/api/v1/requests/transitions", {"tracking_codes": [good], "to": "rejected"}, api.headers["operator"])
    [refused] = body["results"]
    assert (refused["moved"], refused["status"], refused["error"]["code"], refused["error"]["field"]) == (False, 422, "invalid", "reason")


@pytest.mark.parametrize("body, field, words", [
    ({"tracking_codes": ["12345678902", "12345678902"], "to": "in_review"}, "tracking_codes", "12345678902\" is there twice"),
    ({"tracking_codes": [f"{n:011d}" for n in range(101)], "to": "in_review"}, "tracking_codes", "at most 100"),
    ({"tracking_codes": [], "to": "in_review"}, "tracking_codes", "at least 1"),
    ({"tracking_codes": ["12345678902", "12-34"], "to": "in_review"}, "tracking_codes[1]", "does not match"),
    ({"tracking_codes": ["12345678902"], "to": "in_review", "why": "x"}, "why", "unknown field"),
    ({"tracking_codes": ["12345678902"]}, "to", "is required"),
])
async def test_a_bulk_request_out_of_bounds_is_refused_by_field(api: Api, body: Any, field: str, words: str) -> None:
    status, _, answer, _ = await post(api, "/api/v1/requests/transitions", body, api.headers["operator"])
    assert status == 422 and answer["error"]["field"] == field and words in answer["error"]["message"]


async def test_bulk_with_a_key_is_replayed_and_moves_nothing_twice(api: Api) -> None:
    codes = [await api.submit(), await api.submit()]
    move = {"tracking_codes": codes, "to": "in_review"}
    status, first, body, _ = await post(api, "/api/v1/requests/transitions", move, api.keyed("bulk-1"))
    assert status == 200 and body["moved"] == 2
    assert await post(api, "/api/v1/requests/transitions", move, api.keyed("bulk-1")) == (200, first, body, "true")
    assert [await api.told(code) for code in codes] == [1, 1]


async def test_bulk_after_a_worker_died_half_way_moves_only_the_rest(api: Api) -> None:
    done, left = await api.submit(), await api.submit()
    move = {"tracking_codes": [done, left], "to": "in_review"}
    claim = await _claim_elsewhere(api, "bulk-died", "/api/v1/requests/transitions", move)
    stored = {"tracking_code": done, "moved": True, "request": {"as": "the dead worker showed it"}}
    await api.gateway.requests.transition(done, "in_review", actor="token (dying worker)", reason=None,
                                          then=Once(api.other, claim).part(done, lambda record: stored))
    api.clock.advance(HOLD + 1)
    status, _, body, replayed = await post(api, "/api/v1/requests/transitions", move, api.keyed("bulk-died"))
    assert (status, replayed, body["moved"]) == (200, None, 2) and body["results"][0] == stored
    assert body["results"][1]["request"]["status"] == "in_review"
    assert [await api.told(code) for code in (done, left)] == [1, 1]


async def test_complaint_answers_are_replayed(api: Api) -> None:
    complaint = await api.gateway.complaints.file("complaint", "The office was closed", service_id="121095100", channel="ussd",
                                                  address="tel:+989121230000", phone="+989121230000", lang="en")
    url, answer = f"/api/v1/complaints/{complaint.code}/transition", {"to": "answered", "answer": "It opens at 8 now"}
    status, first, body, _ = await post(api, url, answer, api.keyed("complaint-1"))
    assert status == 200 and body["status"] == "answered"
    status, text, _, replayed = await post(api, url, answer, api.keyed("complaint-1"))
    assert (status, text, replayed) == (200, first, "true")
    rows = await api.gateway.db.fetchall("SELECT text FROM outbox WHERE text LIKE ?", ("%It opens at 8 now%",))
    assert len(rows) == 1


async def test_the_document_describes_the_key_and_the_bulk_route(api: Api) -> None:
    doc = await (await api.http.get("/api/v1/openapi.json")).json()
    for path in ("/requests/{code}/transition", "/complaints/{code}/transition", "/requests/transitions"):
        operation = doc["paths"][path]["post"]
        [key] = [p for p in operation["parameters"] if p["in"] == "header"]
        assert key["name"] == "Idempotency-Key" and key["required"] is False and "pattern" in key["schema"]
        assert "Idempotent-Replayed" in operation["responses"]["200"]["headers"]
        assert "idempotency_key_in_flight" in operation["responses"]["409"]["description"]
        assert "idempotency_key_reused" in operation["responses"]["422"]["description"]
    assert doc["paths"]["/requests/transitions"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"][
        "tracking_codes"]["maxItems"] == 100
    assert "Idempotency-Key" not in json.dumps(doc["paths"]["/requests/{code}"])
    async with api.http.get("/api/v1/requests/transitions", headers=api.headers["admin"]) as response:  # not a request's path
        assert response.status == 405 and response.headers["Allow"] == "POST"


async def test_keys_expire_after_idempotency_hours_and_are_purged(api: Api) -> None:
    """Last in the module: it moves the clock a day on."""
    code = await api.submit()
    url = f"/api/v1/requests/{code}/transition"
    assert (await post(api, url, {"to": "in_review"}, api.keyed("daily")))[0] == 200
    api.clock.advance(23 * 3600)
    assert (await post(api, url, {"to": "cancelled"}, api.keyed("daily")))[0] == 422  # still the first request's key
    api.clock.advance(3600 + 1)
    status, _, body, replayed = await post(api, url, {"to": "cancelled"}, api.keyed("daily"))
    assert (status, body["status"], replayed) == (200, "cancelled", None)  # a new request: the key had expired
    rows = await api.gateway.db.fetchall("SELECT key, created_at FROM idempotency_keys")
    assert [r["key"] for r in rows] == ["daily"] and rows[0]["created_at"] == api.clock()  # every older key purged
