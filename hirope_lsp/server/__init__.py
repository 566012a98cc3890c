"""The language server: thin pygls handlers over the index, the prompt builder and the engine.

Not built yet (the language-server issue); `hirope-lsp --stdio` says so and exits with status 2.
"""
