"""The adversarial sample every backend must encode exactly like tiktoken before it may run a job.

Fast BPE libraries agree with tiktoken on ordinary prose and part ways on the corners: U+180E
(whitespace to one Unicode version, not to another), pieces of 500+ bytes (merged by another
algorithm past a length), lone surrogates (tiktoken's wrapper repairs them, Rust libraries raise),
`<|endoftext|>` inside a text (ordinary text for `encode_ordinary`, a special id for a careless
backend), runs of spaces before a non-space (the `\\s+(?!\\S)` look-ahead). Each corner is a
document of its own, and all of them again in one document; a seeded fuzz of short strings drawn
from the same awkward characters follows, so the sample is identical in every process and run.
"""

from __future__ import annotations

import random

# Every character Unicode (or some version of it) calls whitespace, plus the near misses.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u180e"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
)
CONTRACTIONS = "I'm you're he'll we've they'd can't it's 'S 'LL 'Re ''s 's's rock'n'roll O'Neil dogs' 'tis 'ts"
DIGITS = "1 12 123 1234 12345678901234567890 3.14159 1,000,000 0x1F 1e-9 ١٢٣ ४५६ ²³ Ⅻ ½ 〇〡〢"
CJK = "中文分词测试，这是一个句子。日本語のテキスト、カタカナとひらがな。한국어 텍스트입니다. 繁體字與简体字"
EMOJI = "👨‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🇫🇷🇩🇪 ❤️ 🧑🏿‍🚀 ☕️ 😀😀😀"
COMBINING = "e\u0301 n\u0303 Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇ नमस्ते \u1100\u1161\u11a8 ก่ อ้ \u0301 x\u20dd"
# Lone surrogates, and a pair split into two code points (tiktoken's repair joins it back into 😀).
SURROGATES = "a\ud800b \udfff end \ud83d\ude00 x\udc00\ud800y"
REPLACED = b"abc\xff\xfe def \xc3\x28 \xe2\x82 \xf0\x9f\x98 tail".decode("utf-8", "replace")
SPECIALS = "<|endoftext|> a<|endoftext|>b <|endoftext|><|endoftext|> <|fim_prefix|> <|endofprompt|> <|"
CODE = "def f(x):\n\treturn x**2  # HTTPServer camelCase snake_case\n    if a!=b: pass\r\n}}}]]];;"


def _corners() -> list[str]:
    spaces = [" " * n + "x" for n in (1, 2, 3, 7, 16)] + ["x" + " " * 5, "\n\n\n", "\t \t", "  \n  ", " \xa0 x"]
    every_space = [f"a{c}b a{c}{c}b {c}x x{c} {c} {c}" for c in WHITESPACE]
    long_pieces = [
        "a" * 600,
        " " + "Supercalifragilistic" * 40,
        "!" * 700,
        "7" * 600,
        "€" * 300,
        "中" * 400,
        "aGVsbG8gd29ybGQ" * 60,
        "https://example.com/" + "path/" * 150,
        " " * 1200 + "x",
        "\u180e" * 300,
        "😀" * 200,
    ]
    return [
        CONTRACTIONS,
        DIGITS,
        CJK,
        EMOJI,
        COMBINING,
        SURROGATES,
        REPLACED,
        SPECIALS,
        CODE,
        "\x00\x01\x7f control",
        *spaces,
        *every_space,
        *long_pieces,
    ]


def _fuzz(count: int, seed: int) -> list[str]:
    """Short strings of the awkward characters above, mixed with letters, digits and punctuation."""
    alphabet = list(WHITESPACE + "aZé'sllve12 .!?-中あ한😀\u0301\u200d<|>\ud800")
    alphabet += ["'s", "'ll", "<|endoftext|>", " " * 4, "\u180e\u180e", "\ud83d\ude00"]
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(count)]


def adversarial_sample() -> list[str]:
    """The documents of the start check: each corner alone, all of them in one document, the fuzz."""
    corners = _corners()
    return [*corners, " ".join(corners), "\n\n".join(corners), *_fuzz(2000, seed=17)]
