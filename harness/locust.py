"""Load on a webhook under the platform's 10-second budget, with Locust.

``BotWebhookUser`` is a Locust user class: subclass it in your locustfile::

    # locustfile.py
    from harness.locust import BotWebhookUser

    class MyBot(BotWebhookUser):
        host = "https://bot.example.com/webhook"   # the URL the platform calls
        model = "botwebhook.toml"                   # your bot (default: the one found here)
        weights = {"book_table": 5}                 # intents called more often (default 1)
        # the secret: $BOTWEBHOOK_SECRET, or secret = "..."

Run it with ``locust -f locustfile.py`` (headless, distributed with
``--master``/``--worker``, or with ``--processes``), or use ``botwebhook load``.

Each task sends a realistic, signed, platform-exact payload of one variant of
the check matrix (all equally likely, times the intent's weight), from a
payload factory seeded per user; reads the answer as the platform does; and
records a Locust failure named by the finding code that ``botwebhook check``
would give the same exchange: ``BW105`` past the read timeout, ``BW101`` for a
status other than 200 (``BW401`` for a 5xx), ``BW102``-``BW104`` when the body
cannot be deserialized, and so on.  Requests are named by intent.

It is a ``FastHttpUser`` (geventhttpclient): a few times the requests per
second of ``HttpUser`` per core, so that one load machine goes further, and
payload generation stays a small part of each call.

**Importing this module imports Locust, and gevent monkey-patches the standard
library**: nothing else in this package imports it (``botwebhook load`` runs
Locust in a child process).  It needs the ``load`` extra:
``pip install 'pytest-botwebhook[load]'``.
"""

from __future__ import annotations

from harness.load._user import REDIRECT_FAILURE, BotWebhookUser

__all__ = ["REDIRECT_FAILURE", "BotWebhookUser"]
