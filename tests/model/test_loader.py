"""Loading models: the default GGUF is converted once into the cache and read from there afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from hirope_lsp.model.loader import ModelLoadError, default_gguf_path, load_model
from tests.model.conftest import DefaultLoads


@pytest.mark.slow
def test_default_model_converts_once_then_loads_from_the_cache(default_loads: DefaultLoads, model_cache: Path) -> None:
    first, second, _ = default_loads
    assert (first.source, second.source) == ("gguf", "converted cache")
    converted = list((model_cache / "models").iterdir())
    assert len(converted) == 1 and converted[0].name.startswith(default_gguf_path().stem)
    assert (converted[0] / "config.json").is_file() and list(converted[0].glob("*.safetensors"))
    assert not list((model_cache / "models").glob("*.tmp-*"))
    for loaded in (first, second):
        assert loaded.model.config.model_type == "llama" and not loaded.model.training
        assert loaded.tokenizer.eos_token_id is not None
    assert first.tokenizer.encode("def f():") == second.tokenizer.encode("def f():")


def test_default_gguf_ships_with_the_installed_package() -> None:
    path = default_gguf_path()
    assert path.suffix == ".gguf" and path.is_file()


@pytest.mark.parametrize(
    ("spec", "dtype", "message"),
    [
        ("bogus", "float32", "unknown model 'bogus'"),
        ("./missing-dir", "float32", "not found: ./missing-dir"),
        ("weights.gguf", "float32", "not found: weights.gguf"),
        ("default", "float64", "unknown dtype 'float64'"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, dtype: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=message):
        load_model(spec, dtype=dtype, cache_dir=tmp_path)
    assert not list(tmp_path.iterdir())  # nothing was converted or downloaded


def test_empty_directory_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="cannot load model"):
        load_model(str(tmp_path), cache_dir=tmp_path / "cache")


@pytest.mark.slow
def test_conversion_writes_nothing_to_stderr(default_loads: DefaultLoads) -> None:
    """stderr is the server's log stream and the CLI's error line: no third-party progress bars there."""
    assert default_loads.first_stderr == ""
