"""BotWebhookProvider: believable, localized, deterministic values."""

from __future__ import annotations

import re

import pytest
from faker import Faker

from harness.model import LOCALES, SYSTEM_ENTITIES, BotWebhookProvider, make_faker
from harness.protocol import LANGUAGES


@pytest.fixture
def fake() -> Faker:
    return make_faker("EN", seed=1)


def test_added_with_add_provider_to_any_faker() -> None:
    fake = Faker("fr_FR")
    fake.add_provider(BotWebhookProvider)
    fake.seed_instance(3)
    assert fake.bot_language() == "FR"
    assert fake.sys_places()


@pytest.mark.parametrize("language", LANGUAGES)
def test_locale_follows_language(language: str) -> None:
    fake = make_faker(language, seed=2)
    assert fake.bot_language() == language
    assert fake.locales == [LOCALES[language]]


@pytest.mark.parametrize("entity", SYSTEM_ENTITIES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_system_entity_has_values_in_every_language(entity: str, language: str) -> None:
    fake = make_faker(language, seed=4)
    values = {fake.entity_value(entity) for _ in range(30)}
    assert all(isinstance(v, str) and v.strip() == v and v for v in values)
    assert len(values) > 1, values


def test_entity_values_look_right(fake: Faker) -> None:
    for _ in range(50):
        assert re.fullmatch(r"\d+", fake.sys_number())
        assert re.fullmatch(r"\d+(%| percent)", fake.sys_percent())
        assert re.search(r"\d|noon|half", fake.sys_time())
        assert fake.sys_person()[0].isupper()


def test_localized_words() -> None:
    spanish = make_faker("ES", seed=5)
    ordinals = {spanish.sys_ordinal() for _ in range(40)}
    assert ordinals & {"primero", "segundo", "tercero"}
    dates = {spanish.sys_date() for _ in range(60)}
    assert dates & {"hoy", "mañana", "pasado mañana"}


def test_custom_and_regex_entities(fake: Faker) -> None:
    assert fake.entity_value("colour", values=("red", "blue")) in {"red", "blue"}
    for _ in range(20):
        assert re.fullmatch(r"ORD-[0-9]{6}", fake.entity_value("order", regex=r"ORD-[0-9]{6}"))


def test_first_sentence_contains_every_value_verbatim(fake: Faker) -> None:
    captured = {"guests": "4", "cuisine": "thai"}
    for _ in range(30):
        sentence = fake.first_sentence(captured)
        assert "4" in sentence
        assert "thai" in sentence
    example = fake.first_sentence(captured, examples=["table for $guests, $cuisine food"])
    assert example == "table for 4, thai food"
    # An example that does not mention exactly the captured labels is not used.
    other = fake.first_sentence({"guests": "4"}, examples=["table for $guests at $date"])
    assert "$" not in other
    assert "4" in other


def test_prompt_answer_is_the_bare_value(fake: Faker) -> None:
    for _ in range(30):
        answer = fake.prompt_answer("italian")
        assert "italian" in answer
        assert len(answer) < len("italian") + 12


def test_numbers_ids_and_tokens(fake: Faker) -> None:
    for _ in range(50):
        assert 0.5 <= fake.chat_score() < 1.0
        assert 0.012 <= fake.elapsed_time() <= 0.4
        assert 1_735_689_600_000 <= fake.timestamp_ms() <= 1_798_761_599_999
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
            fake.uuid_string(),
        )
        assert re.fullmatch(r"[0-9a-f]{64}", fake.hex64())
        assert re.fullmatch(r"[0-9a-f]{40}", fake.webhook_secret())
        variables = fake.client_variables()
        assert len(variables) <= 3
        assert all(isinstance(v, str) for v in variables.values())
        keys = fake.api_keys()
        assert 1 <= len(keys) <= 3


def test_same_seed_same_values() -> None:
    def draw(seed: int) -> list[str]:
        fake = make_faker("IT", seed=seed)
        return [fake.sys_places(), fake.sys_person(), fake.sys_date(), fake.hex64()]

    assert draw(9) == draw(9)
    assert draw(9) != draw(10)


@pytest.mark.parametrize(
    "pattern",
    [
        r"ORD-[0-9]{6}",  # literals, a range, a counted repeat
        r"[^a-z\s]{3,5}",  # a negated class with a category
        r"\w+@\w+\.(com|org)",  # categories, an escape, a group with alternatives
        r"(?:ab|cd)+x?",  # a group that captures nothing, + and ?
        r"a.b",  # any character
        r"x*y+z{2,}",  # unbounded repeats stay short
        r"a{2,3}?b",  # a lazy repeat
        r"(?P<n>\d)-(?P=n)",  # a named group and a reference to it
        r"(?i)abc",  # a flag
        r"^start\d$",  # anchors
        r"\bword\b",  # word boundaries
        r"[.]\D\W\S",  # negated categories
    ],
)
def test_regex_values_match_for_every_construct_the_generator_walks(
    fake: Faker, pattern: str
) -> None:
    """The generator walks Python's own (private) regex parse tree: a Python release that
    changes the tree shows here, construct by construct."""
    for _ in range(15):
        assert re.fullmatch(pattern, fake.entity_value("e", regex=pattern))
