"""Placeholder: filled in by the dashboard work (issue 6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
