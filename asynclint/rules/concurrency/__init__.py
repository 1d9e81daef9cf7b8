"""Missed concurrency (ASL3xx): the rules (`rule.py`) and their screens and probes (`screen.py`)."""
