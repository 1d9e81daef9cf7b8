"""Event loops and locks (ASL5xx): the rules (`rule.py`) and their screens and probes (`screen.py`)."""
