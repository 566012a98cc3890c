"""The arguments `hirope-lsp eval` would pass, for calling an evaluation's `run` directly."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def eval_args(tmp_path: Path, **values: Any) -> argparse.Namespace:
    common = {"model": "tiny", "dtype": "float32", "device": "cpu", "seed": 0, "out": str(tmp_path), "first_group": 0}
    defaults = {"window": 16, "split": None, "unit_tokens": None, "new_names": None, "code_lines": False}
    return argparse.Namespace(**{**common, **defaults, **values})
