"""Intake on real pixels: what is refused (and why), and how accepted photos are normalised."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pillow_heif
import pytest
from PIL import Image, ImageFile, JpegImagePlugin

from chalicelib.devtools import synthetic
from chalicelib.vision.intake import (
    MAX_UPLOAD_BYTES,
    THUMB_LONG_SIDE,
    IntakeRejected,
    _to_8bit,
    intake,
    sniff_format,
)
from tests.support import bad_files
from tests.support.bad_files import SMALL, encoded, small_jpeg

REPO_ROOT = Path(__file__).resolve().parents[2]


def scene(size: tuple[int, int] = SMALL, seed: int = 3) -> np.ndarray:
    return synthetic.window_photo(seed, size=size)


def refusal(data: bytes) -> IntakeRejected:
    with pytest.raises(IntakeRejected) as caught:
        intake(data)
    assert caught.value.reason, "every refusal explains itself"
    return caught.value


@pytest.fixture
def pillow_must_not_open(monkeypatch):
    """Fail the test if the file reaches Pillow: it must be refused from its header alone."""

    def refuse(*args, **kwargs):
        raise AssertionError("the file was handed to Pillow")

    monkeypatch.setattr(Image, "open", refuse)


# --- refused uploads -----------------------------------------------------------------------


def test_zero_bytes_are_refused():
    assert refusal(b"").code == "empty_file"


def test_truncated_jpeg_is_refused_as_cut_off():
    rejected = refusal(bad_files.truncated_jpeg())
    assert rejected.code == "truncated"
    assert "cut off" in rejected.reason


def test_truncated_jpeg_is_refused_even_if_pillow_is_told_to_load_truncated_files(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = small_jpeg()
    assert refusal(data[: len(data) * 3 // 4]).code == "truncated"


def test_truncated_png_is_refused():
    data = encoded(Image.fromarray(scene()), "PNG")
    assert refusal(data[: len(data) - 100]).code == "truncated"


def test_bytes_after_the_jpeg_end_are_allowed():
    # Android motion photos append a video after the JPEG's end marker.
    result = intake(small_jpeg() + b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    assert result.working.shape == (480, 640, 3)


def test_text_is_not_a_photo():
    rejected = refusal(bad_files.text_named_jpg())
    assert rejected.code == "not_an_image"
    assert "JPEG, PNG, HEIC or WebP" in rejected.reason


def test_pdf_is_not_a_photo():
    assert refusal(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n").code == "not_an_image"


def test_svg_is_refused():
    rejected = refusal(bad_files.svg())
    assert rejected.code == "unsupported_type"
    assert "SVG" in rejected.reason


def test_animated_gif_is_refused():
    rejected = refusal(bad_files.animated_gif())
    assert rejected.code == "unsupported_type"
    assert "GIF" in rejected.reason


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_png_and_webp_are_refused(fmt):
    frames = [Image.fromarray(scene(seed=i)) for i in range(3)]
    data = encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
    assert refusal(data).code == "animated"


def test_png_decompression_bomb_is_refused_from_its_header(pillow_must_not_open):
    data = bad_files.png_bomb()
    assert len(data) < 1000
    rejected = refusal(data)
    assert rejected.code == "too_many_pixels"
    assert "900 megapixels" in rejected.reason


def test_jpeg_claiming_huge_dimensions_is_refused_from_its_header(pillow_must_not_open):
    assert refusal(bad_files.jpeg_claiming_huge_dimensions()).code == "too_many_pixels"


def test_pillows_bomb_limit_also_applies(monkeypatch):
    # If Pillow's limit is set lower than ours somewhere in the process, it wins.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    assert refusal(small_jpeg()).code == "too_many_pixels"


def test_pillows_bomb_error_and_warning_become_refusals_for_heif(monkeypatch):
    # HEIF has no header pre-check of ours, so Pillow's own check is the one that fires.
    data = heic_bytes(scene())
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)  # 307 200 px > 2x: Pillow raises
    assert refusal(data).code == "too_many_pixels"
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 200_000)  # > 1x only: Pillow just warns
    with pytest.warns(Image.DecompressionBombWarning):
        assert refusal(data).code == "too_many_pixels"


def test_one_pixel_image_is_too_small():
    rejected = refusal(bad_files.one_pixel_png())
    assert rejected.code == "too_small"
    assert "1 x 1" in rejected.reason


def test_over_25_mb_is_refused_before_anything_else():
    assert refusal(b"\xff\xd8\xff\xe0" + bytes(MAX_UPLOAD_BYTES)).code == "too_large"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heif"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "heif"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"BM\x00\x00", None),
        (b"hello.jpg", None),
    ],
)
def test_sniff_format_reads_magic_bytes(data, expected):
    assert sniff_format(data) == expected


# --- accepted uploads ----------------------------------------------------------------------


def heic_bytes(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    pillow_heif.from_pillow(Image.fromarray(rgb)).save(out, quality=92)
    return out.getvalue()


def test_heic_round_trip():
    rgb = scene()
    result = intake(heic_bytes(rgb))
    assert result.format == "heif"
    assert result.original_size == SMALL
    assert result.working.shape == (480, 640, 3)
    assert np.abs(result.working.astype(int) - rgb).mean() < 6


def test_heif_support_is_loaded_only_when_a_heif_arrives():
    probe = (
        "import sys; from PIL import Image; import chalicelib.vision.intake; "
        "import chalicelib.vision.analysis; "
        "assert 'pillow_heif' not in sys.modules and 'HEIF' not in Image.OPEN, 'loaded early'"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, cwd=REPO_ROOT)


def test_webp_is_accepted():
    result = intake(encoded(Image.fromarray(scene()), "WEBP", quality=90))
    assert result.format == "webp"
    assert result.working.shape == (480, 640, 3)


def test_exif_orientation_6_is_applied():
    stored = scene()  # as the sensor saw it: 640 x 480, to be turned 90 degrees clockwise
    stored[:60, :60] = (255, 0, 0)  # a red mark in the stored top-left corner
    result = intake(synthetic.to_jpeg(stored, exif_orientation=6))
    assert result.original_size == (480, 640)
    assert result.working.shape == (640, 480, 3)
    top_right = result.working[5:50, -50:-5].reshape(-1, 3).mean(axis=0)
    assert top_right[0] > 200 and top_right[1] < 60, "the stored top-left is now the top-right"
    assert result.warnings == ()


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's own "Corrupt EXIF data" notice
def test_corrupt_exif_is_accepted_with_orientation_ignored():
    result = intake(bad_files.jpeg_with_corrupt_exif())
    assert result.original_size == SMALL
    assert result.working.shape == (480, 640, 3)
    assert "EXIF data unreadable: orientation ignored" in result.warnings


def test_cmyk_jpeg_becomes_rgb():
    cmyk = Image.new("CMYK", (400, 320), (0, 255, 255, 0))  # no cyan, full magenta and yellow: red
    result = intake(encoded(cmyk, "JPEG", quality=95))
    red, green, blue = result.working.reshape(-1, 3).mean(axis=0)
    assert red > 240 and green < 15 and blue < 15


def test_16_bit_grey_png_is_scaled_not_clipped():
    ramp = np.tile(np.linspace(0, 65535, 400).astype(np.uint16), (320, 1))
    ramp[:, 190:210] = 32768
    result = intake(encoded(Image.fromarray(ramp), "PNG"))
    assert abs(int(result.working[160, 200, 0]) - 128) <= 1  # mid-grey stays mid-grey
    assert result.working[160, 0, 0] == 0 and result.working[160, -1, 0] == 255
    assert 60 < result.working[160, 100, 0] < 68  # 1/4 of the range is about 64, not 255


def test_16_bit_rgb_png_is_scaled():
    data = cv2.imencode(".png", np.full((320, 400, 3), 32768, np.uint16))[1].tobytes()
    assert abs(intake(data).working.mean() - 128) <= 1


@pytest.mark.parametrize(
    "array",
    [
        np.full((320, 400), 32768, dtype=">u2"),  # I;16B
        np.full((320, 400), 32768, dtype=np.int32),  # I
    ],
    ids=["I;16B", "I"],
)
def test_other_16_bit_modes_are_scaled(array):
    assert abs(np.asarray(_to_8bit(Image.fromarray(array))).mean() - 128) <= 1


def test_palette_png_with_transparency_is_flattened_on_white():
    image = Image.new("P", (400, 320), 0)
    image.putpalette([0, 0, 0, 220, 20, 20] + [0] * 762)  # 0: black (transparent), 1: red
    image.paste(1, (200, 0, 400, 320))
    result = intake(encoded(image, "PNG", transparency=0))
    assert tuple(result.working[160, 50]) == (255, 255, 255)
    assert tuple(result.working[160, 300]) == (220, 20, 20)


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_flattened_on_white(mode):
    pixels = np.zeros((320, 400, 4), np.uint8)  # black everywhere
    pixels[:, 200:, 3] = 128  # right half: half-transparent black; left half: fully transparent
    image = Image.fromarray(pixels).convert(mode)
    result = intake(encoded(image, "PNG"))
    assert tuple(result.working[160, 50]) == (255, 255, 255)
    assert abs(int(result.working[160, 300, 0]) - 127) <= 2


@pytest.mark.parametrize("mode", ["L", "1"])
def test_grey_and_bilevel_become_rgb(mode):
    image = Image.fromarray(scene()).convert(mode)
    result = intake(encoded(image, "PNG"))
    assert result.working.shape == (480, 640, 3)
    assert (result.working[..., 0] == result.working[..., 2]).all()


def test_12_mp_jpeg_is_decoded_at_half_size_never_in_full(monkeypatch, sharp_jpeg):
    decoded = []
    original_load = JpegImagePlugin.JpegImageFile.load

    def spying_load(self):
        outcome = original_load(self)
        decoded.append(self.im.size)  # the buffer libjpeg actually filled
        return outcome

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spying_load)
    result = intake(sharp_jpeg)
    assert result.original_size == (4032, 3024)
    assert result.working.shape == (1512, 2016, 3)
    assert decoded and set(decoded) == {(2016, 1512)}


def test_large_non_jpeg_is_resized_to_the_working_size():
    result = intake(encoded(Image.fromarray(scene((3000, 2000))), "PNG", compress_level=1))
    assert result.working.shape == (1365, 2048, 3)
    assert result.original_size == (3000, 2000)


def test_outputs_normalised_jpeg_and_thumbnail(sharp_intake):
    assert not sharp_intake.working.flags.writeable
    normalised = Image.open(io.BytesIO(sharp_intake.normalised_jpeg))
    assert normalised.size == (2016, 1512)
    assert not normalised.getexif(), "metadata (e.g. GPS) is not passed on"
    thumbnail = Image.open(io.BytesIO(sharp_intake.thumbnail_jpeg))
    assert max(thumbnail.size) == THUMB_LONG_SIDE
    assert thumbnail.size == (400, 300)


def test_small_photo_is_never_upscaled():
    result = intake(small_jpeg())
    assert result.working.shape == (480, 640, 3)
    assert Image.open(io.BytesIO(result.thumbnail_jpeg)).size == (400, 300)
