"""Helpers for the output and integration tests: the CLI runner, a SARIF
schema validator, and a small manifest generator."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from kwtest.shared import DATA

_VALIDATOR = None


def sarif_validator():
    global _VALIDATOR
    if _VALIDATOR is None:
        import jsonschema
        schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
        _VALIDATOR = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    return _VALIDATOR


def run(args, input=None):
    from kubeward.cli.main import cli
    return CliRunner().invoke(cli, args, input=input, catch_exceptions=False)


def deployment(name="web", ns="shop", privileged=True, host_pid=False, annotations=None,
               comment_lines=0) -> str:
    ann = ""
    if annotations:
        ann = "  annotations:\n" + "".join(f"    {k}: {json.dumps(v)}\n"
                                           for k, v in annotations.items())
    return "# filler\n" * comment_lines + textwrap.dedent(f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          namespace: {ns}
        """) + ann + textwrap.dedent(f"""\
        spec:
          template:
            spec:
              hostPID: {str(host_pid).lower()}
              containers:
                - name: app
                  image: busybox:1.36
                  securityContext:
                    privileged: {str(privileged).lower()}
        """)


#: checks pinned in these tests, so new checks elsewhere do not change counts
PINNED = ["--check", "PSS001", "--check", "PSS002", "--check", "SUP001"]
