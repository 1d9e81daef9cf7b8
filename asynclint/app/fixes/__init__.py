"""The fix engine: apply rules' edits, add imports, verify, write atomically."""
