"""A Sphinx extension: the reference of the files users write, written at each build
from the loaders' own key tables (a conversation file's, a model file's, and the
settings of ``[tool.botwebhook]``), so that a key cannot be missing.  The page goes
to ``docs/reference/files.md`` (not kept in git)."""

from __future__ import annotations

from typing import Any

from site_pages import page_extension


def _table(title: str, where: str, keys: dict[str, str]) -> list[str]:
    lines = [f"## {title}", "", where, "", "| key | what it is |", "|---|---|"]
    lines += [f"| `{key}` | {what} |" for key, what in keys.items()]
    return [*lines, ""]


def files_page() -> str:
    """The Markdown of the file reference."""
    from harness.conversations._files import EXPECT_KEYS, FILE_KEYS, TURN_KEYS
    from harness.model._toml import INTENT_KEYS, MODEL_KEYS, SETTINGS, VARIABLE_KEYS

    lines = [
        "# File reference",
        "",
        "Every key of the files you write, as the loaders take them: an unknown key is",
        "one error naming the file, the line and the key. This page is written from the",
        "loaders' own tables at each build. The [conversations](../manual/conversations.md)",
        "and [payloads](../manual/payloads.md) pages show the files at work.",
        "",
    ]
    lines += _table("A conversation file", "`test_*.conversation.yaml`: each YAML document "
                    "is one conversation.", FILE_KEYS)  # fmt: skip
    lines += _table("A turn", "Each entry of `turns`.", TURN_KEYS)
    lines += _table("A turn's expectations", "The keys of a turn's `expect`.", EXPECT_KEYS)
    lines += _table("A model file", "`botwebhook.toml` at top level, or `[tool.botwebhook]` "
                    "in `pyproject.toml`.", MODEL_KEYS)  # fmt: skip
    lines += _table("An intent", "Each table of `intents`.", INTENT_KEYS)
    lines += _table("A variable", "Each table of an intent's `variables`.", VARIABLE_KEYS)
    lines += _table("Settings", "Beside the model, in the same table: defaults shared by the "
                    "command line and the pytest plugin.", SETTINGS)  # fmt: skip
    return "\n".join(lines)


def setup(app: Any) -> dict[str, Any]:
    return page_extension(app, "reference/files.md", files_page)
