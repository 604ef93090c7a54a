"""The one exception family the CLI maps to exit codes (SPEC: 2 usage/configuration, 3 internal)."""


class HubguardError(Exception):
    """A problem the user can fix: bad policy file, missing path, bad option. Exit code 2."""

    exit_code = 2


class ConfigError(HubguardError):
    """The policy file (or another configuration input) is invalid."""
