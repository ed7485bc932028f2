"""The scenario matrix and the check runner behind ``botwebhook check``.

The matrix is deterministic for a model and seed: for each intent, every
variant the payload factory can isolate (shapes A and B, an unfilled optional
variable, a Facebook chat, config, chained intents, the trigger and
sys.any-command paths, escaped / non-ASCII / emoji / 1024-character text,
each declared language); passthrough calls instead when the target is a
passthrough endpoint; then signature probes and malformed input.

Every probe follows one threat model: only the platform holds the secret, and
the platform never sends a malformed body.  So malformed input is sent the way
it could really arrive, without a valid signature; a handler that verifies
first refuses it with a 4xx.  Signed malformed bodies are an opt-in
``robustness`` probe whose findings are warnings.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness._botmodel import BotModel
from harness._errors import BotWebhookValueError, require_type
from harness._exchange import Exchange, Expect, deliver, rejected_signature
from harness._findings import CODES, Finding
from harness._payload import FEATURES, TEXT_VARIANTS, Payload
from harness._runner import DEFAULT_WORKERS, check_workers, run_in_order
from harness._signing import Secret, SecretLike, redact_secret
from harness._transport import DEFAULT_TIMEOUT, Target, check_timeout

__all__ = ["Report", "Scenario", "build_matrix", "run_check"]


@dataclass(frozen=True)
class Scenario:
    """One call of the matrix: an id such as ``contract[colour-shapeA]``, the body,
    and what the call is for."""

    id: str
    body: bytes
    expect: Expect = "contract"
    payload: Payload | None = None
    signature: str | None = None

    def deliver(
        self,
        target: Target,
        *,
        secret: SecretLike | None = None,
        sign: bool | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Exchange:
        """Send this scenario to ``target``, as :func:`harness.deliver` does, and
        return the :class:`Exchange`."""
        return deliver(
            target,
            self.payload or self.body,
            secret=secret,
            sign=sign,
            signature=self.signature,
            timeout=timeout,
            expect=self.expect,
            scenario=self.id,
        )


def matrix_variants(
    model: BotModel, *, passthrough: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """The variants the check sends, in order: each one's name (``colour-shapeA``) and
    the :meth:`PayloadFactory.build` options that make it (every option fixed)."""
    first = model.languages[0]
    off: dict[str, Any] = {**dict.fromkeys(FEATURES, False), "text": "plain", "language": first}
    out: list[tuple[str, dict[str, Any]]] = []

    def add(name: str, **options: Any) -> None:
        out.append((name, {**off, **options}))

    if passthrough:
        add("passthrough-shapeP", shape="P")
        add("passthrough-facebook", shape="P", facebook=True)
        for text in TEXT_VARIANTS[1:]:
            add(f"passthrough-{text}", shape="P", text=text)
        for language in model.languages[1:]:
            add(f"passthrough-{language}", shape="P", language=language)
        return out
    for intent in model.intents:
        name = intent.name
        add(f"{name}-shapeA", intent=name, shape="A")
        if intent.mandatory:
            add(f"{name}-shapeB", intent=name, shape="B")
        possible = {
            "unfilled_optional": bool(intent.optional),
            "facebook": True,
            "config": True,
            "chained": True,
            "trigger": bool(intent.variables),
            "sys_any_command": any(v.entity == "sys.any" for v in intent.variables),
        }
        for feature, can in possible.items():
            if can:
                add(f"{name}-{feature}", intent=name, shape="A", **{feature: True})
        for text in TEXT_VARIANTS[1:]:
            add(f"{name}-{text}", intent=name, shape="A", text=text)
        for language in model.languages[1:]:
            add(f"{name}-{language}", intent=name, shape="A", language=language)
    return out


def build_matrix(
    model: BotModel | None = None,
    *,
    seed: int = 0,
    passthrough: bool = False,
    probes: bool = True,
    signature_probes: bool = True,
    robustness: bool = False,
) -> list[Scenario]:
    """The scenarios of a check, in order (see the module docstring).

    ``robustness`` adds the malformed bodies once more, signed with the secret.
    """
    from harness._factory import PayloadFactory

    factory = PayloadFactory(model, seed=seed)
    scenarios: list[Scenario] = []
    for name, options in matrix_variants(factory.model, passthrough=passthrough):
        payload = factory.build(**options)
        scenarios.append(Scenario(f"contract[{name}]", payload.body, payload=payload))
    if not passthrough:
        first = factory.model.languages[0]
        plain: dict[str, Any] = {**dict.fromkeys(FEATURES, False), "language": first}
        sample = factory.build(intent=factory.model.intents[0].name, shape="A",
                               **{**plain, "text": "escaped"})  # fmt: skip
    else:
        sample = scenarios[0].payload  # type: ignore[assignment]
    if signature_probes:
        body = sample.body
        scenarios.append(Scenario("signature[correct]", body, payload=sample))
        wrong = "sha256=" + ("0" * 64 if not body.startswith(b"0") else "1" * 64)
        scenarios.append(Scenario("signature[wrong]", body, "wrong-signature", sample, wrong))
        scenarios.append(Scenario("signature[missing]", body, "missing-signature", sample))
    if probes:
        scenarios.extend(
            Scenario(f"malformed[{name}]", body, "malformed") for name, body in _malformed(sample)
        )
    if robustness:
        scenarios.extend(
            Scenario(f"robustness[{name}]", body, "robustness") for name, body in _malformed(sample)
        )
    return scenarios


def _malformed(sample: Payload) -> list[tuple[str, bytes]]:
    data = json.loads(sample.body)
    wrong = dict(data)
    wrong["chatResult"] = []
    if "variablesMap" in wrong:
        wrong["variablesMap"] = "colour"
    wrong["memoryVariables"] = {"label": 3}
    bodies = {
        "invalid_json": b'{"intentName": "colour", "chatResult": {',
        "empty_body": b"",
        "json_array": b"[" + sample.body + b"]",
        "wrong_types": json.dumps(wrong, separators=(",", ":")).encode(),
        "truncated": sample.body[: len(sample.body) // 2],
        "not_utf8": b'{"intentName":"\xff\xfe"}',
    }
    return list(bodies.items())


@dataclass
class Report:
    """What a check found: every exchange, the findings (minus ignored codes),
    and advice when a pattern points at one cause."""

    target: str
    #: The secret as reports show it (``2fb7…(40 chars)``), or "none".
    redacted_secret: str
    seed: int
    exchanges: list[Exchange]
    ignored: frozenset[str] = frozenset()
    elapsed: float = 0.0
    advice: list[str] = field(default_factory=list)
    #: Scenarios of the matrix that were not sent (an early stop or Ctrl-C).
    not_run: int = 0
    #: Why the run stopped early, when the target was not answering.
    stopped: str | None = None
    #: Ctrl-C ended the run: the report holds the scenarios done until then.
    interrupted: bool = False
    #: What was not checked, and why (probes skipped for want of a secret).
    notes: list[str] = field(default_factory=list)
    workers: int = DEFAULT_WORKERS

    @property
    def findings(self) -> list[Finding]:
        return [f for e in self.exchanges for f in e.findings if f.code not in self.ignored]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def warnings(self) -> int:
        return self.count("warning")

    def exit_code(self, *, strict: bool = False) -> int:
        """0 when nothing fails (warnings fail only when ``strict``), else 1."""
        return 1 if self.errors or (strict and self.warnings) else 0

    def by_code(self) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {}
        for finding in sorted(self.findings, key=lambda f: f.code):
            grouped.setdefault(finding.code, []).append(finding)
        return grouped

    def assert_ok(self, *, strict: bool = False) -> None:
        """Raise AssertionError with every failing scenario's findings, unless
        nothing fails (errors always; warnings only when ``strict``)."""
        __tracebackhide__ = True
        reports = (e.failure_report(strict=strict, ignored=self.ignored) for e in self.exchanges)
        failed = [text for text in reports if text is not None]
        if failed:
            head = f"{len(failed)} of {len(self.exchanges)} scenarios failed against {self.target}"
            stopped = [f"stopped early: {self.stopped}"] if self.stopped else []
            raise AssertionError("\n\n".join([head, *failed, *stopped, *self.advice]))


def run_check(
    target: Target,
    *,
    secret: SecretLike | None = None,
    model: BotModel | None = None,
    seed: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
    ignore: Iterable[str] = (),
    passthrough: bool = False,
    sign: bool | None = None,
    scenarios: Sequence[Scenario] | None = None,
    robustness: bool = False,
    workers: int = DEFAULT_WORKERS,
    keep_going: bool = False,
    on_exchange: Callable[[Exchange, int], None] | None = None,
) -> Report:
    """Run the scenario matrix against ``target`` and return the :class:`Report`.

    Security probes (wrong and missing signatures) and the ``robustness`` probe
    run only when ``secret`` is given and requests are signed.  ``workers``
    calls are in flight at once; the report keeps the matrix order.  When the
    first calls all fail in transport the run stops early (``report.stopped``)
    unless ``keep_going``.  ``on_exchange(exchange, total)`` is called as each
    exchange arrives (for progress).
    """
    secret = Secret.of(secret)  # from here on, no traceback can show it
    require_type("target", target, Target, "load it first: harness.load_target(app_or_url)")
    ignored = frozenset(code.upper() for code in ignore)
    unknown = sorted(ignored - set(CODES))
    if unknown:
        raise BotWebhookValueError(
            f"unknown finding code {unknown[0]!r} for ignore (hint: codes are "
            f"{', '.join(sorted(CODES))})"
        )
    workers = check_workers(workers)
    timeout = check_timeout(timeout)
    signing = target.platform_signs if sign is None else sign
    started = time.perf_counter()
    if scenarios is None:
        secured = signing and bool(secret)
        scenarios = build_matrix(
            model,
            seed=seed,
            passthrough=passthrough,
            signature_probes=secured,
            robustness=robustness and secured,
        )

    def one(scenario: Scenario) -> Exchange:
        exchange = scenario.deliver(target, secret=secret, sign=signing, timeout=timeout)
        exchange.compact()  # a run keeps what its report needs, not every body
        return exchange

    run = run_in_order(
        scenarios,
        one,
        workers=workers,
        keys=[s.payload.variant.intent or s.id if s.payload else s.id for s in scenarios],
        failed=lambda exchange: exchange.delivery.failure,
        keep_going=keep_going,
        on_result=None if on_exchange is None else lambda e: on_exchange(e, len(scenarios)),
    )
    report = Report(
        target=target.name,
        redacted_secret=redact_secret(secret) if secret else "none",
        seed=seed,
        exchanges=run.results,
        ignored=ignored,
        elapsed=time.perf_counter() - started,
        not_run=run.not_run,
        stopped=run.stopped,
        interrupted=run.interrupted,
        workers=workers,
    )
    report.advice = _advice(report, signing, secret, model is None, target)
    if not signing:
        report.notes.append(
            "requests were not signed (the platform signs only https endpoints), so the "
            "signature probes were not sent"
        )
    elif secret is None:
        report.notes.append(
            "no secret was given, so the signature probes (wrong and missing signatures) "
            "were not sent: pass --secret S or set $BOTWEBHOOK_SECRET to run them"
        )
    return report


def _advice(
    report: Report, signing: bool, secret: Secret | None, builtin: bool, target: Target
) -> list[str]:
    contract = [e for e in report.exchanges if e.expect == "contract"]
    if not contract:
        return []
    advice = []
    if report.stopped:
        first = contract[0].delivery.failure
        if any(e.delivery.timed_out for e in contract):
            why = "each call is abandoned at the read timeout, as the platform gives up on it"
        elif not target.in_process:
            why = f"no request reached {target.name} ({first}): check that it is running"
        else:
            why = f"every call failed ({first})"
        return [f"{why}; pass --keep-going (keep_going=True) to send every scenario anyway"]
    answered = [e for e in contract if e.delivery.failure is None]
    rejected = [e for e in contract if e.received is not None and rejected_signature(e.received)]
    if signing and len(rejected) == len(contract):
        how = (
            "pass the bot's secret with --secret S or $BOTWEBHOOK_SECRET"
            if secret is None
            else "check that --secret is the secret this handler verifies with, and that it "
            "computes the HMAC over the raw body bytes (re-serialized JSON differs)"
        )
        advice.append(
            f"every signed request was rejected ({rejected[0].received.status}): the secret "  # type: ignore[union-attr]
            f"is probably wrong; {how}"
        )
    elif not signing and len(rejected) == len(contract):
        advice.append(
            "every request was refused, and none was signed: the platform sends no "
            "X-Hub-Signature to http:// endpoints, so a handler there must accept unsigned "
            "calls; serve it over https, or check it as if it were with --sign always"
        )
    elif builtin and answered and all(not e.ok for e in contract):
        advice.append(
            "the handler failed on every payload of the built-in catalogue: it is probably "
            "written for its own intents; declare them in pyproject.toml [tool.botwebhook] "
            "or botwebhook.toml and pass --model FILE (see the README's 'Declare your bot')"
        )
    if target.in_process is False and not answered:
        advice.append(f"no request reached {target.name}: {contract[0].delivery.failure}")
    timed_out = [e for e in contract if e.delivery.timed_out]
    if timed_out and report.workers > 1 and len(timed_out) < len(contract):
        advice.append(
            f"{len(timed_out)} calls passed the read timeout while up to {report.workers} "
            "calls were in flight; a server that handles one request at a time queues them, "
            "so confirm with --workers 1 (workers=1) before blaming the handler"
        )
    return advice
