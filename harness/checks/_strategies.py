"""The payload, request, response, body and signature strategies behind
``harness.strategies`` (its docstring says how they shrink)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from harness.checks._attacks import (
    MALFORMED_WIDTH,
    SIGNATURE_WIDTH,
    Decided,
    fixed_bytes,
    malformed_from,
    wrong_signature_from,
)
from harness.model._botmodel import SYSTEM_ENTITIES, BotModel
from harness.model._catalogue import builtin_model
from harness.model._payload import FEATURES, TEXT_VARIANTS, Payload
from harness.platform._answer import RESPONSE_ENUMS
from harness.protocol._request import ChatResult, MemoryVariable, WebhookRequest
from harness.protocol._response import (
    Attachment,
    AttachmentPayload,
    Button,
    ContextUpdate,
    ContextVariable,
    DefaultAction,
    Element,
    MessageNode,
    QuickReply,
    WebhookResponse,
)
from harness.protocol._signing import sign

if TYPE_CHECKING:
    from harness.model._factory import PayloadFactory

__all__ = [
    "chat_results",
    "malformed_bodies",
    "mutated",
    "payloads",
    "responses",
    "signatures",
    "variables",
    "wrong_signatures",
]

_KINDS = ("intent", "passthrough")
_SHAPES = ("A", "B", "P")


def _check_choice(name: str, value: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise InvalidArgument(
            f"{name}={value!r} must be a non-empty sequence of {', '.join(map(repr, allowed))}"
        )
    for item in value:
        if item not in allowed:
            raise InvalidArgument(f"{name} contains {item!r}; allowed: {', '.join(allowed)}")
    return tuple(dict.fromkeys(value))


def payloads(
    *,
    model: BotModel | None = None,
    kinds: Sequence[str] = ("intent",),
    shapes: Sequence[str] = ("A", "B"),
) -> SearchStrategy[Payload]:
    """Realistic platform payloads (:class:`harness.Payload`) for ``model`` (default:
    the built-in catalogue), of the given ``kinds`` (``intent``, ``passthrough``)
    and, for intent webhooks, ``shapes`` (``A``, ``B``).  Shrinks toward shape A,
    the first intent, plain text, no features, seed 0."""
    if model is not None and not isinstance(model, BotModel):
        raise InvalidArgument(f"model={model!r} must be a harness.BotModel or None")
    kinds = _check_choice("kinds", kinds, _KINDS)
    shapes = _check_choice("shapes", shapes, ("A", "B"))
    model = model or builtin_model()
    return _DECISIONS.map(lambda decided: _payload(decided, model, kinds, shapes))


def payload_batches(
    count: int,
    *,
    model: BotModel | None = None,
    kinds: Sequence[str] = ("intent",),
    shapes: Sequence[str] = ("A", "B"),
    each: Callable[[Payload], Any] = lambda payload: payload,
) -> SearchStrategy[Sequence[Any]]:
    """``count`` payloads of :func:`payloads` (each as ``each(payload)``), their
    decisions drawn as one choice (a fuzz batch: Hypothesis's cost is a choice, not
    its size), each built when first read.  Each shrinks as one payload of
    :func:`payloads` does."""
    kinds = _check_choice("kinds", kinds, _KINDS)
    shapes = _check_choice("shapes", shapes, ("A", "B"))
    chosen = model or builtin_model()
    width = _DECISIONS_WIDTH

    def split(decided: bytes) -> Decided:
        chunks = [decided[i : i + width] for i in range(0, len(decided), width)]
        return Decided(chunks, lambda chunk: each(_payload(chunk, chosen, kinds, shapes)))

    return fixed_bytes(width * count).map(split)


def _factory(model: BotModel) -> PayloadFactory:
    from harness.model._factory import PayloadFactory

    cached = _FACTORIES.get(id(model))
    if cached is None or cached.model is not model:
        cached = _FACTORIES[id(model)] = PayloadFactory(model, seed=0)
    return cached


_FACTORIES: dict[int, PayloadFactory] = {}


#: Every decision of a payload, one byte each, drawn as one choice: Hypothesis spends
#: as much on each draw as the factory does on a whole payload, and it shrinks a
#: byte string byte by byte, each toward 0, as it shrinks separate draws.
_DECISIONS_WIDTH = 9
_DECISIONS = fixed_bytes(_DECISIONS_WIDTH)


def _payload(
    decided: bytes, model: BotModel, kinds: tuple[str, ...], shapes: tuple[str, ...]
) -> Payload:
    """The payload ``decided`` (:data:`_DECISIONS`) stands for.  Its bytes, in the order
    of the decisions' importance to a failure: the kind, the language, the text, the
    features (a bit each) with the shape (the top bit), the intent, and four of the
    seed of the values."""
    from harness.model._factory import PayloadOptionError, fitting_intents

    factory = _factory(model)
    kind = kinds[decided[0] % len(kinds)]
    language = model.languages[decided[1] % len(model.languages)]
    text = TEXT_VARIANTS[decided[2] % len(TEXT_VARIANTS)]
    mask, index = decided[3], decided[4]
    factory.reseed(int.from_bytes(decided[5:], "big"))
    if kind == "passthrough":
        return factory.build(shape="P", language=language, text=text, facebook=bool(mask & 1))
    # Features first, then an intent that can have them: a bug behind one feature
    # is found often, and shrinks to that feature on the first intent that has it.
    # A failure shrinks to the smallest mask, the one feature that matters.
    features: dict[str, Any] = {f: bool(mask >> i & 1) for i, f in enumerate(FEATURES)}
    if features["trigger"] and features["sys_any_command"]:
        features["trigger"] = False
    # Every choice is made every time, from its own byte, so that the shrinker can
    # flip one (a feature off) without scrambling the meaning of the others.
    shape: Any = shapes[-1] if mask >> len(FEATURES) & 1 else shapes[0]
    if features["trigger"] or features["sys_any_command"]:
        shape = "A"
    candidates = fitting_intents(model, shape, features)
    if not candidates:
        features = dict.fromkeys(FEATURES, False)
        candidates = fitting_intents(model, shape, features)
    if not candidates:
        shape = "A"
        candidates = model.intents
    intent = candidates[index % len(candidates)]
    try:
        return factory.build(
            intent=intent.name, shape=shape, language=language, text=text, **features
        )
    except PayloadOptionError as exc:  # pragma: no cover - the choices above avoid it
        raise AssertionError(f"payloads() drew an impossible combination: {exc}") from exc


_labels = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
_texts = st.text(st.characters(codec="utf-8"), max_size=40)


@st.composite
def _variable(draw: st.DrawFn) -> MemoryVariable:
    system = draw(st.booleans())
    entity = (
        draw(st.sampled_from(SYSTEM_ENTITIES))
        if system
        else draw(st.from_regex(r"[a-z][a-z0-9_.-]{0,15}", fullmatch=True))
    )
    max_prompts = draw(st.integers(1, 16))
    return MemoryVariable(
        entity=entity,
        value=draw(st.none() | _texts.filter(bool)),
        mandatory=draw(st.booleans()),
        times_prompted=draw(st.integers(0, max_prompts)),
        max_prompts=max_prompts,
        label=draw(_labels),
        value_type="SYS" if system else draw(st.sampled_from(["LIST", "REGEX"])),
    )


def variables() -> SearchStrategy[MemoryVariable]:
    """Intent variables (:class:`harness.MemoryVariable`), filled or not."""
    return _variable()


@st.composite
def _chat_result(draw: st.DrawFn, shape: str) -> ChatResult:
    from harness.protocol._request import MAX_QUERY

    context = draw(st.dictionaries(_labels, _texts, max_size=4))
    query = draw(st.text(st.characters(codec="utf-8"),
                         max_size=MAX_QUERY))  # fmt: skip
    if shape == "A":
        return ChatResult(
            score=draw(st.floats(0.0, 1.0)),
            query=query,
            answer=draw(_texts),
            elapsed_time=draw(st.floats(0.001, 2.0)),
            context=context,
        )
    return ChatResult(
        topic_in="",
        score=0.0 if shape == "P" else draw(st.floats(0.0, 1.0)),
        query=query,
        answer="" if shape == "P" else draw(_texts),
        history="",
        elapsed_time=0.0,
        context=context,
        topic_out="",
        chat_id=str(draw(st.uuids(version=4))),
        timestamp=draw(st.integers(1_500_000_000_000, 2_000_000_000_000)),
    )


def chat_results(*, shapes: Sequence[str] = _SHAPES) -> SearchStrategy[ChatResult]:
    """``chatResult`` objects of the given shapes (``A``, ``B``, ``P``)."""
    shapes = _check_choice("shapes", shapes, _SHAPES)
    return st.sampled_from(shapes).flatmap(_chat_result)


_urls = st.sampled_from(
    ["https://example.com/a.png", "https://example.com/menu", "https://example.com/x?y=1"]
)
_buttons = st.builds(
    Button,
    type=st.sampled_from(RESPONSE_ENUMS["button.type"]),
    title=_texts.filter(bool),
    url=_urls,
    payload=st.none() | _texts,
)
_elements = st.builds(
    Element,
    title=_texts.filter(bool),
    image_url=st.none() | _urls,
    subtitle=st.none() | _texts,
    default_action=st.none()
    | st.builds(DefaultAction, url=_urls, webview_height_ratio=st.sampled_from(["tall", "full"])),
    buttons=st.none() | st.lists(_buttons, max_size=3),
)
_template = st.builds(
    AttachmentPayload,
    template_type=st.sampled_from(RESPONSE_ENUMS["template_type"]),
    text=st.none() | _texts,
    buttons=st.none() | st.lists(_buttons, max_size=3),
    elements=st.none() | st.lists(_elements, min_size=1, max_size=4),
    top_element_style=st.none() | st.sampled_from(RESPONSE_ENUMS["top_element_style"]),
)
_media = st.builds(AttachmentPayload, url=_urls)
_attachments = st.builds(Attachment, type=st.just("template"), payload=_template) | st.builds(
    Attachment,
    type=st.sampled_from([t for t in RESPONSE_ENUMS["attachment.type"] if t != "template"]),
    payload=_media,
)
_quick_replies = st.builds(
    QuickReply,
    content_type=st.sampled_from(RESPONSE_ENUMS["content_type"]),
    title=_texts.filter(bool),
    payload=st.none() | _texts,
)
_nodes = st.builds(
    MessageNode,
    text=st.none() | st.text(max_size=640),
    quick_replies=st.none() | st.lists(_quick_replies, max_size=4),
    attachment=st.none() | _attachments,
)
_contexts = st.builds(
    ContextUpdate,
    variables=st.dictionaries(
        _labels, st.builds(ContextVariable, value=st.none() | _texts), max_size=4
    ),
)


def responses() -> SearchStrategy[WebhookResponse]:
    """Valid webhook answers (:class:`harness.WebhookResponse`): text, Facebook nodes
    with quick replies and templates, nested context updates; no finding-worthy
    content (texts stay within 640 characters, enums are known values)."""
    return st.builds(
        WebhookResponse,
        text=st.none() | st.text(max_size=640),
        facebook=st.none() | _nodes,
        facebook_multi=st.none() | st.lists(_nodes, max_size=3),
        context=st.none() | _contexts,
    )


def malformed_bodies() -> SearchStrategy[bytes]:
    """Request bodies no platform sends: invalid JSON, wrong types, truncated
    payloads, deep nesting, huge strings, invalid UTF-8.

    The platform never sends these, and only it holds the secret: send them
    without a valid signature, as anyone on the network could (``deliver(...,
    expect="malformed")`` does).  A handler that verifies first refuses them
    with a 4xx; a 5xx then means it parses before it verifies.  Shrinks toward
    the shortest bodies (``b""``, ``null``, ``[]``) and the smallest nesting.
    Each body is one choice of bytes (``harness.checks._attacks``).
    """
    return fixed_bytes(MALFORMED_WIDTH).map(malformed_from)


def signatures(
    *, valid: bool = False, body: bytes | None = None, secret: str | None = None
) -> SearchStrategy[str | None]:
    """``X-Hub-Signature`` values.  ``valid=True`` (needs ``body`` and ``secret``)
    gives the correct one; ``valid=False`` gives wrong ones: missing (None), no
    ``sha256=`` prefix, wrong length, non-hex, another algorithm, or a well-formed
    digest of something else."""
    if valid:
        if body is None or secret is None:
            raise InvalidArgument("signatures(valid=True) needs body=... and secret=...")
        if not isinstance(body, bytes | bytearray):
            raise InvalidArgument(f"body={body!r} must be bytes")
        return st.just(sign(bytes(body), secret))
    return st.none() | wrong_signatures(body=body, secret=secret)


def wrong_signatures(
    *, body: bytes | None = None, secret: str | None = None
) -> SearchStrategy[str]:
    """:func:`signatures` that are present and wrong (``valid=False`` without None),
    each one choice of bytes (``harness.checks._attacks``)."""
    correct = sign(bytes(body), secret) if body is not None and secret else None
    return fixed_bytes(SIGNATURE_WIDTH).map(lambda decided: wrong_signature_from(decided, correct))


st.register_type_strategy(WebhookRequest, payloads().map(lambda p: p.request))
st.register_type_strategy(Payload, payloads())
st.register_type_strategy(MemoryVariable, variables())
st.register_type_strategy(ChatResult, chat_results())
st.register_type_strategy(WebhookResponse, responses())


def mutated(bodies: Sequence[bytes]) -> SearchStrategy[bytes]:
    """Recorded platform request bodies (e.g. from a cassette), each as it is or with
    one thing the chat user controls changed: the query, a variable's value (in every
    place it appears), an optional variable's value removed, or no ``clientVariables``.
    Every result is still a platform request, written platform-exact; shrinks toward
    the recorded body."""
    if isinstance(bodies, bytes) or not bodies:
        raise InvalidArgument("bodies must be a non-empty sequence of request bodies")
    from harness.checks._mutations import mutated as mutate

    return mutate(bodies)
