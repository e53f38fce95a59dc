"""JUnit XML that GitHub and GitLab render: a test suite per pipeline, a case per node and
per check. Failed nodes and failed error-severity checks are failures; warnings are noted."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from kitchen import redaction
from kitchen.pipelines.checks import CheckResult
from kitchen.pipelines.runners import NodeResult
from kitchen.text import uncoloured


def render(
    run_id: str, kitchen: str, nodes: Sequence[NodeResult], checks: Sequence[CheckResult]
) -> str:
    root = ET.Element("testsuites", name=f"kitchen test {kitchen}", id=run_id)
    for pipeline in dict.fromkeys(node.pipeline for node in nodes):
        mine = [node for node in nodes if node.pipeline == pipeline]
        suite = ET.SubElement(root, "testsuite", name=f"{kitchen}.{pipeline}")
        failures = skipped = total = 0
        for node in mine:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{pipeline}",
                name=node.node,
                time=f"{node.seconds:.3f}",
            )
            total += 1
            if node.status == "failed":
                failures += 1
                failure = ET.SubElement(case, "failure", message=_xml(node.message))
                failure.text = _xml(node.output)
            elif node.status == "skipped":
                skipped += 1
                ET.SubElement(case, "skipped", message=_xml(node.message))
            for check in (c for c in checks if c.node == node.node):
                total += 1
                check_case = ET.SubElement(
                    suite, "testcase", classname=f"{pipeline}.{node.node}", name=check.name
                )
                if check.blocking:
                    failures += 1
                    ET.SubElement(
                        check_case, "failure", message=_xml(check.message), type=check.type
                    )
                elif check.status != "pass":
                    out = ET.SubElement(check_case, "system-out")
                    out.text = _xml(f"{check.severity}: {check.message}")
        suite.set("tests", str(total))
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
    return redaction.scrub(ET.tostring(root, encoding="unicode", xml_declaration=True))


NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    """A tool's output as XML 1.0 can hold it: dbt's colours, a stray NUL or bell made the
    whole file unreadable to CI. Colour codes go; other control characters become U+FFFD.
    Secrets are scrubbed before XML escapes them."""
    return NOT_XML.sub("\ufffd", uncoloured(redaction.scrub(text)))
