"""Reading markings: OCR text to a polymer (plastics) or a fibre composition (textile care labels)."""
