"""The trainable image classifier: a frozen EfficientNet-Lite0 backbone and a linear head each site trains itself.

Nothing here ships knowing plastics or textiles: ``edge/vision/weights`` holds only the pretrained backbone; a site
trains its head from its own confirmed captures (``train``), then runs the one resulting ONNX file
(``ImageClassifier``).
"""

from edge.vision.classifier.backbone import DEFAULT_BACKBONE, FeatureExtractor
from edge.vision.classifier.evaluate import evaluate
from edge.vision.classifier.features import FeatureCache
from edge.vision.classifier.inference import ImageClassifier
from edge.vision.classifier.train import TrainingError, TrainResult, train

__all__ = [
    "DEFAULT_BACKBONE",
    "FeatureCache",
    "FeatureExtractor",
    "ImageClassifier",
    "TrainResult",
    "TrainingError",
    "evaluate",
    "train",
]
