"""Cancellation and errors (ASL4xx): the rules (`rule.py`) and their screens and probes (`screen.py`)."""
