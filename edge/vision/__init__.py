"""Vision: suggestions of plastic type or textile grade for the item on the scale (see docs/vision.md)."""
