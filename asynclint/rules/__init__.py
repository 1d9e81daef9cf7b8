"""The rules, one class each, grouped by family; the registry discovers them by class."""
