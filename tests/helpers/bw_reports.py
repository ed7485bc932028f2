"""What our reports must be for the systems that read them, as our own checks: JUnit
XML for CI systems, and ``--json`` against our own schemas (``docs/schema/``).

The rules are those of the Jenkins xunit plugin's ``junit-10.xsd`` (read from the
plugin's repository: jenkinsci/xunit-plugin, src/main/resources/org/jenkinsci/
plugins/xunit/types/model/xsd/junit-10.xsd) that our output touches, and GitLab's
reading of ``classname``.  The schema file itself is not copied here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

#: ``SUREFIRE_TIME``: digits, optionally grouped by commas in threes, then a fraction.
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")

SUITE_REQUIRED = {"name", "tests", "failures", "errors"}
SUITE_ALLOWED = SUITE_REQUIRED | {"group", "time", "skipped", "timestamp", "hostname", "id",
                                  "package", "file", "log", "url"}  # fmt: skip
SUITE_CHILDREN = {"testsuite", "properties", "testcase", "system-out", "system-err"}
SUITES_ALLOWED = {"name", "time", "tests", "failures", "errors"}
CASE_ALLOWED = {"name", "time", "classname", "group"}
CASE_CHILDREN = {"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure",
                 "flakyError", "system-out", "system-err"}  # fmt: skip
RESULT_ALLOWED = {"type", "message"}


def check_junit(document: str) -> ET.Element:
    """Parse ``document`` and hold it to every rule above; the ``<testsuite>`` back."""
    assert document.startswith("<?xml"), "an XML declaration first"
    root = ET.fromstring(document.split("?>", 1)[1])
    if root.tag == "testsuites":
        assert set(root.attrib) <= SUITES_ALLOWED, root.attrib
        assert all(child.tag == "testsuite" for child in root), "testsuites holds suites only"
        _time(root)
        suites = list(root)
        assert len(suites) == 1
        suite = suites[0]
        for key in ("tests", "failures", "errors"):
            assert root.get(key) == suite.get(key), key
    else:
        suite = root
    assert suite.tag == "testsuite"
    assert set(suite.attrib) >= SUITE_REQUIRED, f"missing {SUITE_REQUIRED - set(suite.attrib)}"
    assert set(suite.attrib) <= SUITE_ALLOWED, set(suite.attrib) - SUITE_ALLOWED
    _time(suite)
    assert {child.tag for child in suite} <= SUITE_CHILDREN
    for properties in suite.findall("properties"):
        for prop in properties:
            assert prop.tag == "property"
            assert set(prop.attrib) == {"name", "value"}, prop.attrib
    cases = suite.findall("testcase")
    for case in cases:
        _case(case)
    failed = sum(case.find("failure") is not None for case in cases)
    errored = sum(case.find("error") is not None for case in cases)
    skipped = sum(case.find("skipped") is not None for case in cases)
    assert suite.get("tests") == str(len(cases))
    assert suite.get("failures") == str(failed)
    assert suite.get("errors") == str(errored)
    assert suite.get("skipped", str(skipped)) == str(skipped)
    return suite


def _time(element: ET.Element) -> None:
    time = element.get("time")
    if time is not None:
        assert SUREFIRE_TIME.fullmatch(time), f"time={time!r} is not SUREFIRE_TIME"


def _case(case: ET.Element) -> None:
    assert "name" in case.attrib, "a testcase needs a name"
    assert set(case.attrib) <= CASE_ALLOWED, set(case.attrib) - CASE_ALLOWED
    classname = case.get("classname", "")
    # Jenkins splits a classname at its dots into package and class: one dot, ours.
    assert re.fullmatch(r"botwebhook\.[a-z]+", classname), classname
    assert {child.tag for child in case} <= CASE_CHILDREN
    outcomes = [child for child in case if child.tag in ("failure", "error", "skipped")]
    assert len(outcomes) <= 1, "at most one failure, error or skip per case"
    for child in outcomes:
        assert set(child.attrib) <= RESULT_ALLOWED, child.attrib
        assert len(child) == 0, "a failure holds text only"
    for stream in case.findall("system-out") + case.findall("system-err"):
        assert len(stream) == 0, "system-out holds text only"


SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schema"


def check_json(command: str, text: str) -> dict[str, Any]:
    """``text`` parsed and valid against ``docs/schema/<command>.schema.json``."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    def load(name: str) -> Any:
        return json.loads((SCHEMAS / name).read_text("utf-8"))

    registry: Registry[Any] = Registry().with_resource(
        "envelope.schema.json", Resource.from_contents(load("envelope.schema.json"))
    )
    schema = load(f"{command}.schema.json")
    Draft202012Validator.check_schema(schema)
    data: dict[str, Any] = json.loads(text)
    errors = sorted(Draft202012Validator(schema, registry=registry).iter_errors(data), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    assert data["command"] == command
    return data


# -- SARIF 2.1.0 ---------------------------------------------------------------------------
# The rules of the OASIS SARIF 2.1.0 schema (oasis-tcs/sarif-spec,
# sarif-2.1/schema/sarif-schema-2.1.0.json) for every object our logs write, each of
# which allows no other property, and GitHub code scanning's upload rules ("SARIF
# support for code scanning": a location per result, relative URIs against a
# uriBaseId the run defines, partialFingerprints, at most 20 runs and 25,000 results).

SARIF_ALLOWED = {
    "log": {"$schema", "version", "runs", "inlineExternalProperties", "properties"},
    "tool": {"driver", "extensions", "properties"},
    "toolComponent": {"associatedComponent", "contents", "dottedQuadFileVersion", "downloadUri",
                      "fullDescription", "fullName", "globalMessageStrings", "guid",
                      "informationUri", "isComprehensive", "language",
                      "localizedDataSemanticVersion", "locations",
                      "minimumRequiredLocalizedDataSemanticVersion", "name", "notifications",
                      "organization", "product", "productSuite", "properties", "releaseDateUtc",
                      "rules", "semanticVersion", "shortDescription", "supportedTaxonomies",
                      "taxa", "translationMetadata", "version"},
    "reportingDescriptor": {"defaultConfiguration", "deprecatedGuids", "deprecatedIds",
                            "deprecatedNames", "fullDescription", "guid", "help", "helpUri",
                            "id", "messageStrings", "name", "properties", "relationships",
                            "shortDescription"},
    "multiformatMessageString": {"markdown", "properties", "text"},
    "reportingConfiguration": {"enabled", "level", "parameters", "properties", "rank"},
    "result": {"analysisTarget", "attachments", "baselineState", "codeFlows",
               "correlationGuid", "fingerprints", "fixes", "graphTraversals", "graphs", "guid",
               "hostedViewerUri", "kind", "level", "locations", "message", "occurrenceCount",
               "partialFingerprints", "properties", "provenance", "rank", "relatedLocations",
               "rule", "ruleId", "ruleIndex", "stacks", "suppressions", "taxa", "webRequest",
               "webResponse", "workItemUris"},
    "message": {"arguments", "id", "markdown", "properties", "text"},
    "location": {"annotations", "id", "logicalLocations", "message", "physicalLocation",
                 "properties", "relationships"},
    "physicalLocation": {"address", "artifactLocation", "contextRegion", "properties", "region"},
    "artifactLocation": {"description", "index", "properties", "uri", "uriBaseId"},
    "region": {"byteLength", "byteOffset", "charLength", "charOffset", "endColumn", "endLine",
               "message", "properties", "snippet", "sourceLanguage", "startColumn",
               "startLine"},
}  # fmt: skip
RUN_ALLOWED = {"addresses", "artifacts", "automationDetails", "baselineGuid", "columnKind",
               "conversion", "defaultEncoding", "defaultSourceLanguage",
               "externalPropertyFileReferences", "graphs", "invocations", "language",
               "logicalLocations", "newlineSequences", "originalUriBaseIds", "policies",
               "properties", "redactionTokens", "results", "runAggregates", "specialLocations",
               "taxonomies", "threadFlowLocations", "tool", "translations",
               "versionControlProvenance", "webRequests", "webResponses"}  # fmt: skip
LEVELS = {"none", "note", "warning", "error"}
#: RFC 3986 URI-reference characters (``%`` only as an escape).
URI_REFERENCE = re.compile(r"([A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")


def _keys(kind: str, value: dict[str, Any]) -> None:
    extra = set(value) - SARIF_ALLOWED[kind]
    assert not extra, f"{kind} allows no {sorted(extra)}"


def _text(kind: str, value: dict[str, Any]) -> None:
    _keys(kind, value)
    assert isinstance(value.get("text"), str), f"{kind} needs its text"


def check_sarif(document: str) -> list[dict[str, Any]]:
    """Parse ``document`` and hold it to every rule above; its results back."""
    log = json.loads(document)
    _keys("log", log)
    assert log["version"] == "2.1.0"
    assert isinstance(log["runs"], list)
    assert 1 <= len(log["runs"]) <= 20
    results: list[dict[str, Any]] = []
    for run in log["runs"]:
        assert set(run) <= RUN_ALLOWED, set(run) - RUN_ALLOWED
        _keys("tool", run["tool"])
        driver = run["tool"]["driver"]
        _keys("toolComponent", driver)
        assert isinstance(driver["name"], str)
        assert driver["name"]
        rules = driver.get("rules", [])
        ids = [rule["id"] for rule in rules]
        assert len(ids) == len(set(ids)), "rule ids are unique"
        for rule in rules:
            _keys("reportingDescriptor", rule)
            for key in ("shortDescription", "fullDescription", "help"):
                if key in rule:
                    _text("multiformatMessageString", rule[key])
            config = rule.get("defaultConfiguration", {})
            _keys("reportingConfiguration", config)
            assert config.get("level", "warning") in LEVELS
            tags = rule.get("properties", {}).get("tags", [])
            assert len(tags) == len(set(tags)) <= 20
        bases = run.get("originalUriBaseIds", {})
        for base in bases.values():
            _keys("artifactLocation", base)
            assert base["uri"].endswith("/"), "a base URI ends with /"
        assert len(run["results"]) <= 25_000
        for result in run["results"]:
            _result(result, ids, bases)
        results.extend(run["results"])
    return results


def _result(result: dict[str, Any], ids: list[str], bases: dict[str, Any]) -> None:
    _keys("result", result)
    _keys("message", result["message"])
    assert isinstance(result["message"].get("text"), str)
    assert result.get("level", "warning") in LEVELS
    assert result["ruleId"] in ids
    assert ids[result["ruleIndex"]] == result["ruleId"]
    prints = result["partialFingerprints"]
    assert prints
    assert all(isinstance(v, str) and v for v in prints.values())
    locations = result.get("locations", [])
    assert len(locations) <= 1, "one location: the place to fix"
    for location in locations:
        _keys("location", location)
        physical = location["physicalLocation"]
        _keys("physicalLocation", physical)
        artifact = physical["artifactLocation"]
        _keys("artifactLocation", artifact)
        assert URI_REFERENCE.fullmatch(artifact["uri"]), artifact["uri"]
        if "uriBaseId" in artifact:
            assert artifact["uriBaseId"] in bases
            assert not artifact["uri"].startswith("/"), "relative to the base"
            assert ".." not in artifact["uri"].split("/")
        region = physical.get("region", {})
        _keys("region", region)
        assert isinstance(region.get("startLine"), int)
        assert region["startLine"] >= 1
