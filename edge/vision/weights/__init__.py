"""The model files that ship with the software: the pretrained EfficientNet-Lite0 backbone and its card.

Package data, found with ``core.package_data.data_path("edge.vision.weights", NAME)``, so a wheel install has them
as well as a checkout. A site's trained classifiers are not kept here: ``sortcentre vision train --out`` writes them
wherever the site keeps its models (``models/`` in a checkout; see models/README.md).
"""
