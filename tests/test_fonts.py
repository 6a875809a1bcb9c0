"""bpkit/fonts.py: the pages' font stacks keep Latin text in a Latin font and
draw every kanji with a Japanese font, on macOS, Windows and Linux."""
from bpkit import fonts

CHINESE = ("SC", "TC", "HK", "YaHei", "SimSun", "SimHei", "PingFang", "JhengHei", "MingLiU")


def names(stack: str) -> list[str]:
    return [name.strip().strip("'") for name in stack.split(",")]


def test_each_stack_lists_latin_fonts_then_a_japanese_font_of_each_system_then_its_generic_family():
    japanese = [name.strip("'") for name in fonts.JAPANESE]
    for stack, generic in ((fonts.TEXT, "sans-serif"), (fonts.CODE, "monospace")):
        found = names(stack)
        assert found[-1] == generic, stack
        first_japanese = min(found.index(name) for name in japanese)
        assert first_japanese > 0 and all(name not in japanese for name in found[:first_japanese]), stack
        for system_font in ("Hiragino Sans", "Yu Gothic", "Meiryo", "Noto Sans CJK JP"):  # macOS, Windows, Linux
            assert system_font in found, (stack, system_font)
        assert not [name for name in found if any(mark in name for mark in CHINESE)], stack


def test_a_stack_fits_in_a_style_attribute_and_the_style_sheet_sets_body_and_code():
    for stack in (fonts.TEXT, fonts.CODE):
        assert '"' not in stack and "<" not in stack and ";" not in stack, stack
    assert f"body {{ font-family: {fonts.TEXT}; }}" in fonts.CSS
    assert f"pre, code, kbd, samp {{ font-family: {fonts.CODE}; }}" in fonts.CSS
