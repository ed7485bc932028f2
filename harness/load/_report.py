"""The summary of a ``botwebhook load`` run (from the Locust child's result), its
thresholds, and the plot of latency and fallbacks against concurrency.  Imports
no Locust.

A step is within budget on both counts: its p99 (over every call, a timeout
counted at the budget) is within the platform's timeout, and the share of chats
that got the fallback is at most the allowed one (``--max-failures``, default
none).  The limit is the highest concurrency within budget before the first
step that is not.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.checks._coverage import ProtocolCoverage
from harness.checks._result import Format, require_format
from harness.delivery._exchange import clip_lines
from harness.delivery._findings import CODES, about

__all__ = ["LoadResult", "crossed", "limit", "plot", "render_json", "render_text"]


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _allowed_words(allowed: Mapping[str, float]) -> str:
    if "share" in allowed:
        return f"--max-failures {allowed['share'] * 100:g}%"
    return f"--max-failures {int(allowed.get('count', 0))}"


def crossed(
    result: Mapping[str, Any], max_p99: float | None, allowed: Mapping[str, float] | None
) -> list[str]:
    """Why the run fails, as sentences: a chat got the fallback beyond what
    ``allowed`` allows (none by default, as Locust fails a run with failures), or
    the p99 is over ``max_p99`` seconds."""
    allowed = allowed or {}
    out = []
    fallbacks, calls = result["fallbacks"], result["requests"]
    over = (
        fallbacks > allowed["share"] * calls
        if "share" in allowed
        else fallbacks > allowed.get("count", 0)
    )
    if over:
        share = f" ({fallbacks / calls:.1%} of {calls})" if calls else ""
        if allowed:
            out.append(f"{fallbacks} chats got the fallback{share}: over {_allowed_words(allowed)}")
        else:
            out.append(
                f"{fallbacks} chats got the fallback{share}, and none is allowed (--max-failures "
                "N or N% allows some)"
            )
    if max_p99 is not None and result["p99"] > max_p99 * 1000:
        out.append(f"p99 {_ms(result['p99'])} is over --max-p99 {max_p99:g} s")
    return out


def limit(result: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The highest concurrency within budget on both counts, and the first one that
    was not (None when no step shows it)."""
    good = [s["users"] for s in result["steps"] if s["within_budget"]]
    bad = [s["users"] for s in result["steps"] if not s["within_budget"]]
    first_bad = min(bad) if bad else None
    below = [u for u in good if first_bad is None or u < first_bad]
    return (max(below) if below else None), first_bad


def render_text(result: Mapping[str, Any], *, budget: float, thresholds: list[str]) -> str:
    """The summary: calls and rates, latency against the budget, the chats that
    would have got the fallback and why, each step, the limit, the server served
    for the run, the thresholds."""
    calls = result["requests"]
    lines = [
        f"botwebhook load: {result['url']} (secret {result['secret']}, seed {result['seed']})"
        + (" - interrupted, the summary so far" if result["interrupted"] else ""),
        *([f"  model: {result['model']}"] if result.get("model") else []),
        *(f"  note: {note}" for note in result.get("notes", ())),
        f"requests  {calls} in {result.get('measured', result['elapsed']):.1f} s measured: "
        f"{result['rps']:.1f}/s attempted, {result['ok_rps']:.1f}/s answered as meant",
        f"latency   p50 {_ms(result['p50'])} · p95 {_ms(result['p95'])} · "
        f"p99 {_ms(result['p99'])} · max {_ms(result['max'])}  (every call, a timeout counted "
        f"at the budget; budget {budget:g} s: p99 "
        + ("within)" if result["p99"] < budget * 1000 else "at or over it)"),
    ]
    by_code: dict[str, int] = result["by_code"]
    if result["fallbacks"]:
        lines.append(
            f"fallback  {result['fallbacks']} chat(s), {result['fallback_share']:.1%}, would have "
            "got the intent's own response:"
        )
        for code, count in sorted(by_code.items(), key=lambda item: -item[1]):
            if code in CODES:
                lines.append(
                    f"            {code} {CODES[code].title}: {count} (more: {about(code)})"
                )
    else:
        lines.append("fallback  none: every answer reached the chat user as meant")
    if by_code.get("redirect"):
        lines.append(f"          {by_code['redirect']} redirect(s) not followed under load "
                     "(botwebhook check judges them)")  # fmt: skip
    lines.extend(_steps(result, budget))
    lines.extend(_served(result.get("served")))
    for sentence in thresholds:
        lines.append(f"FAILED    {sentence}")
    return "\n".join(lines)


