"""Load: the ``botwebhook load`` run.

Locust runs in a child process (``python -m harness.load._runner``) because
gevent monkey-patches the standard library; the app under load is served behind
waitress or uvicorn, and the child's result becomes the summary and the plot here.
The Locust user class is public as ``harness.locust.BotWebhookUser``.
"""
