"""The engine on a tiny random Llama with a real tokenizer: cache reuse equals a cold run, chunked
prefill equals one forward, cancellation, stopping; and the real default model writes a plausible body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import torch

from hirope_lsp.hirope.positions import Positions
from hirope_lsp.hirope.split import DEFAULT_UNIT_TOKENS, fitted_unit_scale
from hirope_lsp.model import engine as engine_module
from hirope_lsp.model.engine import Completion, Engine, RopeSettings
from hirope_lsp.model.healing import TokenHealer
from hirope_lsp.model.loader import LoadedModel
from hirope_lsp.model.stops import StopRule
from hirope_lsp.prompt.layout import encode_units
from tests.model.tiny import snap_to_four_bits, tiny_loaded

TOLERANCE = 1e-4
NEVER_STOP = StopRule(multiline=True, block_indent=0)  # random text runs to the token limit

UNITS = [
    "import math\n\n\n",
    "def area(radius):\n    return math.pi * radius ** 2\n\n\n",
    "class Shape:\n    def __init__(self, name):\n        self.name = name\n\n\n",
    "def fibonacci(n):\n    if n < 2:\n        return n\n",
]
EDITED_UNITS = [*UNITS[:-1], "def fibonacci(n):\n    if n <= 1:\n        return 1\n"]

ROPES = {
    "flat": RopeSettings(mode="flat"),
    "hirope-wide": RopeSettings(window=512, unit_tokens=None),
    "hirope-window-8": RopeSettings(window=8, unit_tokens=None),
    "hirope-token-units": RopeSettings(window=8, split=0.0, unit_tokens=4),  # every band on units of 4 tokens
}


@pytest.fixture
def loaded() -> LoadedModel:
    return tiny_loaded()


def encode(loaded: LoadedModel, units: list[str]) -> tuple[tuple[int, ...], Positions]:
    return encode_units(units, lambda text: list(loaded.tokenizer.encode(text, add_special_tokens=False)))


@contextmanager
def recorded_logits(engine: Engine) -> Iterator[list[torch.Tensor]]:
    """The logits every generated token was chosen from, whichever path computed them (transformers'
    forward, the lean step, or a forward with guessed tokens)."""
    seen: list[torch.Tensor] = []
    choose = engine._choose

    def recording(logits: torch.Tensor, healing: str) -> int:
        seen.append(logits.clone())
        return choose(logits, healing)

    setattr(engine, "_choose", recording)  # noqa: B010  # shadows the method on this instance only
    try:
        yield seen
    finally:
        delattr(engine, "_choose")


def run(
    engine: Engine, ids: tuple[int, ...], positions: Positions, max_tokens: int = 16
) -> tuple[Completion, list[torch.Tensor]]:
    """A completion and the logits its tokens were chosen from (one per generated token)."""
    with recorded_logits(engine) as seen:
        completion = engine.complete(ids, positions, NEVER_STOP, max_tokens, heal=False)
    return completion, seen[len(seen) - len(completion.tokens) :] if completion.tokens else []


def assert_same_run(warm: tuple[Completion, list[torch.Tensor]], cold: tuple[Completion, list[torch.Tensor]]) -> None:
    (warm_completion, warm_logits), (cold_completion, cold_logits) = warm, cold
    assert cold_completion.reason == "max_tokens" and len(cold_completion.tokens) == 16
    assert warm_completion.tokens == cold_completion.tokens
    assert warm_completion.text == cold_completion.text
    assert len(warm_logits) == len(cold_logits) == 16
    for step, (a, b) in enumerate(zip(warm_logits, cold_logits, strict=True)):
        assert float((a - b).abs().max()) <= TOLERANCE, f"step {step}: warm and cold logits differ"


@pytest.mark.parametrize("rope", ROPES.values(), ids=ROPES.keys())
def test_editing_the_last_line_reuses_the_cache_and_equals_a_cold_run(loaded: LoadedModel, rope: RopeSettings) -> None:
    ids, positions = encode(loaded, UNITS)
    edited_ids, edited_positions = encode(loaded, EDITED_UNITS)
    assert 40 <= len(edited_ids) <= 60
    common = next(i for i, (a, b) in enumerate(zip(ids, edited_ids, strict=False)) if a != b)
    assert common > 8  # the far keys of the reused prefix are cached and cropped too

    engine = Engine(loaded, rope, decode_dtype=None)
    run(engine, ids, positions)
    warm = run(engine, edited_ids, edited_positions)
    cold = run(Engine(loaded, rope, decode_dtype=None), edited_ids, edited_positions)
    assert warm[0].reused_tokens == common and cold[0].reused_tokens == 0
    assert_same_run(warm, cold)


def test_accepted_completion_reuses_the_generated_tokens(loaded: LoadedModel) -> None:
    rope = RopeSettings(window=8, unit_tokens=None)
    ids, positions = encode(loaded, UNITS)
    engine = Engine(loaded, rope, decode_dtype=None)
    first, _ = run(engine, ids, positions)
    longer_ids, longer_positions = ids + tuple(first.tokens[:4]), positions.extend(4)  # typed what was offered
    warm = run(engine, longer_ids, longer_positions)
    cold = run(Engine(loaded, rope, decode_dtype=None), longer_ids, longer_positions)
    # The first prompt's last tokens and the generated ones ran on the decode weights (decode_step.py), where
    # a cold run of the longer prompt computes them on the full-precision weights: the engine recomputes
    # them, and reuses the first prompt's full-precision part.
    assert engine.full_precision_end(len(ids)) < len(ids) - 1
    assert warm[0].reused_tokens == engine.full_precision_end(len(ids))
    assert_same_run(warm, cold)


def test_same_ids_with_other_units_are_recomputed(loaded: LoadedModel) -> None:
    """Reuse needs equal unit positions too: the same code read as other units is another prompt."""
    rope = RopeSettings(window=8, unit_tokens=None)
    ids, positions = encode(loaded, UNITS)
    merged_ids, merged = encode(loaded, [UNITS[0], UNITS[1] + UNITS[2], UNITS[3]])
    assert merged_ids == ids and merged != positions
    first_difference = next(i for i, (a, b) in enumerate(zip(positions.unit, merged.unit, strict=True)) if a != b)
    engine = Engine(loaded, rope, decode_dtype=None)
    run(engine, ids, positions)
    warm = run(engine, ids, merged)
    cold = run(Engine(loaded, rope, decode_dtype=None), ids, merged)
    assert warm[0].reused_tokens == first_difference
    assert_same_run(warm, cold)


def test_a_slot_filled_in_the_background_serves_like_a_cold_run(loaded: LoadedModel) -> None:
    rope = RopeSettings(window=8, unit_tokens=None)
    ids, positions = encode(loaded, UNITS)
    edited_ids, edited_positions = encode(loaded, EDITED_UNITS)
    engine = Engine(loaded, rope, decode_dtype=None)
    checks = iter([False, False, True])  # cancelled after three chunks of at most four: what they computed stays
    partial = engine.prefill(ids, positions, cancel=lambda: next(checks), slot="grow", chunk=4)
    assert 9 <= partial <= 12
    assert engine.cached_tokens(ids, positions, slot="grow") == partial
    assert engine.prefill(ids, positions, slot="grow", chunk=4) == engine.full_precision_end(len(ids))
    assert engine.cached_tokens(ids, positions) == 0  # the main slot is another cache
    engine.swap("main", "grow")
    common = next(i for i, (a, b) in enumerate(zip(ids, edited_ids, strict=False)) if a != b)
    assert engine.cached_tokens(edited_ids, edited_positions) == common
    warm = run(engine, edited_ids, edited_positions)
    assert warm[0].reused_tokens == common
    assert_same_run(warm, run(Engine(loaded, rope, decode_dtype=None), edited_ids, edited_positions))


def test_each_prompt_gets_the_largest_unit_scale_that_keeps_it_in_the_training_window(loaded: LoadedModel) -> None:
    engine = Engine(loaded, RopeSettings(window=8, unit_scale=24, unit_tokens=None))  # N = 64: W - 1 + G * span <= 63
    assert engine.geometry_for(Positions.from_unit_lengths([5] * 2)).unit_scale == 24  # span 1
    assert engine.geometry_for(Positions.from_unit_lengths([5] * 4)).unit_scale == 56 // 3
    assert engine.geometry_for(Positions.from_unit_lengths([5] * 60)).unit_scale == 1
    assert engine.geometry_for(Positions.from_unit_lengths([40])) is engine.geometry  # one unit: the cap


def test_a_prompt_with_another_unit_scale_reuses_the_keys_and_turns_the_far_keys_again(loaded: LoadedModel) -> None:
    rope = RopeSettings(window=8, unit_tokens=None)
    ids, positions = encode(loaded, UNITS)
    longer_ids, longer_positions = encode(loaded, [*UNITS, "    return fibonacci(n - 1)\n"])
    engine = Engine(loaded, rope, decode_dtype=None)
    assert engine.geometry_for(positions).unit_scale != engine.geometry_for(longer_positions).unit_scale
    run(engine, ids, positions)
    warm = run(engine, longer_ids, longer_positions)
    assert warm[0].reused_tokens == engine.full_precision_end(len(ids))
    assert_same_run(warm, run(Engine(loaded, rope, decode_dtype=None), longer_ids, longer_positions))


def test_token_units_replace_the_outline_and_fit_g_to_their_span(loaded: LoadedModel) -> None:
    engine = Engine(loaded, RopeSettings(window=8, unit_tokens=4))  # N = 64
    ids, positions = encode(loaded, UNITS)
    assert engine.far_positions(positions) == Positions(tuple(t // 4 for t in range(len(ids))))
    assert Engine(loaded, RopeSettings(window=8, unit_tokens=None)).far_positions(positions) is positions
    span = (len(ids) - 1) // 4
    assert engine.geometry_for(positions).unit_scale == min(24, 56 // span)  # W - 1 + G * span <= 63
    assert engine.geometry.split == 0  # with units of tokens every band is on them by default
    # The same as handing the outline-unit engine the token units: only the units change.
    outline_engine = Engine(loaded, RopeSettings(window=8, split=0.0, unit_tokens=None))
    torch.testing.assert_close(
        engine.prompt_logits(ids, positions), outline_engine.prompt_logits(ids, positions.chunked(4))
    )
    assert not torch.allclose(engine.prompt_logits(ids, positions), outline_engine.prompt_logits(ids, positions))


def test_token_units_double_so_that_no_far_pair_passes_the_training_window(loaded: LoadedModel) -> None:
    rope = RopeSettings(window=48, split=0.0, unit_tokens=4)  # N = 64: room for 16 unit steps at G = 1
    engine = Engine(loaded, rope, decode_dtype=None)
    # Beyond 2N = 128 tokens two scales fit the older units, so only the last 128 tokens count.
    assert [engine.unit_tokens_for(n) for n in (1, 68, 69, 128, 1000)] == [4, 4, 8, 8, 8]
    assert Engine(loaded, RopeSettings(window=8, unit_tokens=None)).unit_tokens_for(1000) is None
    ids, positions = encode(loaded, UNITS)
    long_ids, long_positions = encode(loaded, UNITS * 2)
    assert len(ids) <= 68 < len(long_ids) <= 128
    assert engine.far_positions(long_positions) == Positions(tuple(t // 8 for t in range(len(long_ids))))
    geometry = engine.geometry_for(long_positions)
    assert geometry.window - 1 + geometry.unit_scale * ((len(long_ids) - 1) // 8) <= 63
    # Across the doubling the cache keeps only the tokens whose unit did not change (t < 4), and a warm run
    # still equals a cold one.
    run(engine, ids, positions)
    warm = run(engine, long_ids, long_positions)
    assert warm[0].reused_tokens <= 4
    assert_same_run(warm, run(Engine(loaded, rope, decode_dtype=None), long_ids, long_positions))


def test_beyond_two_training_windows_the_last_two_keep_a_finer_scale_than_the_older_tokens(
    loaded: LoadedModel,
) -> None:
    engine = Engine(loaded)  # N = 64, W = 32, units of 8: one G up to 128 tokens, two scales beyond
    assert engine.two_scales_for(128) is None and engine.two_scales_for(129) is not None
    positions = Positions.flat(256)
    # 256 tokens, units 0..31, the last 128 tokens from unit 16: 75% of N - W = 32 for their span of 15
    # (G = 1.6), the rest, 8, for the older span of 16 (G2 = 0.5); rounded down. The farthest pair sees
    # W - 1 + 32 = 63, the training window's last position.
    coordinates = [u // 2 for u in range(16)] + [8 + 16 * k // 10 for k in range(16)]
    assert engine.far_positions(positions).unit == tuple(coordinates[t // 8] for t in range(256))
    assert engine.geometry_for(positions).unit_scale == 1  # the coordinates carry the scales
    assert engine.geometry_for(positions).window == 32
    for length in range(129, 700):  # at every length the farthest pair stays within the window
        units = engine.far_positions(Positions.flat(length)).unit
        assert units[0] == 0 and units[-1] <= 64 - 32
    # One scale at 256 tokens would be G = 1 for every far pair: the near units are spaced finer than that.
    assert fitted_unit_scale(255 // 8, 32, 64) == 1


def test_two_scales_keep_the_far_keys_of_a_prompt_that_grows_within_a_step(loaded: LoadedModel) -> None:
    """The boundary and scales are those of the next multiple of N / 4 = 16 tokens: growing from 226 to 232
    tokens keeps them, so the warm run reuses the whole prefix; from 208 to 232 they change, and the warm
    run keeps only the tokens whose coordinates did not move. Both warm runs equal cold ones."""
    ids, positions = encode(loaded, UNITS * 4)
    assert len(ids) == 232
    short_ids, short_positions = ids[:226], positions[:226]
    shorter_ids, shorter_positions = ids[:208], positions[:208]
    engine = Engine(loaded, decode_dtype=None)
    long_units = engine.far_positions(positions).unit
    assert engine.far_positions(short_positions).unit == long_units[:226]
    assert engine.far_positions(shorter_positions).unit != long_units[:208]
    run(engine, short_ids, short_positions)
    warm = run(engine, ids, positions)
    assert warm[0].reused_tokens == engine.full_precision_end(226)
    cold = run(Engine(loaded, decode_dtype=None), ids, positions)
    assert_same_run(warm, cold)
    engine.reset()
    run(engine, shorter_ids, shorter_positions)
    warm = run(engine, ids, positions)
    shorter_units = engine.far_positions(shorter_positions).unit
    moved = next(t for t, (a, b) in enumerate(zip(shorter_units, long_units[:208], strict=True)) if a != b)
    assert warm[0].reused_tokens <= moved < 200
    assert_same_run(warm, cold)


def test_by_default_a_prompt_within_the_training_window_runs_the_stock_model(loaded: LoadedModel) -> None:
    engine = Engine(loaded)  # N = 64; beyond it W = 32 and every band on units of 8 tokens
    assert engine.rope.unit_tokens == DEFAULT_UNIT_TOKENS == 8
    assert (engine.geometry.window, engine.geometry.split) == (32, 0)
    ids, positions = encode(loaded, UNITS)
    assert len(ids) <= 64 and engine.geometry_for(positions).window == 64
    flat = Engine(loaded, RopeSettings(mode="flat")).prompt_logits(ids, None)
    torch.testing.assert_close(engine.prompt_logits(ids, positions), flat, atol=TOLERANCE, rtol=TOLERANCE)
    long_ids, long_positions = encode(loaded, UNITS * 3)
    span = (len(long_ids) - 1) // 8
    assert len(long_ids) > 64 and engine.geometry_for(long_positions).window == 32
    assert engine.geometry_for(long_positions).unit_scale == min(24, 32 // span)  # W - 1 + G * span <= 63
    assert Engine(loaded, RopeSettings(window=16)).geometry_for(positions).window == 16  # a set window is kept


def test_with_token_units_the_outline_does_not_stop_reuse(loaded: LoadedModel) -> None:
    """The same ids read as other outline units are the same prompt to a token-unit engine."""
    rope = RopeSettings(window=8, split=0.0, unit_tokens=4)
    ids, positions = encode(loaded, UNITS)
    merged_ids, merged = encode(loaded, [UNITS[0], UNITS[1] + UNITS[2], UNITS[3]])
    assert merged_ids == ids and merged != positions
    engine = Engine(loaded, rope, decode_dtype=None)
    run(engine, ids, positions)
    warm = run(engine, ids, merged)
    assert warm[0].reused_tokens == engine.full_precision_end(len(ids))
    assert_same_run(warm, run(Engine(loaded, rope, decode_dtype=None), ids, merged))


def test_hirope_window_changes_the_logits(loaded: LoadedModel) -> None:
    """A control for the tests above: with this prompt the window-8 run differs from stock attention."""
    ids, positions = encode(loaded, EDITED_UNITS)
    hirope = Engine(loaded, RopeSettings(window=8, unit_tokens=None)).prompt_logits(ids, positions)
    flat = Engine(loaded, RopeSettings(mode="flat")).prompt_logits(ids, None)
    assert float((hirope - flat).abs().max()) > 10 * TOLERANCE


@pytest.mark.parametrize("rope", [ROPES["flat"], ROPES["hirope-window-8"]], ids=["flat", "hirope-window-8"])
def test_chunked_prefill_equals_one_forward(
    loaded: LoadedModel, monkeypatch: pytest.MonkeyPatch, rope: RopeSettings
) -> None:
    ids, positions = encode(loaded, EDITED_UNITS)
    whole = run(Engine(loaded, rope, decode_dtype=None), ids, positions)
    monkeypatch.setattr(engine_module, "PREFILL_CHUNK", 7)
    engine = Engine(loaded, rope, decode_dtype=None)
    chunked = run(engine, ids, positions)
    assert_same_run(chunked, whole)
    one_forward = engine.prompt_logits(ids, None if rope.mode == "flat" else positions)
    assert one_forward.shape[0] == len(ids)
    assert float((one_forward[-1] - chunked[1][0]).abs().max()) <= TOLERANCE


@pytest.mark.parametrize("four_bit", [False, True], ids=["float16-copies", "int4"])
def test_decode_weights_keep_warm_and_cold_runs_together(four_bit: bool) -> None:
    """With the default decode format a warm run equals a cold one up to the rounding of the activations:
    chunk boundaries move fp32 sums by ~1e-6, which can flip a float16 or bfloat16 ulp. A random model is
    not 4-bit, so int4 keeps float16 copies; snapped to a 4-bit grid (the default model's case) its prompt
    tail and steps run the int4 products on bfloat16 activations."""
    loaded = tiny_loaded()
    if four_bit:
        snap_to_four_bits(loaded.model)
    rope = RopeSettings(window=8, unit_tokens=None)
    engine = Engine(loaded, rope)
    assert engine._step is not None
    assert engine._step.layers[0].out.activations == (torch.bfloat16 if four_bit else torch.float16)
    ids, positions = encode(loaded, UNITS)
    edited_ids, edited_positions = encode(loaded, EDITED_UNITS)
    run(engine, ids, positions)
    warm_completion, warm_logits = run(engine, edited_ids, edited_positions)
    cold_completion, cold_logits = run(Engine(loaded, rope), edited_ids, edited_positions)
    assert warm_completion.reused_tokens > 8 and warm_completion.tokens == cold_completion.tokens
    for a, b in zip(warm_logits, cold_logits, strict=True):
        assert float((a - b).abs().max()) <= 2e-3


def cancel_after(calls: int) -> Callable[[], bool]:
    count = 0

    def cancel() -> bool:
        nonlocal count
        count += 1
        return count >= calls

    return cancel


def test_cancel_stops_within_one_decode_step(loaded: LoadedModel) -> None:
    ids, positions = encode(loaded, UNITS)
    completion = Engine(loaded).complete(ids, positions, NEVER_STOP, 20, cancel=cancel_after(3), heal=False)
    assert completion.reason == "cancelled"
    assert 1 <= len(completion.tokens) <= 4


def test_cancel_during_prefill_leaves_a_working_engine(loaded: LoadedModel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "PREFILL_CHUNK", 4)
    rope = RopeSettings(window=8, unit_tokens=None)
    ids, positions = encode(loaded, EDITED_UNITS)
    engine = Engine(loaded, rope, decode_dtype=None)
    cancelled = engine.complete(ids, positions, NEVER_STOP, 16, cancel=lambda: True, heal=False)
    assert cancelled.reason == "cancelled" and cancelled.tokens == [] and cancelled.text == ""
    assert_same_run(run(engine, ids, positions), run(Engine(loaded, rope, decode_dtype=None), ids, positions))


def test_stop_ids_hold_the_tokenizers_end_of_sequence(loaded: LoadedModel) -> None:
    engine = Engine(loaded)
    assert loaded.tokenizer.eos_token_id in engine.stop_ids
    assert set(loaded.tokenizer.all_special_ids) <= engine.stop_ids


def test_generation_stops_at_end_of_sequence(loaded: LoadedModel) -> None:
    ids, positions = encode(loaded, UNITS)
    free, _ = run(Engine(loaded), ids, positions)
    step = next(i for i in range(2, len(free.tokens)) if free.tokens[i] not in free.tokens[:i])
    loaded.model.generation_config.eos_token_id = free.tokens[step]  # the model declares that token its EOS
    stopped, _ = run(Engine(loaded), ids, positions)
    assert stopped.reason == "eos"
    assert stopped.tokens == free.tokens[:step]
    assert stopped.text == loaded.tokenizer.decode(free.tokens[:step]).rstrip()


def test_max_tokens_is_honoured(loaded: LoadedModel) -> None:
    ids, positions = encode(loaded, UNITS)
    completion, _ = run(Engine(loaded), ids, positions, max_tokens=5)
    assert completion.reason == "max_tokens" and len(completion.tokens) == 5
    assert completion.prompt_tokens == len(ids)


def test_healing_drops_the_last_token_and_constrains_the_first(loaded: LoadedModel) -> None:
    ids, positions = encode(loaded, ["def area(radius):\n    "])
    engine = Engine(loaded)
    healed, count = TokenHealer(loaded.tokenizer).tail(ids, engine.stop_ids)
    assert count >= 1 and healed.strip() == "" and healed.endswith("    ")  # the prompt ends in the indentation
    completion = engine.complete(ids, positions, NEVER_STOP, 8)
    assert completion.prompt_tokens == len(ids) - count
    raw = loaded.tokenizer.decode(completion.tokens)
    assert raw.startswith(healed) or healed.startswith(raw)
    assert completion.text == raw[len(healed) :].rstrip()


def test_a_prompt_needs_one_position_per_token(loaded: LoadedModel) -> None:
    engine = Engine(loaded)
    with pytest.raises(ValueError, match="one position per token"):
        engine.complete([1, 2, 3], Positions.flat(2), NEVER_STOP, 4)
    with pytest.raises(ValueError, match="non-empty"):
        engine.complete([], Positions.flat(0), NEVER_STOP, 4)


@pytest.mark.slow
def test_default_model_writes_a_fibonacci_body(default_model: LoadedModel) -> None:
    ids, positions = encode(default_model, ["def fibonacci(n):\n    "])
    engine = Engine(default_model)
    completion = engine.complete(ids, positions, StopRule(multiline=True, block_indent=4), 48)
    assert completion.text.strip(), completion
    assert "\n" in completion.text.strip() and "return" in completion.text, completion.text
    body = ("    " + completion.text).splitlines()
    assert all(not line.strip() or line.startswith("    ") for line in body), completion.text


@pytest.mark.parametrize("rope", [ROPES["flat"], ROPES["hirope-window-8"]], ids=["flat", "hirope-window-8"])
def test_guessed_tokens_change_nothing_but_the_number_of_forwards(loaded: LoadedModel, rope: RopeSettings) -> None:
    """Prompt lookup (lookup.py): the same tokens from the same logits as one token at a time, in fewer forwards;
    wrong guesses leave the cache as it would be without them."""
    ids, positions = encode(loaded, UNITS)
    results = {}
    for guess_tokens in (0, 3):
        engine = Engine(loaded, rope, decode_dtype=None, guess_tokens=guess_tokens)
        results[guess_tokens] = run(engine, ids, positions, max_tokens=24)
        slot = engine._slots["main"]
        assert len(slot.ids) == slot.kv.get_seq_length() == len(ids) + 23  # the last token is never run
    (plain, plain_logits), (guessed, guessed_logits) = results[0], results[3]
    assert guessed.tokens == plain.tokens and len(plain.tokens) == 24
    for a, b in zip(guessed_logits, plain_logits, strict=True):
        assert float((a - b).abs().max()) <= TOLERANCE
    assert plain.decode_steps == 23
    assert guessed.decode_steps < plain.decode_steps  # the tiny model repeats itself: some guesses were right
