"""Evaluation figures for a suggester: accuracy, per-class precision and recall, coverage, confusion matrix.

Each item gives a (truth, prediction) pair; a prediction of ``None`` is an abstention ("no suggestion"). Coverage is the
share of items with a prediction; precision at coverage (``selective_accuracy``) is the share of those that are right.
Plain ``accuracy`` counts an abstention as wrong, so it never flatters a suggester that abstains.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

NONE_LABEL = "(none)"


@dataclass(frozen=True, slots=True)
class ClassFigures:
    label: str
    support: int  # items whose truth is this label
    predicted: int  # items predicted as this label
    correct: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.support if self.support else None


@dataclass(frozen=True, slots=True)
class Metrics:
    total: int
    suggested: int
    correct: int
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)  # (truth, predicted or NONE_LABEL) -> count

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str | None]]) -> Metrics:
        confusion: Counter[tuple[str, str]] = Counter()
        for truth, predicted in pairs:
            confusion[(truth, NONE_LABEL if predicted is None else predicted)] += 1
        total = sum(confusion.values())
        suggested = sum(n for (_, p), n in confusion.items() if p != NONE_LABEL)
        correct = sum(n for (t, p), n in confusion.items() if t == p)
        return cls(total, suggested, correct, dict(confusion))

    @property
    def coverage(self) -> float:
        return self.suggested / self.total if self.total else 0.0

    @property
    def selective_accuracy(self) -> float:
        """Accuracy on the items that got a suggestion (precision at this coverage)."""
        return self.correct / self.suggested if self.suggested else 0.0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def labels(self) -> list[str]:
        return sorted({t for t, _ in self.confusion} | {p for _, p in self.confusion if p != NONE_LABEL})

    def per_class(self) -> list[ClassFigures]:
        out = []
        for label in self.labels:
            support = sum(n for (t, _), n in self.confusion.items() if t == label)
            predicted = sum(n for (_, p), n in self.confusion.items() if p == label)
            out.append(ClassFigures(label, support, predicted, self.confusion.get((label, label), 0)))
        return out


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def print_report(metrics: Metrics, title: str, console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"[bold]{title}[/bold]: {metrics.total} items")
    console.print(
        f"  accuracy {_pct(metrics.accuracy)}   coverage {_pct(metrics.coverage)}   "
        f"accuracy at that coverage {_pct(metrics.selective_accuracy)}"
    )
    per_class = Table("class", "support", "predicted", "precision", "recall", title="per class")
    for c in metrics.per_class():
        per_class.add_row(c.label, str(c.support), str(c.predicted), _pct(c.precision), _pct(c.recall))
    console.print(per_class)
    labels = metrics.labels
    columns = [*labels, NONE_LABEL]
    matrix = Table("truth \\ suggested", *columns, title="confusion matrix")
    for truth in labels:
        matrix.add_row(truth, *(str(metrics.confusion.get((truth, p), 0) or ".") for p in columns))
    console.print(matrix)
