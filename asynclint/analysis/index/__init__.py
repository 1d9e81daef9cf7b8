"""The project-wide index: its model, the indexer that reads one module, and its on-disk store."""
