"""The public surface is exactly what __all__ says, and the core never imports pytest."""

from __future__ import annotations

import subprocess
import sys

import harness
import pytest_botwebhook

PUBLIC = {
    "CallLog",
    "CallbackMock",
    "ChatSession",
    "LiveWebhookServer",
    "MockNetwork",
    "RecordedCall",
    "UnmatchedCallError",
    "WebhookMock",
    "FINDING_CODES",
    "Code",
    "Exchange",
    "Finding",
    "Outcome",
    "Report",
    "Scenario",
    "Target",
    "TargetError",
    "build_matrix",
    "check_exchange",
    "deliver",
    "load_target",
    "run_check",
    "FEATURES",
    "SYSTEM_ENTITIES",
    "TEXT_VARIANTS",
    "BotModel",
    "BotWebhookProvider",
    "IntentSpec",
    "BotModelError",
    "Payload",
    "PayloadFactory",
    "PayloadOptionError",
    "Variant",
    "VariableSpec",
    "build_payload",
    "builtin_model",
    "find_model",
    "load_model",
    "make_faker",
    "LANGUAGES",
    "SIGNATURE_HEADER",
    "Attachment",
    "AttachmentPayload",
    "BotWebhookError",
    "BotWebhookTypeError",
    "BotWebhookValueError",
    "Button",
    "ChainedIntent",
    "ChatResult",
    "Config",
    "ContextUpdate",
    "ContextVariable",
    "DefaultAction",
    "Element",
    "FixtureInfo",
    "InvalidPayloadError",
    "InvalidResponseError",
    "InvalidSecretError",
    "MemoryVariable",
    "MessageNode",
    "ProtocolError",
    "QuickReply",
    "SerializationError",
    "Shape",
    "UnknownFixtureError",
    "WebhookRequest",
    "WebhookResponse",
    "__version__",
    "fixture_info",
    "fixture_names",
    "generate_secret",
    "gson_dumps",
    "java_double",
    "java_hash_order",
    "load_fixture",
    "load_request",
    "load_response",
    "load_schema",
    "redact_secret",
    "sign",
    "verify",
}


def test_harness_all_is_exactly_the_public_surface() -> None:
    assert set(harness.__all__) == PUBLIC
    assert len(harness.__all__) == len(PUBLIC)
    for name in harness.__all__:
        assert hasattr(harness, name), name
    public_attrs = {n for n in vars(harness) if not n.startswith("_")} - {"annotations"}
    assert public_attrs <= PUBLIC | {"cli", "reference", "strategies"}


def test_plugin_package_surface() -> None:
    assert set(pytest_botwebhook.__all__) == {
        "TEST_SECRET",
        "BotWebhookClient",
        "PayloadBuilder",
        "contract_suite",
        "fuzz_suite",
    }
    for name in pytest_botwebhook.__all__:
        assert getattr(pytest_botwebhook, name) is not None


def test_faker_is_imported_only_when_the_factory_is_used() -> None:
    code = (
        "import sys, harness\n"
        "before = 'faker' in sys.modules\n"
        "harness.PayloadFactory\n"
        "print(before, 'faker' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_core_does_not_import_pytest() -> None:
    code = "import sys, harness, harness.cli; print('pytest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
