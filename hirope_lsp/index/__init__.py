"""The repository index: which files there are, and the units and tags of each, kept current.

languages (grammar wheels, tags queries) -> document (bytes + incremental tree; coordinates.py
converts editor positions; edits.py says what the edits touched) -> outline (units that partition a
file; nesting.py: their children) and tags (definitions and references), both updated around the
edits and moved lazily elsewhere (shifted.py) -> structure (an open document's, held through syntax
errors) -> repository (scan, open documents, watcher, disk cache, snapshots for the prompt builder).
The index knows nothing of models or prompts and never imports torch or transformers.
"""
