"""Coroutines never awaited and tasks dropped (ASL2xx): the rules (`rule.py`) and their screens and probe (`screen.py`)."""
