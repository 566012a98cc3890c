"""hirope-lsp: a language server for local AI inline code completion with hierarchical rotary positions."""

__version__ = "0.1.0"
