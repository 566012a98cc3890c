"""HiRoPE, the idea on its own: hierarchical positions, the band split, and the windowed attention.

`positions` and `split` are pure Python (the prompt builder uses them); `attention` needs torch and is
imported explicitly by the model package.
"""
