"""The prompt: what the model sees for a cursor, and the hierarchical positions of its tokens.

Never imports torch or transformers: it counts in the model's tokens through a plain `tokenize`
function that the caller passes in.
"""