def _steps(result: Mapping[str, Any], budget: float) -> list[str]:
    steps = result["steps"]
    if len(steps) <= 1:
        return []
    lines = ["steps     users  requests  att/s   ok/s      p50      p95      p99  fallback  within"]
    for s in steps:
        lines.append(
            f"          {s['users']:5}  {s['requests']:8}  {s['rps']:5.1f}  {s['ok_rps']:5.1f}"
            f"  {_ms(s['p50']):>7}  {_ms(s['p95']):>7}  {_ms(s['p99']):>7}"
            f"  {s['fallback_share']:7.1%}  {'yes' if s['within_budget'] else 'no'}"
        )
    good, bad = limit(result)
    rule = f"fallbacks (a call past {budget:g} s is one) within the allowed share"
    if bad is None:
        lines.append(f"limit     {rule} up to {steps[-1]['users']} users (the most tried)")
    else:
        held = f"up to {good} users" if good is not None else "at no step tried"
        broke = next(s for s in steps if s["users"] == bad)
        why = [f"p99 {_ms(broke['p99'])}"] if not broke["latency_within_budget"] else []
        if not broke["fallbacks_within_budget"]:
            why.append(f"{broke['fallback_share']:.1%} fallbacks")
        lines.append(f"limit     {rule} {held}; it broke at {bad} users ({', '.join(why)})")
    return lines


def _served(served: Mapping[str, Any] | None) -> list[str]:
    """What the server served for the run saw: the handler's answers, the limits of
    ours that were reached (never the handler's), its last failing output."""
    if not served:
        return []
    statuses = ", ".join(f"{n} × {status}" for status, n in served["statuses"].items())
    size = (
        f"{served['threads']} threads, up to {served['connection_limit']} connections"
        if served.get("threads")
        else "no concurrency limit"
    )
    lines = [f"served    by {served['server']} ({size}): the handler answered {statuses or 'none'}"]
    for limit_hit, times in served.get("harness_limits", {}).items():
        lines.append(f"HARNESS   a limit of the harness, not the handler's: {limit_hit} ({times}×)")
    if served.get("queue_depth"):
        lines.append(
            f"          every thread was busy at times (a queue of up to {served['queue_depth']} "
            "calls): the handler held them past the clients' timeout"
        )
    output = served.get("handler_output") or []
    if output:
        lines.append("          the handler's output on its last failing call:")
        lines.extend(f"          | {line}" for line in clip_lines(output[-1], lines=12))
    return lines


def render_json(result: Mapping[str, Any], *, budget: float, thresholds: list[str]) -> str:
    """The run in the JSON envelope every command shares
    (``docs/schema/load.schema.json``): the summary against the budget, one result
    per step."""
    from harness.checks._envelope import envelope

    good, bad = limit(result)
    within = not thresholds and all(s["within_budget"] for s in result["steps"])
    moved = ("url", "secret", "seed", "model", "notes", "steps", "coverage")  # the envelope's
    summary = {"ok": not thresholds and not result["interrupted"], "budget_s": budget,
               "limit_users": good, "broke_at_users": bad, "within_budget": within,
               "thresholds_crossed": thresholds,
               **{key: value for key, value in result.items() if key not in moved}}  # fmt: skip
    return envelope(
        "load", target=str(result.get("url", "")), model=str(result.get("model") or ""),
        seed=result.get("seed"), secret=str(result.get("secret", "none")), summary=summary,
        results=list(result["steps"]), notes=list(result.get("notes", ())),
        coverage=result.get("coverage"),
    )  # fmt: skip


