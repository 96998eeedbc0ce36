"""Figures, their statistics, the printed table and the JSON results file."""

import json
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated between the two nearest samples."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    at = (len(ordered) - 1) * q / 100
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def median(values: list[float]) -> float:
    """The median of the rounds' values (NaN when there are none)."""
    clean = [v for v in values if v == v]
    return statistics.median(clean) if clean else float("nan")


@dataclass
class Figure:
    """One measured figure beside its baseline, with the target it is held to."""

    key: str
    name: str
    unit: str
    value: float
    baseline: float | None
    baseline_name: str
    target: str
    passed: bool | None  # None: shown for information, no target of its own
    rounds: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0) or self.value != self.value:
            return None
        return self.value / self.baseline


def _number(value: float | None) -> str:
    if value is None or value != value:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def table(figures: list[Figure]) -> str:
    """The figures as a fixed-width table, with notes under it."""
    head = ("#", "figure", "value", "baseline", "ratio", "target", "result")
    rows = [head]
    for f in figures:
        if f.passed is None:
            verdict = "SKIP" if f.value != f.value else "info"
        else:
            verdict = "PASS" if f.passed else "FAIL"
        rows.append(
            (
                f.key,
                f.name,
                f"{_number(f.value)} {f.unit}",
                f"{_number(f.baseline)} ({f.baseline_name})" if f.baseline_name else "-",
                _number(f.ratio),
                f.target,
                verdict,
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  {f.key}: {f.note}" for f in figures if f.note]
    return "\n".join(lines + (["notes:", *notes] if notes else []))


def write_results(db: str, context: dict, figures: list[Figure], notes: list[str]) -> Path:
    """bench/results/<db>-<timestamp>.json: the figures, their rounds and how they were made."""
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{db}-{stamp}.json"
    body = {
        "database": db,
        "finished_at": stamp,
        **context,
        "figures": [{**asdict(f), "ratio": f.ratio} for f in figures],
        "notes": notes,
        "all_passed": all(f.passed is not False for f in figures),
    }
    path.write_text(json.dumps(_clean(body), indent=1) + "\n")
    return path


def _clean(value):
    """JSON-ready: NaN (a figure not measured) as null, floats to 4 significant digits."""
    if isinstance(value, float):  # and no more digits than a benchmark can vouch for
        return None if value != value else float(f"{value:.4g}")
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
