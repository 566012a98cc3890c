"""The prompt: what the model sees for a cursor, and the hierarchical positions of its tokens.

    layout.build_prompt(snapshot, path, offset, tokenizer, budget) -> Prompt(ids, positions, ...)

select.py ranks the repository's pieces (pieces.py) with the help of symbols.py and imports.py,
budget.py keeps what fits, formats.py and layout.py turn the result into ids. Never imports torch or
transformers: it counts in the model's tokens through the Tokenizer protocol of tokens.py.
"""
