"""The converter's steps one by one, with exact pixels: mode conversion per Pillow mode, colour
profiles, opaque alpha, the graphic test's colour limit, metadata, draft sizes, orientation and
the encoder's fallbacks (tests/unit/test_images.py covers whole conversions)."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from models.vision_utils.image import convert as images
from models.vision_utils.image.convert import prepare_image
from models.vision_utils.image.sizing import ImageLimits
from provider.errors.tree import ImageError
from testkit.hostile_images import wide_gamut_profile
from testkit.image_corpus import cmyk_profile
from testkit.images import encode, photo


def converted(image: Image.Image) -> Image.Image:
    convert = images._strip_converter(image)
    assert convert is not None, image.mode
    return convert(image)


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA"])
def test_working_modes_need_no_conversion(mode):
    assert images._strip_converter(Image.new(mode, (4, 4))) is None


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [("I;16", 0x1234, 0x12), ("I;16", 0xFFFF, 0xFF), ("I", 0x8000, 0x80), ("F", 512.0, 2), ("I;16", 0x00FF, 0)],
)
def test_deep_greyscale_keeps_the_top_eight_bits(mode, value, expected):
    out = converted(Image.new(mode, (4, 2), value))
    assert out.mode == "L" and out.getpixel((0, 0)) == expected


def test_bilevel_becomes_grey():
    out = converted(Image.new("1", (4, 2), 1))
    assert out.mode == "L" and out.getpixel((0, 0)) == 255


def test_palettes_become_rgb_or_rgba_with_their_colours():
    palette = Image.new("P", (4, 2), 1)
    palette.putpalette([0, 0, 0, 200, 100, 50] + [0] * 762)
    assert converted(palette).mode == "RGB" and converted(palette).getpixel((0, 0)) == (200, 100, 50)
    palette.info["transparency"] = 1
    out = converted(palette)
    assert out.mode == "RGBA" and out.getpixel((0, 0)) == (200, 100, 50, 0)


@pytest.mark.parametrize("mode", ["PA", "LA", "RGBa"])
def test_modes_with_alpha_become_rgba(mode):
    assert converted(Image.new(mode, (4, 2))).mode == "RGBA"


@pytest.mark.parametrize(("mode", "colour"), [("CMYK", (0, 0, 0, 0)), ("YCbCr", (128, 128, 128)), ("HSV", (0, 0, 255))])
def test_other_modes_become_rgb(mode, colour):
    out = converted(Image.new(mode, (4, 2), colour))
    assert out.mode == "RGB" and out.getpixel((0, 0)) in ((255, 255, 255), (128, 128, 128))


def with_profile(mode: str, colour, icc: bytes) -> Image.Image:
    image = Image.new(mode, (4, 2), colour)
    image.info["icc_profile"] = icc
    return image


def test_a_non_srgb_profile_is_applied_to_rgb_and_cmyk():
    wide = with_profile("RGB", (0, 255, 0), wide_gamut_profile())
    transform = images._srgb_transform(wide)
    assert transform is not None
    out = converted(wide)
    assert out.mode == "RGB"
    cmyk = with_profile("CMYK", (0, 0, 0, 0), cmyk_profile())
    assert images._srgb_transform(cmyk) is not None and converted(cmyk).mode == "RGB"
    # (Which way round CMYK comes out is tested on a real Adobe JPEG through the plugin:
    # tests/e2e/test_image_promises.py.)


def test_srgb_unreadable_and_greyscale_profiles_are_left_alone():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    assert images._srgb_transform(with_profile("RGB", (1, 2, 3), srgb)) is None
    assert images._srgb_transform(with_profile("RGB", (1, 2, 3), b"not a profile")) is None
    assert images._srgb_transform(with_profile("L", 5, wide_gamut_profile())) is None
    assert images._srgb_transform(Image.new("RGB", (2, 2))) is None
    assert images._strip_converter(with_profile("RGB", (1, 2, 3), b"not a profile")) is None


def test_only_fully_opaque_alpha_is_dropped():
    opaque = Image.new("RGBA", (4, 2), (10, 20, 30, 255))
    assert images._drop_opaque_alpha(opaque).mode == "RGB"
    holed = opaque.copy()
    holed.putpixel((3, 1), (10, 20, 30, 254))
    assert images._drop_opaque_alpha(holed) is holed
    grey = Image.new("L", (4, 2))
    assert images._drop_opaque_alpha(grey) is grey


def colours(count: int) -> Image.Image:
    """128x128 (the sample's own size) with exactly `count` distinct colours."""
    image = Image.new("RGB", (128, 128))
    image.putdata([(n % count % 256, n % count // 256, 7) for n in range(128 * 128)])
    return image


def test_a_graphic_has_at_most_2048_colours_in_its_sample():
    assert images.GRAPHIC_MAX_COLOURS == 2048
    assert images.looks_like_graphic(colours(2048))
    assert not images.looks_like_graphic(colours(2049))
    assert images.looks_like_graphic(Image.new("RGB", (4000, 10), (1, 2, 3)))


def test_metadata_free_means_only_harmless_header_facts():
    image = Image.new("RGB", (2, 2))
    image.info = {"dpi": (72, 72), "jfif": 257, "progressive": 1}
    assert images._metadata_free(image)
    image.info["exif"] = b"Exif\x00\x00"
    assert not images._metadata_free(image)
    png = Image.open(io.BytesIO(encode(photo(8, 8), "PNG", pnginfo=_text_chunk())))
    png.load()
    assert not images._metadata_free(png), "PNG text chunks count as metadata"


def _text_chunk():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone")
    return info


def test_draft_requests_the_floor_of_each_side():
    assert images.draft_request((6000, 4000), 4) == (1500, 1000)
    assert images.draft_request((6001, 4003), 2) == (3000, 2001)


@pytest.mark.parametrize("orientation", [1, 2, 3, 4, 5, 6, 7, 8])
def test_every_exif_orientation_comes_out_upright(orientation):
    # An upright 60x40 picture with a red top-left corner, stored as a camera would for each
    # orientation (the inverse transpose), must come back 60x40 with red at the top left.
    upright = Image.new("RGB", (60, 40), (0, 0, 255))
    upright.paste((255, 0, 0), (0, 0, 20, 10))
    undo = {2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}  # the transpose each orientation's fix undoes
    stored = upright if orientation == 1 else upright.transpose(images._ORIENTATION[undo[orientation]])
    exif = Image.Exif()
    exif[0x0112] = orientation
    raw = encode(stored, "PNG", exif=exif.tobytes())
    out = Image.open(io.BytesIO(prepare_image(raw, ImageLimits()).data)).convert("RGB")
    assert out.size == (60, 40)
    red, _, blue = out.getpixel((2, 2))
    assert red > 200 and blue < 60, (orientation, out.getpixel((2, 2)))
    red, _, blue = out.getpixel((57, 37))
    assert blue > 200 and red < 60, "the rest is where it belongs"


def test_the_encoder_steps_down_formats_quality_and_size():
    graphic = Image.new("RGB", (300, 200), (250, 250, 250))
    assert images._encode(graphic, lossless=True, limits=ImageLimits()).mime == "image/png"
    noise = Image.effect_noise((600, 600), 80).convert("RGB")
    png_size = len(encode(noise, "PNG"))
    jpeg = images._encode(noise, lossless=True, limits=ImageLimits(max_bytes=png_size // 4))
    assert jpeg.mime == "image/jpeg" and len(jpeg.data) <= png_size // 4 and (jpeg.width, jpeg.height) == (600, 600)
    alpha = noise.convert("RGBA")
    assert images._encode(alpha, lossless=False, limits=ImageLimits()).mime == "image/webp"
    q45 = len(encode(noise, "JPEG", quality=45))
    smaller = images._encode(noise, lossless=False, limits=ImageLimits(max_bytes=q45 - 1))
    assert (smaller.width, smaller.height) == (450, 450), "three quarters once quality alone is not enough"
    with pytest.raises(ImageError) as refused:
        images._encode(noise, lossless=False, limits=ImageLimits(max_bytes=200))
    assert str(refused.value) == "the image cannot be compressed below 0.0 MB"


def test_the_graphic_sample_picks_pixels_it_does_not_blend_them():
    # 2,000 colours scattered at random: the nearest-pixel sample sees at most 2,000 of them; a
    # blending resize would invent tens of thousands and call this graphic a photo.
    import random

    rng = random.Random(7)
    palette = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(2000)]
    scattered = Image.new("RGB", (512, 512))
    scattered.putdata([palette[rng.randrange(2000)] for _ in range(512 * 512)])
    assert images.looks_like_graphic(scattered)


def test_a_small_plain_jpeg_passes_through_and_a_cmyk_one_does_not():
    plain = encode(photo(64, 48), "JPEG")
    sent = prepare_image(plain, ImageLimits())
    assert not sent.converted and sent.data == plain
    cmyk = encode(photo(64, 48).convert("CMYK"), "JPEG")
    sent = prepare_image(cmyk, ImageLimits())
    assert sent.converted and Image.open(io.BytesIO(sent.data)).mode == "RGB"


def test_the_working_mode_is_reached_even_without_reduction():
    palette = Image.new("RGB", (40, 30), (200, 100, 50)).convert("P")
    assert images._to_working_mode(palette, 1).mode == "RGB"
    grey = Image.new("L", (40, 30))
    assert images._to_working_mode(grey, 1) is grey


def test_an_animation_is_never_passed_through_even_when_it_fits():
    frames = [Image.new("RGB", (32, 24), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    for fmt in ("PNG", "WEBP"):
        buffer = io.BytesIO()
        frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
        sent = prepare_image(buffer.getvalue(), ImageLimits())
        assert sent.converted, fmt
        out = Image.open(io.BytesIO(sent.data))
        assert getattr(out, "n_frames", 1) == 1 and out.convert("RGB").getpixel((1, 1))[0] > 200, "first frame only"


def test_a_lossless_encoding_of_exactly_the_cap_is_kept():
    graphic = Image.new("RGB", (300, 200), (250, 250, 250))
    exact = len(images._save(graphic, "PNG"))
    kept = images._encode(graphic, lossless=True, limits=ImageLimits(max_bytes=exact))
    assert kept.mime == "image/png" and len(kept.data) == exact and kept.converted is True


def test_a_text_chunk_after_the_pixels_is_metadata_too():
    import struct
    import zlib

    raw = encode(photo(8, 8), "PNG")
    data = b"Author\x00someone"
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    late_text = raw[:-12] + chunk + raw[-12:]  # just before IEND
    sent = prepare_image(late_text, ImageLimits())
    assert sent.converted and b"someone" not in sent.data


def test_the_encoder_gives_up_after_three_shrinks():
    noise = Image.effect_noise((600, 600), 80).convert("RGB")
    last = noise
    for _ in range(3):  # 600 -> 450 -> 337 -> 252
        last = last.resize((last.width * 3 // 4, last.height * 3 // 4), Image.Resampling.LANCZOS)
    smallest = len(images._save(last, "JPEG", quality=45))
    assert images._encode(noise, lossless=False, limits=ImageLimits(max_bytes=smallest)).width == 252
    with pytest.raises(ImageError, match="cannot be compressed"):
        images._encode(noise, lossless=False, limits=ImageLimits(max_bytes=smallest - 1))


def test_a_truncated_image_is_named_corrupt_or_truncated():
    raw = encode(photo(400, 300), "JPEG")
    with pytest.raises(ImageError) as refused:
        prepare_image(raw[: len(raw) // 2], ImageLimits())
    assert str(refused.value).startswith("the image data is corrupt or truncated (")


def test_quality_steps_down_before_the_size_does():
    noise = Image.effect_noise((600, 600), 80).convert("RGB")
    q65 = len(encode(noise, "JPEG", quality=65))  # encoded here, not by the code under test
    kept = images._encode(noise, lossless=False, limits=ImageLimits(max_bytes=q65))
    assert (kept.width, kept.height) == (600, 600) and len(kept.data) == q65
