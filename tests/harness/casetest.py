"""A tiny case runner for script tests (end-to-end, interop, load).

Each check() is one test case: its outcome is printed, counted, and written
as JUnit XML to $XML_OUTPUT_FILE when Bazel sets it, so tools/test counts the
real cases of script tests the same way it counts gtest cases.
"""
import os
import sys
import time
import traceback
import xml.etree.ElementTree as ET


class Cases:
    def __init__(self, suite):
        self.suite = suite
        self.results = []  # (name, seconds, failure text or None)

    def check(self, name, fn):
        start = time.monotonic()
        failure = None
        try:
            fn()
        except Exception:  # pylint: disable=broad-except
            failure = traceback.format_exc()
        self.results.append((name, time.monotonic() - start, failure))
        print(("FAIL: " if failure else "ok:   ") + name, flush=True)
        if failure:
            print(failure, file=sys.stderr, flush=True)
        return failure is None

    @property
    def failed(self):
        return sum(1 for r in self.results if r[2])

    def finish(self):
        """Prints the closing line, writes the XML; returns the exit status."""
        passed = len(self.results) - self.failed
        print("%d passed, %d failed" % (passed, self.failed), flush=True)
        path = os.environ.get("XML_OUTPUT_FILE")
        if path:
            suite = ET.Element("testsuite", name=self.suite,
                               tests=str(len(self.results)),
                               failures=str(self.failed))
            for name, seconds, failure in self.results:
                case = ET.SubElement(suite, "testcase", classname=self.suite,
                                     name=name, time="%.3f" % seconds)
                if failure:
                    ET.SubElement(case, "failure", message="failed").text = failure
            root = ET.Element("testsuites")
            root.append(suite)
            ET.ElementTree(root).write(path, encoding="utf-8",
                                       xml_declaration=True)
        return 1 if self.failed or not self.results else 0
