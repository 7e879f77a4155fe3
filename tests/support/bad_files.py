"""Uploads that must get a clear answer, built on real bytes; shared by the intake unit tests and
the loop tests that send them through storage and the analyzer on both backends."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from chalicelib.devtools import synthetic

SMALL = (640, 480)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def small_jpeg(seed: int = 3) -> bytes:
    return encoded(Image.fromarray(synthetic.window_photo(seed, size=SMALL)), "JPEG", quality=90)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def truncated_jpeg() -> bytes:
    data = small_jpeg()
    return data[: len(data) // 2]


def text_named_jpg() -> bytes:
    return b"Window photo, 3rd floor\nnothing to see here\n" * 20


def png_bomb() -> bytes:
    """A tiny PNG that declares 30000 x 30000 (900 MP) of 8-bit grey."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0))
    pixels = png_chunk(b"IDAT", zlib.compress(bytes(30001 * 4), 9))
    return b"\x89PNG\r\n\x1a\n" + header + pixels + png_chunk(b"IEND", b"")


def jpeg_claiming_huge_dimensions() -> bytes:
    data = bytearray(small_jpeg())
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, 65000, 65000)  # height, width
    return bytes(data)


def animated_gif() -> bytes:
    frames = [Image.new("RGB", SMALL, (i * 60, 0, 0)) for i in range(3)]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def svg() -> bytes:
    return b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="3000"><rect/></svg>'


def one_pixel_png() -> bytes:
    return encoded(Image.new("RGB", (1, 1), (200, 10, 10)), "PNG")


def jpeg_with_corrupt_exif() -> bytes:
    """IFD0 claims four entries, but the block ends after the first (which says "rotate")."""
    tiff = b"MM\x00*" + struct.pack(">IH", 8, 4) + struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0)
    app1 = b"Exif\x00\x00" + tiff
    jpeg = small_jpeg()
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]


# name → (bytes builder, the rejection code the analyzer must give)
REFUSED = {
    "zero bytes": (lambda: b"", "empty_file"),
    "truncated JPEG": (truncated_jpeg, "truncated"),
    "text file named .jpg": (text_named_jpg, "not_an_image"),
    "PNG decompression bomb": (png_bomb, "too_many_pixels"),
    "header claiming huge dimensions": (jpeg_claiming_huge_dimensions, "too_many_pixels"),
    "animated GIF": (animated_gif, "unsupported_type"),
    "SVG": (svg, "unsupported_type"),
    "1x1 image": (one_pixel_png, "too_small"),
}
