"""What every evaluation run shares: its record (seed, samples, machine, wall time), the JSON file, the
PNG plot (matplotlib's Agg backend, no display needed) and a progress bar on stderr (only on a terminal).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from hirope_lsp.model.engine import Engine, RopeMode, RopeSettings
from hirope_lsp.model.loader import LoadedModel


@dataclass
class RunRecord:
    """The header of a result file: enough to rerun it and to know where it ran."""

    eval: str
    command: str
    seed: int
    samples: int
    model: str
    dtype: str
    device: str
    settings: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.time)

    @classmethod
    def from_args(cls, name: str, args: argparse.Namespace, model: str, **settings: Any) -> RunRecord:
        """The record of the `eval NAME` run these command-line arguments describe, with its settings."""
        return cls(name, command_line(), args.seed, args.samples, model, args.dtype, args.device, settings)

    def as_dict(self, wall_seconds: float) -> dict[str, Any]:
        return {
            "eval": self.eval,
            "command": self.command,
            "seed": self.seed,
            "samples": self.samples,
            "model": self.model,
            "dtype": self.dtype,
            "device": self.device,
            "settings": self.settings,
            "machine": machine(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(self.started)),
            "wall_seconds": round(wall_seconds, 1),
        }


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def command_line() -> str:
    return " ".join(["hirope-lsp", *sys.argv[1:]]) if sys.argv else "hirope-lsp"


def write_json(path: Path, record: RunRecord, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {**record.as_dict(time.time() - record.started), **results}
    path.write_text(json.dumps(body, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def tokens_label(count: int) -> str:
    """2048 -> "2k"; counts that are not whole thousands (1024s) stay as they are."""
    return f"{count // 1024}k" if count >= 1024 and count % 1024 == 0 else str(count)


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (files only); a clear message when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("the eval plots need matplotlib: pip install 'hirope-lsp[eval]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure: Any, path: Path, title: str) -> None:
    """Title the figure, write it as a PNG and free it (what every eval's plot ends with)."""
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot().close(figure)


class Progress:
    """`step(label)` after each unit of work: a one-line bar on stderr when it is a terminal, else nothing."""

    WIDTH = 30

    def __init__(self, title: str, total: int) -> None:
        self.title = title
        self.total = max(1, total)
        self.done = 0
        self.started = time.monotonic()
        self.visible = sys.stderr.isatty()

    def step(self, label: str = "") -> None:
        self.done += 1
        if not self.visible:
            return
        filled = self.WIDTH * min(self.done, self.total) // self.total
        elapsed = time.monotonic() - self.started
        bar = "#" * filled + "." * (self.WIDTH - filled)
        sys.stderr.write(f"\r\033[K{self.title} [{bar}] {self.done}/{self.total} {elapsed:5.0f}s {label}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.visible:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


@contextmanager
def progress(title: str, total: int) -> Iterator[Progress]:
    bar = Progress(title, total)
    try:
        yield bar
    finally:
        bar.close()


def engines_by_mode(loaded: LoadedModel, modes: Iterable[RopeMode], args: argparse.Namespace) -> dict[RopeMode, Engine]:
    """One engine per rope mode over the same model, with the run's HiRoPE window, split and units."""
    rope = RopeSettings(window=args.window, split=args.split, unit_tokens=args.unit_tokens)
    return {mode: Engine(loaded, replace(rope, mode=mode)) for mode in dict.fromkeys(modes)}
