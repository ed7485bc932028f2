"""Reading a bot model from a file: ``botwebhook.toml``, or the ``[tool.botwebhook]``
table of ``pyproject.toml``, named or found in a folder."""

from __future__ import annotations

from pathlib import Path

from harness._botmodel import BotModel, BotModelError
from harness._toml import toml_module

__all__ = ["find_model", "load_model"]


def load_model(path: str | Path) -> BotModel:
    """Read a model from ``pyproject.toml`` (its ``[tool.botwebhook]`` table) or from
    any other TOML file (``botwebhook.toml``: the same keys at top level)."""
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except OSError as exc:
        raise BotModelError(
            f"cannot read the bot model {str(file)!r}: {exc.strerror or exc} "
            "(hint: pass the path of a botwebhook.toml or pyproject.toml)"
        ) from exc
    except UnicodeDecodeError as exc:
        raise BotModelError(f"{str(file)!r} is not UTF-8 text") from exc
    tomllib = toml_module()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BotModelError(f"{str(file)!r} is not valid TOML: {exc}") from exc
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
    if pyproject.is_file():
        tomllib = toml_module()
        try:
            data = tomllib.loads(pyproject.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
            return None  # not ours to judge; the user's own tools will complain
        if "intents" in data.get("tool", {}).get("botwebhook", {}):
            return load_model(pyproject)
    return None
