"""The payload factory: realistic platform bodies for a bot model, every variant.

``PayloadFactory(model, seed=...)`` draws payloads from one ``random.Random``;
the same seed and model give byte-identical payloads on any machine (with the
same versions of this package and Faker).  No wall clock is read unless a
clock is injected.  Options left as None are mixed at random; an option
asked for explicitly that the intent cannot have is an error, not ignored.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from faker import Faker

from harness._errors import BotWebhookValueError, PayloadOptionError, describe, require_type
from harness.model import _langdata as L
from harness.model._botmodel import BotModel, IntentSpec
from harness.model._catalogue import builtin_model
from harness.model._intent_build import Common, Draws, IntentBuild, decorate
from harness.model._layouts import IntentPlan, chat_template, config_template
from harness.model._payload import TEXT_VARIANTS, Payload, TextVariant, Variant
from harness.model._provider import (
    BotWebhookProvider,
    pick,
    uuid_string,
)
from harness.protocol._json_template import finish, map_layout, string_text
from harness.protocol._request import LANGUAGES, MAX_QUERY, Shape

__all__ = [
    "MAX_QUERY",
    "PayloadFactory",
    "PayloadOptionError",
    "build_payload",
    "fitting_intents",
    "make_faker",
]

_SHAPES = ("A", "B", "P")
# How often each option is switched on when left to chance.
_P_PASSTHROUGH = 0.1
_P_FEATURE = {
    "unfilled_optional": 0.5,
    "facebook": 0.2,
    "config": 0.25,
    "chained": 0.1,
    "trigger": 0.1,
    "sys_any_command": 0.5,
    "edge_values": 0.2,
}
_P_PLAIN = 0.6
_NONE: frozenset[str] = frozenset()


def make_faker(language: str = "EN", *, seed: int | None = None) -> Faker:
    """A Faker for the bot ``language`` with :class:`BotWebhookProvider` added."""
    if language not in LANGUAGES:
        raise PayloadOptionError(
            f"unknown language {language!r} for language (hint: one of {', '.join(LANGUAGES)})"
        )
    fake = Faker(L.LOCALES[language], use_weighting=False)
    fake.add_provider(BotWebhookProvider)
    if seed is not None:
        fake.seed_instance(seed)
    return fake


@cache
def _shared_faker(language: str) -> tuple[Faker, BotWebhookProvider]:
    fake = make_faker(language)
    provider = next(p for p in fake.get_providers() if isinstance(p, BotWebhookProvider))
    return fake, provider


class PayloadFactory:
    """Builds :class:`Payload` objects for a :class:`BotModel` (default: the
    built-in catalogue).  See :meth:`build` for the options."""

    def __init__(
        self,
        model: BotModel | None = None,
        *,
        seed: int = 0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if model is not None and not isinstance(model, BotModel):
            raise BotWebhookValueError(
                f"expected a BotModel for model, got {describe(model)} "
                "(hint: harness.load_model(path) or BotModel.from_dict(...))"
            )
        require_type("seed", seed, int, "pass a whole number, e.g. seed=0")
        self.model = model or builtin_model()
        self.seed = seed
        self.clock = clock
        self._rng = random.Random(seed)
        self._plans: dict[tuple[str, str], IntentPlan] = {}
        self._aiid = uuid_string(self._rng)  # the bot's id: the seed's first draw
        self._draws = self._new_draws()

    def reseed(self, seed: int) -> None:
        """Restart the random stream at ``seed``: the next payloads are those of a new
        ``PayloadFactory(model, seed=seed)``, without building new Fakers."""
        require_type("seed", seed, int, "pass a whole number")
        self.seed = seed
        self._rng.seed(seed)
        self._aiid = uuid_string(self._rng)  # the bot's id: the seed's first draw
        self._draws = self._new_draws()

    def _new_draws(self) -> Draws:
        return Draws(self._rng, string_text(self._aiid), self.model, self._plan, self._feature,
                     self._common, self.timestamp_ms)  # fmt: skip

    def _plan(self, spec: IntentSpec, language: str) -> IntentPlan:
        """What the payloads of ``spec`` in ``language`` share, worked out once."""
        plan = self._plans.get((spec.name, language))
        if plan is None:
            plan = IntentPlan(spec, language, _shared_faker(language)[1])
            self._plans[spec.name, language] = plan
        return plan

    def provider(self, language: str) -> BotWebhookProvider:
        """The :class:`BotWebhookProvider` for ``language`` (called directly, without
        Faker's attribute proxy, which costs more than the values).  Fakers are built
        once per process and language; each use points them at this factory's random
        state, so factories stay independent and deterministic (one thread at a time)."""
        provider = _shared_faker(language)[1]
        provider.generator.random = self._rng
        return provider

    # -- option checking ------------------------------------------------------------

    def _choose(
        self,
        name: str | None,
        shape: str | None,
        needs: dict[str, bool | None],
        labels: frozenset[str],
        language: str,
    ) -> tuple[IntentSpec | None, Shape]:
        """The intent (None for passthrough) and shape, honouring what was asked:
        features asked for explicitly steer the choice toward intents that have them."""
        rng = self._rng
        if shape is not None and shape not in _SHAPES:
            raise PayloadOptionError(
                f"unknown shape {shape!r} for shape (hint: A first sentence, B after "
                "prompting, P passthrough)"
            )
        if name is not None:
            require_type("intent", name, str, "pass an intent name of the model")
            if shape == "P":
                raise PayloadOptionError(
                    f"intent={name!r} with shape='P': a passthrough call has no intent"
                )
            spec: IntentSpec | None = self.model.intent(name)
        elif shape == "P" or (
            shape is None
            and not labels
            and not any(needs.values())
            and rng.random() < _P_PASSTHROUGH
        ):
            return None, "P"
        else:
            candidates = fitting_intents(self.model, shape, needs, labels)
            if not candidates:
                asked = ", ".join(
                    [f"{k}=True" for k, v in needs.items() if v]
                    + ([f"the variables {', '.join(sorted(labels))}"] if labels else [])
                )
                raise PayloadOptionError(
                    f"no intent of {self.model.source} can have "
                    f"{asked or 'shape=' + repr(shape)}"
                    + (f" with shape={shape!r}" if asked and shape else "")
                )
            spec = pick(rng, candidates)
        assert spec is not None
        if shape is None:
            prompts = self._plan(spec, language).mandatory
            a_only = not prompts or needs["trigger"] or needs["sys_any_command"]
            shape = "A" if a_only or rng.random() < 0.5 else "B"
        return spec, shape  # type: ignore[return-value]

    def _feature(
        self, name: str, asked: bool | None, possible: bool, why: str, intent: str = ""
    ) -> bool:
        """Whether feature ``name`` is on: at random when not ``asked``; ``why`` it is not
        ``possible`` is written with ``{intent}``, the intent's name."""
        if asked is None:
            return possible and self._rng.random() < _P_FEATURE[name]
        if asked and not possible:
            raise PayloadOptionError(
                f"{name}=True is not possible here: {why.format(intent=intent)}"
            )
        return asked

    # -- building ---------------------------------------------------------------------

    def build(
        self,
        *,
        intent: str | None = None,
        shape: Shape | None = None,
        language: str | None = None,
        values: Mapping[str, str] | None = None,
        text: TextVariant | None = None,
        unfilled_optional: bool | None = None,
        facebook: bool | None = None,
        config: bool | None = None,
        chained: bool | None = None,
        trigger: bool | None = None,
        sys_any_command: bool | None = None,
        edge_values: bool | None = None,
    ) -> Payload:
        """One payload.  Every option left as None is mixed at random:

        - ``intent``: an intent name of the model; ``shape``: ``A`` (fulfilled on
          the first sentence), ``B`` (after prompting) or ``P`` (passthrough);
        - ``language``: one of ``EN ES PT FR NL IT`` (default: the model's);
        - ``values``: label -> value for the intent's variables, used verbatim;
        - ``text``: ``plain``, ``escaped`` (``' < > & =``), ``non_ascii``,
          ``emoji`` or ``max_length`` (a 1024-character query);
        - features: ``unfilled_optional`` (an optional variable without value),
          ``facebook`` (no ``clientVariables``), ``config``, ``chained``
          (``chatResult.intents``), ``trigger`` (trigger-intent path) and
          ``sys_any_command`` (the sys.any-command path), ``edge_values`` (values at
          the edges of what users type: "two", "2,5", "4000000", "St. John's", every
          value of a LIST entity).
        """
        rng = self._rng
        if language is None:
            language = pick(rng, self.model.languages)
        elif language not in LANGUAGES:
            raise PayloadOptionError(
                f"unknown language {language!r} for language (hint: one of {', '.join(LANGUAGES)})"
            )
        text_kind: TextVariant
        if text is None:
            text_kind = "plain" if rng.random() < _P_PLAIN else pick(rng, TEXT_VARIANTS[1:])
        elif text not in TEXT_VARIANTS:
            raise PayloadOptionError(
                f"unknown text variant {text!r} for text (hint: one of {', '.join(TEXT_VARIANTS)})"
            )
        else:
            text_kind = text
        if trigger and sys_any_command:
            raise PayloadOptionError(
                "trigger=True and sys_any_command=True: a payload takes one path or the other"
            )
        needs = {
            "unfilled_optional": unfilled_optional,
            "trigger": trigger,
            "sys_any_command": sys_any_command,
            "config": config,
            "chained": chained,
            "edge_values": edge_values,
        }
        values = dict(values) if values else {}
        spec, chosen_shape = self._choose(
            intent, shape, needs, frozenset(values) if values else _NONE, language
        )
        for label, value in values.items():
            if spec is None:
                raise PayloadOptionError(
                    f"values={{{label!r}: ...}} for a passthrough call, which has no variables"
                )
            spec.variable(label)  # raises for an unknown label, listing the known ones
            require_type(f"values[{label!r}]", value, str, "variable values are strings")
        fake = self.provider(language)
        if spec is None:
            return self._passthrough(
                fake, language, text_kind, facebook, config, chained, edge_values
            )
        build = IntentBuild(self._draws, fake, spec, chosen_shape, language, text_kind, values)
        return build.run(
            unfilled_optional=unfilled_optional,
            facebook=facebook,
            config=config,
            chained=chained,
            trigger=trigger,
            sys_any_command=sys_any_command,
            edge_values=edge_values,
        )

    def _common(self, fake: BotWebhookProvider, facebook: bool, config: bool) -> Common:
        """The fields every call shares, as JSON text."""
        clients = None if facebook else _map_text(fake.client_variables())
        hexes = self._rng.getrandbits(512).to_bytes(64, "big").hex()  # hex64() twice, at once
        settings = None
        if config:
            settings = config_template().fill(
                int(self._rng.random() * 5) + 1, _map_text(fake.api_keys())
            )
        return Common(
            clients, self._draws.aiid_text, f'"{hexes[:64]}"', settings, f'"{hexes[64:]}"'
        )

    def timestamp_ms(self, fake: BotWebhookProvider) -> int:
        if self.clock is not None:
            return int(self.clock() * 1000)
        return fake.timestamp_ms()

    def _passthrough(
        self,
        fake: BotWebhookProvider,
        language: str,
        text: TextVariant,
        facebook: bool | None,
        config: bool | None,
        chained: bool | None,
        edge_values: bool | None = None,
    ) -> Payload:
        for name, asked in (("config", config), ("chained", chained), ("edge_values", edge_values)):
            if asked:
                raise PayloadOptionError(
                    f"{name}=True is not possible here: a passthrough call never carries it"
                )
        is_facebook = self._feature("facebook", facebook, True, "")
        plan = self._plan(pick(self._rng, self.model.intents), language)
        captured = {v.label: v.draw() for v in plan.variables}
        query = decorate(fake.sentence(captured, plan.examples_fitting(captured)),
                         text, language, self._rng)  # fmt: skip
        chat = chat_template("P", False).fill(
            string_text(query), f'"{uuid_string(self._rng)}"', self.timestamp_ms(fake)
        )
        body = finish(self._common(fake, is_facebook, False).passthrough(chat))
        features = frozenset({"facebook"} if is_facebook else ())
        return Payload(body, Variant(None, "P", language, text, features))


def _map_text(mapping: dict[str, str]) -> str:
    """A map of strings as the platform writes it (``HashMap`` order)."""
    return map_layout(tuple(mapping)).strings(mapping)


def intent_fits(intent: IntentSpec, shape: str | None, needs: Mapping[str, bool | None]) -> bool:
    """Whether ``intent`` can be built with ``shape`` and the features asked for (the
    one place these rules are written: the factory and the strategies use it)."""
    if shape == "B" and (not intent.mandatory or needs["trigger"] or needs["sys_any_command"]):
        return False
    if needs["unfilled_optional"] and not intent.optional:
        return False
    if (needs["trigger"] or needs.get("edge_values")) and not intent.variables:
        return False  # config and chained fit every intent; they only rule out passthrough
    return not (
        needs["sys_any_command"] and not any(v.entity == "sys.any" for v in intent.variables)
    )


_FITTING: dict[tuple[Any, ...], tuple[BotModel, tuple[IntentSpec, ...]]] = {}


def fitting_intents(
    model: BotModel,
    shape: str | None,
    features: Mapping[str, bool | None],
    labels: frozenset[str] = frozenset(),
) -> tuple[IntentSpec, ...]:
    """The intents of ``model`` that :func:`intent_fits` ``shape`` and ``features`` and
    have variables of every label in ``labels``, worked out once per model and
    question (the factory and the strategies ask thousands of times)."""
    key = (id(model), shape, labels, tuple(features.items()))
    kept = _FITTING.get(key)
    if kept is None or kept[0] is not model:
        if len(_FITTING) > 4096:
            _FITTING.clear()
        found = tuple(
            i
            for i in model.intents
            if intent_fits(i, shape, features) and labels <= {v.label for v in i.variables}
        )
        kept = _FITTING[key] = (model, found)
    return kept[1]


def build_payload(
    *,
    model: BotModel | None = None,
    seed: int = 0,
    clock: Callable[[], float] | None = None,
    **options: Any,
) -> Payload:
    """One payload from a fresh :class:`PayloadFactory`; ``options`` as in
    :meth:`PayloadFactory.build`."""
    return PayloadFactory(model, seed=seed, clock=clock).build(**options)
