"""Stop strings on streamed text (inference/stops.py), shared by the one-at-a-time server path and the
batched decoder: the cut at the first stop, and holding back only what may start one."""

from __future__ import annotations

from loco_mlx.inference.stops import StopScanner, held_back


def test_text_that_may_start_a_stop_string_is_held_back():
    assert held_back("the answer is 4", ("\n\n",)) == 0
    assert held_back("the answer is 4\n", ("\n\n",)) == 1
    assert held_back("x END", ("ENDING", "D")) == 3
    assert held_back("abc", ()) == 0


def test_the_scanner_cuts_at_the_earliest_stop_across_pieces():
    scanner = StopScanner(["world", "lo w"])
    assert scanner.feed("hel") == ("he", False)  # "l" may start "lo w"; "he" cannot start either stop
    assert scanner.feed("lo wor") == ("l", True)  # "lo w" comes before "world" would
    assert StopScanner([]).feed("anything") == ("anything", False)


def test_the_scanner_streams_what_cannot_start_a_stop_and_holds_the_rest():
    scanner = StopScanner(["END"])
    assert scanner.feed("abcE") == ("abc", False)  # "E" might start "END"
    assert scanner.feed("x") == ("Ex", False)  # it did not
    assert scanner.feed("EN") == ("", False)
    assert scanner.feed("Dtail") == ("", True)


def test_what_was_held_back_is_given_at_the_end_and_empty_stops_are_ignored():
    scanner = StopScanner(["", "\n\n"])
    assert scanner.feed("last line\n") == ("last line", False)
    assert scanner.flush() == "\n" and scanner.flush() == ""
