"""The summary of a ``botwebhook load`` run (from the Locust child's result), its
thresholds, and the plot of latency against concurrency.  Imports no Locust."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness._findings import CODES

__all__ = ["crossed", "plot", "render_json", "render_text"]


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def crossed(
    result: Mapping[str, Any], max_p99: float | None, max_failures: int | None
) -> list[str]:
    """The thresholds ``result`` crosses, as sentences (``max_p99`` in seconds)."""
    out = []
    if max_p99 is not None and result["p99"] > max_p99 * 1000:
        out.append(f"p99 {_ms(result['p99'])} is over --max-p99 {max_p99:g} s")
    if max_failures is not None and result["failures"] > max_failures:
        out.append(f"{result['failures']} failed calls are over --max-failures {max_failures}")
    return out


def limit(result: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The highest concurrency whose p99 stayed within the budget, and the first one
    whose p99 did not (None when no step shows it)."""
    good = [s["users"] for s in result["steps"] if s["within_budget"]]
    bad = [s["users"] for s in result["steps"] if not s["within_budget"]]
    first_bad = min(bad) if bad else None
    below = [u for u in good if first_bad is None or u < first_bad]
    return (max(below) if below else None), first_bad


def render_text(result: Mapping[str, Any], *, budget: float, thresholds: list[str]) -> str:
    """The summary: requests and rate, latency against the budget, the chats that
    would have got the fallback and why, each step, the limit, the thresholds."""
    lines = [
        f"botwebhook load: {result['url']} (secret {result['secret']}, seed {result['seed']})"
        + (" - interrupted, the summary so far" if result["interrupted"] else ""),
        *([f"  model: {result['model']}"] if result.get("model") else []),
        *(f"  note: {note}" for note in result.get("notes", ())),
        f"requests  {result['requests']} in {result['elapsed']:.1f} s ({result['rps']:.1f}/s)",
        f"latency   p50 {_ms(result['p50'])} · p95 {_ms(result['p95'])} · "
        f"p99 {_ms(result['p99'])} · max {_ms(result['max'])}  (budget {budget:g} s: p99 "
        + ("within)" if result["p99"] < budget * 1000 else "over it)"),
    ]
    by_code: dict[str, int] = result["by_code"]
    fallback = sum(n for code, n in by_code.items() if code in CODES)
    if fallback:
        lines.append(f"fallback  {fallback} chat(s) would have got the intent's own response:")
        for code, count in sorted(by_code.items(), key=lambda item: -item[1]):
            if code in CODES:
                lines.append(f"            {code} {CODES[code].title}: {count}")
    else:
        lines.append("fallback  none: every answer reached the chat user as meant")
    if by_code.get("redirect"):
        lines.append(f"          {by_code['redirect']} redirect(s) not followed under load "
                     "(botwebhook check judges them)")  # fmt: skip
    steps = result["steps"]
    if len(steps) > 1:
        lines.append(
            "steps     users  requests     rps      p50      p95      p99      max  failed"
        )
        for s in steps:
            failed = sum(s["failures"].values())
            lines.append(
                f"          {s['users']:5}  {s['requests']:8}  {s['rps']:6.1f}  {_ms(s['p50']):>7}"
                f"  {_ms(s['p95']):>7}  {_ms(s['p99']):>7}  {_ms(s['max']):>7}  {failed:6}"
            )
        good, bad = limit(result)
        if bad is None:
            lines.append(f"limit     p99 stayed within the {budget:g} s budget up to "
                         f"{steps[-1]['users']} users (the most tried)")  # fmt: skip
        else:
            held = f"up to {good} users" if good is not None else "at no step tried"
            lines.append(f"limit     p99 stayed within the {budget:g} s budget {held}; "
                         f"it broke at {bad} users")  # fmt: skip
    for sentence in thresholds:
        lines.append(f"FAILED    {sentence}")
    return "\n".join(lines)


def render_json(result: Mapping[str, Any], *, budget: float, thresholds: list[str]) -> str:
    good, bad = limit(result)
    data = {**result, "budget_s": budget, "limit_users": good, "broke_at_users": bad,
            "thresholds_crossed": thresholds}  # fmt: skip
    return json.dumps(data, indent=2)


def plot(result: Mapping[str, Any], path: Path, *, budget: float) -> None:
    """Latency percentiles against concurrency, with the budget line, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = result["steps"]
    users = [s["users"] for s in steps]
    figure, axes = plt.subplots(figsize=(7, 4))
    for key, label in (("p50", "p50"), ("p95", "p95"), ("p99", "p99"), ("max", "max")):
        axes.plot(users, [s[key] / 1000 for s in steps], marker="o", label=label)
    axes.axhline(budget, color="red", linestyle="--", label=f"budget ({budget:g} s)")
    axes.set_xlabel("concurrent chats (users)")
    axes.set_ylabel("webhook latency (s)")
    axes.set_title("Latency against concurrency")
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
