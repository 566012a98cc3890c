"""bench_lsp's pure parts: where it puts the cursor, and its percentiles (the run itself needs the real model)."""

from __future__ import annotations

import pytest

from hirope_lsp.eval.bench_lsp import cut_line, percentile

SOURCE = "def f():\n    return 1\n\n\nclass A:\n    def g(self):\n        return self.value + 1\n"


def test_cut_line_cuts_the_first_indented_return_long_enough_to_retype() -> None:
    text, line, cut = cut_line(SOURCE, "return ")
    assert line == 6
    assert text.split("\n")[line] == "        return "
    assert cut == "self.value + 1"
    assert text.replace("        return \n", "        return " + cut + "\n") == SOURCE


def test_cut_line_without_a_match_stops_the_benchmark() -> None:
    with pytest.raises(SystemExit):
        cut_line(SOURCE, "yield ")


def test_percentile_picks_nearest_rank() -> None:
    values = [float(value) for value in range(1, 21)]
    assert percentile(values, 0.5) == 11.0
    assert percentile(values, 0.95) == 19.0
    assert percentile([3.0], 0.95) == 3.0
