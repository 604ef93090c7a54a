"""One module per subcommand, each returning an exit code."""
