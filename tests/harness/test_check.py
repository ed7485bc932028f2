"""The checker: one small handler per finding code, and no false positives."""

from __future__ import annotations

import bw_handlers as H
import pytest
from bw_servers import refused_url, serving
from werkzeug.wrappers import Request, Response

from harness import Report, deliver, load_target, run_check
from harness.checks import CODES, WsgiTarget, build_matrix
from harness.protocol import load_fixture
from harness.reference import make_app

SECRET = H.SECRET


def check(app: object, **options: object) -> Report:
    return run_check(WsgiTarget(app), secret=SECRET, **options)  # type: ignore[arg-type]


def codes(report: Report) -> set[str]:
    return {f.code for f in report.findings}


def test_conforming_handler_has_no_findings() -> None:
    report = check(H.GOOD)
    assert report.findings == []
    assert report.exit_code() == 0
    assert report.advice == []


def test_reference_handler_has_no_findings_in_either_mode() -> None:
    assert check(make_app(secret=SECRET)).findings == []
    assert check(make_app(secret=SECRET, passthrough=True), passthrough=True).findings == []


@pytest.mark.parametrize(
    ("app", "code", "evidence"),
    [
        (H.CREATED, "BW101", "answered 201, not 200"),
        (H.EMPTY, "BW102", "empty body"),
        (H.NULL, "BW102", "the body is null"),
        (H.ARRAY, "BW103", "Expected BEGIN_OBJECT but was BEGIN_ARRAY at line 1 column 2 path $"),
        (H.TRAILING, "BW103", "Gson reports: JSON document was not fully consumed."),
        (H.TEXT_OBJECT, "BW104", "$.text: expected a string, got an object"),
        (H.MULTI_OBJECT, "BW104", "$.facebook_multi: expected an array, got an object"),
        (H.FLAT_CONTEXT, "BW201", "flat map"),
        (H.LONG_TEXT, "BW202", "700 characters"),
        (H.QUICK_REPLY, "BW203", "$.facebook.quick_replies[0].content_type"),
        (H.BAD_ENUM, "BW204", '"gif" is not one of audio, video, file, image, template'),
        (H.SINGLE_QUOTES, "BW205", "single-quoted string"),
        (H.NUMBER_TEXT, "BW205", "coerced to a string"),
        (H.TYPO, "BW206", "did you mean 'text'"),
        (H.TOKEN_ECHO, "BW207", "$.webhook_token: only read by the callback API"),
        (H.LIFESPAN, "BW207", "lifespan_turns"),
        (H.ANY_SIGNATURE, "BW301", "answered 200 to a request with a wrong signature"),
        (H.NO_SIGNATURE_OK, "BW302", "answered 200 to a request with no signature"),
        (H.RESERIALIZES, "BW303", "answered 401 to a correctly signed request"),
        (H.PARSES_FIRST, "BW402", "malformed input sent with no signature"),
    ],
)
def test_each_mistake_gives_exactly_its_code(app: object, code: str, evidence: str) -> None:
    report = check(app)
    assert codes(report) == {code}, report.by_code().keys()
    assert any(evidence in f.evidence for f in report.findings), [
        f.evidence for f in report.findings
    ][:3]
    finding = report.findings[0]
    assert finding.title == CODES[code].title
    assert finding.hint
    assert finding.reproduce.startswith("curl -sS -i -X POST")
    assert SECRET not in finding.reproduce
    assert report.exit_code() == (1 if CODES[code].severity == "error" else 0)
    assert report.exit_code(strict=True) == 1


def test_bw401_names_the_variant_that_crashed() -> None:
    report = check(H.CRASHES_ON_UNFILLED)
    assert codes(report) == {"BW401"}
    scenarios = {f.scenario for f in report.findings}
    assert scenarios == {
        "contract[book_table-unfilled_optional]",
        "contract[set_alarm-unfilled_optional]",
    }
    finding = report.findings[0]
    assert "unfilled_optional" in finding.variant
    assert "KeyError: 'value'" in finding.evidence
    assert "bw_handlers.py" in finding.evidence


