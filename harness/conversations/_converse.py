"""Running conversation files against a target, and their reports (text, JSON,
JUnit): what ``botwebhook converse`` and the pytest items share."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness._errors import ConversationError, ConversationFileError, renamed_keyword
from harness._patterns import PatternError
from harness.checks._baseline import Baseline
from harness.checks._code_report import HandlerCoverage
from harness.checks._coverage import CONVERSATION, ProtocolCoverage
from harness.checks._envelope import envelope
from harness.checks._junit import Case, junit_xml
from harness.checks._result import Format, require_format
from harness.checks._sarif import Located, render_sarif
from harness.conversations._conversation import Conversation, ConversationFailed
from harness.conversations._files import ConversationSpec
from harness.delivery._findings import Finding
from harness.delivery._transport import Target
from harness.platform._budget import DEFAULT_TIMEOUT
from harness.protocol._signing import SecretLike

__all__ = [
    "ConversationResult",
    "ConversationRun",
    "render_json",
    "render_junit",
    "render_text",
    "run_conversation",
]


@dataclass
class ConversationResult:
    """A conversation file's conversation, run: its turns, and the failure text
    (transcript, what failed, a reproducer) or None when it passed."""

    spec: ConversationSpec
    chat: Conversation
    failure: str | None = None
    failed_turn: int | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def warnings(self) -> list[Finding]:
        return [f for t in self.chat.turns for f in t.findings if f.severity == "warning"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.spec.name,
            "file": self.spec.path,
            "line": self.spec.line,
            "ok": self.ok,
            "failed_turn": self.failed_turn,
            "failure": self.failure,
            "turns": [
                {
                    "turn": t.number,
                    "user": t.user,
                    "bot": t.bot,
                    "chat_api_error": t.chat_api_error,
                    "prompt": t.prompt,
                    "webhook": t.webhook,
                    "status": [e.received.status if e.received else None for e in t.exchanges],
                    "context": t.context,
                    "later": t.later,
                    "findings": [f.as_dict() for f in t.findings],
                }
                for t in self.chat.turns
            ],
        }


@renamed_keyword("sign", "signed", removed_in="0.3")
def run_conversation(
    spec: ConversationSpec,
    target: Target,
    *,
    secret: SecretLike | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    seed: int = 0,
    clock: Callable[[], float] | None = None,
    later_timeout: float | None = None,
    signed: bool | None = None,
    strict: bool = False,
    callback_port: int | None = None,
    baseline: Baseline | None = None,
) -> ConversationResult:
    """Run ``spec`` turn by turn against ``target``; stops at the first turn that
    fails an expectation or breaks the contract (an error finding).  Each
    conversation of a run gets its own chat session (from ``seed``, its file and
    its place there); ``callback_port`` serves the callback API over HTTP too.
    Findings ``baseline`` accepted (at their turn's line) fail no turn."""
    started = time.monotonic()
    options: dict[str, Any] = {} if later_timeout is None else {"later_timeout": later_timeout}
    chat = Conversation(
        target, model=spec.model, secret=secret, language=spec.language,
        channel=spec.channel,  # type: ignore[arg-type]
        client_variables=spec.client_variables, clock=clock,
        seed=seed + zlib.crc32(f"{spec.path}#{spec.index}".encode()), callback_port=callback_port,
        timeout=timeout, name=spec.name, signed=signed,
        strict=strict, **options,
    )  # fmt: skip
    result = ConversationResult(spec, chat)
    try:
        for number, turn_spec in enumerate(spec.turns):
            if baseline is not None:
                place = (spec.path, turn_spec.line)
                chat.accepted = lambda found, place=place: baseline.new(found, place)
            try:
                turn = chat.say(
                    turn_spec.user, intent=turn_spec.intents or None, entities=turn_spec.entities
                )
            except ConversationError as exc:  # the dry run makes this rare: say why anyway
                result.failure = f"{spec.path}:{turn_spec.line}: {exc}"
                result.failed_turn = len(chat.turns) + 1
                break
            except PatternError as exc:  # a pattern of the model's, too slow on this text
                raise _pattern_error(spec, number, exc, "user") from None
            try:
                turn.expect(**turn_spec.expect)
            except ConversationFailed as exc:
                result.failure = f"{spec.path}:{turn_spec.line}: {exc}"
                result.failed_turn = turn.number
                break
            except PatternError as exc:  # bot_matches or later: the file's own pattern
                key = next((k for k, v in turn_spec.expect.items() if v == exc.pattern), "")
                raise _pattern_error(spec, number, exc, f"expect.{key}") from None
    finally:
        chat.close()
        result.elapsed = time.monotonic() - started
    return result


def _pattern_error(
    spec: ConversationSpec, number: int, exc: PatternError, key: str
) -> ConversationFileError:
    """A user's pattern that took too long, as an error naming the file and line."""
    turn = spec.turns[number]
    line = turn.lines.get(key, turn.line)
    return ConversationFileError(spec.path, line, f"turns[{number}].{key}", str(exc))


@dataclass
class ConversationRun:
    """Conversations run together (``botwebhook converse``): a :class:`Result`.
    ``header`` names the target, path and model for the reports."""

    results: list[ConversationResult]
    header: dict[str, Any] = field(default_factory=dict)
    #: Which lines and branches of the handler the run reached (``--code-coverage``).
    code_coverage: HandlerCoverage | None = None

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    def exit_code(self, *, strict: bool = False) -> int:
        """1 when a conversation failed (``strict`` is applied while they run:
        warnings then fail their turn)."""
        return 0 if self.ok else 1

    def render(self, format: Format = "text", *, verbose: bool = False,
               strict: bool = False) -> str:  # fmt: skip
        """``text`` (transcripts with ``verbose``), ``json`` or ``junit`` XML."""
        format = require_format(format)
        if format == "json":
            return render_json(self.results, header=self.header, code_coverage=self.code_coverage)
        if format == "junit":
            return render_junit(self.results, header=self.header)
        if format == "sarif":
            return render_sarif("converse", self.located())
        if format == "html":
            from harness.checks._html import chat_section, findings_section, html_page

            header = [(k, str(v)) for k, v in self.header.items() if v is not None]
            failed = sum(not r.ok for r in self.results)
            words = f"{len(self.results)} conversation(s), {failed} failed"
            chats = [chat_section(r.spec.name, f"{r.spec.path}:{r.spec.line}", r.ok, r.failure,
                                  r.chat.turns) for r in self.results]  # fmt: skip
            found = [f for f, _ in self.located()]
            return html_page("botwebhook converse", header, (self.ok, words),
                             [*chats, findings_section(found)])  # fmt: skip
        return render_text(self.results, verbose=verbose, header=self.header)

    @property
    def coverage(self) -> ProtocolCoverage | None:
        """Which cells of the bot model the conversations exercised, with the cells
        of their own: a turn after a prompt, context carried, a context update relied
        on later."""
        if not self.results:
            return None
        found = ProtocolCoverage(self.results[0].spec.model, probes=(), conversations=True)
        for result in self.results:
            turns = result.chat.turns
            for number, turn in enumerate(turns):
                for exchange in turn.exchanges:
                    found.add(exchange)
                for _ in turn.later:
                    found.add_callback()
                before = turns[number - 1] if number else None
                if before is not None and before.prompt is not None:
                    found.add_conversation(CONVERSATION[0])
                if before is not None and before.context and turn.webhook:
                    found.add_conversation(CONVERSATION[1])
                added = set(turn.context) - set(before.context if before else {})
                if added and any(t.webhook and added & set(turns[i - 1].context)
                                 for i, t in enumerate(turns) if i > number):  # fmt: skip
                    found.add_conversation(CONVERSATION[2])
        return found

    def located(self) -> list[Located]:
        """Every turn's findings, each where the handler raised it or else at its
        turn in the conversation file."""
        out: list[Located] = []
        for result in self.results:
            spec = result.spec
            for turn in result.chat.turns:
                written = spec.turns[turn.number - 1] if turn.number <= len(spec.turns) else None
                line = written.line if written is not None else spec.line
                out.extend((f, f.location or (spec.path, line)) for f in turn.findings)
        return out


def render_text(
    results: Sequence[ConversationResult],
    *,
    verbose: bool = False,
    header: Mapping[str, str] | None = None,
) -> str:
    """Each conversation's transcript (a failing one with what failed), then a count;
    ``header`` (target, path, model) first, when given."""
    blocks = []
    if header:
        from harness.checks._report import header_lines

        lines = [f"botwebhook converse: {header.get('target', '')}"]
        notes = [header["model_note"]] if header.get("model_note") else []
        lines += header_lines(header.get("path", ""), header.get("model", ""), notes)
        blocks.append("\n".join(lines))
    for result in results:
        turns = len(result.chat.turns)
        head = f"{'ok  ' if result.ok else 'FAIL'} {result.spec.name} ({result.spec.path}:" \
               f"{result.spec.line}, {turns} turn{'s' * (turns != 1)})"  # fmt: skip
        if result.ok:
            body = result.chat.transcript() if verbose else ""
        else:
            assert result.failure is not None
            body = result.failure
        blocks.append(head + ("\n" + body if body else ""))
    failed = sum(not r.ok for r in results)
    warnings = sum(len(r.warnings) for r in results)
    blocks.append(
        f"{len(results)} conversation(s): {len(results) - failed} passed, {failed} failed"
        + (f", {warnings} warning(s) (shown with --verbose)" if warnings and not verbose else "")
    )
    return "\n\n".join(blocks)


def render_json(
    results: Sequence[ConversationResult],
    *,
    header: Mapping[str, Any] | None = None,
    code_coverage: HandlerCoverage | None = None,
) -> str:
    """The results in the JSON envelope every command shares
    (``docs/schema/converse.schema.json``): the ``header`` (target, path, model, seed,
    redacted secret), counts, then each conversation's turns and failure."""
    header = dict(header or {})
    summary = {"ok": all(r.ok for r in results), "conversations": len(results),
               "failed": sum(not r.ok for r in results),
               "warnings": sum(len(r.warnings) for r in results),
               "seconds": round(sum(r.elapsed for r in results), 3)}  # fmt: skip
    findings = [f.as_dict() for r in results for t in r.chat.turns for f in t.findings]
    note = header.get("model_note")
    covered = ConversationRun(list(results)).coverage
    return envelope(
        "converse", target=str(header.get("target", "")), path=header.get("path"),
        model=str(header.get("model", "")), seed=header.get("seed"),
        secret=str(header.get("secret", "none")), summary=summary,
        results=[r.as_dict() for r in results], findings=findings, notes=[note] if note else [],
        coverage=covered.as_dict() if covered else None, code_coverage=code_coverage,
    )  # fmt: skip


def render_junit(
    results: Sequence[ConversationResult], *, header: Mapping[str, Any] | None = None
) -> str:
    """One case per conversation, named with its file and line; a warning skips it
    with its codes (see ``harness.checks._junit``); the ``header`` (target, path,
    model) as the suite's properties."""
    cases = []
    for result in results:
        name = f"{result.spec.name} ({result.spec.path}:{result.spec.line})"
        warnings = result.warnings
        noted = "\n".join(f.in_one_line() for f in warnings)
        if result.failure is not None:
            failed = (f"turn {result.failed_turn}", f"failed at turn {result.failed_turn}",
                      result.failure)  # fmt: skip
            cases.append(Case(name, result.elapsed, failure=failed, out=noted))
        elif warnings:
            codes = "; ".join(f"{f.code} warning: {f.title}" for f in warnings)
            cases.append(Case(name, result.elapsed, skipped=("warning", codes, noted)))
        else:
            cases.append(Case(name, result.elapsed))
    time = sum(r.elapsed for r in results)
    shown = [(k, str(v)) for k, v in (header or {}).items() if v is not None]
    return junit_xml("converse", cases, time=time, properties=shown)
