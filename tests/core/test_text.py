"""The one NUL check every entry point shares."""

from core.text import has_nul, nul_paths


def test_has_nul_finds_the_character_anywhere():
    assert has_nul("\x00") and has_nul("ab\x00") and not has_nul("ab\\u0000")


def test_nul_paths_name_every_string_and_key_with_a_nul_in_a_document():
    document = {"a": ["ok", "x\x00"], "b": {"c\x00": 1, "d": {"e": "\x00"}}, "f": 3, "g": None}
    assert list(nul_paths(document)) == [("a", 1), ("b", "c\x00"), ("b", "d", "e")]
    assert list(nul_paths("\x00")) == [()]
    assert list(nul_paths({"a": ["fine", 1.5, True]})) == []
