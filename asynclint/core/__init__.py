"""What every layer builds on: diagnostics, configuration, the rule catalog, options, paths."""
