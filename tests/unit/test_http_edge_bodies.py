"""Request bodies and queries at the HTTP edge, in-process (fixtures: test_http_edge.py): a POST
body must say `Content-Type: application/json` (406), be at most 64 KiB (413, refused before it is
read), and be valid JSON with exactly the documented fields (422 with `messages` by field);
nothing is coerced. Every refusal here happens before Tesla would be asked."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from tests.unit.test_http_edge import API, CLOUD, VIN, Edge, error_of, open_edge

LIMIT = 64 * 1024
REPORT = "a" * 32  # the finished report of the `owner` fixture, in English


@pytest.fixture
def owner(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Edge, dict[str, str]]]:
    """A signed-in owner with one finished report."""
    with open_edge(monkeypatch, CLOUD) as edge:
        bearer = edge.sign_in()
        edge.finished_report(report_id=REPORT)
        yield edge, bearer


# Every JSON body the public functions take: (function, path).
BODIES = [
    ("reports", f"{API}/session"),
    ("reports", f"{API}/reports"),
    ("reports", f"{API}/reports/{REPORT}/renditions"),
    ("oauth_initiate", f"{API}/tesla/oauth/initiate"),
]


@pytest.mark.parametrize(("function", "path"), BODIES)
@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", "application/jsonx"],
)
def test_a_post_body_without_the_json_content_type_is_406(
    owner: tuple[Edge, dict[str, str]], function: str, path: str, content_type: str
) -> None:
    edge, bearer = owner
    answer = edge.client(function).post(path, data='{"code": "x"}', headers={**bearer, "Content-Type": content_type})
    error_of(answer, 406, "not_acceptable")


def test_a_json_content_type_with_a_charset_is_json(owner: tuple[Edge, dict[str, str]]) -> None:
    edge, _ = owner
    code = edge.app.session_service.issue_login_code("acc_edge")
    answer = edge.client("reports").post(
        f"{API}/session", data=f'{{"code": "{code}"}}', headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)


@pytest.mark.parametrize(("function", "path"), BODIES)
@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_a_body_past_64_kib_is_413(
    owner: tuple[Edge, dict[str, str]], function: str, path: str, streamed: bool
) -> None:
    edge, bearer = owner
    body = b'{"vins": ["' + b"A" * LIMIT + b'"]}'
    headers = {**bearer, "Content-Type": "application/json"}
    if streamed:  # no Content-Length (a chunked body the server passes on): read one byte past the limit
        answer = edge.client(function).post(
            path, input_stream=io.BytesIO(body), headers=headers, environ_overrides={"wsgi.input_terminated": True}
        )
    else:
        answer = edge.client(function).post(path, data=body, headers=headers)
    error_of(answer, 413, "payload_too_large")


def test_a_body_of_exactly_64_kib_is_read(owner: tuple[Edge, dict[str, str]]) -> None:
    edge, _ = owner
    body = b"{}" + b" " * (LIMIT - 2)
    answer = edge.client("reports").post(f"{API}/session", data=body, content_type="application/json")
    assert "code" in error_of(answer, 422, "invalid_request")["messages"]


@pytest.mark.parametrize(("function", "path"), BODIES)
@pytest.mark.parametrize("raw", ["{not json", '{"vins": [', "\xff", "[1, 2", "nul"])
def test_a_body_that_is_not_json_is_422_naming_the_body(
    owner: tuple[Edge, dict[str, str]], function: str, path: str, raw: str
) -> None:
    edge, bearer = owner
    answer = edge.client(function).post(
        path, data=raw.encode("latin-1"), headers=bearer, content_type="application/json"
    )
    assert error_of(answer, 422, "invalid_request")["messages"] == {"body": ["is not valid JSON"]}


def _vins(count: int) -> list[str]:
    return [f"5YJ3E7EB0PF{n:06d}" for n in range(count)]


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        # POST /reports: VINs, options, budget (nothing coerced: "yes" must not become a billed wake)
        ("/reports", {}, {"vins"}),
        ("/reports", {"vins": []}, {"vins"}),
        ("/reports", {"vins": VIN}, {"vins"}),
        ("/reports", {"vins": ["not-a-vin"]}, {"vins"}),
        ("/reports", {"vins": ["5YJ3E7EB0PF00000I"]}, {"vins"}),  # I, O and Q are never in a VIN
        ("/reports", {"vins": [VIN, VIN.lower()]}, {"vins"}),  # one VIN, two cases
        ("/reports", {"vins": _vins(21)}, {"vins"}),  # past MAX_VINS_PER_REPORT (20)
        ("/reports", {"vins": _vins(51)}, {"vins"}),  # past the cap whatever the setting
        ("/reports", {"vins": [VIN], "language": "xx"}, {"language"}),
        ("/reports", {"vins": [VIN], "surprise": 1}, {"surprise"}),
        ("/reports", {"vins": [VIN], "allow_wake": "yes"}, {"allow_wake"}),
        ("/reports", {"vins": [VIN], "allow_wake": 1}, {"allow_wake"}),
        ("/reports", {"vins": [VIN], "allow_wake": None}, {"allow_wake"}),
        ("/reports", {"vins": [VIN], "budget_usd": 0}, {"budget_usd"}),
        ("/reports", {"vins": [VIN], "budget_usd": -1}, {"budget_usd"}),
        ("/reports", {"vins": [VIN], "budget_usd": "1"}, {"budget_usd"}),
        ("/reports", {"vins": [VIN], "budget_usd": 1001}, {"budget_usd"}),
        ("/reports", {"vins": [VIN], "budget_usd": True}, {"budget_usd"}),
        ("/reports", {"vins": [VIN], "budget_usd": None}, {"budget_usd"}),
        # POST /session
        ("/session", {}, {"code"}),
        ("/session", {"code": ""}, {"code"}),
        ("/session", {"code": 7}, {"code"}),
        ("/session", {"code": "x" * 201}, {"code"}),
        ("/session", {"code": "x", "extra": 1}, {"extra"}),
        # POST /reports/{id}/renditions
        (f"/reports/{REPORT}/renditions", {}, {"language"}),
        (f"/reports/{REPORT}/renditions", {"language": "xx"}, {"language"}),
        (f"/reports/{REPORT}/renditions", {"language": "en"}, {"language"}),  # the report's own language
        (f"/reports/{REPORT}/renditions", {"language": "sv", "extra": 1}, {"extra"}),
    ],
)
def test_invalid_fields_are_422_with_messages_by_field(
    owner: tuple[Edge, dict[str, str]], path: str, body: object, fields: set[str]
) -> None:
    edge, bearer = owner
    answer = edge.client("reports").post(f"{API}{path}", json=body, headers=bearer)
    messages = error_of(answer, 422, "invalid_request")["messages"]
    assert fields <= set(messages), messages
    assert all(isinstance(m, list) and m and all(isinstance(s, str) for s in m) for m in messages.values())
    assert not edge.reports.items.keys() - {REPORT}  # nothing created


@pytest.mark.parametrize("raw", ["[]", '"vins"', "7", "null"])
def test_a_body_that_is_not_an_object_is_422(owner: tuple[Edge, dict[str, str]], raw: str) -> None:
    edge, bearer = owner
    answer = edge.client("reports").post(f"{API}/reports", data=raw, headers=bearer, content_type="application/json")
    assert error_of(answer, 422, "invalid_request")["messages"]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("page_size=0", {"page_size"}),
        ("page_size=51", {"page_size"}),
        ("page_size=ten", {"page_size"}),
        ("page_token=bm90LW91cnM", {"page_token"}),  # base64 of something that is not our cursor
        ("page_token=%25%25%25", {"page_token"}),
        ("page_size=1&page_size=2", {"page_size"}),  # each parameter once
    ],
)
def test_a_bad_page_query_is_422_with_messages_by_parameter(
    owner: tuple[Edge, dict[str, str]], query: str, fields: set[str]
) -> None:
    edge, bearer = owner
    answer = edge.client("reports").get(f"{API}/reports?{query}", headers=bearer)
    assert set(error_of(answer, 422, "invalid_request")["messages"]) == fields


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"region": "mars"}, {"region"}),
        ({"region": "cn"}, {"region"}),  # no developer.tesla.cn application configured here
        ({"region": 1}, {"region"}),
        ({"surprise": 1}, {"surprise"}),
    ],
)
def test_an_invalid_initiate_body_is_422_and_sets_no_cookie(
    owner: tuple[Edge, dict[str, str]], body: object, fields: set[str]
) -> None:
    edge, _ = owner
    answer = edge.client("oauth_initiate").post(f"{API}/tesla/oauth/initiate", json=body)
    assert fields <= set(error_of(answer, 422, "invalid_request")["messages"])
    assert "Set-Cookie" not in answer.headers
    assert not edge.states.items
