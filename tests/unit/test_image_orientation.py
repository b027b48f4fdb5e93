"""EXIF orientation judged against an independent source: Pillow's own `ImageOps.exif_transpose`
and fixed pixel probes, never the converter's table. The picture has four differently coloured
quadrants, so a rotation by 180 degrees (orientations 6 and 8 swapped) or a mirror cannot pass."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageOps

from models.vision_utils.image.convert import prepare_image
from models.vision_utils.image.sizing import ImageLimits
from testkit.images import encode

RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)


def quadrants(width: int, height: int) -> Image.Image:
    """Red top-left, green top-right, blue bottom-left, yellow bottom-right."""
    image = Image.new("RGB", (width, height), YELLOW)
    image.paste(RED, (0, 0, width // 2, height // 2))
    image.paste(GREEN, (width // 2, 0, width, height // 2))
    image.paste(BLUE, (0, height // 2, width // 2, height))
    return image


def stored_with(orientation: int) -> bytes:
    """A 60x40 quadrant picture as a camera stores it, tagged with `orientation`."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(quadrants(60, 40), "PNG", exif=exif.tobytes())


def corners(image: Image.Image) -> list[tuple[int, int, int]]:
    width, height = image.size
    probes = [(3, 3), (width - 4, 3), (3, height - 4), (width - 4, height - 4)]
    return [image.convert("RGB").getpixel(probe) for probe in probes]


def nearest(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    return min((RED, GREEN, BLUE, YELLOW), key=lambda c: sum((a - b) ** 2 for a, b in zip(c, colour, strict=True)))


@pytest.mark.parametrize("orientation", [1, 2, 3, 4, 5, 6, 7, 8])
def test_each_orientation_is_shown_as_pillows_own_transpose_shows_it(orientation):
    raw = stored_with(orientation)
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(raw)))
    sent = Image.open(io.BytesIO(prepare_image(raw, ImageLimits()).data))
    assert sent.size == expected.size
    assert [nearest(c) for c in corners(sent)] == [nearest(c) for c in corners(expected)]


# What a viewer shows for each tag, written out by hand from the EXIF specification (CIPA DC-008,
# tag 0x0112): 6 means the stored picture must be turned 90 degrees clockwise, 8 counter-clockwise.
UPRIGHT_CORNERS = {
    1: [RED, GREEN, BLUE, YELLOW],
    3: [YELLOW, BLUE, GREEN, RED],
    6: [BLUE, RED, YELLOW, GREEN],
    8: [GREEN, YELLOW, RED, BLUE],
}


@pytest.mark.parametrize("orientation", sorted(UPRIGHT_CORNERS))
def test_portrait_and_upside_down_photos_stand_upright(orientation):
    sent = Image.open(io.BytesIO(prepare_image(stored_with(orientation), ImageLimits()).data))
    assert sent.size == ((40, 60) if orientation in (6, 8) else (60, 40))
    assert [nearest(c) for c in corners(sent)] == UPRIGHT_CORNERS[orientation]
