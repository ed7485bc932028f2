"""A Django function view: verify first, parse with a try/except, answer {}.
(``BW_PLANTED=1`` in the environment plants a defect: first-sentence turns have no
chatId.)  ``django_asgi.py`` serves the same view as an ASGI app."""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False, ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], SECRET_KEY="x", MIDDLEWARE=[]
    )

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

SECRET = b"2fb71ab6057e6f3d652c7e1131db962af27fda4f"
PLANTED = os.environ.get("BW_PLANTED") == "1"


@csrf_exempt
def webhook(request: HttpRequest) -> JsonResponse:
    signature = "sha256=" + hmac.new(SECRET, request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature, request.headers.get("X-Hub-Signature", "")):
        return JsonResponse({"error": "signature"}, status=401)
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "json"}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "object"}, status=400)
    if PLANTED:
        return JsonResponse({"text": payload["chatResult"]["chatId"]})
    return JsonResponse({"text": f"{payload.get('intentName', 'chat')} done"})


urlpatterns = [path("", webhook)]
app = get_wsgi_application()
