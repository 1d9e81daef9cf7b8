"""The entry points: CLI, reports, fixes, the flake8 plugin, the language server, baseline, docs."""
