"""libcst helpers every rule shares: the async context of a node, the read-only walk."""
