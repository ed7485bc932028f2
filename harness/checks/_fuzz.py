"""Property-based fuzzing of a handler with Hypothesis (``botwebhook fuzz``).

Two phases, in order, so that no malformed failure can hide a crash on a
valid payload:

1. **valid**: realistic signed payloads across every variant, which must get an
   answer the platform accepts as meant (never a 5xx);
2. **attacker**: what anyone on the network can send: payloads with a wrong or
   no signature (refused when a secret is configured) and malformed bodies,
   sent without a valid signature (only the platform can sign, and it never
   sends a malformed body), which must not get a 5xx.

Each distinct failure (finding code, exception type and where it was raised)
is shrunk on its own and reported; Hypothesis' example database replays them
first next time.  Deadlines are off: a slow handler is a ``BW105`` finding,
and after a few timeouts the phase stops calling the target, so a slow or dead
handler cannot make a run last ``timeout`` x examples.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness._errors import BotWebhookValueError, renamed_keyword
from harness.checks._attacks import attack_batches, attack_cases
from harness.checks._coverage import FUZZ_PROBES, ProtocolCoverage
from harness.checks._fuzz_report import FuzzFailure, FuzzReport
from harness.checks._hunt import error_key, hunt, require_fuzz_run
from harness.checks._sarif import source_of
from harness.checks._verdicts import NOT_JUDGED
from harness.checks._workspace import (
    DEFAULT_DATABASE,
    DEFAULT_SAVE_DIR,
    example_database,
    save_file,
    workspace,
)
from harness.delivery._deadline import require_timeout
from harness.delivery._exchange import Exchange, deliver
from harness.delivery._transport import Target
from harness.model._botmodel import BotModel
from harness.model._payload import Payload
from harness.platform._budget import DEFAULT_TIMEOUT
from harness.protocol._signing import Secret, SecretLike, redact_secret

if TYPE_CHECKING:
    pass

#: Accepted payloads kept for the signature probes.
_KEPT_ACCEPTED = 64

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_SAVE_DIR",
    "FuzzFailure",
    "FuzzReport",
    "fuzz",
]


@renamed_keyword("sign", "signed", removed_in="0.3")
def fuzz(
    target: Target,
    *,
    secret: SecretLike | None = None,
    model: BotModel | None = None,
    examples: int = 100,
    seed: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    database: str | Path | Any | None = DEFAULT_DATABASE,
    save_dir: str | Path | None = None,
    passthrough: bool = False,
    signed: bool | None = None,
    on_exchange: Callable[[Exchange, None], None] | None = None,
    seeds: Sequence[bytes] = (),
    intents: Sequence[str] | None = None,
    guided: bool = False,
) -> FuzzReport:
    """Fuzz ``target`` with ``examples`` calls per phase; see the module docstring.

    A survey comes first (``harness.checks._survey``): an intent the handler does not serve
    is reported once (``BW110``) and left out, and a target with no webhook at its
    path (``BW108``) is not fuzzed.  The signature probes are built on payloads the
    handler accepted; when it accepted none, the attacker phase is not judged.
    ``intents`` limits the run to those intents, as for :func:`harness.run_check`.
    ``guided`` steers the valid phase by the arcs of the handler's code each call
    ran (an in-process target only; see :mod:`harness.checks._guided`).

    ``seed`` makes the run reproducible; ``database`` is a folder, or a Hypothesis
    ``ExampleDatabase`` (``settings().database``: a shared Redis one); None keeps
    nothing between runs; ``save_dir`` writes each failing body there as ``fuzz-<code>-<n>.body``;
    ``on_exchange(exchange, None)`` is called after each call (for progress: the
    total is not known in advance, shrinking adds calls).  ``seeds`` are real
    request bodies (a cassette's): the valid phase tries each first, then mutates
    them as well as generating payloads.
    """
    secret = Secret.of(secret)  # from here on, no traceback can show it
    from hypothesis import strategies as st

    from harness.checks import _strategies as bst
    from harness.model._catalogue import builtin_model
    from harness.model._files import describe_model, model_notes, scope_model

    require_fuzz_run(target, examples, "calls per phase")
    timeout = require_timeout(timeout)
    from harness.checks._guided import guided_phase, guided_roots  # Faker: on use

    if guided and passthrough:
        raise BotWebhookValueError(
            "guided=True with passthrough=True: the guided search builds intent webhooks, and "
            "a passthrough endpoint takes none (hint: fuzz it unguided)"
        )
    roots = guided_roots(target) if guided else []
    model = scope_model(model, intents)
    signing = target.platform_signs if signed is None else signed
    report = FuzzReport(
        target=target.name,
        redacted_secret=redact_secret(secret) if secret else "none",
        seed=seed,
        examples=0,
        elapsed=0.0,
        model=describe_model(model),
        model_notes=model_notes(model, target),
        path=getattr(target, "path", None) or "",
        source=source_of(target, model),
    )
    coverage = ProtocolCoverage(model or builtin_model(), passthrough=passthrough,
                                probes=FUZZ_PROBES)  # fmt: skip
    report.coverage = coverage
    started = time.perf_counter()
    accepted: list[Payload] = []
    if not passthrough:
        go, model = _surveyed(report, target, model, secret, signing, timeout, seed, accepted)
        if not go:
            report.elapsed = time.perf_counter() - started
            return report
    kinds = ("passthrough",) if passthrough else ("intent",)
    valid: Any = bst.payloads(model=model, kinds=kinds, shapes=("A", "B")).map(
        lambda p: ("contract", p, None)
    )
    # A batch of valid payloads draws its decisions as one choice.
    valid_batches: Any = partial(bst.payload_batches, model=model, kinds=kinds, shapes=("A", "B"),
                           each=lambda p: ("contract", p, None))  # fmt: skip
    if seeds:
        valid = bst.mutated(seeds).map(lambda b: ("contract", b, None)) | valid
        valid_batches = None

    def attacks() -> tuple[Any, Any]:
        """The attacker phase's cases, one at a time and in batches, built after the
        valid phase: the signature probes take payloads the handler accepted."""
        taken = accepted[:16]
        return (
            attack_cases(st.sampled_from(taken), bool(secret), signing),
            partial(attack_batches, accepted=taken, secret=bool(secret), signing=signing),
        )

    digest = f"{target.name}|{model.source if model else 'catalogue'}|{passthrough}"
    db = example_database(database)

    def send(kind: Any, body: Any, signature: str | None) -> Exchange:
        return deliver(
            target,
            body,
            secret=secret,
            signed=signing,
            signature=signature,
            timeout=timeout,
            expect=kind,
            scenario=f"fuzz[{kind}]",
        )

    def seen(kind: Any, body: Any, exchange: Exchange) -> None:
        coverage.add(exchange)
        if on_exchange is not None:
            on_exchange(exchange, None)
        got = exchange.received
        took = kind == "contract" and got is not None and got.status == 200
        if took and isinstance(body, Payload) and len(accepted) < _KEPT_ACCEPTED:
            accepted.append(body)

    def seen_after(kind: Any, body: Any, exchange: Exchange) -> Exchange:
        seen(kind, body, exchange)
        return exchange

    for phase in ("valid", "attacker"):
        if phase == "attacker" and not accepted:
            report.notes.append(
                NOT_JUDGED.replace("were not judged", "(the attacker phase) were not judged")
            )
            break
        if phase == "valid" and guided:
            found, calls, gave_up = guided_phase(
                report, lambda body: seen_after("contract", body, send("contract", body, None)),
                error_key, model=model, roots=roots, examples=examples, seed=seed, db=db,
                digest=digest, seeds=seeds,
            )  # fmt: skip
        else:
            strategy, batches = (valid, valid_batches) if phase == "valid" else attacks()
            found, calls, gave_up = hunt(
                strategy,
                send,
                examples=examples,
                seed=seed,
                database=db,
                digest=f"{digest}|{phase}",
                explicit=[("contract", body, None) for body in seeds] if phase == "valid" else [],
                seen=seen,
                batches=batches,
            )
        report.phases[phase] = calls
        report.examples += calls
        if gave_up:
            report.gave_up.append(phase)
        report.failures.extend(FuzzFailure(exchange, phase) for exchange in found)
    report.elapsed = time.perf_counter() - started
    overdue = target.overdue_note()
    if overdue:
        report.notes.append(overdue)
    if report.failures and save_dir is not None:
        folder = workspace(Path(save_dir))
        for number, failure in enumerate(report.failures, 1):
            name = f"fuzz-{failure.code}-{number}.body"
            failure.saved = save_file(folder, name, failure.exchange.sent.body)
    return report


def _surveyed(
    report: FuzzReport,
    target: Target,
    model: BotModel | None,
    secret: Secret | None,
    signing: bool,
    timeout: float,
    seed: int | None,
    accepted: list[Payload],
) -> tuple[bool, BotModel | None]:
    """Whether to fuzz at all (not when there is no webhook at the path), and the model
    to fuzz with, after a survey of the target: without the intents it does not serve."""
    from harness.checks._survey import survey
    from harness.model._catalogue import builtin_model

    looked = survey(target, model, secret=secret, signed=signing, timeout=timeout, seed=seed or 0)
    report.run_findings.extend(looked.findings)
    calls = len(looked.report.exchanges) if looked.report else 0
    report.phases["survey"] = calls
    report.examples += calls
    if looked.accepted is not None:
        accepted.append(looked.accepted)
    if looked.no_webhook:
        report.notes.append("nothing was fuzzed: there is no webhook at this path")
        return False, model
    if looked.not_served:
        count = len(looked.not_served)
        report.notes.append(
            f"the {count} intent{'s' * (count != 1)} not served (BW110) were not fuzzed"
        )
        return True, looked.served(model or builtin_model())
    return True, model
