"""The Django view of ``django_typical.py`` served as an ASGI app
(``get_asgi_application()``); ``BW_PLANTED=1`` plants its defect."""

from __future__ import annotations

import django_typical  # noqa: F401 - configures the settings and the URLs
from django.core.asgi import get_asgi_application

app = get_asgi_application()
