"""Simulated scales: a physical load model plus one protocol front end per scale brand."""
