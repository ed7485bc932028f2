"""Reading a bot model from a file: ``botwebhook.toml``, or the ``[tool.botwebhook]``
table of ``pyproject.toml``, named or found in a folder."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from harness._limits import MODEL_FILE_MAX, FileTooLarge, read_capped
from harness.model._botmodel import BotModel, BotModelError
from harness.model._toml import toml_module, tool_table

__all__ = [
    "describe_model",
    "find_model",
    "load_model",
    "model_notes",
    "nearby_models",
    "scope_model",
    "shown_path",
]

#: How far up from a folder a bot model file is looked for, to say that one is there.
_UP = 6


def load_model(path: str | Path) -> BotModel:
    """Read a model from ``pyproject.toml`` (its ``[tool.botwebhook]`` table) or from
    any other TOML file (``botwebhook.toml``: the same keys at top level)."""
    file = Path(path)
    try:
        text = read_capped(file, MODEL_FILE_MAX)
    except OSError as exc:
        raise BotModelError(
            f"cannot read the bot model {str(file)!r}: {exc.strerror or exc} "
            "(hint: pass the path of a botwebhook.toml or pyproject.toml)"
        ) from None
    except UnicodeDecodeError:
        raise BotModelError(f"{str(file)!r} is not UTF-8 text") from None
    except FileTooLarge as exc:
        raise BotModelError(f"cannot read the bot model {str(file)!r}: {exc}") from None
    tomllib = toml_module()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BotModelError(f"{str(file)!r} is not valid TOML: {exc}") from None
    except RecursionError:
        raise BotModelError(
            f"{str(file)!r} cannot be read: its arrays or tables are nested too "
            "deeply (hint: a bot model needs 4 levels)"
        ) from None
    if file.name == "pyproject.toml":
        table = data.get("tool", {}).get("botwebhook")
        if table is None:
            raise BotModelError(
                f"{str(file)!r} has no [tool.botwebhook] table "
                "(hint: declare the bot's intents there, or in a botwebhook.toml)"
            )
        return BotModel.from_dict(table, source=f"{file} [tool.botwebhook]")
    return BotModel.from_dict(data, source=str(file))


def find_model(directory: str | Path = ".") -> BotModel | None:
    """The model declared in ``directory``: ``botwebhook.toml`` first, then a
    ``pyproject.toml`` whose ``[tool.botwebhook]`` table declares intents; None
    when neither."""
    folder = Path(directory)
    standalone = folder / "botwebhook.toml"
    if standalone.is_file():
        return load_model(standalone)
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file() and "intents" in tool_table(pyproject):  # unreadable: not ours
        return load_model(pyproject)
    return None


def scope_model(model: BotModel | None, intents: Sequence[str] | None) -> BotModel | None:
    """``model`` (the built-in catalogue when None) limited to ``intents``, in the
    model's order; ``model`` itself when ``intents`` is empty.  The result is a
    declared model: the user said these are the webhook's intents."""
    if not intents:
        return model
    from harness.model._catalogue import builtin_model

    base = model or builtin_model()
    names = list(dict.fromkeys(intents))
    known = [i.name for i in base.intents]
    for name in names:
        if not isinstance(name, str) or name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(known)
            declare = (
                "; an intent of your own bot is declared in a model file (see 'Declare your "
                "bot' in docs/manual/payloads.md)"
                if model is None
                else ""
            )
            raise BotModelError(
                f"unknown intent {name!r} for intents: {base.source} has no such intent "
                f"({hint}){declare}"
            )
    chosen = tuple(i for i in base.intents if i.name in names)
    return BotModel(chosen, base.languages, f"{base.source}, intents {', '.join(names)}")


def describe_model(model: BotModel | None) -> str:
    """The model as a report's header names it: ``the built-in catalogue (12 intents)``,
    or its source and size."""
    from harness.model._catalogue import builtin_model

    model = model or builtin_model()
    count = len(model.intents)
    return f"{model.source} ({count} intent{'s' * (count != 1)})"


def nearby_models(*folders: str | Path) -> list[Path]:
    """Bot model files in ``folders`` or their parents (a few levels up, not past a
    repository's root): ``botwebhook.toml``, or a ``pyproject.toml`` that declares
    intents; nearest first, each once."""
    found: list[Path] = []
    for start in folders:
        folder = Path(start).resolve()
        for _ in range(_UP):
            for candidate in (folder / "botwebhook.toml", folder / "pyproject.toml"):
                if candidate in found or not candidate.is_file():
                    continue
                if candidate.name == "botwebhook.toml" or _declares_intents(candidate):
                    found.append(candidate)
            if (folder / ".git").exists() or folder.parent == folder:
                break
            folder = folder.parent
    return found


def _declares_intents(pyproject: Path) -> bool:
    from harness.model._toml import tool_table

    return "intents" in tool_table(pyproject)


def model_notes(model: BotModel | None, target: object = None) -> list[str]:
    """What a report's header says about the model: when the built-in catalogue is
    used while a model file sits in the current folder, beside the target's file,
    or in a parent of either, it names that file."""
    if model is not None:
        return []
    folders: list[Path] = [Path.cwd()]
    source = getattr(target, "source_file", None)
    if source:
        folders.append(Path(source).parent)
    found = nearby_models(*folders)
    if not found:
        return []
    shown = [shown_path(f) for f in found[:3]]
    return [
        f"the built-in catalogue is in use, but {' and '.join(shown)} "
        f"{'declares' if len(shown) == 1 else 'declare'} a bot model: pass --model {shown[0]} "
        "(ini botwebhook_model) to check your own intents"
    ]


def shown_path(path: str | Path) -> str:
    """A path relative to the working directory when it is inside it, else as it is."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)
