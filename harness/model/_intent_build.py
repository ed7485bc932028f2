"""One intent webhook, built from the factory's choices: the intent's values (at the
edges of what users type too), the query that gives them, the variables as the
platform keeps them, the chat result and its chain, written into the layouts of
the request's pieces (``_layouts``: the protocol's one writer with holes).  The
factory chooses shape, intent, language and text and hands over what the build
draws from it (:class:`Draws`); :func:`decorate` is shared with the conversation
dialogue."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from harness._errors import PayloadOptionError
from harness.model import _langdata as L
from harness.model._botmodel import BotModel, IntentSpec, VariableSpec
from harness.model._layouts import (
    IntentPlan,
    VariablePlan,
    chain_template,
    chat_template,
    request_template,
)
from harness.model._payload import FEATURES, Payload, TextVariant, Variant
from harness.model._provider import (
    BotWebhookProvider,
    chat_score,
    elapsed_time,
    pick,
    randint,
    uuid_string,
)
from harness.protocol._json_template import (
    finish,
    list_text,
    map_layout,
    string_text,
)
from harness.protocol._request import MAX_QUERY, Shape

__all__ = ["Common", "Draws", "IntentBuild", "decorate", "value_for"]


def value_for(fake: BotWebhookProvider, variable: VariableSpec, language: str) -> str:
    return fake.entity_value(
        variable.entity, values=variable.values_for(language), regex=variable.regex
    )


def decorate(query: str, text: TextVariant, language: str, rng: random.Random) -> str:
    """Add the text variant's characters to a query, keeping what is there verbatim."""
    if text == "escaped":
        query = f"{query} {rng.choice(L.ESCAPED[language])}"
    elif text == "non_ascii":
        query = f"{query} {rng.choice(L.NON_ASCII[language])}"
    elif text == "emoji":
        query = f"{query} {rng.choice(L.EMOJI)}"
    elif text == "max_length":
        filler = " " + L.FILLER[language]
        if len(query) < MAX_QUERY:  # the filler repeated until the limit, then cut there
            query = (query + filler * (-(-(MAX_QUERY - len(query)) // len(filler))))[:MAX_QUERY]
    if len(query) > MAX_QUERY:
        raise PayloadOptionError(
            f"the query would be {len(query)} characters, over the platform's limit of "
            f"{MAX_QUERY} (hint: shorter variable values)"
        )
    return query


@dataclass(frozen=True)
class Draws:
    """What building an intent webhook draws from its payload factory: the random
    state, the bot's id (as JSON text) and model, its intents' plans, feature
    choices, the top-level fields every call shares, and the clock.  (Handed over
    explicitly: the build reads nothing of the factory's own.)"""

    rng: random.Random
    aiid_text: str
    model: BotModel
    plan: Callable[[IntentSpec, str], IntentPlan]
    feature: Callable[[str, bool | None, bool, str, str], bool]
    """Whether a feature is on: (name, asked, possible, why it is not, the intent)."""
    common: Callable[[BotWebhookProvider, bool, bool], Common]
    """The fields every call shares, as JSON text (``PayloadFactory._common``)."""
    timestamp_ms: Callable[[BotWebhookProvider], int]


# Why a feature asked for cannot be had ({intent}: the intent's name).
_NO_OPTIONAL = "intent {intent!r} has no optional variable left without a given value"
_NO_COMMAND = "needs shape A and a sys.any variable of intent {intent!r} without a given value"
_NO_TRIGGER = (
    "the trigger-intent path needs shape A and an intent with variables, "
    "and excludes the sys.any-command path"
)
_NO_VARIABLES = "intent {intent!r} has no variables"


class Common:
    """The fields every call shares, as JSON text: ``clientVariables`` (None on
    Facebook), ``originatingAiid``, ``chatSession``, ``config`` (None without) and
    ``webhook_token``."""

    __slots__ = ("aiid", "clients", "config", "session", "token")

    def __init__(self, clients: str | None, aiid: str, session: str, config: str | None,
                 token: str) -> None:  # fmt: skip
        self.clients, self.aiid, self.session = clients, aiid, session
        self.config, self.token = config, token

    def request(
        self, name: str, variables: str, chat: str, variables_map: str, language: str
    ) -> str:
        """An intent webhook's text, from its parts' texts."""
        clients, config = self.clients, self.config
        holes = [name, variables, chat, variables_map]
        if clients is not None:
            holes.append(clients)
        holes += (self.aiid, self.session)
        if config is not None:
            holes.append(config)
        holes += (self.token, string_text(language))
        return request_template(True, clients is not None, config is not None).fill(*holes)

    def passthrough(self, chat: str) -> str:
        """A passthrough call's text, from its chat result's text."""
        clients = self.clients
        holes = [chat] if clients is None else [chat, clients]
        return request_template(False, clients is not None, False).fill(
            *holes, self.aiid, self.session, self.token
        )


class IntentBuild:
    """One intent webhook being built (keeps :meth:`PayloadFactory.build` readable)."""

    def __init__(
        self,
        draws: Draws,
        fake: BotWebhookProvider,
        spec: IntentSpec,
        shape: Shape,
        language: str,
        text: TextVariant,
        values: dict[str, str],
    ) -> None:
        self.draws = draws
        self.rng = draws.rng
        self.fake = fake
        self.plan = draws.plan(spec, language)
        self.spec = spec
        self.shape = shape
        self.language = language
        self.text = text
        self.values = values

    def run(self, **asked: bool | None) -> Payload:
        spec, plan, rng, values = self.spec, self.plan, self.rng, self.values
        any_variable = plan.any_variable
        unfillable = [v for v in plan.optional if v.label not in values]
        is_b = self.shape == "B"
        if is_b and not plan.mandatory:
            raise PayloadOptionError(
                f"shape 'B' is not possible for intent {spec.name!r}: it has no mandatory "
                "variable to prompt for (hint: shape='A')"
            )
        f, name = self.draws.feature, spec.name
        features = {
            "unfilled_optional": f(
                "unfilled_optional", asked["unfilled_optional"], bool(unfillable), _NO_OPTIONAL,
                name,
            ),
            "facebook": f("facebook", asked["facebook"], True, "", name),
            "config": f("config", asked["config"], True, "", name),
            "chained": f("chained", asked["chained"], True, "", name),
            "sys_any_command": f(
                "sys_any_command",
                False if asked["trigger"] and asked["sys_any_command"] is None
                else asked["sys_any_command"],
                not is_b and any_variable is not None and any_variable.label not in values,
                _NO_COMMAND, name,
            ),
        }  # fmt: skip
        features["trigger"] = f(
            "trigger", asked["trigger"],
            not is_b and bool(plan.variables) and not features["sys_any_command"],
            _NO_TRIGGER, name,
        )  # fmt: skip
        features["edge_values"] = f(
            "edge_values", asked["edge_values"], bool(plan.variables), _NO_VARIABLES, name
        )
        unfilled = pick(rng, unfillable).label if features["unfilled_optional"] else None
        edge = features["edge_values"]
        captured: dict[str, str] = {}
        for v in plan.variables:
            if v.label != unfilled:
                captured[v.label] = values.get(v.label) or (
                    self._edge_value(v) if edge else v.draw()
                )
        # sys.any values are free text: the text variant shows in them too (all but
        # max_length, which applies to the whole query).
        if self.text != "max_length" and self.text != "plain":
            for v in plan.variables:
                if v.is_any and v.label in captured and v.label not in values:
                    captured[v.label] = decorate(captured[v.label], self.text, self.language, rng)
        prompted = self._prompted() if is_b else ()
        query = self._query(captured, prompted)
        command = features["sys_any_command"]
        if command:
            assert any_variable is not None
            captured[any_variable.label] = query  # the command path takes the whole text
        trigger = features["trigger"]
        encoded = {label: string_text(value) for label, value in captured.items()}
        texts: dict[str, str] = {}
        for v in plan.by_index:
            times = randint(rng, 1, v.max_prompts) if v.label in prompted else 0
            bare = trigger or (command and v.is_any)
            texts[v.label] = v.text(encoded.get(v.label), times, bare)
        text = self._request(texts, encoded, query, features)
        key = (self.shape, self.language, self.text, *features.values())
        variant = plan.variants.get(key)
        if variant is None:
            on = frozenset(name for name in FEATURES if features[name])
            variant = Variant(spec.name, self.shape, self.language, self.text, on)
            plan.variants[key] = variant
        return Payload(finish(text), variant)

    def _edge_value(self, variable: VariablePlan) -> str:
        from harness.model._edge_values import edge_values

        pool = edge_values(variable.spec, self.language)
        return pick(self.rng, pool) if pool else variable.draw()

    def _prompted(self) -> tuple[str, ...]:
        """Labels of the mandatory variables prompted for, the answered one last."""
        mandatory = self.plan.mandatory
        count = randint(self.rng, 1, len(mandatory))
        if count == len(mandatory):
            return mandatory
        chosen = set(self.rng.sample(mandatory, count))
        return tuple(label for label in mandatory if label in chosen)

    def _query(self, captured: dict[str, str], prompted: tuple[str, ...]) -> str:
        if prompted:
            answered = self.spec.variable(prompted[-1])
            if answered.entity == "sys.any":
                # Once prompted, sys.any takes the raw text: the value is the whole query.
                if self.text == "max_length" and answered.label not in self.values:
                    captured[answered.label] = decorate(
                        captured[answered.label], self.text, self.language, self.rng
                    )
                return captured[answered.label]
            query = self.fake.prompt_answer(captured[answered.label])
        else:
            query = self.fake.sentence(captured, self.plan.examples_fitting(captured))
        return decorate(query, self.text, self.language, self.rng)

    def _chat_result(self, encoded: dict[str, str], query: str, chain: str | None) -> str:
        """``chatResult``'s text; ``encoded``: the captured values, as JSON text."""
        fake, rng = self.fake, self.rng
        answer = pick(rng, self.plan.answers)
        context = map_layout(tuple(encoded)).texts(encoded)
        tail = () if chain is None else (chain,)
        # Both in [0.001, 1), where Python's repr is Java's Double.toString (java_double).
        score = repr(chat_score(rng))
        if self.shape == "A":
            return chat_template("A", chain is not None).fill(
                score, string_text(query), answer, repr(elapsed_time(rng)), context, *tail
            )
        return chat_template("B", chain is not None).fill(
            score, string_text(query), answer, context, f'"{uuid_string(rng)}"', *tail,
            self.draws.timestamp_ms(fake),
        )  # fmt: skip

    def _request(
        self, texts: dict[str, str], encoded: dict[str, str], query: str,
        features: dict[str, bool],
    ) -> str:  # fmt: skip
        plan = self.plan
        variables = list_text([texts[v.label] for v in plan.by_index])
        variables_map = plan.map.texts(texts)
        chain = self._chain(plan, variables, variables_map) if features["chained"] else None
        chat = self._chat_result(encoded, query, chain)
        common = self.draws.common(self.fake, features["facebook"], features["config"])
        return common.request(plan.name_text, variables, chat, variables_map, self.language)

    def _chain(self, plan: IntentPlan, variables: str, variables_map: str) -> str:
        """``chatResult.intents``: an earlier intent fulfilled in the same turn, then this one."""
        draws = self.draws
        earlier = draws.plan(pick(self.rng, draws.model.intents), self.language)
        earlier_texts = {v.label: v.text(string_text(v.draw()), 0, False) for v in earlier.by_index}
        template = chain_template()
        items = [
            template.fill(
                earlier.name_text, f'"{uuid_string(self.rng)}"', draws.aiid_text,
                list_text([earlier_texts[v.label] for v in earlier.by_index]),
                earlier.map.texts(earlier_texts),
            ),
            template.fill(
                plan.name_text, f'"{uuid_string(self.rng)}"', draws.aiid_text,
                variables, variables_map,
            ),
        ]  # fmt: skip
        return list_text(items)
