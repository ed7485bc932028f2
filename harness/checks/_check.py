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
from dataclasses import dataclass
from typing import Any

from harness._errors import BotWebhookValueError, renamed_keyword, require_type
from harness.checks._coverage import ProtocolCoverage
from harness.checks._result import Report, advice_for
from harness.checks._runner import DEFAULT_WORKERS, require_workers, run_in_order
from harness.checks._sarif import source_of
from harness.delivery._deadline import require_timeout
from harness.delivery._exchange import Exchange, Expect, deliver
from harness.delivery._findings import CODES
from harness.delivery._transport import Target
from harness.model._botmodel import BotModel
from harness.model._payload import FEATURES, TEXT_VARIANTS, Payload
from harness.platform._budget import DEFAULT_TIMEOUT
from harness.protocol._signing import Secret, SecretLike, redact_secret

__all__ = [
    "Report",
    "Scenario",
    "build_matrix",
    "contract_scenarios",
    "probe_scenarios",
    "run_check",
]


@dataclass(frozen=True)
class Scenario:
    """One call of the matrix: an id such as ``contract[colour-shapeA]``, the body,
    and what the call is for."""

    id: str
    body: bytes
    expect: Expect = "contract"
    payload: Payload | None = None
    signature: str | None = None

    @renamed_keyword("sign", "signed", removed_in="0.3")
    def deliver(
        self,
        target: Target,
        *,
        secret: SecretLike | None = None,
        signed: bool | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Exchange:
        """Send this scenario to ``target``, as :func:`harness.deliver` does, and
        return the :class:`Exchange`."""
        return deliver(
            target,
            self.payload or self.body,
            secret=secret,
            signed=signed,
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
        for number, values in enumerate(_edge_rows(intent, first), 1):
            add(f"{name}-edge_values-{number}", intent=name, shape="A", edge_values=True,
                values=values)  # fmt: skip
    return out


def _edge_rows(intent: Any, language: str) -> list[dict[str, str]]:
    """The values of the ``edge_values`` scenarios of ``intent``: row k gives each
    variable the k-th value of its pool (cycling through shorter pools), so that
    every edge value of every variable is sent once."""
    from harness.model._edge_values import edge_values

    pools = {v.label: edge_values(v, language) for v in intent.variables}
    pools = {label: pool for label, pool in pools.items() if pool}
    rows = max((len(pool) for pool in pools.values()), default=0)
    return [{label: pool[k % len(pool)] for label, pool in pools.items()} for k in range(rows)]


def build_matrix(
    model: BotModel | None = None,
    *,
    seed: int = 0,
    passthrough: bool = False,
    probes: bool = True,
    signature_probes: bool = True,
    robustness: bool = False,
) -> list[Scenario]:
    """The scenarios of a check, in order (see the module docstring): the valid
    payloads, then the probes, built here on a fixed payload of the first intent.
    (:func:`run_check` builds the probes on a payload the handler accepted.)

    ``robustness`` adds the malformed bodies once more, signed with the secret.
    """
    from harness.model._factory import PayloadFactory

    factory = PayloadFactory(model, seed=seed)
    scenarios = contract_scenarios(factory, passthrough=passthrough)
    if not passthrough:
        first = factory.model.languages[0]
        plain: dict[str, Any] = {**dict.fromkeys(FEATURES, False), "language": first}
        sample = factory.build(intent=factory.model.intents[0].name, shape="A",
                               **{**plain, "text": "escaped"})  # fmt: skip
    else:
        sample = scenarios[0].payload  # type: ignore[assignment]
    return [
        *scenarios,
        *probe_scenarios(
            sample, signature=signature_probes, malformed=probes, robustness=robustness
        ),
    ]


def contract_scenarios(factory: Any, *, passthrough: bool = False) -> list[Scenario]:
    """The valid payloads of the check, one scenario per variant of the matrix."""
    out = []
    for name, options in matrix_variants(factory.model, passthrough=passthrough):
        payload = factory.build(**options)
        out.append(Scenario(f"contract[{name}]", payload.body, payload=payload))
    return out


def probe_scenarios(
    sample: Payload, *, signature: bool = True, malformed: bool = True, robustness: bool = False
) -> list[Scenario]:
    """The probes, built on ``sample``: the signature probes (correct, wrong, missing),
    the malformed bodies sent unsigned, and with ``robustness`` the same signed."""
    scenarios = []
    if signature:
        body = sample.body
        scenarios.append(Scenario("signature[correct]", body, payload=sample))
        wrong = "sha256=" + ("0" * 64 if not body.startswith(b"0") else "1" * 64)
        scenarios.append(Scenario("signature[wrong]", body, "wrong-signature", sample, wrong))
        scenarios.append(Scenario("signature[missing]", body, "missing-signature", sample))
    if malformed:
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


@renamed_keyword("sign", "signed", removed_in="0.3")
def run_check(
    target: Target,
    *,
    secret: SecretLike | None = None,
    model: BotModel | None = None,
    seed: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
    ignore: Iterable[str] = (),
    passthrough: bool = False,
    signed: bool | None = None,
    scenarios: Sequence[Scenario] | None = None,
    robustness: bool = False,
    workers: int = DEFAULT_WORKERS,
    keep_going: bool = False,
    on_exchange: Callable[[Exchange, int], None] | None = None,
    intents: Sequence[str] | None = None,
    probes: bool = True,
) -> Report:
    """Run the scenario matrix against ``target`` and return the :class:`Report`.

    The valid payloads go first; then what only many calls show is judged
    (``harness.checks._verdicts``: no webhook at this path, an intent not served);
    then the probes, built on a payload the handler accepted (none accepted:
    they are not judged, and ``report.notes`` says so).  Security probes (wrong
    and missing signatures) and the ``robustness`` probe run only when
    ``secret`` is given and requests are signed; ``probes=False`` sends none.
    ``intents`` limits the run to those intents of the model (the built-in
    catalogue when there is none), and makes them *declared*: an intent the
    handler does not serve is then an error, not a warning.  ``workers`` calls
    are in flight at once; the report keeps the matrix order.  When the first
    calls all fail in transport the run stops early (``report.stopped``) unless
    ``keep_going``.  ``on_exchange(exchange, total)`` is called as each exchange
    arrives (for progress).  Given ``scenarios`` are sent as they are.
    """
    from harness.checks._verdicts import NOT_JUDGED, accepted_payload, judge_run
    from harness.model._catalogue import builtin_model
    from harness.model._factory import PayloadFactory
    from harness.model._files import describe_model, model_notes, scope_model

    secret = Secret.of(secret)  # from here on, no traceback can show it
    require_type("target", target, Target, "load it first: harness.load_target(app_or_url)")
    ignored = frozenset(code.upper() for code in ignore)
    unknown = sorted(ignored - set(CODES))
    if unknown:
        raise BotWebhookValueError(
            f"unknown finding code {unknown[0]!r} for ignore (hint: codes are "
            f"{', '.join(sorted(CODES))})"
        )
    workers = require_workers(workers)
    timeout = require_timeout(timeout)
    model = scope_model(model, intents)
    signing = target.platform_signs if signed is None else signed
    secured = signing and bool(secret)
    started = time.perf_counter()
    factory = None
    if scenarios is None:
        factory = PayloadFactory(model, seed=seed)
        first = contract_scenarios(factory, passthrough=passthrough)
        later = 3 * secured + 6 * probes + 6 * (robustness and secured)
    else:
        first, later = list(scenarios), 0
    total = len(first) + later
    report = Report(
        target=target.name,
        redacted_secret=redact_secret(secret) if secret else "none",
        seed=seed,
        exchanges=[],
        ignored=ignored,
        workers=workers,
        model=describe_model(model),
        model_notes=model_notes(model, target),
        path=_where(target),
        source=source_of(target, model),
    )

    coverage = ProtocolCoverage(model or builtin_model(), passthrough=passthrough)
    report.coverage = coverage

    def one(scenario: Scenario) -> Exchange:
        exchange = scenario.deliver(target, secret=secret, signed=signing, timeout=timeout)
        coverage.add(exchange)
        exchange.compact()  # a run keeps what its report needs, not every body
        return exchange

    def phase(batch: Sequence[Scenario]) -> bool:
        run = run_in_order(
            batch,
            one,
            workers=workers,
            keys=[s.payload.variant.intent or s.id if s.payload else s.id for s in batch],
            failed=lambda exchange: exchange.delivery.failure,
            keep_going=keep_going or bool(report.exchanges),
            on_result=None if on_exchange is None else lambda e: on_exchange(e, total),
        )
        report.exchanges.extend(run.results)
        report.stopped, report.interrupted = run.stopped, run.interrupted
        return not (run.stopped or run.interrupted)

    finished = phase(first)
    where = f"POST {target.url}" if not target.in_process else f"POST {target.path}"  # type: ignore[attr-defined]
    report.run_findings = judge_run(
        report.exchanges, target=target, declared=model is not None, where=where
    )
    planned = total
    if finished and later:
        pairs = zip([s.payload for s in first], report.exchanges, strict=True)
        sample = accepted_payload(pairs)
        if sample is None:
            report.notes.append(NOT_JUDGED)
            planned = len(first)
        else:
            batch = probe_scenarios(
                sample, signature=secured, malformed=probes, robustness=robustness and secured
            )
            planned = len(first) + len(batch)
            phase(batch)
    report.not_run = planned - len(report.exchanges)
    report.elapsed = time.perf_counter() - started
    overdue = target.overdue_note()
    if overdue:
        report.notes.append(overdue)
    report.advice = advice_for(report, signing, secret, model is None, target)
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


def _where(target: Target) -> str:
    """Where an in-process app is called, and how that path was found."""
    path = getattr(target, "path", None)
    if path is None:
        return ""
    note = getattr(target, "path_note", None)
    return f"{path} ({note})" if note else path
