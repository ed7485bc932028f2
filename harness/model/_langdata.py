"""Per-language words and sentence frames for believable user queries.

Keys are the platform's language names.  Frames use ``{v}`` for the
captured value(s); everything else is ordinary text a user might type.
"""

from __future__ import annotations

import re
from typing import Final

#: A ``$label`` placeholder in responses and examples.
PLACEHOLDER: Final = re.compile(r"\$([a-zA-Z0-9_.-]+)")

LOCALES: Final = {
    "EN": "en_US",
    "ES": "es_ES",
    "PT": "pt_PT",
    "FR": "fr_FR",
    "NL": "nl_NL",
    "IT": "it_IT",
}

#: Generic first-sentence frames, for intents declared without examples.
FRAMES: Final = {
    "EN": ("{v}", "I want {v}", "{v} please", "can you do {v}?", "I'd like {v}", "ok, {v}"),
    "ES": ("{v}", "quiero {v}", "{v} por favor", "¿puedes hacer {v}?", "me gustaría {v}"),
    "PT": ("{v}", "quero {v}", "{v} por favor", "podes fazer {v}?", "gostaria de {v}"),
    "FR": ("{v}", "je veux {v}", "{v} s'il vous plaît", "tu peux faire {v} ?", "j'aimerais {v}"),
    "NL": ("{v}", "ik wil {v}", "{v} alsjeblieft", "kun je {v} doen?", "graag {v}"),
    "IT": ("{v}", "voglio {v}", "{v} per favore", "puoi fare {v}?", "vorrei {v}"),
}

#: How a user answers a prompt on a later turn: the bare value, lightly wrapped.
ANSWERS: Final = {
    "EN": ("{v}", "{v}", "{v} please", "{v}, thanks", "um, {v}"),
    "ES": ("{v}", "{v}", "{v} por favor", "{v}, gracias"),
    "PT": ("{v}", "{v}", "{v} por favor", "{v}, obrigado"),
    "FR": ("{v}", "{v}", "{v} s'il vous plaît", "{v}, merci"),
    "NL": ("{v}", "{v}", "{v} alsjeblieft", "{v}, bedankt"),
    "IT": ("{v}", "{v}", "{v} per favore", "{v}, grazie"),
}

AND: Final = {"EN": " and ", "ES": " y ", "PT": " e ", "FR": " et ", "NL": " en ", "IT": " e "}

ORDINALS: Final = {
    "EN": ("first", "second", "third", "fourth", "1st", "2nd", "3rd", "last"),
    "ES": ("primero", "segundo", "tercero", "cuarto", "1º", "2º", "último"),
    "PT": ("primeiro", "segundo", "terceiro", "quarto", "1º", "2º", "último"),
    "FR": ("premier", "deuxième", "troisième", "quatrième", "1er", "2e", "dernier"),
    "NL": ("eerste", "tweede", "derde", "vierde", "1e", "2e", "laatste"),
    "IT": ("primo", "secondo", "terzo", "quarto", "1º", "2º", "ultimo"),
}

PERCENT_WORD: Final = {
    "EN": "percent", "ES": "por ciento", "PT": "por cento",
    "FR": "pour cent", "NL": "procent", "IT": "per cento",
}  # fmt: skip

DATES: Final = {
    "EN": ("today", "tomorrow", "the day after tomorrow", "next {weekday}", "on {weekday}",
           "{month} {day}", "this weekend"),
    "ES": ("hoy", "mañana", "pasado mañana", "el próximo {weekday}", "el {weekday}",
           "el {day} de {month}", "este fin de semana"),
    "PT": ("hoje", "amanhã", "depois de amanhã", "na próxima {weekday}", "na {weekday}",
           "{day} de {month}", "este fim de semana"),
    "FR": ("aujourd'hui", "demain", "après-demain", "{weekday} prochain", "{weekday}",
           "le {day} {month}", "ce week-end"),
    "NL": ("vandaag", "morgen", "overmorgen", "volgende {weekday}", "op {weekday}",
           "{day} {month}", "dit weekend"),
    "IT": ("oggi", "domani", "dopodomani", "{weekday} prossimo", "{weekday}",
           "il {day} {month}", "questo fine settimana"),
}  # fmt: skip

