"""Chart geometry for server-rendered SVG (no JavaScript, no library): plain numbers that the
desk's templates draw. Every chart is drawn next to a table of the same numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")


@dataclass
class Bar:
    label: str
    value: float | None
    y: float
    width: float
    text: str


@dataclass
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int
    max_value: float
    ticks: list[tuple[float, str]] = field(default_factory=list)


def bar_chart(
    rows: list[tuple[str, float | None]], *, max_value: float | None = None, unit: str = ""
) -> BarChart:
    """Horizontal bars, one per (label, value); None draws no bar and says "no data"."""
    label_width, plot_width, bar_height, gap = 120, 320, 22, 8
    top = max((v or 0 for _, v in rows), default=0)
    scale_max = max_value or _nice(top)
    bars = []
    for index, (label, value) in enumerate(rows):
        width = 0.0 if value is None or scale_max == 0 else plot_width * value / scale_max
        text = "no data" if value is None else f"{value:g}{unit}"
        bars.append(Bar(label, value, index * (bar_height + gap), round(width, 1), text))
    ticks = [
        (round(label_width + plot_width * f, 1), f"{scale_max * f:g}{unit}")
        for f in (0, 0.25, 0.5, 0.75, 1)
    ]
    height = max(1, len(rows)) * (bar_height + gap) + 24
    return BarChart(bars, label_width + plot_width + 70, height, label_width, bar_height,
                    scale_max, ticks)  # fmt: skip


@dataclass
class Line:
    name: str
    colour: str
    points: str  # SVG polyline points
    dots: list[tuple[float, float, str]]


@dataclass
class LineChart:
    lines: list[Line]
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]


def line_chart(
    x_labels: list[str], series: list[tuple[str, list[float | None]]], *, y_max: float = 100
) -> LineChart:
    """One line per series over shared x labels; a None value breaks nothing, it is skipped."""
    left, top, plot_width, plot_height = 48, 12, 560, 200
    step = plot_width / max(1, len(x_labels) - 1)

    def x(i: int) -> float:
        return round(left + (i * step if len(x_labels) > 1 else plot_width / 2), 1)

    def y(v: float) -> float:
        return round(top + plot_height - plot_height * min(v, y_max) / y_max, 1)

    lines = []
    for index, (name, values) in enumerate(series):
        dots = [(x(i), y(v), f"{name}, {x_labels[i]}: {v:g}%") for i, v in enumerate(values)
                if v is not None]  # fmt: skip
        lines.append(Line(name, PALETTE[index % len(PALETTE)],
                          " ".join(f"{dx},{dy}" for dx, dy, _ in dots), dots))  # fmt: skip
    every = max(1, len(x_labels) // 8)  # at most ~8 labels under the axis
    labels = [(x(i), label[5:]) for i, label in enumerate(x_labels) if i % every == 0]
    ticks = [(y(v), f"{v:g}%") for v in (0, 25, 50, 75, 100)]
    return LineChart(lines, left + plot_width + 24, top + plot_height + 40, left, top,
                     plot_width, plot_height, labels, ticks)  # fmt: skip


def _nice(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= value:
            return factor * magnitude
    return 10 * magnitude
