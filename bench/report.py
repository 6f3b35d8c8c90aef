"""How every benchmark prints its figures: one line each, beside its target and whether it is
met, prefixed with the database engine."""

from __future__ import annotations


def print_rows(label: str, rows: list[tuple[str, str, str, bool]]) -> None:
    """``rows``: (what is measured, the figure, the target, whether the target is met)."""
    for name, figure, target, met in rows:
        verdict = "met" if met else "NOT MET"
        print(f"{label}: {name:<52} {figure:<34} target {target:<40} {verdict}")


def print_failures(label: str, errors: int) -> None:
    print(f"{label}: {errors} failed requests")
