"""A short look at a handler before a long run: which intents it serves, whether it
has a webhook at the path, and a payload it accepts.

``fuzz``, ``load``, generated conversations and the pytest suite send many calls
of every intent.  Before they start, two valid payloads per intent (the first
variants of the check's matrix) are judged as the check judges its valid
payloads (``harness.checks._verdicts``).  Intents the handler does not serve are then
left out of the long run and reported once (``BW110``: a warning for the
built-in catalogue, an error for declared intents), and a target with no
webhook at its path (``BW108``) is reported instead of being run at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness._errors import renamed_keyword
from harness.checks._check import Report, contract_scenarios, run_check
from harness.checks._runner import DEFAULT_WORKERS
from harness.checks._verdicts import accepted_payload
from harness.delivery._findings import Finding
from harness.delivery._transport import Target
from harness.model._botmodel import BotModel
from harness.model._payload import Payload
from harness.platform._budget import DEFAULT_TIMEOUT
from harness.protocol._signing import SecretLike

__all__ = ["PER_INTENT", "Survey", "survey"]

#: Valid payloads per intent in a survey.
PER_INTENT = 2


@dataclass
class Survey:
    """What a survey found: the run-level findings, the intents left out, and a
    payload the handler accepted (None when it accepted none)."""

    findings: list[Finding] = field(default_factory=list)
    not_served: list[str] = field(default_factory=list)
    accepted: Payload | None = None
    report: Report | None = None

    @property
    def no_webhook(self) -> bool:
        return any(f.code == "BW108" for f in self.findings)

    def served(self, model: BotModel) -> BotModel | None:
        """``model`` without the intents left out; None when none is left."""
        kept = tuple(i for i in model.intents if i.name not in self.not_served)
        if not kept:
            return None
        if len(kept) == len(model.intents):
            return model
        return BotModel(kept, model.languages, model.source)

    def notes(self) -> list[str]:
        """What the survey found, in a line or two, for a report's header or notes."""
        out = [f"{f.code} {f.severity}: {f.evidence}" for f in self.findings if f.code != "BW110"]
        served = [f for f in self.findings if f.code == "BW110"]
        if served:
            severity = "error" if any(f.severity == "error" for f in served) else "warning"
            names = ", ".join(f.variant for f in served)
            count = len(served)
            out.append(
                f"BW110 {severity}: {count} intent{'s' * (count != 1)} not served by this "
                f"handler, left out of the run: {names}"
            )
        return out


@renamed_keyword("sign", "signed", removed_in="0.3")
def survey(
    target: Target,
    model: BotModel | None,
    *,
    secret: SecretLike | None = None,
    signed: bool | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    seed: int = 0,
    workers: int = DEFAULT_WORKERS,
) -> Survey:
    """Send :data:`PER_INTENT` valid payloads of each intent of ``model`` (the
    built-in catalogue when None) and judge them as a check does."""
    from harness.model._factory import PayloadFactory

    factory = PayloadFactory(model, seed=seed)
    taken: dict[str, int] = {}
    scenarios = []
    for scenario in contract_scenarios(factory):
        intent = scenario.payload.variant.intent if scenario.payload else None
        if intent is not None and taken.get(intent, 0) < PER_INTENT:
            taken[intent] = taken.get(intent, 0) + 1
            scenarios.append(scenario)
    report = run_check(
        target,
        secret=secret,
        model=model,
        seed=seed,
        timeout=timeout,
        signed=signed,
        scenarios=scenarios,
        workers=workers,
    )
    if report.interrupted:  # Ctrl-C stops the run the survey was the first step of
        raise KeyboardInterrupt
    found = Survey(report=report)
    found.findings = list(report.run_findings)
    found.not_served = [f.variant for f in report.run_findings if f.code == "BW110"]
    payloads = {s.body: s.payload for s in scenarios}
    found.accepted = accepted_payload((payloads.get(e.sent.body), e) for e in report.exchanges)
    return found
