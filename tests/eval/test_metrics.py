"""The metric functions against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from hirope_lsp.eval.metrics import (
    code_names,
    edit_similarity,
    exact_match,
    levenshtein,
    mentioned_names,
    paired_change,
    perplexity,
    recall,
)


def test_perplexity_is_exp_of_the_mean_loss() -> None:
    # losses ln 2 and ln 8: mean ln 4, perplexity 4
    assert perplexity(math.log(2) + math.log(8), 2) == pytest.approx(4.0)
    assert perplexity(0.0, 5) == 1.0
    with pytest.raises(ValueError):
        perplexity(1.0, 0)


def test_exact_match_ignores_surrounding_whitespace_only() -> None:
    assert exact_match("  return x\n", "return x")
    assert not exact_match("return  x", "return x")


def test_levenshtein_counts_single_character_edits() -> None:
    assert levenshtein("kitten", "sitting") == 3  # k->s, e->i, +g
    assert levenshtein("", "abc") == 3
    assert levenshtein("flaw", "lawn") == 2


def test_edit_similarity_divides_by_the_longer_string() -> None:
    assert edit_similarity("kitten", "sitting") == pytest.approx(1 - 3 / 7)
    assert edit_similarity("return x", " return x ") == 1.0
    assert edit_similarity("", "") == 1.0
    assert edit_similarity("abc", "") == 0.0


def test_recall_counts_whole_identifiers_once() -> None:
    answer = "- parse\n- Parser\n- parse_args, dump"
    assert recall(answer, ["parse", "Parser", "load", "parse"]) == (2, 3)  # 'parse_args' is not 'parse'
    assert recall("", ["a"]) == (0, 1)
    assert mentioned_names("x.y(z1) 2b") == {"x", "y", "z1", "b"}


def test_code_names_leave_out_keywords_only() -> None:
    line = "return self._sock.family if x is not None else print(None)"
    assert code_names(line) == {"self", "_sock", "family", "x", "print"}
    assert code_names("for string, charset in header._chunks]") == {"string", "charset", "header", "_chunks"}
    assert code_names("  # 42 ") == set()


def test_a_paired_change_is_the_mean_its_sd_and_t() -> None:
    # Changes 1, 2, 6: mean 3; deviations -2, -1, 3 give sd sqrt(14 / 2); t = 3 / (sd / sqrt(3)).
    mean, sd, t = paired_change([1.0, 2.0, 6.0])
    assert (mean, sd) == (3.0, pytest.approx(math.sqrt(7)))
    assert t == pytest.approx(3 / (math.sqrt(7) / math.sqrt(3)))
    assert paired_change([0.5]) == (0.5, 0.0, None) and paired_change([1.0, 1.0])[2] is None
    with pytest.raises(ValueError, match="at least one pair"):
        paired_change([])
