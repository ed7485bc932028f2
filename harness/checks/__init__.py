"""Checking a handler as the platform would: targets, one delivered call (an
:class:`Exchange`), findings and their codes, the scenario matrix and its
:class:`Report`, and fuzzing (:class:`FuzzReport`).

The data flow: a :class:`Scenario` (or a payload) is signed and delivered to a
:class:`Target`; the answer is read as the platform reads it; the
:class:`Exchange` holds the request, the answer, the outcome and the
:class:`Finding` list; a :class:`Report` holds a run's exchanges.
"""

from __future__ import annotations

from harness.checks._baseline import Baseline, BaselineError
from harness.checks._check import (
    Report,
    Scenario,
    build_matrix,
    contract_scenarios,
    matrix_variants,
    probe_scenarios,
    run_check,
)
from harness.checks._code_coverage import CodeCoverage
from harness.checks._code_report import HandlerCoverage, UnreachedBranch, UnreachedFunction
from harness.checks._coverage import ProtocolCoverage
from harness.checks._fuzz import DEFAULT_DATABASE, DEFAULT_SAVE_DIR, fuzz
from harness.checks._fuzz_property import CallProperty, FuzzContext, PropertyFailed
from harness.checks._fuzz_report import MAX_TIMEOUTS, FuzzFailure, FuzzReport
from harness.checks._report import render_json, render_junit, render_text
from harness.checks._result import Format, Result
from harness.checks._runner import DEFAULT_WORKERS
from harness.checks._survey import Survey, survey
from harness.checks._verdicts import NOT_JUDGED
from harness.delivery._asgi_target import AsgiTarget
from harness.delivery._deadline import MAX_CALL_THREADS
from harness.delivery._exchange import (
    Exchange,
    Expect,
    check_exchange,
    curl_command,
    deliver,
    judge,
)
from harness.delivery._explained import EXPLAINED, Explained, explain
from harness.delivery._findings import (
    CODES,
    DOCS_URL_ENV,
    Code,
    Finding,
    Severity,
    about,
    docs_url,
    set_docs_url,
)
from harness.delivery._loader import load_target
from harness.delivery._routes import Route, require_path, routes_of
from harness.delivery._transport import Delivery, Received, Sent, Target, WsgiTarget
from harness.delivery._url_target import UrlTarget

__all__ = [
    "CODES",
    "DEFAULT_DATABASE",
    "DEFAULT_SAVE_DIR",
    "DEFAULT_WORKERS",
    "DOCS_URL_ENV",
    "EXPLAINED",
    "MAX_CALL_THREADS",
    "MAX_TIMEOUTS",
    "NOT_JUDGED",
    "AsgiTarget",
    "Baseline",
    "BaselineError",
    "CallProperty",
    "Code",
    "CodeCoverage",
    "Delivery",
    "Exchange",
    "Expect",
    "Explained",
    "Finding",
    "Format",
    "FuzzContext",
    "FuzzFailure",
    "FuzzReport",
    "HandlerCoverage",
    "PropertyFailed",
    "ProtocolCoverage",
    "Received",
    "Report",
    "Result",
    "Route",
    "Scenario",
    "Sent",
    "Severity",
    "Survey",
    "Target",
    "UnreachedBranch",
    "UnreachedFunction",
    "UrlTarget",
    "WsgiTarget",
    "about",
    "build_matrix",
    "check_exchange",
    "contract_scenarios",
    "curl_command",
    "deliver",
    "docs_url",
    "explain",
    "fuzz",
    "judge",
    "load_target",
    "matrix_variants",
    "probe_scenarios",
    "render_json",
    "render_junit",
    "render_text",
    "require_path",
    "routes_of",
    "run_check",
    "set_docs_url",
    "survey",
]
