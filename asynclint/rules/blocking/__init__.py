"""Blocking calls in async code (ASL1xx): the rules (`rule.py`, ASL107 in `via_helper.py`) and their screens beside them."""