TIMES: Final = {
    "EN": ("{h12}pm", "{h12}am", "{h24}:{mm}", "{h12}:{mm} pm", "noon", "half past {h12}"),
    "ES": ("a las {h24}:{mm}", "las {h12} de la tarde", "{h24}:{mm}", "mediodía"),
    "PT": ("às {h24}:{mm}", "{h24}h{mm}", "{h24}:{mm}", "meio-dia"),
    "FR": ("{h24}h{mm}", "{h24}h", "{h24}:{mm}", "midi"),
    "NL": ("{h24}:{mm}", "om {h24} uur", "half {h12}", "'s middags"),
    "IT": ("alle {h24}:{mm}", "le {h24}", "{h24}:{mm}", "mezzogiorno"),
}

GROUPS: Final = {
    "EN": ("the sales team", "the family", "my book club", "marketing", "the night shift"),
    "ES": ("el equipo de ventas", "la familia", "mi club de lectura", "marketing"),
    "PT": ("a equipa de vendas", "a família", "o meu clube de leitura", "marketing"),
    "FR": ("l'équipe commerciale", "la famille", "mon club de lecture", "le marketing"),
    "NL": ("het verkoopteam", "de familie", "mijn leesclub", "marketing"),
    "IT": ("il team vendite", "la famiglia", "il mio club del libro", "marketing"),
}

FREE_TEXT: Final = {
    "EN": ("buy milk on the way home", "call the plumber about the leak",
           "remember that the wifi password changed", "book the car for its service"),
    "ES": ("comprar leche al volver a casa", "llamar al fontanero por la fuga",
           "recordar que cambió la contraseña del wifi"),
    "PT": ("comprar leite a caminho de casa", "ligar ao canalizador por causa da fuga",
           "lembrar que a palavra-passe do wifi mudou"),
    "FR": ("acheter du lait en rentrant", "appeler le plombier pour la fuite",
           "se souvenir que le mot de passe du wifi a changé"),
    "NL": ("melk kopen op weg naar huis", "de loodgieter bellen over het lek",
           "onthouden dat het wifi-wachtwoord is veranderd"),
    "IT": ("comprare il latte tornando a casa", "chiamare l'idraulico per la perdita",
           "ricordare che la password del wifi è cambiata"),
}  # fmt: skip

#: Text that Gson HTML-escapes (' < > & =), per language.
ESCAPED: Final = {
    "EN": ("Tom & Jerry's <3 = fun", "I'll take 2 > 1 & that's it", "a=b & c<d"),
    "ES": ("Tom & Jerry's <3 = divertido", "2 > 1 & 'vale'"),
    "PT": ("Tom & Jerry's <3 = fixe", "2 > 1 & 'ok'"),
    "FR": ("c'est l'été & 2 > 1 = <oui>", "Tom & Jerry's <3"),
    "NL": ("'t is 2 > 1 & a=b <ja>", "Tom & Jerry's <3"),
    "IT": ("l'ho detto: 2 > 1 & a=b <sì>", "Tom & Jerry's <3"),
}

#: Non-ASCII letters typical of each language (and of names in it).
NON_ASCII: Final = {
    "EN": ("café", "naïve", "Zoë", "jalapeño", "Ångström"),
    "ES": ("niño", "pingüino", "¿qué tal?", "¡olé!", "año"),
    "PT": ("coração", "ação", "pão", "você", "maçã"),
    "FR": ("déjà vu", "garçon", "crème brûlée", "où", "Noël"),
    "NL": ("geïnteresseerd", "coördinatie", "één", "café", "reünie"),
    "IT": ("perché", "città", "più", "caffè", "però"),
}

EMOJI: Final = ("🍕", "😀", "👍🏽", "🇵🇹", "❤️", "👨‍👩‍👧", "🎉", "🙏")

FILLER: Final = {
    "EN": "and also I wanted to add a few more details so the message is long",
    "ES": "y además quería añadir algunos detalles más para que el mensaje sea largo",
    "PT": "e também queria acrescentar mais alguns detalhes para a mensagem ser longa",
    "FR": "et je voulais aussi ajouter quelques détails pour que le message soit long",
    "NL": "en ik wilde ook nog wat details toevoegen zodat het bericht lang is",
    "IT": "e volevo anche aggiungere qualche dettaglio perché il messaggio sia lungo",
}

#: Words for custom entities declared without values in the built-in catalogue.
GENERIC_WORDS: Final = ("alpha", "bravo", "charlie", "delta", "echo")
