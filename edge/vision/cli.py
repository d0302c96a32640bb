"""``sortcentre vision train|eval``: train a site's classifier from its captures, and measure a suggester."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

vision_app = typer.Typer(help="Train and evaluate the vision suggestions.", no_args_is_help=True)


@vision_app.command("train")
def train_command(
    dataset: Annotated[Path, typer.Argument(help="folder of labelled captures: STREAM/LABEL/ID.jpg + ID.json")],
    stream: Annotated[str, typer.Option(help="which stream's captures to learn")] = "plastic",
    out: Annotated[Path, typer.Option(help="where the model and its card are written")] = Path("models/site"),
    seed: Annotated[int, typer.Option(help="random seed of the split and the fit")] = 0,
    holdout: Annotated[float, typer.Option(help="share of each class held out as the test split")] = 0.2,
) -> None:
    """Train OUT/STREAM-classifier.onnx on frozen backbone features, calibrated, with a model card."""
    from edge.vision.classifier import TrainingError, train
    from edge.vision.model_files import ModelFileError

    console = Console()
    try:
        result = train(dataset, out, stream=stream, seed=seed, holdout=holdout, console=console)
    except (TrainingError, ModelFileError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    console.print(
        f"wrote {result.model_path} ({result.images} images, test accuracy {100 * result.test_accuracy:.1f}%, "
        f"temperature {result.temperature:.2f}, ECE {result.ece_before:.3f} -> {result.ece_after:.3f})"
    )


@vision_app.command("eval")
def eval_command(
    dataset: Annotated[Path, typer.Argument(help="folder of labelled images (captures or a rendered set)")],
    model: Annotated[
        Path | None, typer.Option(help="a trained classifier to evaluate; without it, the marking reader")
    ] = None,
    stream: Annotated[str | None, typer.Option(help="only this stream (classifier: default from its card)")] = None,
    threshold: Annotated[float, typer.Option(help="classifier: no suggestion below this confidence")] = 0.9,
    triangle_finder: Annotated[
        bool, typer.Option(help="marking reader: the trained triangle finder besides the edge-rule scan")
    ] = False,
) -> None:
    """Print accuracy, per-class precision and recall, coverage, accuracy at that coverage and a confusion matrix."""
    console = Console()
    if not dataset.is_dir():
        typer.echo(f"{dataset}: no such folder", err=True)
        raise typer.Exit(2)
    if model is not None:
        from edge.vision.classifier import evaluate
        from edge.vision.evaluation import print_report
        from edge.vision.model_files import ModelFileError

        try:
            metrics = evaluate(model, dataset, threshold, stream=stream, console=console)
        except ModelFileError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        print_report(metrics, f"{model.name} at threshold {threshold}", console)
        return
    from edge.vision.marking_eval import evaluate_markings, ocr_reader, print_marking_report
    from edge.vision.ocr import MarkingOcr

    ocr = MarkingOcr(triangle_finder=triangle_finder)
    report = evaluate_markings(dataset, ocr_reader(ocr))
    if report.plastic is None and report.label_exact is None:
        typer.echo(f"{dataset}: no sample carries a marking truth; pass --model to evaluate a classifier", err=True)
        raise typer.Exit(2)
    print_marking_report(report, console)
