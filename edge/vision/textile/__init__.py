"""Textiles: condition cues from the scale mat, and grading rules that turn cues and a care label into a grade."""
