"""The repository index: which files there are, and the units and tags of each, kept current.

languages (grammar wheels, tags queries) -> document (bytes + incremental tree; coordinates.py
converts editor positions) -> outline (units that partition a file) and tags (definitions and
references) -> repository (scan, open documents, watcher, disk cache, snapshots for the prompt
builder). The index knows nothing of models or prompts and never imports torch or transformers.
"""
