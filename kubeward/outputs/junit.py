"""JUnit XML (the Apache Ant format that CI servers read; valid against the
common ``JUnit.xsd``).

One ``testsuite`` per file; in it one ``testcase`` per (object, check that
applies to the object). A test case with findings carries one ``failure``
(message: the first finding; text: every finding with file, line, column,
field path and fix). Suppressed findings, and findings left out by
``--severity``, make the case ``skipped`` (never passed) when no shown
finding remains; load errors are test cases with an ``error``.
"""

from __future__ import annotations

import datetime as _dt
import socket
import xml.etree.ElementTree as ET

from kubeward.outputs.util import check_classes, rel_path


def _obj_key(file, doc_index, kind, namespace, name):
    return (file, doc_index, kind, namespace or None, name)


def _finding_key(f):
    return _obj_key(f.file, f.doc_index, f.object.kind, f.object.namespace, f.object.name)


def _display(kind, namespace, name) -> str:
    return f"{kind} {namespace + '/' if namespace else ''}{name or '?'}"


def junit_tree(report, ctx) -> ET.Element:
    root_dir = ctx.scan_root or "."
    classes = check_classes(report)
    ran = [cid for cid in report.checks if cid in classes] or list(classes)
    # (object key) -> {check id: [findings]}, (object key) -> {check id: [suppressed]}
    failing: dict = {}
    skipped: dict = {}
    for f in report.findings:
        failing.setdefault(_finding_key(f), {}).setdefault(f.check_id, []).append(f)
    for f in report.suppressed:
        skipped.setdefault(_finding_key(f), {}).setdefault(f.check_id, []).append(f)
    hidden: dict = {}
    for f in report.hidden or ():
        hidden.setdefault(_finding_key(f), {}).setdefault(f.check_id, []).append(f)
    # file -> ordered {object key: set of check ids}
    cases: dict[str, dict] = {}
    for obj in report.scanned:
        key = _obj_key(obj.source.file, obj.source.doc_index, obj.kind, obj.namespace, obj.name)
        ids = cases.setdefault(obj.source.file, {}).setdefault(key, set())
        ids.update(cid for cid in ran if classes[cid].applies_to(obj))
    for table in (failing, skipped, hidden):  # objects known only from findings (parallel scans)
        for key, by_check in table.items():
            cases.setdefault(key[0], {}).setdefault(key, set()).update(by_check)
    errors_by_file: dict[str, list] = {}
    for e in report.errors:
        errors_by_file.setdefault(e.file, []).append(e)
        cases.setdefault(e.file, {})

    stamp = _dt.datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
    host = socket.gethostname() or "localhost"
    suites = ET.Element("testsuites")
    for sid, file in enumerate(sorted(cases)):
        rel = rel_path(file, root_dir)
        suite = ET.SubElement(suites, "testsuite", {
            "name": rel or "<input>", "package": "kubeward", "id": str(sid),
            "timestamp": stamp, "hostname": host, "time": "0"})
        ET.SubElement(suite, "properties")
        n_tests = n_fail = n_err = n_skip = 0
        for key, ids in cases[file].items():
            _, _, kind, ns, name = key
            classname = f"{rel}::{_display(kind, ns, name)}"
            for cid in sorted(ids):
                cls = classes.get(cid)
                label = f"{cid} {cls.name}" if cls is not None else cid
                case = ET.SubElement(suite, "testcase", {"name": label, "classname": classname,
                                                         "time": "0"})
                n_tests += 1
                found = failing.get(key, {}).get(cid)
                if found:
                    n_fail += 1
                    first = found[0]
                    body = "\n".join(
                        f"{rel}:{f.line}:{f.column}: {f.severity.label} {f.check_id} {f.message}"
                        f" (field {f.field_path})" + (f"\nfix: {f.remediation}" if f.remediation
                                                       else "")
                        for f in found)
                    el = ET.SubElement(case, "failure", {
                        "message": f"{rel}:{first.line}: {first.message}",
                        "type": f"{cid} {first.severity.label}"})
                    el.text = body
                    continue
                sup = skipped.get(key, {}).get(cid)
                if sup:
                    n_skip += 1
                    ET.SubElement(case, "skipped", {
                        "message": f"suppressed ({sup[0].suppressed_by}): {sup[0].suppressed}"})
                    continue
                not_shown = hidden.get(key, {}).get(cid)
                if not_shown:
                    n_skip += 1
                    ET.SubElement(case, "skipped", {
                        "message": f"{not_shown[0].severity.label} finding not shown (--severity)"})
        for e in errors_by_file.get(file, []):
            case = ET.SubElement(suite, "testcase", {
                "name": "load", "classname": f"{rel}::input", "time": "0"})
            el = ET.SubElement(case, "error", {"message": e.one_line(), "type": e.kind})
            el.text = e.one_line()
            n_tests += 1
            n_err += 1
        ET.SubElement(suite, "system-out")
        ET.SubElement(suite, "system-err")
        suite.set("tests", str(n_tests))
        suite.set("failures", str(n_fail))
        suite.set("errors", str(n_err))
        suite.set("skipped", str(n_skip))
    return suites


def render(report, out, ctx) -> None:
    tree = junit_tree(report, ctx)
    ET.indent(tree)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(tree, encoding="unicode"))
    out.write("\n")
