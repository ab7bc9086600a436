"""Command line interface (click). Subcommands live in their own modules and
are imported only when invoked, so start-up stays short."""
