"""Fuzzing whole conversations (``botwebhook fuzz --conversations``): contract
failures that only appear on the Nth turn, shrunk to the shortest conversation
and printed as a ready-to-save ``.conversation.yaml`` document."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.checks._fuzz_report import FuzzFailure, FuzzReport
from harness.checks._hunt import hunt, require_fuzz_run
from harness.checks._workspace import DEFAULT_DATABASE, example_database, save_file, workspace
from harness.conversations._converse import run_conversation
from harness.conversations._files import to_yaml
from harness.delivery._deadline import require_timeout
from harness.delivery._exchange import Exchange
from harness.delivery._transport import Target
from harness.model._botmodel import BotModel
from harness.platform._budget import DEFAULT_TIMEOUT
from harness.protocol._signing import Secret, SecretLike, redact_secret

__all__ = ["fuzz_conversations"]

PHASE = "conversations"


def fuzz_conversations(
    target: Target,
    *,
    secret: SecretLike | None = None,
    model: BotModel | None = None,
    examples: int = 50,
    seed: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    database: str | Path | Any | None = DEFAULT_DATABASE,
    save_dir: str | Path | None = None,
    report: FuzzReport | None = None,
    on_exchange: Callable[[Exchange, None], None] | None = None,
) -> FuzzReport:
    """Run ``examples`` generated conversations against ``target``; every webhook call
    is contract-checked, and each distinct failure is shrunk to the shortest
    conversation that shows it (saved to ``save_dir`` as a conversation file).  The
    phase is added to ``report`` when one is given (the single-call phases of
    :func:`harness.fuzz`), else to a new report."""
    secret = Secret.of(secret)
    from harness.conversations._strategies import conversations

    require_fuzz_run(target, examples, "conversations to run")
    timeout = require_timeout(timeout)
    if report is None:
        report = FuzzReport(target.name, redact_secret(secret) if secret else "none", seed, 0, 0.0)
    if any(f.code == "BW108" for f in report.run_findings):
        return report  # no webhook at this path: the survey said it, nothing to converse with
    left_out = {f.variant for f in report.run_findings if f.code == "BW110"}
    if left_out:  # the intents the handler does not serve, as the single-call phases did
        from harness.model._catalogue import builtin_model

        base = model or builtin_model()
        kept = tuple(i for i in base.intents if i.name not in left_out)
        model = BotModel(kept, base.languages, base.source) if kept else model
    started = time.perf_counter()
    documents: dict[int, tuple[str, str]] = {}

    def send(kind: Any, spec: Any, signature: str | None) -> Exchange:
        result = run_conversation(spec, target, secret=secret, timeout=timeout)
        exchanges = [e for turn in result.chat.turns for e in turn.exchanges]
        if on_exchange is not None:
            for exchange in exchanges:
                on_exchange(exchange, None)
        failing = next((e for e in exchanges if not e.ok), None)
        if failing is None:  # a passing conversation: report its last call (or nothing)
            return exchanges[-1] if exchanges else _quiet()
        number = next(t.number for t in result.chat.turns if failing in t.exchanges)
        documents[id(failing)] = (
            to_yaml(spec, name=f"found by fuzzing: fails at turn {number}"),
            result.chat.transcript(number),
        )
        return failing

    strategy = conversations(model).map(lambda spec: (PHASE, spec, None))
    digest = f"{target.name}|{model.source if model else 'catalogue'}|{PHASE}"
    db = example_database(database)
    # A conversation is a batch of calls already: one an example, shrunk turn by turn.
    found, calls, gave_up = hunt(
        strategy, send, examples=examples, seed=seed, database=db, digest=digest, batch=1
    )
    report.phases[PHASE] = calls
    report.examples += calls
    if gave_up:
        report.gave_up.append(PHASE)
    for number, exchange in enumerate(found, 1):
        document, transcript = documents.get(id(exchange), ("", ""))
        failure = FuzzFailure(exchange, PHASE, conversation=document, transcript=transcript)
        if save_dir is not None and document:
            folder = workspace(Path(save_dir))
            name = f"test_fuzz_{failure.code}_{number}.conversation.yaml"
            failure.saved = save_file(folder, name, document.encode("utf-8"))
        report.failures.append(failure)
    report.elapsed += time.perf_counter() - started
    return report


def _quiet() -> Exchange:
    """A passing stand-in for a conversation that called no webhook."""
    from harness.delivery._transport import Delivery, Sent

    sent = Sent("POST", "", {}, b"")
    return Exchange(sent, Delivery(sent), None)
