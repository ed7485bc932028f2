"""TOML: ``tomllib`` (``tomli`` on Python 3.10, imported on use), and the
``[tool.botwebhook]`` table of a ``pyproject.toml``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

__all__ = [
    "INTENT_KEYS",
    "MODEL_KEYS",
    "SETTINGS",
    "SETTINGS_KEYS",
    "VARIABLE_KEYS",
    "intent_names_problem",
    "toml_module",
    "tool_table",
]

#: Keys of ``[tool.botwebhook]`` that configure the pytest plugin, not the bot model.
#: The settings ``[tool.botwebhook]`` (or ``botwebhook.toml``) may hold besides the bot
#: model, each with what it is; the documentation's reference is written from them.
SETTINGS: dict[str, str] = {
    "target": "the target to check: an import string of a WSGI or ASGI app, or a URL",
    "secret": "the bot's webhook secret (the command line and `$BOTWEBHOOK_SECRET` win)",
    "seed": "the seed of the generated payloads",
    "timeout": "the connect and read timeout, in seconds (default 10, as the platform's)",
    "path": "where an in-process app takes its webhook, such as `/hook`",
    "intent": "the intents to check (a name or a list): they are declared",
    "replay_ignore": "replay's ignore rules: answer paths whose differences are noise",
    "baseline": "a file of accepted findings: only new findings fail",
    "docs_url": "the documentation site's address: each finding names its page there "
    "(`--docs-url` and `$BOTWEBHOOK_DOCS_URL` win)",
}
SETTINGS_KEYS = tuple(SETTINGS)

#: The keys of a model file (``botwebhook.toml``, or ``[tool.botwebhook]`` beside its
#: ``SETTINGS``), each with what it is: the loader takes exactly these, and the
#: documentation's reference of the file is written from them.
MODEL_KEYS: dict[str, str] = {
    "languages": "the bot's languages, of EN ES PT FR NL IT (default: EN)",
    "language": "the bot's one language, instead of `languages`",
    "intents": "the intents the webhook serves: a list of tables (`[[intents]]`)",
}
#: The keys of one intent (``intents[i]``).
INTENT_KEYS: dict[str, str] = {
    "name": "required: the intent's name, as the platform sends it in `intentName`",
    "responses": "the intent's own answers, with `$label` placeholders: one list, or a table "
    "per language",
    "examples": "user sentences that trigger it, with `$label` placeholders: one list, or a "
    "table per language (without them, sentences are composed in the bot's language)",
    "variables": "the intent's variables: a list of tables",
}
#: The keys of one variable (``intents[i].variables[j]``).
VARIABLE_KEYS: dict[str, str] = {
    "label": "required: the variable's name in `variablesMap` and the context",
    "entity": "required: a system entity (`sys.number`, `sys.date`, ...), or the name of a "
    "custom LIST or REGEX entity",
    "mandatory": "whether the platform prompts for it before it calls the webhook (default true)",
    "max_prompts": "how many times the platform prompts for it, 1 to 16 (default 3)",
    "prompts": "the questions the platform asks for it",
    "values": "a LIST entity's values: one list, or a table per language",
    "regex": "a REGEX entity's pattern (values are generated matches)",
    "persistent": "the `persistent` flag its memory variable carries in each call (default false)",
    "reset_on_entry": "whether entering the intent again empties it (default true)",
    "index": "its place in the prompting order, then as declared (default 0)",
}


def toml_module() -> Any:
    """``tomllib``, or its backport ``tomli`` on Python 3.10 (imported on use)."""
    if sys.version_info >= (3, 11):  # pragma: no cover - version dependent
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib


def tool_table(pyproject: str | Path) -> dict[str, Any]:
    """The ``[tool.botwebhook]`` table of ``pyproject``, or ``{}`` when the file, or
    the table, is missing or cannot be read."""
    tomllib = toml_module()
    try:
        data = tomllib.loads(Path(pyproject).read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    tool = data.get("tool")
    table = tool.get("botwebhook") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else {}


def intent_names_problem(table: Any) -> str | None:
    """What is wrong with the ``intent`` setting (the intents a run checks: a name or a
    list of names), or None; a list of tables there is the model's ``[[intents]]``
    misspelt."""
    value = table.get("intent") if isinstance(table, dict) else None
    names = [value] if isinstance(value, str) else value
    if value is None or (
        isinstance(names, list) and names and all(isinstance(n, str) and n for n in names)
    ):
        return None
    return (
        f"expected an intent name or a non-empty list of names (the intents to check), got "
        f"{value!r} (did you mean intents, the model's [[intents]] tables?)"
    )
