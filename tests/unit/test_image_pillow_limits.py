"""Pillow's own decompression-bomb limit, set by the converter's start-up (configure_pillow), is
the largest image the plugin accepts: a second line of defence behind the header checks."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from models.vision_utils.image.header import MAX_JPEG_INPUT_PIXELS, configure_pillow
from testkit.images import bomb_png


def test_pillow_itself_refuses_a_decompression_bomb_once_configured(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # as Pillow would be left unconfigured
    configure_pillow()
    assert Image.MAX_IMAGE_PIXELS == MAX_JPEG_INPUT_PIXELS
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(bomb_png(30000, 30000)))  # 900 MP: over twice the limit
