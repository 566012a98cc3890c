"""Prompt lookup's guesses (lookup.py), on hand-made token sequences."""

from __future__ import annotations

from hirope_lsp.model.lookup import NGRAM, Lookup


def test_guess_is_what_followed_the_latest_earlier_occurrence_of_the_end() -> None:
    assert NGRAM == 3
    lookup = Lookup([1, 2, 3, 4, 5, 9, 1, 2, 3, 7, 8, 6, 1, 2], capacity=4)
    assert lookup.guess(2) == []  # (6, 1, 2) never occurred before
    lookup.append(3)  # ends with 1 2 3: last seen before 7 8 (the latest), and before 4 5
    assert lookup.guess(2) == [7, 8]
    assert lookup.guess(5) == [7, 8, 6, 1, 2]  # as far as the context goes
    assert lookup.guess(0) == []


def test_no_guess_without_a_repeat_or_enough_context() -> None:
    assert Lookup([1, 2], capacity=2).guess(3) == []
    assert Lookup([1, 2, 3, 4, 5, 6], capacity=2).guess(3) == []


def test_a_run_of_one_token_guesses_more_of_it() -> None:
    lookup = Lookup([0, 7, 7, 7, 7], capacity=1)
    assert lookup.guess(3) == [7]  # the overlapping match ends one token before the end