def test_bw105_slower_than_the_read_timeout() -> None:
    target = WsgiTarget(H.SLOW)
    exchange = deliver(target, load_fixture("colour_shape_a"), secret=SECRET, timeout=0.1)
    assert [f.code for f in exchange.findings] == ["BW105"]
    assert not exchange.outcome.ok
    assert "Read timed out" in (exchange.outcome.failure or "")


@pytest.mark.parametrize(
    ("app", "evidence"),
    [
        (H.REDIRECTS, "302 to https://localhost/moved: followed as a GET, the body is lost"),
        (H.PERMANENT, "308 to https://localhost/moved: the platform does not follow 308"),
    ],
)
def test_bw106_redirects(app: object, evidence: str) -> None:
    exchange = deliver(WsgiTarget(app), load_fixture("colour_shape_a"), secret=SECRET)  # type: ignore[arg-type]
    assert [f.code for f in exchange.findings] == ["BW106"]
    assert evidence in exchange.findings[0].evidence


def test_bw100_connection_refused_over_a_real_socket() -> None:
    target = load_target(refused_url())
    report = run_check(target, secret=SECRET, timeout=2)
    assert codes(report) == {"BW100"}
    assert "Connection" in report.findings[0].evidence
    assert any("no request reached" in a for a in report.advice)


def test_url_target_over_http_full_matrix() -> None:
    with serving(H.GOOD) as (url, _):
        report = run_check(load_target(url), secret=SECRET, signed=True)
    assert report.findings == []
    assert len(report.exchanges) == len(build_matrix())


def test_url_target_over_https_with_a_self_signed_certificate() -> None:
    # Each request is a new TLS handshake on werkzeug's server: a few scenarios suffice.
    few = [s for s in build_matrix() if s.id.startswith("contract[colour")][:4]
    few += [s for s in build_matrix() if s.id.startswith(("signature", "malformed"))]
    with serving(H.GOOD, tls=True) as (url, ca):
        assert url.startswith("https://")
        report = run_check(load_target(url, ca_bundle=str(ca)), secret=SECRET, scenarios=few)
        assert report.findings == []
        assert report.exchanges[0].sent.headers["X-Hub-Signature"].startswith("sha256=")
        untrusted = run_check(load_target(url), secret=SECRET, scenarios=few[:2])
        assert codes(untrusted) == {"BW100"}
        assert "TLS" in untrusted.findings[0].evidence
        insecure = run_check(load_target(url, insecure=True), secret=SECRET, scenarios=few)
        assert insecure.findings == []


def test_url_target_read_timeout_over_a_real_socket() -> None:
    with serving(H.SLOW) as (url, _):
        exchange = deliver(
            load_target(url),
            load_fixture("colour_shape_a"),
            secret=SECRET,
            signed=True,
            timeout=0.1,
        )
    assert [f.code for f in exchange.findings] == ["BW105"]


def test_http_urls_are_not_signed_like_the_platform() -> None:
    with serving(H.GOOD) as (url, _):
        exchange = deliver(load_target(url), load_fixture("colour_shape_a"), secret=SECRET)
    assert "X-Hub-Signature" not in exchange.sent.headers
    assert exchange.received is not None
    assert exchange.received.status == 401  # GOOD insists on a signature


def test_platform_headers_are_sent() -> None:
    exchange = deliver(WsgiTarget(H.GOOD), load_fixture("colour_shape_a"), secret=SECRET)
    headers = exchange.sent.headers
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith("Jersey/2.27 (HttpUrlConnection 1.8.0_")
    assert headers["Accept"] == "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"
    assert headers["Content-Length"] == str(len(load_fixture("colour_shape_a")))
    assert headers["X-Hub-Signature"].startswith("sha256=")


def test_advice_when_every_signed_request_is_rejected() -> None:
    report = run_check(WsgiTarget(H.GOOD), secret="not-the-handlers-secret")
    assert codes(report) == {"BW303"}
    assert any("the secret is probably wrong" in a for a in report.advice)
    unknown = run_check(WsgiTarget(H.GOOD))
    assert any("--secret S or $BOTWEBHOOK_SECRET" in a for a in unknown.advice)


