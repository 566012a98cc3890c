"""Render a terminal capture with ANSI colours (`tmux capture-pane -e -p`) to a PNG, with Pillow.

    python render_ansi.py CAPTURE.ansi OUT.png --cols 84 --rows 22 [--cursor X,Y,bar|block] [--font PATH]

SGR codes handled: reset, bold, dim, italic, underline, reverse, the 16 colours, 256 colours and
24-bit colours, for foreground and background. Enough for Neovim's default colour scheme.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

Color = tuple[int, int, int]

DEFAULT_FG: Color = (0xE0, 0xE2, 0xEA)  # Neovim's NvimLightGrey2, its default dark scheme
DEFAULT_BG: Color = (0x14, 0x16, 0x1B)  # NvimDarkGrey2
ANSI16: list[Color] = [
    (0x07, 0x08, 0x0D), (0xFF, 0xC0, 0xB9), (0xB3, 0xF6, 0xC0), (0xFC, 0xE0, 0x94),
    (0xA6, 0xDB, 0xFF), (0xFF, 0xCA, 0xFF), (0x8C, 0xF8, 0xF7), (0xE0, 0xE2, 0xEA),
    (0x4F, 0x52, 0x58), (0xFF, 0xC0, 0xB9), (0xB3, 0xF6, 0xC0), (0xFC, 0xE0, 0x94),
    (0xA6, 0xDB, 0xFF), (0xFF, 0xCA, 0xFF), (0x8C, 0xF8, 0xF7), (0xEE, 0xF1, 0xF8),
]  # fmt: skip
FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
    "/Library/Fonts/Menlo.ttc",
]
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-ln-z]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][A-Z0-9])")


@dataclass(frozen=True)
class Style:
    fg: Color | None = None
    bg: Color | None = None
    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False
    reverse: bool = False


def color256(n: int) -> Color:
    if n < 16:
        return ANSI16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[n // 36], steps[n // 6 % 6], steps[n % 6]
    level = 8 + 10 * (n - 232)
    return level, level, level


def apply_sgr(style: Style, params: str) -> Style:
    codes = [int(code) if code else 0 for code in re.split("[;:]", params)] if params else [0]
    i = 0
    while i < len(codes):
        code = codes[i]
        if code == 0:
            style = Style()
        elif code in (1, 2, 3, 4, 7):
            style = replace(style, **{({1: "bold", 2: "dim", 3: "italic", 4: "underline", 7: "reverse"})[code]: True})
        elif code == 22:
            style = replace(style, bold=False, dim=False)
        elif code in (23, 24, 27):
            style = replace(style, **{({23: "italic", 24: "underline", 27: "reverse"})[code]: False})
        elif 30 <= code <= 37 or 90 <= code <= 97:
            style = replace(style, fg=ANSI16[code - 30 if code < 90 else code - 82])
        elif 40 <= code <= 47 or 100 <= code <= 107:
            style = replace(style, bg=ANSI16[code - 40 if code < 100 else code - 92])
        elif code in (39, 49):
            style = replace(style, **{"fg" if code == 39 else "bg": None})
        elif code in (38, 48) and i + 1 < len(codes):
            key = "fg" if code == 38 else "bg"
            if codes[i + 1] == 5 and i + 2 < len(codes):
                style = replace(style, **{key: color256(codes[i + 2])})
                i += 2
            elif codes[i + 1] == 2 and i + 4 < len(codes):
                style = replace(style, **{key: (codes[i + 2], codes[i + 3], codes[i + 4])})
                i += 4
        i += 1
    return style


def parse(text: str, cols: int, rows: int) -> list[list[tuple[str, Style]]]:
    """The screen as rows of (character, style) cells, padded to cols x rows."""
    screen: list[list[tuple[str, Style]]] = []
    for line in text.split("\n")[:rows]:
        cells: list[tuple[str, Style]] = []
        style = Style()
        line = OTHER_ESCAPE.sub("", line)
        position = 0
        for match in SGR.finditer(line):
            cells.extend((char, style) for char in line[position : match.start()])
            style = apply_sgr(style, match.group(1))
            position = match.end()
        cells.extend((char, style) for char in line[position:])
        screen.append(cells[:cols] + [(" ", Style(bg=style.bg))] * (cols - len(cells)))
    while len(screen) < rows:
        screen.append([(" ", Style())] * cols)
    return screen


def blend(a: Color, b: Color, t: float) -> Color:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def render(
    screen: list[list[tuple[str, Style]]], font_path: str, size: int, cursor: tuple[int, int, str] | None
) -> Image.Image:
    regular = ImageFont.truetype(font_path, size)
    bold_path = font_path.replace("Mono.ttf", "Mono-Bold.ttf")
    bold = ImageFont.truetype(bold_path, size) if Path(bold_path).exists() else regular
    italic_path = font_path.replace("Mono.ttf", "Mono-Oblique.ttf")
    italic = ImageFont.truetype(italic_path, size) if Path(italic_path).exists() else regular
    ascent, descent = regular.getmetrics()
    width, height = round(regular.getlength("M")), ascent + descent + 2
    pad = 14
    rows, cols = len(screen), len(screen[0])
    image = Image.new("RGB", (cols * width + 2 * pad, rows * height + 2 * pad), DEFAULT_BG)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(screen):
        for x, (char, style) in enumerate(row):
            fg, bg = style.fg or DEFAULT_FG, style.bg or DEFAULT_BG
            if style.reverse:
                fg, bg = bg, fg
            if style.dim:
                fg = blend(fg, bg, 0.45)
            left, top = pad + x * width, pad + y * height
            if bg != DEFAULT_BG:
                draw.rectangle([left, top, left + width - 1, top + height - 1], fill=bg)
            if char != " ":
                font = bold if style.bold else italic if style.italic else regular
                draw.text((left, top + 1), char, font=font, fill=fg)
            if style.underline:
                draw.line([left, top + height - 2, left + width - 1, top + height - 2], fill=fg)
    if cursor is not None:
        x, y, shape = cursor
        left, top = pad + x * width, pad + y * height
        if shape == "bar":
            draw.rectangle([left, top, left + 1, top + height - 1], fill=DEFAULT_FG)
        else:
            draw.rectangle([left, top, left + width - 1, top + height - 1], outline=DEFAULT_FG)
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("capture", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--cols", type=int, required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--cursor", help="X,Y,SHAPE: column and row from 0, bar or block")
    parser.add_argument("--font", default=next((font for font in FONTS if Path(font).exists()), None))
    parser.add_argument("--size", type=int, default=16)
    args = parser.parse_args()
    if args.font is None:
        parser.error("no monospace font found; pass --font")
    cursor = None
    if args.cursor:
        x, y, shape = args.cursor.split(",")
        cursor = (int(x), int(y), shape)
    screen = parse(args.capture.read_text(encoding="utf-8"), args.cols, args.rows)
    render(screen, args.font, args.size, cursor).save(args.output, optimize=True)


if __name__ == "__main__":
    main()
