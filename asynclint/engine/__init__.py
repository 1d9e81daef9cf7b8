"""The mechanism: screen, lint, visit, cache and run over many files (no rule logic here)."""
