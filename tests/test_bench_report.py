"""`make bench`'s markdown: every figure with a goal is listed beside it, with whether it is met."""

from __future__ import annotations

from pathlib import Path

from bench.run_all import goal_rows, met, write_markdown

RESULTS = {
    "api": {"p99_s": {"value": 1.1, "goal": 0.05}, "requests": 5000},
    "dispute": {"goals": {"total_gas": 8_000_000, "wall_s": 60.0},
                "mlp": {"total_gas": 3_083_966, "wall_s": 2.8, "winner": "challenger_won"}},
    "repops": {"models": {"goal_ratio": 1.3, "mlp_step_ratio": 0.69, "mlp_step_with_commit_ratio": 12.0}},
    "indexer": {"sqlite": {"events_per_s": {"value": 9_000, "goal": 10_000}}},
}


def test_each_goal_shape_is_found_and_judged_in_the_right_direction() -> None:
    rows: list[tuple[str, object, object]] = []
    goal_rows("", RESULTS, rows)
    found = {name: (value, goal) for name, value, goal in rows}
    assert found == {
        "api.p99_s": (1.1, 0.05),
        "dispute.mlp.total_gas": (3_083_966, 8_000_000),
        "dispute.mlp.wall_s": (2.8, 60.0),
        "repops.models.mlp_step_ratio": (0.69, 1.3),
        "indexer.sqlite.events_per_s": (9_000, 10_000),
    }
    assert met("api.p99_s", 1.1, 0.05) == "**no**"  # lower is better
    assert met("dispute.mlp.wall_s", 2.8, 60.0) == "yes"
    assert met("indexer.sqlite.events_per_s", 9_000, 10_000) == "**no**"  # higher is better
    assert met("e2e.one_worker.tasks_per_hour", 2_213, 1_000) == "yes"


def test_the_markdown_names_the_machine_and_puts_goals_first(tmp_path: Path) -> None:
    path = tmp_path / "results.md"
    write_markdown(RESULTS, path)
    text = path.read_text()
    assert "Machine:" in text and "torch" in text
    assert text.index("## Figures with a goal") < text.index("## api")
    assert "| api.p99_s | 1.1 | 0.05 | **no** |" in text
    assert "| requests | 5000 |" in text


def test_a_goals_dict_judges_the_figures_beside_it_by_comparison() -> None:
    results = {"economics": {"dilemma": {
        "goals": {"profit_eth": "> 0", "loss_eth": "< 0", "missing_eth": "< 0"},
        "profit_eth": -0.06, "loss_eth": -0.01, "missing_eth": None,
        "by_rate": {"1pct": {"profit_eth_here": 1.0}},
    }}}
    rows: list[tuple[str, object, object]] = []
    goal_rows("", results, rows)
    assert rows == [("economics.dilemma.profit_eth", -0.06, "> 0"),
                    ("economics.dilemma.loss_eth", -0.01, "< 0"),
                    ("economics.dilemma.missing_eth", None, "< 0")]
    assert [met(name, value, goal) for name, value, goal in rows] == ["**no**", "yes", "**no**"]


def test_a_flag_named_like_a_goal_is_not_a_figure() -> None:
    results = {"dilemma": {"goals": {"x_eth": "< 0"}, "x_eth": -1.0, "goals_met": {"x_eth": True}}}
    rows: list[tuple[str, object, object]] = []
    goal_rows("", results, rows)
    assert rows == [("dilemma.x_eth", -1.0, "< 0")]