def test_advice_when_the_handler_only_knows_its_own_intents() -> None:
    import json

    def own_intents_only(payload: dict[str, object]) -> object:
        return H.reply({"text": "hi"}) if payload.get("intentName") == "mine" else H.raw(b"", 500)

    report = check(H.conforming(own_intents_only))  # type: ignore[arg-type]
    assert any("declare them in pyproject.toml" in a for a in report.advice)
    assert json.dumps(report.advice)


def test_ignore_and_unknown_codes() -> None:
    report = check(H.LONG_TEXT, ignore=["bw202"])
    assert report.findings == []
    report.assert_ok(strict=True)  # ignored codes fail nothing, even strictly
    with pytest.raises(AssertionError, match="BW202 warning"):
        check(H.LONG_TEXT).assert_ok(strict=True)
    with pytest.raises(ValueError, match="unknown finding code 'BW999'"):
        check(H.GOOD, ignore=["BW999"])


def test_matrix_ids_are_readable_and_deterministic() -> None:
    ids = [s.id for s in build_matrix(seed=0)]
    assert ids[:3] == [
        "contract[colour-shapeA]",
        "contract[colour-shapeB]",
        "contract[colour-facebook]",
    ]
    for expected in (
        "contract[book_table-unfilled_optional]",
        "contract[colour-escaped]",
        "contract[colour-ES]",
        "contract[remember_note-sys_any_command]",
        "contract[opening_hours-shapeA]",
        "signature[correct]",
        "signature[wrong]",
        "signature[missing]",
        "malformed[invalid_json]",
        "malformed[empty_body]",
        "malformed[json_array]",
        "malformed[wrong_types]",
        "malformed[truncated]",
    ):
        assert expected in ids
    assert "contract[opening_hours-shapeB]" not in ids
    assert len(ids) == len(set(ids))
    assert [s.body for s in build_matrix(seed=0)] == [s.body for s in build_matrix(seed=0)]
    assert not any(i.startswith("contract[passthrough") for i in ids)
    passthrough = [s.id for s in build_matrix(passthrough=True)]
    assert passthrough[0] == "contract[passthrough-shapeP]"
    assert not any("colour" in i for i in passthrough)


def test_library_arguments_are_checked() -> None:
    from harness import fuzz
    from harness.errors import BotWebhookTypeError

    with pytest.raises(BotWebhookTypeError, match=r"for target, got 'app:app' \(str\)"):
        run_check("app:app")  # type: ignore[arg-type]
    with pytest.raises(BotWebhookTypeError, match=r"harness\.load_target"):
        deliver(H.GOOD, b"{}")  # type: ignore[arg-type]
    with pytest.raises(BotWebhookTypeError, match=r"for body, got '\{\}' \(str\)"):
        deliver(WsgiTarget(H.GOOD), "{}")  # type: ignore[arg-type]
    with pytest.raises(BotWebhookTypeError, match="for target"):
        fuzz(H.GOOD)  # type: ignore[arg-type]


def test_advice_when_an_http_endpoint_insists_on_signatures() -> None:
    with serving(H.GOOD) as (url, _):
        report = run_check(load_target(url), secret=SECRET, scenarios=build_matrix()[:3])
    assert codes(report) == {"BW101"}
    assert any(
        "the platform sends no X-Hub-Signature to http:// endpoints" in a for a in report.advice
    )


def test_the_get_after_a_302_carries_javas_own_headers_only() -> None:
    seen: list[dict[str, str]] = []

    @Request.application  # type: ignore[arg-type]
    def moved(request: Request) -> Response:
        if request.path == "/moved":
            seen.append(dict(request.headers.items()))
            return H.reply({"text": "ok"})
        return Response("", status=302, headers={"Location": "/moved"})

    with serving(moved) as (url, _):
        exchange = deliver(load_target(url), load_fixture("colour_shape_a"), secret=SECRET,
                           signed=True)  # fmt: skip
    (headers,) = seen
    assert headers["User-Agent"].startswith("Java/1.8.0_")
    assert headers["Accept"] == "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"
    for gone in ("Content-Length", "Content-Type", "X-Hub-Signature"):
        assert gone not in headers, gone
    assert {f.code for f in exchange.findings} == {"BW106"}  # the body is lost
    assert exchange.findings[0].evidence.startswith("redirect 302 to")
