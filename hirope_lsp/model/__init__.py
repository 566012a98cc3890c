"""The model: the only package importing transformers. Loading (`loader`), HiRoPE wiring (`rope`), the
KV cache (`kv_cache`) and the decode loop (`engine`). Import the submodules you need; this one is empty so
that importing a small piece does not load transformers."""
