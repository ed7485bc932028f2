"""JUnit XML, one writer for every command: ``check``, ``fuzz``, ``converse``,
``replay`` and ``load`` describe their cases, and this writes them.

The output is a ``<testsuites>`` root holding one ``<testsuite>``, valid against the
Jenkins xunit plugin's ``junit-10.xsd`` and read by GitLab's parser:

- the suite carries the four attributes that schema requires (``name``,
  ``tests``, ``failures``, ``errors``) and ``skipped`` and ``time``, and no other;
- a case carries ``classname``, ``name`` and ``time`` only; its classname is
  ``botwebhook.<command>``, with no dot beyond the first, because Jenkins splits
  a classname at its dots into package and class;
- a case holds at most one ``<failure>`` or ``<skipped>``, then ``<system-out>``
  and ``<system-err>``, each plain text;
- a **warning** is a ``<skipped type="warning">`` case, with the codes in its
  message: it shows in every CI's counts, as a passing-but-noted case, where
  ``<system-out>`` alone went unseen.  With ``strict`` the command makes it a
  failure instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

__all__ = ["Case", "junit_xml", "xml_text"]

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text XML 1.0 can hold: control characters (from bodies in the evidence) shown
    as \\xNN escapes instead of making the report unreadable."""
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True, slots=True)
class Case:
    """One test case: what ran (``name``), how long, and at most one of a failure
    and a skip, each as ``(type, message, text)``, then its output."""

    name: str
    time: float | None = None
    failure: tuple[str, str, str] | None = None
    skipped: tuple[str, str, str] | None = None
    out: str = ""
    err: str = ""


def junit_xml(
    command: str,
    cases: Sequence[Case],
    *,
    time: float,
    properties: Sequence[tuple[str, str]] = (),
) -> str:
    """The cases of ``botwebhook <command>`` as a JUnit XML document; ``properties``
    (target, model, seed, the redacted secret…) go on the suite, empty ones left out."""
    failures = sum(case.failure is not None for case in cases)
    skipped = sum(case.failure is None and case.skipped is not None for case in cases)
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": "0"}
    root = ET.Element("testsuites", {"name": "botwebhook", **counts, "time": f"{time:.3f}"})
    suite = ET.SubElement(
        root,
        "testsuite",
        {"name": f"botwebhook.{command}", **counts, "skipped": str(skipped), "time": f"{time:.3f}"},
    )
    shown = [(name, value) for name, value in properties if value]
    if shown:
        element = ET.SubElement(suite, "properties")
        for name, value in shown:
            ET.SubElement(element, "property", name=name, value=xml_text(value))
    for case in cases:
        _case(suite, command, case)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _case(suite: ET.Element, command: str, case: Case) -> None:
    element = ET.SubElement(suite, "testcase", classname=f"botwebhook.{command}",
                            name=xml_text(case.name))  # fmt: skip
    if case.time is not None:
        element.set("time", f"{case.time:.4f}")
    for tag, detail in (("failure", case.failure), ("skipped", case.skipped)):
        if detail is not None:
            kind, message, text = detail
            child = ET.SubElement(element, tag, type=kind, message=xml_text(message))
            if text:
                child.text = xml_text(text)
            break
    if case.out:
        ET.SubElement(element, "system-out").text = xml_text(case.out)
    if case.err:
        ET.SubElement(element, "system-err").text = xml_text(case.err)
