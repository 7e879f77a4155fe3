"""Synthetic phone photos shared by the image-domain tests (each is generated once a session)."""

from __future__ import annotations

import functools

import pytest

from chalicelib.core.guideline import QUALITY_CHECKS, Guideline, parse_guideline
from chalicelib.devtools import synthetic
from chalicelib.vision.intake import IntakeResult, intake


@functools.cache
def phone_jpeg(seed: int = 7, **defects) -> bytes:
    """A 12 MP phone-like JPEG of a shop window, with the given defects (see window_photo)."""
    return synthetic.to_jpeg(synthetic.window_photo(seed, **defects))


@functools.cache
def phone_intake(seed: int = 7, **defects) -> IntakeResult:
    return intake(phone_jpeg(seed, **defects))


def quality_guideline(checks: tuple[str, ...] = QUALITY_CHECKS) -> Guideline:
    return parse_guideline(
        {
            "name": "photo quality",
            "rules": [
                {
                    "id": f"quality-{check}",
                    "type": "photo_quality",
                    "message": f"Please take the photo again ({check}).",
                    "parameters": {"check": check},
                }
                for check in checks
            ],
        }
    )


@pytest.fixture(scope="session")
def sharp_jpeg() -> bytes:
    return phone_jpeg()


@pytest.fixture(scope="session")
def sharp_intake() -> IntakeResult:
    return phone_intake()


@pytest.fixture(scope="session")
def make_jpeg():
    """phone_jpeg as a fixture: ``make_jpeg(seed, blur_sigma=2.5)``."""
    return phone_jpeg


@pytest.fixture(scope="session")
def make_intake():
    """phone_intake as a fixture: ``make_intake(seed, tilt_deg=8)``."""
    return phone_intake


@pytest.fixture(scope="session")
def make_guideline():
    """quality_guideline as a fixture: ``make_guideline(("sharpness", "tilt"))``."""
    return quality_guideline
