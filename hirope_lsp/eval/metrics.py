"""The numbers the evaluations report, as pure functions (the tests check them against hand-computed values).

- perplexity: exp of the mean token loss (natural log), from a loss sum and a token count, so that
  several sequences pool token-weighted;
- exact match of a completed line: equal after stripping surrounding whitespace;
- edit similarity: 1 - Levenshtein distance / the longer length, on characters (1.0 for two empty strings);
- recall: the share of expected names that the model's answer contains as whole identifiers;
- code names: the identifiers of a line of code, Python keywords aside;
- the loss of a line's names: the mean loss of the tokens that belong to chosen names;
- a paired change: the mean of per-sample differences, their standard deviation and the paired t statistic.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Iterable

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def perplexity(loss_sum: float, count: int) -> float:
    """exp(loss_sum / count); the losses are natural-log cross entropies."""
    if count <= 0:
        raise ValueError("perplexity needs at least one scored token")
    return math.exp(loss_sum / count)


def exact_match(predicted: str, expected: str) -> bool:
    return predicted.strip() == expected.strip()


def levenshtein(a: str, b: str) -> int:
    """Edits (insert, delete, substitute one character) that turn a into b."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def edit_similarity(predicted: str, expected: str) -> float:
    """1 - levenshtein / max(len): 1.0 for equal strings, 0.0 for nothing in common (whitespace-stripped)."""
    a, b = predicted.strip(), expected.strip()
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - levenshtein(a, b) / longest


def mentioned_names(text: str) -> set[str]:
    """The identifiers in a text."""
    return set(IDENTIFIER.findall(text))


def code_names(text: str) -> set[str]:
    """The identifiers in Python code, its keywords aside (`self` and builtins are names and stay)."""
    return {name for name in IDENTIFIER.findall(text) if not keyword.iskeyword(name)}


def recall(answer: str, expected: Iterable[str]) -> tuple[int, int]:
    """(how many of the distinct expected names the answer mentions as identifiers, how many there are)."""
    names = set(expected)
    return len(names & mentioned_names(answer)), len(names)


def paired_change(changes: list[float]) -> tuple[float, float, float | None]:
    """(mean, sample standard deviation, paired t = mean / (sd / sqrt(n))) of per-sample changes; t is None
    with fewer than two changes or none that differ."""
    if not changes:
        raise ValueError("a paired change needs at least one pair")
    count = len(changes)
    mean = sum(changes) / count
    sd = math.sqrt(sum((c - mean) ** 2 for c in changes) / (count - 1)) if count > 1 else 0.0
    t = mean / (sd / math.sqrt(count)) if count > 1 and sd > 0 else None
    return mean, sd, t


def names_loss(losses: list[float], token_names: list[str | None], names: Iterable[str]) -> float | None:
    """The mean loss of the tokens that belong to one of `names` (`token_names[i]`: the name token i is part
    of, or None), or None if no token does."""
    chosen = set(names)
    picked = [loss for loss, name in zip(losses, token_names, strict=True) if name is not None and name in chosen]
    return sum(picked) / len(picked) if picked else None
