"""The bot model: Python objects, TOML in pyproject.toml or botwebhook.toml, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import BotModel, load_model
from harness.errors import BotModelError
from harness.model import IntentSpec, VariableSpec, builtin_model, find_model

COLOUR_TOML = """
languages = ["EN", "ES"]

[[intents]]
name = "colour"
responses = ["So your favourite colour is $colour!"]
examples = { EN = ["my favourite colour is $colour"], ES = ["mi color es el $colour"] }

[[intents.variables]]
label = "colour"
entity = "colour"
values = { EN = ["red", "blue"], ES = ["rojo", "azul"] }
prompts = ["What is your favourite colour?"]

[[intents]]
name = "ticket"

[[intents.variables]]
label = "code"
entity = "ticket_code"
regex = "TK-[0-9]{4}"
max_prompts = 5

[[intents.variables]]
label = "when"
entity = "sys.date"
mandatory = false
"""


def test_python_objects() -> None:
    model = BotModel(
        intents=(
            IntentSpec(
                name="colour",
                responses=["$colour!"],
                variables=[VariableSpec(label="colour", entity="colour", values=["red"])],
            ),
        )
    )
    intent = model.intent("colour")
    assert intent.responses_for("EN") == ("$colour!",)
    assert intent.variable("colour").values_for("FR") == ("red",)
    assert intent.variable("colour").value_type == "LIST"
    assert model.languages == ("EN",)


def test_standalone_toml(tmp_path: Path) -> None:
    path = tmp_path / "botwebhook.toml"
    path.write_text(COLOUR_TOML)
    model = load_model(path)
    assert model.languages == ("EN", "ES")
    colour = model.intent("colour")
    assert colour.examples_for("ES") == ("mi color es el $colour",)
    assert colour.examples_for("FR") == ()
    assert colour.variable("colour").values_for("ES") == ("rojo", "azul")
    ticket = model.intent("ticket")
    assert ticket.variable("code").value_type == "REGEX"
    assert ticket.variable("code").max_prompts == 5
    assert ticket.variable("when").value_type == "SYS"
    assert [v.label for v in ticket.optional] == ["when"]


def test_pyproject_table(tmp_path: Path) -> None:
    body = COLOUR_TOML.replace("[[intents", "[[tool.botwebhook.intents").replace(
        'languages = ["EN", "ES"]', '[tool.botwebhook]\nlanguages = ["EN", "ES"]'
    )
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n' + body)
    model = find_model(tmp_path)
    assert model is not None
    assert [i.name for i in model.intents] == ["colour", "ticket"]
    assert "[tool.botwebhook]" in model.source


def test_find_model_prefers_botwebhook_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.botwebhook]\n[[tool.botwebhook.intents]]\nname = "other"\n'
    )
    (tmp_path / "botwebhook.toml").write_text(COLOUR_TOML)
    model = find_model(tmp_path)
    assert model is not None
    assert model.intents[0].name == "colour"


def test_find_model_none_without_declaration(tmp_path: Path) -> None:
    assert find_model(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_model(tmp_path) is None


def test_pyproject_without_table_is_an_error_when_named(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n')
    with pytest.raises(BotModelError, match=r"no \[tool.botwebhook\] table"):
        load_model(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"intents": []}, "intents: a model needs at least one intent"),
        ({"intents": [{"name": "a b"}]}, "intents[0].name: 'a b' is not a valid intent name"),
        ({"intents": [{"name": "a"}, {"name": "a"}]}, "intents[1].name: duplicate intent"),
        ({"intents": [{"nme": "a"}]}, "intents[0].nme: unknown key (did you mean 'name'?)"),
        ({"intents": [{}]}, "intents[0].name: missing"),
        ({"intent": []}, "intent: expected an intent name or a non-empty list"),
        ({"intent": [{"name": "a"}]}, "did you mean intents, the model's [[intents]] tables?"),
        ({"languages": ["en"], "intents": [{"name": "a"}]}, "languages[0]: 'en' is not one of"),
        ({"language": "EN", "languages": ["EN"], "intents": [{"name": "a"}]}, "not both"),
        ({"intents": [{"name": "a", "responses": "hi"}]}, "intents[0].responses: expected list"),
        ({"intents": [{"name": "a", "responses": [1]}]}, "intents[0].responses[0]: expected a"),
        (
            {"intents": [{"name": "a", "examples": ["hi $who"]}]},
            "intents[0].examples[0]: $who is not a variable",
        ),
        (
            {"intents": [{"name": "a", "examples": {"XX": ["hi"]}}]},
            "intents[0].examples.XX: 'XX' is not a language",
        ),
        (
            {"intents": [{"name": "a", "variables": [{"label": "c"}]}]},
            "intents[0].variables[0].entity: missing",
        ),
        (
            {"intents": [{"name": "a", "variables": [{"label": "c", "entity": "colour"}]}]},
            "intents[0].variables[0].values: custom entity 'colour' needs its possible values",
        ),
        (
            {"intents": [{"name": "a", "variables": [{"label": "c", "entity": "sys.numbr"}]}]},
            "'sys.numbr' is not a system entity",
        ),
        (
            {
                "intents": [
                    {
                        "name": "a",
                        "variables": [{"label": "c", "entity": "sys.number", "values": ["1"]}],
                    }
                ]
            },
            "intents[0].variables[0].values: sys.number is a system entity",
        ),
        (
            {
                "intents": [
                    {
                        "name": "a",
                        "variables": [{"label": "c", "entity": "x", "values": ["1"], "regex": "1"}],
                    }
                ]
            },
            "not both",
        ),
        (
            {
                "intents": [
                    {"name": "a", "variables": [{"label": "c", "entity": "x", "regex": "(?<=a)b"}]}
                ]
            },
            "intents[0].variables[0].regex: '(?<=a)b' uses a look-around",
        ),
        (
            {
                "intents": [
                    {"name": "a", "variables": [{"label": "c", "entity": "x", "regex": "["}]}
                ]
            },
            "is not a valid regex",
        ),
        (
            {
                "intents": [
                    {
                        "name": "a",
                        "variables": [{"label": "c", "entity": "sys.number", "max_prompts": 17}],
                    }
                ]
            },
            "intents[0].variables[0].max_prompts: 17 is outside 1..16",
        ),
        (
            {
                "intents": [
                    {
                        "name": "a",
                        "variables": [{"label": "c", "entity": "sys.number", "max_prompts": True}],
                    }
                ]
            },
            "max_prompts: expected int, got True",
        ),
        (
            {
                "intents": [
                    {
                        "name": "a",
                        "variables": [
                            {"label": "c", "entity": "sys.number"},
                            {"label": "c", "entity": "sys.date"},
                        ],
                    }
                ]
            },
            "intents[0].variables[1].label: duplicate label 'c'",
        ),
        (
            {
                "intents": [
                    {"name": "a", "variables": [{"label": "c", "entity": "x", "values": [""]}]}
                ]
            },
            "intents[0].variables[0].values[0]: empty value",
        ),
    ],
)
def test_invalid_models_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(BotModelError) as info:
        BotModel.from_dict(data, source="bot.toml")
    assert message in str(info.value)
    assert "(in bot.toml)" in str(info.value)


def test_python_models_are_validated_too() -> None:
    with pytest.raises(BotModelError, match=r"intents\[0\].variables\[0\].max_prompts"):
        BotModel((IntentSpec("a", variables=(VariableSpec("c", "sys.number", max_prompts=0),)),))


def test_unreadable_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(BotModelError, match="cannot read the bot model"):
        load_model(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[intents]\n")
    with pytest.raises(BotModelError, match="is not valid TOML"):
        load_model(bad)


def test_unknown_intent_and_variable_suggest() -> None:
    model = builtin_model()
    with pytest.raises(BotModelError, match="did you mean 'colour'"):
        model.intent("color")
    with pytest.raises(BotModelError, match=r"its variables: colour"):
        model.intent("colour").variable("color")


def test_builtin_catalogue_covers_every_entity_kind() -> None:
    model = builtin_model()
    entities = {v.entity for i in model.intents for v in i.variables}
    from harness.model import SYSTEM_ENTITIES

    assert set(SYSTEM_ENTITIES) <= entities
    kinds = {v.value_type for i in model.intents for v in i.variables}
    assert kinds == {"SYS", "LIST", "REGEX"}
    assert any(not i.variables for i in model.intents)
    assert any(i.optional for i in model.intents)
    assert model.intent("colour").variable("colour").values_for("EN") == (
        "red",
        "green",
        "blue",
        "yellow",
    )
    assert set(model.languages) == {"EN", "ES", "PT", "FR", "NL", "IT"}
