"""The Locust user behind ``harness.locust`` (its docstring says how to use it).

Importing this module imports Locust: gevent monkey-patches the standard library."""

from __future__ import annotations

import itertools
import os
import random
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from locust import FastHttpUser, task

from harness.checks._check import matrix_variants
from harness.delivery._exchange import judge
from harness.delivery._transport import Delivery, Received, Sent
from harness.model._botmodel import BotModel
from harness.platform._budget import DEFAULT_TIMEOUT
from harness.platform._headers import platform_headers
from harness.protocol._signing import Secret, sign

__all__ = ["REDIRECT_FAILURE", "BotWebhookUser"]

#: The failure recorded for a redirect: the platform would follow it, a load test does not.
REDIRECT_FAILURE = "redirect not followed under load (botwebhook check judges redirects)"
_USERS = itertools.count()


class Calls:
    """The calls in flight, and a pause between the steps of a run: ``botwebhook load``
    lets the calls of a step finish (or time out) before it counts the step, so that
    no chat goes uncounted.  Shared by every user of the process (one greenlet at a
    time runs, so plain integers suffice)."""

    in_flight = 0
    paused = False
    #: ``botwebhook load`` counts which cells of the bot model the calls exercised.
    coverage: Any = None


class BotWebhookUser(FastHttpUser):
    """A chat platform calling the webhook at ``host``; see the module docstring.

    Class attributes to set in a subclass: ``host``; ``secret`` (default
    ``$BOTWEBHOOK_SECRET``); ``model`` (a ``BotModel`` or a path; default: the
    model declared in the working folder, else the built-in catalogue);
    ``weights`` (intent name -> relative weight); ``seed``; ``timeout`` (the
    platform's 10 s); ``signed`` (None: only https, as the platform; True/False);
    ``passthrough`` (the endpoint is a passthrough bot's); ``insecure`` (do not
    verify certificates; the platform does); ``intents`` (only these intents of the
    model, as ``--intent`` does)."""

    abstract = True
    secret: ClassVar[str | None] = None
    model: ClassVar[BotModel | str | None] = None
    weights: ClassVar[Mapping[str, float] | None] = None
    seed: ClassVar[int] = 0
    timeout: ClassVar[float] = DEFAULT_TIMEOUT
    signed: ClassVar[bool | None] = None
    passthrough: ClassVar[bool] = False
    intents: ClassVar[Sequence[str] | None] = None
    #: Certificates are verified, as the platform verifies them (a TLS failure is the
    #: chat's fallback, BW100); set True for a self-signed staging endpoint.
    insecure: bool = False

    def __init__(self, environment: Any) -> None:
        # The platform's connect and read timeouts; one attempt, no retry.
        self.network_timeout = self.connection_timeout = float(self.timeout)
        self.max_retries = 0
        super().__init__(environment)
        from harness.model._factory import PayloadFactory

        worker = getattr(environment.runner, "worker_index", 0) or 0
        self.user_seed = self.seed + 1_000_003 * worker + next(_USERS)
        self.factory = PayloadFactory(_model(type(self)), seed=self.user_seed)
        self.rng = random.Random(self.user_seed)
        self.variants, self.cumulative = _variants(type(self), self.factory.model)
        secret = self.secret if self.secret is not None else os.environ.get("BOTWEBHOOK_SECRET")
        self.key = Secret.of(secret)
        https = str(self.host or "").lower().startswith("https:")
        self.signing = https if _signed(type(self)) is None else bool(_signed(type(self)))

    @task
    def call(self) -> None:
        """One webhook call of a random variant, judged as the platform judges it."""
        while Calls.paused:  # between two steps of botwebhook load
            self.wait_time_pause()
        Calls.in_flight += 1
        try:
            self._call()
        finally:
            Calls.in_flight -= 1

    def wait_time_pause(self) -> None:
        import gevent

        gevent.sleep(0.02)

    def _call(self) -> None:
        options = self.rng.choices(self.variants, cum_weights=self.cumulative)[0]
        payload = self.factory.build(**options)
        body = payload.body
        signature = sign(body, self.key) if self.signing and self.key else None
        headers = platform_headers(body, signature)
        headers["Accept-Encoding"] = "identity"  # the platform asks for no compression
        url = str(self.host)
        name = payload.variant.intent or "passthrough"
        started = time.perf_counter()
        with self.client.post(
            url, data=body, headers=headers, name=name, catch_response=True,  # type: ignore[arg-type]
            allow_redirects=False,
        ) as response:  # fmt: skip
            failure = _failure(response, Sent("POST", url, headers, body), started, payload)
            if failure is None:
                response.success()
            else:
                response.failure(failure)


