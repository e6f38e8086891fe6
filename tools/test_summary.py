#!/usr/bin/env python3
"""Counts the test cases that ran, from the JUnit XML that `bazel test` writes.

Usage: test_summary.py RUN...   where each RUN is NAME:TESTLOGS_DIR:LABELS_FILE
(one run of `bazel test`: its bazel-testlogs directory and a file listing the
labels of the test targets it ran, one per line).

A gtest target contributes one case per TEST(); a script test contributes
the cases its own XML lists (Bazel writes one case for a test without XML).
Prints per-target counts and ends with the line `N passed, N failed`.
Exit status 1 when a target has no XML (it did not run) or a case failed.
"""
import os
import sys
import xml.etree.ElementTree as ET


def label_to_dir(testlogs, label):
    package, _, name = label.lstrip("/").partition(":")
    return os.path.join(testlogs, package, name)


def count(xml_path):
    passed = failed = 0
    names = []
    root = ET.parse(xml_path).getroot()
    for case in root.iter("testcase"):
        bad = (case.find("failure") is not None or
               case.find("error") is not None or
               case.get("result") == "failed")
        if case.find("skipped") is not None or case.get("status") == "notrun":
            continue
        if bad:
            failed += 1
            names.append(case.get("classname", "") + "." + case.get("name", ""))
        else:
            passed += 1
    return passed, failed, names


def main():
    total_passed = total_failed = 0
    ok = True
    runs = []
    for arg in sys.argv[1:]:
        name, testlogs, labels_file = arg.split(":", 2)
        with open(labels_file) as f:
            runs += [(name, testlogs, l.strip()) for l in f if l.strip()]
    for run, testlogs, label in runs:
        d = label_to_dir(testlogs, label)
        xmls = []
        for dirpath, _, files in os.walk(d):
            xmls += [os.path.join(dirpath, f) for f in files if f == "test.xml"]
        if not xmls:
            print(f"  [{run}] {label}: no result (did not run)")
            total_failed += 1
            ok = False
            continue
        p = f = 0
        for x in sorted(xmls):
            try:
                a, b, names = count(x)
            except ET.ParseError as e:
                a, b, names = 0, 1, [f"unreadable XML {x}: {e}"]
            p, f = p + a, f + b
            for n in names:
                print(f"  FAILED [{run}] {label}: {n}")
        print(f"  [{run}] {label}: {p} passed, {f} failed")
        total_passed += p
        total_failed += f
        if f:
            ok = False
    print(f"{total_passed} passed, {total_failed} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
