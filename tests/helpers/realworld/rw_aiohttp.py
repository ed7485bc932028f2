"""An aiohttp app served over plain http (the platform signs nothing there): one
intent, ``order_pizza``, at ``POST /webhook``; other intents get a 400.  It reads
the body with ``await request.json()``, so junk gets aiohttp's 500."""

from __future__ import annotations

from aiohttp import web


async def webhook(request):
    data = await request.json()
    if data.get("intentName") != "order_pizza":
        return web.json_response({"error": "unsupported intent"}, status=400)
    variables = data.get("variablesMap", {})
    pizzas = variables.get("pizzas", {}).get("value", "one")
    size = variables.get("size", {}).get("value", "medium")
    return web.json_response(
        {
            "text": f"{pizzas} {size} pizza(s) coming up.",
            "context": {"variables": {"last_order": {"value": f"{pizzas}x{size}"}}},
        }
    )


def make_app():
    app = web.Application()
    app.router.add_post("/webhook", webhook)
    return app
