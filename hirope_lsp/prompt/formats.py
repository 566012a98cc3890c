"""How a model wants files laid out: plain text with a path comment per file, or repository-level
fill-in-the-middle with the model family's special tokens.

    plain:  # file: pkg/b.py\n <units of b.py> # file: pkg/a.py\n <a.py up to the cursor>
    fim:    <|repo_name|>repo\n <|file_sep|>pkg/b.py\n <units of b.py>
            <|file_sep|>pkg/a.py\n <|fim_prefix|><a.py up to the cursor><|fim_suffix|><after it><|fim_middle|>

The fill-in-the-middle layout is Qwen2.5-Coder's repository-level one. A tokenizer gets it only if it
has every one of the family's special tokens: SmolLM2's has `<repo_name>` and `<file_sep>` but no
FIM tokens and was not trained to infill, so it gets the plain layout.

Every piece is emitted as ids here (special tokens by id, text through the tokenizer), so that the
budget can count a header exactly before the layout emits it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hirope_lsp.prompt.tokens import Tokenizer

LINE_COMMENT = {"python": "#"}  # every other indexed language comments with "//"; plain text gets "#"


@dataclass(frozen=True)
class FimTokens:
    """A family's repository-level fill-in-the-middle tokens."""

    family: str
    repo_name: str
    file_sep: str
    prefix: str
    suffix: str
    middle: str


QWEN_CODER = FimTokens("qwen", "<|repo_name|>", "<|file_sep|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")
FIM_FAMILIES = (QWEN_CODER,)


class PromptFormat:
    """The layout of one tokenizer's prompts; `detect_format` picks it."""

    def __init__(self, tokenizer: Tokenizer, fim: FimTokens | None) -> None:
        self.tokenizer = tokenizer
        self.name = "plain" if fim is None else f"fim-{fim.family}"
        self._special: dict[str, int] = {}
        if fim is not None:
            for role in ("repo_name", "file_sep", "prefix", "suffix", "middle"):
                token_id = tokenizer.special_id(getattr(fim, role))
                if token_id is None:
                    raise ValueError(f"the tokenizer has no {getattr(fim, role)} token")
                self._special[role] = token_id

    @property
    def fills_middle(self) -> bool:
        """Whether the text after the cursor goes into the prompt (as the FIM suffix)."""
        return bool(self._special)

    def preamble(self, repository: str) -> tuple[int, ...]:
        """What starts every prompt: the repository's name, for FIM formats."""
        if not self.fills_middle:
            return ()
        return (self._special["repo_name"], *self.tokenizer.encode(f"{repository}\n"))

    def file_header(self, path: str, language: str | None) -> tuple[int, ...]:
        """What precedes a file's units: its path (relative to the repository root)."""
        if self.fills_middle:
            return (self._special["file_sep"], *self.tokenizer.encode(f"{path}\n"))
        comment = LINE_COMMENT.get(language or "python", "//")
        return tuple(self.tokenizer.encode(f"{comment} file: {path}\n"))

    def line_break(self) -> tuple[int, ...]:
        """Put before a header when the text before it does not end a line."""
        return tuple(self.tokenizer.encode("\n"))

    def prefix_start(self) -> tuple[int, ...]:
        """After the current file's header, before its text."""
        return (self._special["prefix"],) if self.fills_middle else ()

    def suffix_start(self) -> tuple[int, ...]:
        return (self._special["suffix"],) if self.fills_middle else ()

    def middle(self) -> tuple[int, ...]:
        """The prompt's last token(s): where generation starts."""
        return (self._special["middle"],) if self.fills_middle else ()


def detect_format(tokenizer: Tokenizer) -> PromptFormat:
    """The FIM format of the first family whose special tokens the tokenizer has all of, else plain."""
    for family in FIM_FAMILIES:
        roles = (family.repo_name, family.file_sep, family.prefix, family.suffix, family.middle)
        if all(tokenizer.special_id(token) is not None for token in roles):
            return PromptFormat(tokenizer, family)
    return PromptFormat(tokenizer, None)
