"""Font stacks for the pages the kit writes, so Japanese text is drawn with
Japanese glyphs.

The pages mix English and Japanese and are marked ``lang="en"`` (or not at
all), so a browser picks the font for their kanji by the page's language and
the system's: on an English Windows or macOS that is often a Chinese font,
and 誤, 直 or 返 take their Chinese forms.  Each stack lists Latin fonts
first, then Japanese ones of each system (macOS, Windows, Linux's Noto), then
the generic family: Latin text stays in the Latin font and every kanji comes
from a Japanese font, whatever the system's language.  Names are in single
quotes so a stack fits in a ``style="..."`` attribute."""
from __future__ import annotations

__all__ = ["TEXT", "CODE", "JAPANESE", "CSS"]

#: Japanese fonts, in the order tried: macOS, Windows, Linux (fonts-noto-cjk), Google Fonts.
JAPANESE = ("'Hiragino Sans'", "'Hiragino Kaku Gothic ProN'", "'Yu Gothic'", "YuGothic", "Meiryo",
            "'Noto Sans CJK JP'", "'Noto Sans JP'")
#: Body text.
TEXT = ", ".join(("'Segoe UI'", "'Helvetica Neue'", "Arial", *JAPANESE, "sans-serif"))
#: Code and program output (assert messages are bilingual): monospace Latin, then Japanese fonts
#: with fixed-width kana where the system has them.
CODE = ", ".join(("Menlo", "Consolas", "'DejaVu Sans Mono'", "'Noto Sans Mono CJK JP'", "'BIZ UDGothic'",
                  "'MS Gothic'", *JAPANESE, "monospace"))
#: A style sheet for a page of the kit's own (the feedback page also sets JupyterLab's variables).
CSS = f"body {{ font-family: {TEXT}; }}\npre, code, kbd, samp {{ font-family: {CODE}; }}\n"
