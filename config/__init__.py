"""Config models: every config file and settings model, as pydantic models that import no runtime code.

Loading a station's or the hub's config imports neither OCR, onnxruntime, paho nor FastAPI."""
