"""The ``kubeward`` command group.

Exit codes (stable, documented in the README):
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage error, or some input could not be read (the rest is still scanned)
"""

from __future__ import annotations

import importlib
import sys

import click

#: command name -> "module:attribute"; imported lazily on use.
COMMANDS: dict[str, str] = {
    "scan": "kubeward.cli.scan:scan",
    "checks": "kubeward.cli.checks:checks",
    "explain": "kubeward.cli.checks:explain",
    "audit": "kubeward.cli.audit:audit",
    "fix": "kubeward.cli.fix:fix",
    "admission": "kubeward.cli.admission:admission",
    "network": "kubeward.cli.network:network",
    "rbac": "kubeward.cli.rbac:rbac",
    "generate": "kubeward.cli.generate:generate",
    "paths": "kubeward.cli.attack:paths",
    "history": "kubeward.cli.history:history",
}

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)


def _version() -> str:
    from kubeward import __version__
    return __version__


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                              "max_content_width": 100})
@click.version_option(_version(), prog_name="kubeward")
def cli():
    """Security guardrails for Kubernetes configuration.

    Exit codes: 0 no finding at or above --fail-on; 1 findings at or above
    it; 2 usage error or unreadable input (everything else is still scanned).
    """


def main(argv=None):
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    try:
        return cli.main(args=argv, prog_name="kubeward", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        click.echo("kubeward: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
