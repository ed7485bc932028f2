"""Checking a handler as the platform would: targets, one delivered call (an
:class:`Exchange`), findings and their codes, the scenario matrix and its
:class:`Report`, and fuzzing (:class:`FuzzReport`).

The data flow: a :class:`Scenario` (or a payload) is signed and delivered to a
:class:`Target`; the answer is read as the platform reads it; the
:class:`Exchange` holds the request, the answer, the outcome and the
:class:`Finding` list; a :class:`Report` holds a run's exchanges.
"""

from __future__ import annotations

from harness._asgi_target import AsgiTarget
from harness._check import Report, Scenario, build_matrix, matrix_variants, run_check
from harness._exchange import Exchange, Expect, check_exchange, curl_command, deliver, judge
from harness._findings import CODES, Code, Finding, Severity
from harness._fuzz import (
    DEFAULT_DATABASE,
    DEFAULT_SAVE_DIR,
    MAX_TIMEOUTS,
    FuzzFailure,
    FuzzReport,
    fuzz,
)
from harness._loader import load_target
from harness._report import render_json, render_junit, render_text
from harness._runner import DEFAULT_WORKERS
from harness._transport import Delivery, Received, Sent, Target, WsgiTarget
from harness._url_target import UrlTarget

__all__ = [
    "CODES",
    "DEFAULT_DATABASE",
    "DEFAULT_SAVE_DIR",
    "DEFAULT_WORKERS",
    "MAX_TIMEOUTS",
    "AsgiTarget",
    "Code",
    "Delivery",
    "Exchange",
    "Expect",
    "Finding",
    "FuzzFailure",
    "FuzzReport",
    "Received",
    "Report",
    "Scenario",
    "Sent",
    "Severity",
    "Target",
    "UrlTarget",
    "WsgiTarget",
    "build_matrix",
    "check_exchange",
    "curl_command",
    "deliver",
    "fuzz",
    "judge",
    "load_target",
    "matrix_variants",
    "render_json",
    "render_junit",
    "render_text",
    "run_check",
]
