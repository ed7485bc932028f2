"""Canonical fixtures: loading by name, schemas, errors."""

from __future__ import annotations

import json

import jsonschema
import pytest

import harness
import harness.errors
import harness.protocol
from harness.errors import UnknownFixtureError
from harness.protocol import fixture_info, fixture_names, load_fixture, load_schema

EXPECTED_REQUESTS = {
    "colour_shape_a",
    "book_table_shape_b",
    "passthrough",
    "facebook_chat",
    "no_variables",
    "unfilled_optional",
    "with_config",
    "escaped_text",
}
EXPECTED_RESPONSES = {
    "response_text",
    "response_empty",
    "response_quick_replies",
    "response_generic_multi",
    "response_context_update",
}


def test_the_catalogue_is_complete() -> None:
    assert set(fixture_names("request")) == EXPECTED_REQUESTS
    assert set(fixture_names("response")) == EXPECTED_RESPONSES
    assert set(fixture_names()) == EXPECTED_REQUESTS | EXPECTED_RESPONSES


@pytest.mark.parametrize("kind", ["request", "response"])
def test_schemas_are_valid_draft_2020_12(kind: str) -> None:
    schema = load_schema(kind)  # type: ignore[arg-type]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", sorted(EXPECTED_REQUESTS | EXPECTED_RESPONSES))
def test_every_fixture_validates_against_its_schema(name: str) -> None:
    info = fixture_info(name)
    validator = jsonschema.Draft202012Validator(load_schema(info.kind))
    errors = [e.message for e in validator.iter_errors(json.loads(load_fixture(name)))]
    assert errors == []


@pytest.mark.parametrize(
    "bad",
    [
        {"chatResult": {}},
        {"language": "en"},
        {"flat": "context"},
    ],
)
def test_request_schema_is_not_vacuous(bad: dict[str, object]) -> None:
    data = json.loads(load_fixture("colour_shape_a"))
    data.update(bad)
    validator = jsonschema.Draft202012Validator(load_schema("request"))
    assert list(validator.iter_errors(data))


def test_passthrough_schema_rejects_intent_fields() -> None:
    data = json.loads(load_fixture("passthrough"))
    data["variablesMap"] = {}
    validator = jsonschema.Draft202012Validator(load_schema("request"))
    assert list(validator.iter_errors(data))


@pytest.mark.parametrize(
    "bad",
    [
        {"text": {}},
        {"facebook_multi": {}},
        {"facebook": {"quick_replies": [{"title": "no content type"}]}},
        {"context": {"variables": {"a": {"value": 3}}}},
        {"txt": "typo"},
    ],
)
def test_response_schema_is_not_vacuous(bad: dict[str, object]) -> None:
    validator = jsonschema.Draft202012Validator(load_schema("response"))
    assert list(validator.iter_errors(bad))


def test_unknown_fixture_suggests_a_close_name() -> None:
    with pytest.raises(UnknownFixtureError, match="did you mean 'colour_shape_a'"):
        load_fixture("colour_shape")
    with pytest.raises(LookupError, match="available: colour_shape_a"):
        load_fixture("zzz")


def test_loading_a_fixture_as_the_wrong_kind_is_an_error() -> None:
    with pytest.raises(UnknownFixtureError, match="is a response, not a request"):
        harness.protocol.load_request("response_text")


def test_bad_kind_arguments() -> None:
    with pytest.raises(harness.errors.BotWebhookValueError, match="'requests'"):
        fixture_names("requests")  # type: ignore[arg-type]
    with pytest.raises(harness.errors.BotWebhookValueError, match="'xml'"):
        load_schema("xml")  # type: ignore[arg-type]
    with pytest.raises(harness.errors.BotWebhookTypeError, match="for name, got 3"):
        fixture_info(3)  # type: ignore[arg-type]
