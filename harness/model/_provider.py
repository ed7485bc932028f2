"""``BotWebhookProvider``: a Faker provider of believable webhook values.

Add it to any Faker (``fake.add_provider(BotWebhookProvider)``); the
Faker's locale picks the language of queries and entity values.  Values
drawn from Faker's locale data (names, cities, weekdays, companies), and the
matches of a REGEX entity, come from a small pool built once per provider with
a fixed seed, so a seeded Faker gives the same values on every machine, and
fast.  (The edges of a REGEX entity, other matches, are ``edge_values``'.)
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from faker.providers import BaseProvider

from harness.model import _langdata as L
from harness.model._langdata import PLACEHOLDER
from harness.model._regexgen import RegexGenerator

__all__ = [
    "BotWebhookProvider",
    "chat_score",
    "client_variable_set",
    "elapsed_time",
    "fitting_examples",
    "hex64",
    "pick",
    "randint",
    "uuid_string",
]

_LANGUAGE_OF_LOCALE = {locale: language for language, locale in L.LOCALES.items()}
_POOL_SIZE = 32
#: Draws of a closed set (7 weekdays, 12 months): all come, but for a chance of 1e-14.
_CLOSED_DRAWS = 400
# 2025-01-01T00:00:00Z .. 2026-12-31T23:59:59Z, in milliseconds.
_EPOCH_MS_LOW = 1_735_689_600_000
_EPOCH_MS_HIGH = 1_798_761_599_999
_CLIENT_VARIABLES: tuple[tuple[str, Callable[[random.Random], str]], ...] = (
    ("customer_id", lambda r: f"C-{randint(r, 1000, 99999)}"),
    ("plan", lambda r: pick(r, ("free", "pro", "premium", "enterprise"))),
    ("channel", lambda r: pick(r, ("web", "ios", "android", "kiosk"))),
    ("user_id", lambda r: f"u-{randint(r, 1, 99999)}"),
    ("store", lambda r: f"store {randint(r, 1, 400)}"),
)
# What uuid.UUID(int=..., version=4) clears and sets: the version and variant bits.
_UUID_CLEAR = ~(0xC000 << 48 | 0xF000 << 64)
_UUID_SET = 0x8000 << 48 | 4 << 76
#: Every set of ``count`` client variables, by count: a set drawn from these is drawn
#: as ``rng.sample`` draws it, at a fraction of the cost.
_CLIENT_SETS = [list(itertools.combinations(_CLIENT_VARIABLES, count)) for count in range(6)]
_API_KEY_NAMES = ("openweather", "maps", "crm", "payments", "calendar")
_API_KEY_SETS = [list(itertools.combinations(_API_KEY_NAMES, count)) for count in range(4)]


T = TypeVar("T")


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """``rng.choice`` without its per-call overhead (this is on the hot path)."""
    return options[int(rng.random() * len(options))]


def randint(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint(low, high)`` at a fifth of its cost (this is on the hot path)."""
    return low + int(rng.random() * (high - low + 1))


def fitting_examples(examples: Sequence[str], labels: Iterable[str]) -> tuple[str, ...]:
    """The examples whose ``$label`` placeholders are exactly ``labels``."""
    wanted = set(labels)
    return tuple(e for e in examples if set(PLACEHOLDER.findall(e)) == wanted)


def client_variable_set(
    rng: random.Random, max_count: int = 3
) -> tuple[tuple[str, Callable[[random.Random], str]], ...]:
    """Which client variables a call carries (0 to ``max_count`` of them), each with
    the maker of its value."""
    count = randint(rng, 0, max_count)
    return pick(rng, _CLIENT_SETS[count]) if count else ()


def chat_score(rng: random.Random) -> float:
    """The intent's match score: a full-precision double in (0.5, 1)."""
    return 0.5 + rng.random() * 0.5


def elapsed_time(rng: random.Random) -> float:
    """Seconds the platform took on a first-sentence turn, e.g. ``0.052``."""
    return randint(rng, 12, 400) / 1000


def uuid_string(rng: random.Random) -> str:
    """A lowercase canonical random UUID: version 4, RFC 4122 variant, as
    ``str(uuid.UUID(int=rng.getrandbits(128), version=4))`` writes it, faster."""
    h = (rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET).to_bytes(16, "big").hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def hex64(rng: random.Random) -> str:
    """64 lowercase hex characters (as ``f"{rng.getrandbits(256):064x}"``, at a third of
    the cost)."""
    return rng.getrandbits(256).to_bytes(32, "big").hex()