def _failure(response: Any, sent: Sent, started: float, payload: Any) -> str | None:
    """The Locust failure for this answer: the finding code and title, or None."""
    elapsed = time.perf_counter() - started
    error = getattr(response, "error", None)
    status = int(getattr(response, "status_code", 0) or 0)
    if error is not None and not status:
        timed_out = "timeout" in type(error).__name__.lower() or "timed out" in str(error)
        delivery = Delivery(sent, None, f"{type(error).__name__}: {error}", timed_out=timed_out)
    else:
        if status in (301, 302, 303, 307, 308):
            return REDIRECT_FAILURE
        headers = {str(k): str(v) for k, v in (response.headers or {}).items()}
        received = Received(status, headers, response.content or b"", elapsed)
        delivery = Delivery(sent, received, elapsed=elapsed)
    exchange = judge(
        delivery,
        passthrough=payload.variant.shape == "P",
        variant=payload.variant.name,
        secret_known=True,
    )
    if Calls.coverage is not None:
        Calls.coverage.add(exchange)
    errors = [f for f in exchange.findings if f.severity == "error"]
    return f"{errors[0].code} {errors[0].title}" if errors else None


_MODELS: dict[type, BotModel] = {}
_VARIANTS: dict[type, tuple[list[dict[str, Any]], list[float]]] = {}


def _model(cls: type[BotWebhookUser]) -> BotModel:
    model = _MODELS.get(cls)
    if model is None:
        from harness.model._catalogue import builtin_model
        from harness.model._files import find_model, load_model

        given = cls.model
        if isinstance(given, BotModel):
            model = given
        elif given is not None:
            model = load_model(str(given))
        else:
            model = find_model(".") or builtin_model()
        if cls.intents:
            from harness.model._files import scope_model

            model = scope_model(model, cls.intents) or model
        _MODELS[cls] = model
    return model


def _variants(
    cls: type[BotWebhookUser], model: BotModel
) -> tuple[list[dict[str, Any]], list[float]]:
    cached = _VARIANTS.get(cls)
    if cached is None:
        from harness._errors import BotWebhookValueError

        weights = dict(cls.weights or {})
        for name in weights:
            model.intent(name)  # an unknown intent raises, naming the known ones
            if not weights[name] >= 0:
                raise BotWebhookValueError(
                    f"weights[{name!r}]: {weights[name]!r} is not a weight (hint: 0 or more)"
                )
        pairs = matrix_variants(model, passthrough=cls.passthrough)
        variants = [options for _, options in pairs]
        each = [weights.get(options.get("intent") or "", 1.0) for options in variants]
        if not sum(each) > 0:
            raise BotWebhookValueError("weights: every variant has weight 0 (hint: raise one)")
        cached = _VARIANTS[cls] = (variants, list(itertools.accumulate(each)))
    return cached


def _signed(user: type[BotWebhookUser]) -> bool | None:
    """The class's ``signed``, or its old name ``sign`` with a warning."""
    old = getattr(user, "sign", None)
    if user.signed is None and old is not None:
        warnings.warn(
            f"{user.__name__}.sign is now {user.__name__}.signed; sign will be removed in 0.3",
            DeprecationWarning,
            stacklevel=2,
        )
        return bool(old)
    return user.signed
