"""The corpus's positions: units and files of whole stdlib-style files, and the windows eval ppl scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from hirope_lsp.eval.corpus import TokenSequence, group_sequence
from hirope_lsp.hirope.positions import Positions


def test_a_window_shifts_units_and_files_to_start_at_zero() -> None:
    units = (0, 0, 1, 1, 1, 2, 3, 3, 4, 4)
    files = (0, 0, 0, 0, 0, 1, 1, 1, 2, 2)
    sequence = TokenSequence("g", tuple(range(10)), Positions(units, files))
    ids, positions = sequence.window(10, 6)
    assert ids == [4, 5, 6, 7, 8, 9]
    assert positions.unit == (0, 1, 2, 2, 3, 3) and positions.file == (0, 1, 1, 1, 2, 2)
    assert sequence.window(4, 3)[1].file == (0, 0, 0)  # within one file
    assert TokenSequence("g", tuple(range(10)), Positions(units)).window(10, 6)[1].file is None


def test_group_sequence_gives_each_file_its_index(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    sources = {
        "a.py": "import os\n\n\ndef f():\n    return 1\n",
        "b.py": "X = 1\n\n\nclass C:\n    pass\n",
        "c.py": "def g(x):\n    return x\n",
    }
    for name, text in sources.items():
        (package / name).write_text(text)

    def tokenize(text: str) -> list[int]:
        return [ord(c) for c in text]  # one token per character: token i is character i of the sequence

    total = sum(len(f"# file: pkg/{name}\n") + len(text) for name, text in sources.items())
    sequence = group_sequence(["pkg"], tokenize, total - 3, root=tmp_path)  # the last file cut
    text = "".join(map(chr, sequence.ids))
    assert sequence.positions.file is not None and len(sequence.positions.file) == len(text)
    headers = [i for i in range(len(text)) if text.startswith("# file:", i)]
    assert len(headers) == 3 and headers[0] == 0
    changes = [i for i in range(1, len(text)) if sequence.positions.file[i] != sequence.positions.file[i - 1]]
    assert changes == headers[1:]  # a new file index exactly at each header
    assert sequence.positions.file[-1] == 2
    assert set(changes) <= {
        i for i in range(1, len(text)) if sequence.positions.unit[i] != sequence.positions.unit[i - 1]
    }
    _, window = sequence.window(len(text), len(text) - headers[1] - 2)
    assert window.file is not None and window.file[0] == 0 and window.file[-1] == 1  # files from 0


def test_group_sequence_refuses_too_few_tokens(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("X = 1\n")
    with pytest.raises(ValueError, match="fewer than"):
        group_sequence(["pkg"], lambda text: [ord(c) for c in text], 1000, root=tmp_path)