class BotWebhookProvider(BaseProvider):
    """Webhook values: system-entity values, queries, scores, ids and tokens."""

    def __init__(self, generator: Any) -> None:
        super().__init__(generator)
        self._pools: dict[str, list[str]] = {}
        self._language: str | None = None

    # -- language ---------------------------------------------------------------

    def bot_language(self) -> str:
        """The platform language (``EN``, ``ES``, …) of this Faker's locale."""
        if self._language is None:
            self._language = next(
                (
                    _LANGUAGE_OF_LOCALE.get(lang, "EN")
                    for provider in self.generator.get_providers()
                    if (lang := getattr(provider, "__lang__", None))
                ),
                "EN",
            )
        return self._language

    def _rng(self) -> random.Random:
        rng: random.Random = self.generator.random
        return rng

    def _pool(self, name: str, make: Callable[[], str], *, closed: bool = False) -> list[str]:
        """Values of one kind, drawn once with a fixed seed.  ``closed`` is a small set
        known in full (weekday and month names): Faker draws those from a date between
        1970 and *now*, so which come first moves with the calendar; drawn until every
        one has come, and sorted, they are the same on any day."""
        pool = self._pools.get(name)
        if pool is None:
            saved = self.generator.random
            self.generator.random = random.Random(f"botwebhook-pool-{name}-{self.bot_language()}")
            try:
                drawn = [make() for _ in range(_CLOSED_DRAWS if closed else _POOL_SIZE)]
            finally:
                self.generator.random = saved
            pool = sorted(set(drawn)) if closed else list(dict.fromkeys(drawn))
            self._pools[name] = pool
        return pool

    def _pick(self, options: Sequence[str]) -> str:
        return pick(self._rng(), options)

    # -- system entities --------------------------------------------------------

    def sys_number(self) -> str:
        """A number as a user types it: ``"4"``, ``"12"``, ``"250"``."""
        rng = self._rng()
        return str(randint(rng, 1, 12) if rng.random() < 0.8 else randint(rng, 13, 500))

    def sys_ordinal(self) -> str:
        return self._pick(L.ORDINALS[self.bot_language()])

    def sys_percent(self) -> str:
        rng = self._rng()
        number = pick(rng, (5, 10, 12, 15, 18, 20, 25, 50))
        if rng.random() < 0.7:
            return f"{number}%"
        return f"{number} {L.PERCENT_WORD[self.bot_language()]}"

    def sys_date(self) -> str:
        """A date phrase: ``"tomorrow"``, ``"next Friday"``, ``"March 3"``."""
        language = self.bot_language()
        weekday = self._pick(self._pool("weekday", self.generator.day_of_week, closed=True))
        month = self._pick(self._pool("month", self.generator.month_name, closed=True))
        if language != "EN":  # weekdays and months are not capitalized there
            weekday, month = weekday.lower(), month.lower()
        frame = self._pick(L.DATES[language])
        return frame.format(weekday=weekday, month=month, day=randint(self._rng(), 1, 28))

    def sys_time(self) -> str:
        rng = self._rng()
        h12 = randint(rng, 1, 11)
        return self._pick(L.TIMES[self.bot_language()]).format(
            h12=h12, h24=h12 + pick(rng, (0, 12)), mm=pick(rng, ("00", "15", "30", "45"))
        )

    def sys_places(self) -> str:
        pool = self._pools.get("city")
        if pool is None:
            # Some locales (it_IT) build their city list from a set, so its order, and
            # what a seeded Faker draws from it, changes with PYTHONHASHSEED: sort it.
            listed = next(
                (p.cities for p in self.generator.get_providers() if hasattr(p, "cities")), None
            )
            if listed:
                chooser = random.Random(f"botwebhook-pool-city-{self.bot_language()}")
                pool = chooser.sample(sorted(set(listed)), min(_POOL_SIZE, len(set(listed))))
                self._pools["city"] = pool
            else:
                pool = self._pool("city", self.generator.city)
        return self._pick(pool)

    def sys_person(self) -> str:
        return self._pick(self._pool("first_name", self.generator.first_name))

    def sys_group(self) -> str:
        return self._pick(L.GROUPS[self.bot_language()])

    def sys_any(self) -> str:
        return self._pick(L.FREE_TEXT[self.bot_language()])

    def entity_value(
        self, entity: str, *, values: Sequence[str] = (), regex: str | None = None
    ) -> str:
        """A value for ``entity``: a system entity's span of text, one of a custom
        entity's ``values``, or a match of its ``regex``."""
        return self.value_drawer(entity, values=values, regex=regex)()

    def value_drawer(
        self, entity: str, *, values: Sequence[str] = (), regex: str | None = None
    ) -> Callable[[], str]:
        """What draws :meth:`entity_value`'s values for ``entity``, worked out once (the
        payload factory keeps one per variable)."""
        if entity.startswith("sys."):
            method: Callable[[], str] | None = getattr(self, entity.replace(".", "_"), None)
            return method or self.sys_any
        if regex is not None:
            return partial(self._regex_value, regex)
        return partial(self._pick, values or L.GENERIC_WORDS)

    def _regex_value(self, regex: str) -> str:
        pool = self._pools.get("regex " + regex)
        if pool is None:
            generator = RegexGenerator(regex)
            pool = self._pool("regex " + regex, lambda: generator.example(self._rng()))
        return self._pick(pool)

    # -- what the user typed ------------------------------------------------------

    def first_sentence(self, captured: Mapping[str, str], *, examples: Sequence[str] = ()) -> str:
        """A first sentence that contains every captured value verbatim (shape A).

        ``captured`` maps labels to values; an example is used only when its
        ``$label`` placeholders are exactly the captured labels.
        """
        return self.sentence(captured, fitting_examples(examples, captured))

    def sentence(self, captured: Mapping[str, str], fitting: Sequence[str]) -> str:
        """:meth:`first_sentence` from the examples that fit ``captured`` already
        chosen (:func:`fitting_examples`: the payload factory keeps them per intent)."""
        if fitting:
            text = self._pick(fitting)
            for label in sorted(captured, key=len, reverse=True):
                text = text.replace("$" + label, captured[label])
            return text
        language = self.bot_language()
        if not captured:
            return self._pick(L.FRAMES[language]).format(v=self._pick(L.FREE_TEXT[language]))
        joined = L.AND[language].join(captured.values())
        return self._pick(L.FRAMES[language]).format(v=joined)

    def prompt_answer(self, value: str) -> str:
        """What a user types when prompted for a value (shape B): the value itself."""
        return self._pick(L.ANSWERS[self.bot_language()]).format(v=value)

    # -- numbers, ids, tokens ---------------------------------------------------

    def chat_score(self) -> float:
        """The intent's match score: a full-precision double in (0.5, 1)."""
        return chat_score(self._rng())

    def elapsed_time(self) -> float:
        """Seconds the platform took on a first-sentence turn, e.g. ``0.052``."""
        return elapsed_time(self._rng())

    def timestamp_ms(self) -> int:
        """Milliseconds since the epoch, within 2025-2026."""
        return randint(self._rng(), _EPOCH_MS_LOW, _EPOCH_MS_HIGH)

    def uuid_string(self) -> str:
        """A lowercase canonical random UUID (``chatId``, ``originatingAiid``)."""
        return uuid_string(self._rng())

    def hex64(self) -> str:
        """64 lowercase hex characters (``chatSession``, ``webhook_token``)."""
        return hex64(self._rng())

    def webhook_secret(self) -> str:
        """A platform-style secret: 40 lowercase hex characters."""
        return f"{self._rng().getrandbits(160):040x}"

    def client_variables(self, *, max_count: int = 3) -> dict[str, str]:
        """``clientVariables`` as sent from ``x-hutoma-var-NAME`` headers."""
        rng = self._rng()
        return {name: make(rng) for name, make in client_variable_set(rng, max_count)}

    def api_keys(self) -> dict[str, str]:
        """A ``config.api_keys`` map of 1-3 developer API keys."""
        rng = self._rng()
        names = pick(rng, _API_KEY_SETS[randint(rng, 1, 3)])
        return {
            name: f"{name[:2]}-{rng.getrandbits(64).to_bytes(8, 'big').hex()}" for name in names
        }
