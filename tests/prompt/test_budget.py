"""The prompt budget, and that no prompt ever goes over it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hirope_lsp.prompt.budget import Candidate, Fitted, fit, prompt_budget
from hirope_lsp.prompt.layout import LINE_TOKENS, build_prompt
from hirope_lsp.prompt.pieces import Piece
from hirope_lsp.prompt.tokens import CachedTokenizer
from tests.prompt.conftest import Workspace

TRAIN = 8192


def test_hirope_may_use_several_windows_flat_stays_in_one() -> None:
    assert prompt_budget(TRAIN, 96, "hirope", 4.0) == 4 * TRAIN - 96
    assert prompt_budget(TRAIN, 96, "flat", 4.0) == TRAIN - 96  # the multiple is for HiRoPE only
    assert prompt_budget(TRAIN, 32, "hirope", 1.5) == int(1.5 * TRAIN) - 32
    with pytest.raises(ValueError, match="no room"):
        prompt_budget(64, 64, "flat", 4.0)


def test_flat_prompt_fits_the_training_window(shared_workspace: Workspace, tokens: CachedTokenizer) -> None:
    budget = prompt_budget(512, 96, "flat", 4.0)  # a small "training window", so the repository overflows it
    prompt = build_prompt(
        shared_workspace.repository.snapshot(), shared_workspace.path, shared_workspace.offset, tokens, budget
    )
    assert len(prompt.ids) <= 512 - 96
    assert len(prompt.ids) > budget - LINE_TOKENS - 20  # all of it is used but the cursor line's reserve


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budget=st.integers(min_value=64, max_value=4000), fim=st.booleans())
def test_never_over_budget(
    shared_workspace: Workspace, tokens: CachedTokenizer, qwen_tokens: CachedTokenizer, budget: int, fim: bool
) -> None:
    snapshot = shared_workspace.repository.snapshot()
    prompt = build_prompt(
        snapshot, shared_workspace.path, shared_workspace.offset, qwen_tokens if fim else tokens, budget
    )
    assert 0 < len(prompt.ids) <= budget


def test_too_small_a_budget_says_so(shared_workspace: Workspace, tokens: CachedTokenizer) -> None:
    with pytest.raises(ValueError, match="budget"):
        build_prompt(shared_workspace.repository.snapshot(), shared_workspace.path, 0, tokens, 8)


def pieces(*names: str) -> list[Piece]:
    return [Piece(Path(name.split(":")[0]), int(name.split(":")[1]), int(name.split(":")[1]) + 1, 0) for name in names]


def test_fit_skips_what_does_not_fit_and_goes_on() -> None:
    big, small = pieces("b.py:0", "c.py:0")
    costs = {big: 50, small: 5}
    fitted = fit([Candidate(big), Candidate(small)], 20, costs.__getitem__, lambda _: 2, Fitted([], 0, set()))
    assert fitted.pieces == [small] and fitted.tokens == 7  # the piece and its file's header


def test_fit_drops_the_current_files_farthest_code_first() -> None:
    near, middle, far = pieces("a.py:30", "a.py:20", "a.py:10")
    other = pieces("b.py:0")[0]
    costs = {near: 5, middle: 50, far: 1, other: 1}
    ranked = [Candidate(near, True), Candidate(middle, True), Candidate(far, True), Candidate(other)]
    fitted = fit(ranked, 20, costs.__getitem__, lambda _: 0, Fitted([], 0, set()))
    assert fitted.pieces == [near, other]  # `far` would fit, but not without `middle`: no gaps


def test_fit_takes_a_piece_once() -> None:
    piece = pieces("b.py:0")[0]
    fitted = fit([Candidate(piece), Candidate(piece)], 100, lambda _: 3, lambda _: 1, Fitted([], 0, set()))
    assert fitted.pieces == [piece] and fitted.tokens == 4
