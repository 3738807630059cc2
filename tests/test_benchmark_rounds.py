"""The benchmark suite's rounds: several runs of one measurement become one result."""

from __future__ import annotations

from benchmarks.run import combine_rounds, median_of


def test_numbers_are_the_median_over_rounds_and_the_rest_is_the_first_rounds() -> None:
    rounds = [{"overview": {"cold_s": 0.9, "warm_median_s": 0.05, "exceptions": []}, "n": 3, "ok": True},
              {"overview": {"cold_s": 0.4, "warm_median_s": 0.07, "exceptions": ["x"]}, "n": 5, "ok": False},
              {"overview": {"cold_s": 0.5, "warm_median_s": 0.06, "exceptions": []}, "n": 4, "ok": True}]
    assert median_of(rounds) == {"overview": {"cold_s": 0.5, "warm_median_s": 0.06, "exceptions": ["x"]},
                                 "n": 4, "ok": True}


def test_a_round_that_failed_or_lacks_a_figure_does_not_break_the_others() -> None:
    rounds = [{"error": "RuntimeError: boom"}, {"a": 1.0}, {"a": 3.0, "b": 2.0}]
    assert median_of(rounds) == {"a": 2.0, "b": 2.0}
    assert median_of([{"error": "x"}, {"error": "y"}]) == {"error": "x"}


def test_what_failed_in_any_round_is_reported() -> None:
    rounds = [{"impact": {"s": 1.0}, "decisions": {"error": "Traceback: boom"}},
              {"impact": {"s": 2.0}, "decisions": {"ms": 5.0}},
              {"error": "TimeoutError: slow"}]
    combined = combine_rounds("areas", rounds)
    assert combined["impact"] == {"s": 1.5} and combined["decisions"] == {"ms": 5.0}
    assert combined["failed_rounds"] == ["round 1: decisions: Traceback: boom", "round 3: the section: TimeoutError: slow"]


def test_browser_rounds_keep_the_highest_memory_peak_and_any_exception() -> None:
    rounds = [{"pages": {"impact": {"cold_s": 1.9, "exception_shown": False}}, "server_peak_rss_mb": 900.0},
              {"pages": {"impact": {"cold_s": 1.1, "exception_shown": True}}, "server_peak_rss_mb": 1400.0},
              {"pages": {"impact": {"cold_s": 1.2, "exception_shown": False}}, "server_peak_rss_mb": 910.0}]
    combined = combine_rounds("browser", rounds)
    assert combined == {"pages": {"impact": {"cold_s": 1.2, "exception_shown": True}}, "server_peak_rss_mb": 1400.0}
    assert combine_rounds("pages", rounds[:1]) == rounds[0]
