"""The booking example's tests are conversation files only; this points them at the app."""

from __future__ import annotations

import app as booking
import pytest


@pytest.fixture
def botwebhook_target():
    return booking.app


@pytest.fixture
def botwebhook_secret():
    return booking.SECRET
