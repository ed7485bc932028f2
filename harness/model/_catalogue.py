"""The built-in catalogue: believable intents used when no bot model is declared.

Between them they use every system entity, custom LIST and REGEX entities,
an optional variable and an intent with no variables.  ``colour`` is the
public README's example.
"""

from __future__ import annotations

from functools import cache

from harness.model._botmodel import BotModel, IntentSpec, VariableSpec
from harness.protocol._request import LANGUAGES

__all__ = ["builtin_model"]

_COLOURS = {
    "EN": ("red", "green", "blue", "yellow"),
    "ES": ("rojo", "verde", "azul", "amarillo"),
    "PT": ("vermelho", "verde", "azul", "amarelo"),
    "FR": ("rouge", "vert", "bleu", "jaune"),
    "NL": ("rood", "groen", "blauw", "geel"),
    "IT": ("rosso", "verde", "blu", "giallo"),
}


def _intents() -> tuple[IntentSpec, ...]:
    return (
        IntentSpec(
            name="colour",
            responses={
                "EN": ("So your favourite colour is $colour!", "$colour, nice choice."),
                "ES": ("¡Así que tu color favorito es el $colour!",),
                "PT": ("Então a tua cor favorita é $colour!",),
                "FR": ("Ta couleur préférée est donc le $colour !",),
                "NL": ("Dus je lievelingskleur is $colour!",),
                "IT": ("Quindi il tuo colore preferito è il $colour!",),
            },
            examples={
                "EN": ("my favourite colour is $colour", "I like $colour", "$colour"),
                "ES": ("mi color favorito es el $colour", "me gusta el $colour"),
                "PT": ("a minha cor favorita é $colour", "gosto de $colour"),
                "FR": ("ma couleur préférée est le $colour", "j'aime le $colour"),
                "NL": ("mijn lievelingskleur is $colour", "ik hou van $colour"),
                "IT": ("il mio colore preferito è il $colour", "mi piace il $colour"),
            },
            variables=(
                VariableSpec(
                    label="colour",
                    entity="colour",
                    values=_COLOURS,
                    prompts=("What is your favourite colour?",),
                ),
            ),
        ),
        IntentSpec(
            name="book_table",
            responses=("Great, I'll book a table for $guests people.",),
            examples={
                "EN": (
                    "a table for $guests, $cuisine food please",
                    "book $cuisine for $guests people",
                    "table for $guests at the $cuisine place $date",
                )
            },
            variables=(
                VariableSpec(
                    label="guests",
                    entity="sys.number",
                    prompts=("For how many people?",),
                ),
                VariableSpec(
                    label="cuisine",
                    entity="cuisine",
                    values=("italian", "indian", "thai", "mexican", "japanese"),
                    prompts=("What kind of food?",),
                ),
                VariableSpec(label="date", entity="sys.date", mandatory=False),
            ),
        ),
        IntentSpec(
            name="order_pizza",
            responses=("Ordering $pizzas $size pizzas for you.",),
            examples={"EN": ("$pizzas $size pizzas please", "I want $pizzas $size pizzas")},
            variables=(
                VariableSpec(label="pizzas", entity="sys.number", prompts=("How many?",)),
                VariableSpec(
                    label="size",
                    entity="pizza_size",
                    values=("small", "medium", "large"),
                    prompts=("Which size?",),
                ),
            ),
        ),
        IntentSpec(
            name="weather",
            responses=("Checking the weather in $city...",),
            examples={"EN": ("what's the weather in $city", "is it raining in $city?")},
            variables=(VariableSpec(label="city", entity="sys.places", prompts=("Which city?",)),),
        ),
        IntentSpec(
            name="opening_hours",
            responses=("We are open from 9am to 5pm.", "Our hours are 9 to 5, Monday to Friday."),
            examples={"EN": ("when are you open?", "what are your opening hours")},
        ),
        IntentSpec(
            name="set_alarm",
            responses=("Alarm set for $time.",),
            examples={"EN": ("wake me up at $time", "set an alarm for $time $day")},
            variables=(
                VariableSpec(label="time", entity="sys.time", prompts=("For what time?",)),
                VariableSpec(label="day", entity="sys.date", mandatory=False),
            ),
        ),
        IntentSpec(
            name="remember_note",
            responses=("OK, I'll remember: $note",),
            examples={"EN": ("remember to $note", "note: $note")},
            variables=(
                VariableSpec(label="note", entity="sys.any", prompts=("What should I note?",)),
            ),
        ),
        IntentSpec(
            name="call_contact",
            responses=("Calling $person now.",),
            examples={"EN": ("call $person", "ring $person please")},
            variables=(
                VariableSpec(label="person", entity="sys.person", prompts=("Who should I call?",)),
            ),
        ),
        IntentSpec(
            name="choose_option",
            responses=("You picked the $choice option.",),
            examples={"EN": ("the $choice one", "I'll take the $choice")},
            variables=(
                VariableSpec(label="choice", entity="sys.ordinal", prompts=("Which one?",)),
            ),
        ),
        IntentSpec(
            name="add_tip",
            responses=("Adding a $tip tip.",),
            examples={"EN": ("add a $tip tip", "tip $tip")},
            variables=(VariableSpec(label="tip", entity="sys.percent", prompts=("How much?",)),),
        ),
        IntentSpec(
            name="message_group",
            responses=("Message sent to $group.",),
            examples={"EN": ("send this to $group", "message $group")},
            variables=(VariableSpec(label="group", entity="sys.group", prompts=("To whom?",)),),
        ),
        IntentSpec(
            name="track_order",
            responses=("Order $order_id is on its way.",),
            examples={"EN": ("where is my order $order_id?", "track $order_id")},
            variables=(
                VariableSpec(
                    label="order_id",
                    entity="order_number",
                    regex=r"ORD-[0-9]{6}",
                    prompts=("What is your order number?",),
                ),
            ),
        ),
    )


@cache
def builtin_model() -> BotModel:
    """The catalogue as a model declaring every platform language."""
    return BotModel(_intents(), LANGUAGES, "the built-in catalogue")