@dataclass
class LoadResult:
    """A ``botwebhook load`` run: the child's summary (``data``), the platform's
    ``budget`` in seconds, and the ``thresholds`` it crossed; a :class:`Result`."""

    data: dict[str, Any]
    budget: float
    thresholds: list[str] = field(default_factory=list)
    #: Ctrl-C ended the run: the summary holds the steps done until then.
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.thresholds and not self.interrupted

    @property
    def coverage(self) -> ProtocolCoverage | None:
        """Which cells of the bot model the load's calls exercised."""
        counted = self.data.get("coverage")
        return ProtocolCoverage.from_dict(counted) if counted else None

    def exit_code(self, *, strict: bool = False) -> int:
        """130 when Ctrl-C ended it, 1 when a threshold was crossed, else 0."""
        return 130 if self.interrupted else (1 if self.thresholds else 0)

    def render(self, format: Format = "text", *, verbose: bool = False,
               strict: bool = False) -> str:  # fmt: skip
        """``text`` (the summary against the budget), ``json`` or ``junit`` XML: a
        case per threshold, failing when it was crossed."""
        format = require_format(format)
        if format == "json":
            return render_json(self.data, budget=self.budget, thresholds=self.thresholds)
        if format == "text":
            return render_text(self.data, budget=self.budget, thresholds=self.thresholds)
        if format == "html":
            from harness.checks._html import html_page, table_section

            columns = ("users", "requests", "p50", "p95", "p99", "fallback_share", "within_budget")
            rows = [[step.get(c) for c in columns] for step in self.data["steps"]]
            words = "; ".join(self.thresholds) or "within the thresholds"
            return html_page("botwebhook load", self._header(), (self.ok, words),
                             [table_section("Steps", columns, rows)])  # fmt: skip
        if format == "sarif":  # a load run finds no defect in the code: an empty log
            from harness.checks._sarif import render_sarif

            return render_sarif("load", [])
        from harness.checks._junit import Case, junit_xml

        cases = [
            Case(sentence, failure=("threshold", sentence, "")) for sentence in self.thresholds
        ]
        good = limit(self.data)[0]
        within = "within the thresholds" + (f" (limit {good} users)" if good is not None else "")
        time = float(self.data.get("elapsed", 0.0))
        return junit_xml("load", cases or [Case(within)], time=time, properties=self._header())

    def _header(self) -> list[tuple[str, str]]:
        """Target, model, seed and the redacted secret, for the reports' headers."""
        return [(key, str(self.data.get(field) or "")) for key, field in
                (("target", "url"), ("model", "model"), ("seed", "seed"),
                 ("secret", "secret"))]  # fmt: skip


def plot(result: Mapping[str, Any], path: Path, *, budget: float) -> None:
    """Latency percentiles against concurrency, with the budget line (on a log scale
    when they are far below it, so that a fast handler's curves are not a flat line at
    0), and each step's share of chats that got the fallback beside them, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    steps = result["steps"]
    users = [s["users"] for s in steps]
    figure, (latency, fallbacks) = plt.subplots(
        2, 1, figsize=(7, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]}
    )
    values = [max(s[key], 1) / 1000 for s in steps for key in ("p50", "p95", "p99", "max")]
    for key in ("p50", "p95", "p99", "max"):
        latency.plot(users, [max(s[key], 1) / 1000 for s in steps], marker="o", label=key)
    latency.axhline(budget, color="red", linestyle="--", label=f"budget ({budget:g} s)")
    if max(budget, *values) / min(values) > 20:  # far below the budget: a log scale shows it
        latency.set_yscale("log")
        latency.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        latency.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        latency.yaxis.set_minor_formatter(NullFormatter())
        latency.set_ylabel("webhook latency (s, log scale)")
    else:  # near it: seconds from 0, fitted to the data and the budget
        latency.set_ylim(0, 1.1 * max(budget, *values))
        latency.set_ylabel("webhook latency (s)")
    latency.set_title("Latency and fallbacks against concurrency")
    latency.legend(loc="upper left", fontsize="small")
    latency.grid(alpha=0.3, which="both")
    shares = [100 * s["fallback_share"] for s in steps]
    colours = ["tab:green" if s["within_budget"] else "tab:red" for s in steps]
    width = max(1.0, 0.6 * min((b - a for a, b in itertools.pairwise(users)), default=2.0))
    fallbacks.bar(users, shares, width=width, color=colours)
    allowed = result.get("allowed") or {}
    if "share" in allowed:
        fallbacks.axhline(100 * allowed["share"], color="red", linestyle="--",
                          label="allowed share")  # fmt: skip
        fallbacks.legend(loc="upper left", fontsize="small")
    if not any(shares):
        fallbacks.text(0.5, 0.5, "no chat got the fallback", transform=fallbacks.transAxes,
                       ha="center", va="center", color="tab:green")  # fmt: skip
    fallbacks.set_ylim(0, 100)
    fallbacks.set_ylabel("fallbacks (%)")
    fallbacks.set_xlabel("concurrent chats (users)")
    fallbacks.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
