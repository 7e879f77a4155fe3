"""Intake: turn uploaded bytes into a normalised working image, or refuse them with a reason.

The steps, in the order that keeps a hostile or broken upload cheap to refuse:

1. size and type from the bytes alone (magic numbers; a file name is never trusted);
2. the pixel dimensions from the header, checked before a single pixel is decoded, so a file
   that claims 65000 x 65000 costs nothing;
3. a structural check that the file is complete: a cut-off upload is refused even when some
   other code has set Pillow's global ``LOAD_TRUNCATED_IMAGES``;
4. decoding: a JPEG straight at reduced size through libjpeg's DCT scaling (Pillow's draft
   mode), other formats in full under a memory budget;
5. 8-bit RGB (16-bit scaled, alpha flattened on white), no larger than WORKING_LONG_SIDE,
   EXIF orientation applied;
6. the normalised JPEG and the thumbnail, without metadata (the orientation is baked in and
   location tags are not passed on).

Pillow's own decompression-bomb check stays in place: our limit is never above its
``MAX_IMAGE_PIXELS`` (so any image its warning fires for is refused by our own check), and its
error is turned into a rejection. Nothing here changes Pillow's settings or the warnings
filters; the only global change is registering pillow_heif's opener on the first HEIF upload.
"""

from __future__ import annotations

import functools
import io
import math
import struct
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
WORKING_LONG_SIDE = 2048
THUMB_LONG_SIDE = 400
# A window check needs about 2 MP; below 320 px on the short side nothing can be judged.
MIN_SIDE = 320
# Enough for every phone's default photo (12-50 MP) and the 48/50/64 MP full-resolution modes
# (64 MP is 9248 x 6936); it stays below Pillow's own bomb warning (about 89.5 MP), so Pillow
# never objects to a photo we accept. 108 and 200 MP modes are refused with a reason: they are
# rarely under MAX_UPLOAD_BYTES anyway, and a PNG/WebP/HEIC of that size must be decoded in full.
MAX_PIXELS = 80_000_000
# PNG, WebP and HEIF have no reduced-size decoding, so their full frame must fit this budget
# (Pillow keeps RGB, RGBA and CMYK at 4 bytes a pixel): 80 MP of RGB, fewer of 16-bit RGBA.
MAX_FULL_DECODE_BYTES = 320 * 1024 * 1024

NORMALISED_JPEG_QUALITY = 88
THUMB_JPEG_QUALITY = 80
# Decode a JPEG at 1/2, 1/4 or 1/8 when its long side then stays at least this share of the
# working size: a 4032 x 3024 photo decodes at 2016 x 1512 and is not resized again.
_DRAFT_MIN_SHARE = 0.9

_ACCEPTED = "Please upload a JPEG, PNG, HEIC or WebP photo."
_REASONS = {
    "empty_file": "The file is empty. Please take the photo again and upload it.",
    "too_large": "The file is larger than 25 MB. Please upload the photo as the phone camera took it.",
    "not_an_image": f"The file is not a photo. {_ACCEPTED}",
    "unsupported_type": "{kind} files are not accepted. " + _ACCEPTED,
    "animated": "The picture is animated. Please upload a single still photo of the window.",
    "truncated": "The upload was cut off before the end. Please try again, on a stronger connection if you can.",
    "too_many_pixels": (
        "The photo has too many pixels ({megapixels} megapixels). Please set the camera to its "
        "standard photo mode and take the photo again."
    ),
    "too_small": "The photo is too small ({width} x {height} pixels). Please take a photo of the window with the phone camera.",
    "corrupt": "The photo file is damaged and cannot be opened. Please take the photo again and upload it.",
}

_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heif": "HEIF"}
_HEIF_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis"}
_HEIF_SEQUENCE_BRANDS = {b"hevc", b"hevx", b"hevm", b"hevs", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_MAX_JPEG_HEADER_STEPS = 4096
_JPEG_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# How many bytes a pixel takes in Pillow's memory, for the decode budget.
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
_EXIF_UNREADABLE = "EXIF data unreadable: orientation ignored"
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, RuntimeError, IndexError)


class IntakeRejected(Exception):
    """An upload that cannot be used, with a machine code and plain words for the shop assistant."""

    def __init__(self, code: str, reason: str):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def _reject(code: str, **details: object) -> IntakeRejected:
    return IntakeRejected(code, _REASONS[code].format(**details))


# eq=False: the result holds a numpy array, which has no single truth value to compare by.
@dataclass(frozen=True, eq=False)
class IntakeResult:
    format: str  # "jpeg" | "png" | "webp" | "heif"
    original_size: tuple[int, int]  # (width, height) of the upload after EXIF orientation
    working: np.ndarray  # RGB uint8 (H, W, 3), long side <= WORKING_LONG_SIDE, read-only
    normalised_jpeg: bytes
    thumbnail_jpeg: bytes
    warnings: tuple[str, ...]


# --- identification, from the bytes alone ---------------------------------------------------


def _ftyp_brands(data: bytes) -> list[bytes]:
    """Major and compatible brands of an ISO-BMFF ``ftyp`` box (HEIF, AVIF, MP4), else []."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return []
    box_end = min(struct.unpack_from(">I", data, 0)[0], len(data), 4096)
    return [data[8:12]] + [data[i : i + 4] for i in range(16, box_end - 3, 4)]


def sniff_format(data: bytes) -> str | None:
    """The accepted format the bytes are in ("jpeg", "png", "webp", "heif"), from magic bytes only."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    brands = set(_ftyp_brands(data))
    # "mif1" is the generic HEIF brand; AVIF files carry it too, and no AV1 decoder is installed.
    if brands & _HEIF_IMAGE_BRANDS or (b"mif1" in brands and not brands & _AVIF_BRANDS):
        return "heif"
    return None


def _refusal_for_unknown(data: bytes) -> IntakeRejected:
    """Name what the file is, when we can, so the reason helps the person fix it."""
    head = data[:1024]
    brands = set(_ftyp_brands(data))
    if head.startswith((b"GIF87a", b"GIF89a")):
        return _reject("unsupported_type", kind="GIF")
    if brands & _AVIF_BRANDS:
        return _reject("unsupported_type", kind="AVIF")
    if brands & _HEIF_SEQUENCE_BRANDS:
        return _reject("animated")
    if head.startswith(b"BM"):
        return _reject("unsupported_type", kind="BMP")
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return _reject("unsupported_type", kind="TIFF")
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL "):
        return _reject("unsupported_type", kind="JPEG XL")
    if b"<svg" in head.lower():
        return _reject("unsupported_type", kind="SVG drawing")
    return _reject("not_an_image")


# --- header dimensions and completeness, before decoding ------------------------------------


def _jpeg_layout(data: bytes) -> tuple[int, int, int] | None:
    """(width, height, offset of the first scan) from the JPEG's marker segments."""
    pos, size = 2, None
    # A real header has a few dozen segments; the cap keeps a hostile file from looping long.
    for _ in range(_MAX_JPEG_HEADER_STEPS):
        if pos + 4 > len(data):
            return None
        if data[pos] != 0xFF:  # padding between segments: Pillow skips it, so do we
            pos = data.find(b"\xff", pos)
            if pos < 0:
                return None
            continue
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if marker in _JPEG_SOF_MARKERS and pos + 9 <= len(data):
            height, width = struct.unpack_from(">HH", data, pos + 5)
            size = (width, height)
        if marker == 0xDA:  # start of scan: the header is over
            return (*size, pos) if size else None
        pos += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        (bits,) = struct.unpack_from("<I", data, 21)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _header_size(fmt: str, data: bytes) -> tuple[int, int] | None:
    """Pixel dimensions declared by the header; HEIF's are read from its container by Pillow."""
    if fmt == "jpeg":
        layout = _jpeg_layout(data)
        return layout[:2] if layout else None
    if fmt == "png":
        return struct.unpack_from(">II", data, 16) if data[12:16] == b"IHDR" and len(data) >= 24 else None
    if fmt == "webp":
        return _webp_size(data)
    return None


def _is_cut_off(fmt: str, data: bytes) -> bool:
    """True when the file ends before its format says it does (an interrupted upload)."""
    if fmt == "jpeg":
        layout = _jpeg_layout(data)
        # Entropy-coded data never contains FF D9, so an end marker after the first scan means the
        # image data is complete; bytes after it (a motion-photo video, a maker trailer) are
        # allowed. Searching from the end finds it at once in an ordinary file.
        return layout is not None and data.rfind(b"\xff\xd9") < layout[2]
    if fmt == "png":
        return data.rfind(_PNG_IEND) < 0
    if fmt == "webp":
        return len(data) < struct.unpack_from("<I", data, 4)[0] + 8
    return False  # HEIF: libheif reports a short file as a decoding error


def _pixel_limit() -> int:
    # Never above Pillow's own limit, so its bomb warning cannot fire for a photo we accept.
    pillow_limit = Image.MAX_IMAGE_PIXELS
    return MAX_PIXELS if pillow_limit is None else min(MAX_PIXELS, pillow_limit)


def _check_dimensions(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > _pixel_limit():
        raise _reject("too_many_pixels", megapixels=f"{width * height / 1e6:.0f}")
    if min(width, height) < MIN_SIDE:
        raise _reject("too_small", width=width, height=height)


# --- decoding ------------------------------------------------------------------------------


@functools.cache
def _register_heif_opener() -> None:
    # Imported and registered on the first HEIF upload only: most photos never need libheif.
    import pillow_heif

    pillow_heif.register_heif_opener()


def _open(fmt: str, data: bytes) -> Image.Image:
    if fmt == "heif":
        _register_heif_opener()
    try:
        return Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[fmt]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _reject("too_many_pixels", megapixels=f"more than {_pixel_limit() / 1e6:.3g}") from None
    except (UnidentifiedImageError, *_DECODE_ERRORS):
        raise _reject("corrupt") from None


def _draft_scale(long_side: int) -> int:
    """The largest DCT reduction whose output stays close to the working size."""
    for scale in (8, 4, 2):
        if math.ceil(long_side / scale) >= _DRAFT_MIN_SHARE * WORKING_LONG_SIDE:
            return scale
    return 1


def _load(fmt: str, image: Image.Image) -> None:
    """Decode the pixels: a JPEG at reduced size, other formats in full within the budget."""
    width, height = image.size
    if fmt == "jpeg":
        scale = _draft_scale(max(width, height))
        if scale > 1:
            image.draft(image.mode, (width // scale, height // scale))
    elif width * height * _BYTES_PER_PIXEL.get(image.mode, 4) > MAX_FULL_DECODE_BYTES:
        raise _reject("too_many_pixels", megapixels=f"{width * height / 1e6:.0f}")
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _reject("too_many_pixels", megapixels=f"{width * height / 1e6:.0f}") from None
    except _DECODE_ERRORS as err:
        truncated = isinstance(err, EOFError) or "truncated" in str(err).lower()
        raise _reject("truncated" if truncated else "corrupt") from None


# --- to 8-bit RGB at the working size -------------------------------------------------------


def _to_8bit(image: Image.Image) -> Image.Image:
    """Any decoded mode to L, LA, RGB or RGBA (modes that resize well), 16-bit data scaled."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA") and "transparency" not in image.info:
        return image
    if mode.startswith("I"):
        # 16-bit grey (I;16, I;16B, ...) or 32-bit integer holding 16-bit values: keep the top
        # 8 bits, so 32768 becomes 128 (Pillow's own conversion clips everything above 255).
        values = np.asarray(image)
        if mode == "I":
            values = np.clip(values, 0, 65535)
        return Image.fromarray((values >> 8).astype(np.uint8))
    if mode == "F":
        return Image.fromarray(np.clip(np.asarray(image), 0, 255).astype(np.uint8))
    if mode == "1":
        return image.convert("L")
    if mode in ("P", "PA") or "transparency" in image.info:
        has_alpha = mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    return image.convert("RGB")  # CMYK (Pillow reads JPEG CMYK as Adobe-inverted), YCbCr, LAB, HSV


def _fit_working_size(image: Image.Image) -> Image.Image:
    width, height = image.size
    long_side = max(width, height)
    if long_side <= WORKING_LONG_SIDE:
        return image  # never upscale
    factor = WORKING_LONG_SIDE / long_side
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    # reducing_gap: a fast integer box reduction first, then Lanczos for the last step.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _flatten_on_white(image: Image.Image) -> Image.Image:
    if image.mode in ("LA", "RGBA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        background.info = dict(image.info)
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


# --- orientation ---------------------------------------------------------------------------


def _exif_orientation(raw: bytes | None) -> tuple[int, str | None]:
    """The EXIF orientation (1 when absent), and a warning when the EXIF block cannot be read.

    Pillow skips a broken EXIF block with a UserWarning and no error; reading IFD0 ourselves is
    the only way to tell "no orientation" from "orientation unreadable" without touching the
    process-wide warnings filters.
    """
    if not raw:
        return 1, None
    tiff = raw[6:] if raw.startswith(b"Exif\x00\x00") else raw
    if len(tiff) < 8 or tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return 1, _EXIF_UNREADABLE
    order = "<" if tiff[:2] == b"II" else ">"
    (ifd,) = struct.unpack_from(order + "I", tiff, 4)
    if ifd < 8 or ifd + 2 > len(tiff):
        return 1, _EXIF_UNREADABLE
    (count,) = struct.unpack_from(order + "H", tiff, ifd)
    if ifd + 2 + 12 * count > len(tiff):
        return 1, _EXIF_UNREADABLE
    for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
        tag, field_type, values = struct.unpack_from(order + "HHI", tiff, entry)
        if tag != 0x0112:
            continue
        if field_type != 3 or values != 1:  # must be one SHORT
            return 1, _EXIF_UNREADABLE
        (orientation,) = struct.unpack_from(order + "H", tiff, entry + 8)
        if 1 <= orientation <= 8:
            return orientation, None
        return 1, f"EXIF orientation {orientation} is not valid: orientation ignored"
    return 1, None


def _apply_orientation(fmt: str, image: Image.Image, raw_exif: bytes | None) -> tuple[Image.Image, list[str]]:
    if fmt == "heif":
        # libheif already applied the container's rotation and mirroring, and pillow_heif
        # reset the EXIF tag to 1, so there is nothing left to do.
        return image, []
    orientation, problem = _exif_orientation(raw_exif)
    if problem:
        return image, [problem]
    if orientation == 1:
        return image, []
    image.info["exif"] = raw_exif
    try:
        return ImageOps.exif_transpose(image), []
    except _DECODE_ERRORS:
        return image, [_EXIF_UNREADABLE]


# --- the outputs ---------------------------------------------------------------------------


def _jpeg_bytes(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)  # no exif=: metadata is not carried over
    return out.getvalue()


def _thumbnail(image: Image.Image) -> Image.Image:
    width, height = image.size
    if max(width, height) <= THUMB_LONG_SIDE:
        return image
    factor = THUMB_LONG_SIDE / max(width, height)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    # A box reduction by the whole factor, then a bilinear step of a few pixels: sharp enough
    # for a 400 px preview, and several times faster than Lanczos.
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=1.0)


def intake(data: bytes) -> IntakeResult:
    """Validate and decode an upload into a working image; raise IntakeRejected if unusable."""
    if not data:
        raise _reject("empty_file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise _reject("too_large")
    fmt = sniff_format(data)
    if fmt is None:
        raise _refusal_for_unknown(data)

    if fmt != "heif":
        declared = _header_size(fmt, data)
        if declared is None:
            raise _reject("corrupt")
        _check_dimensions(declared)
        if _is_cut_off(fmt, data):
            raise _reject("truncated")

    image = _open(fmt, data)
    _check_dimensions(image.size)  # HEIF's first check; for the others Pillow agrees with the header
    warnings: list[str] = []
    if getattr(image, "is_animated", False):
        if fmt in ("png", "webp"):
            # A camera never makes these: an animation comes from a messaging app or a screen
            # recording, and its first frame is rarely what the store meant to show.
            raise _reject("animated")
        if fmt == "heif":
            warnings.append(f"The file holds {getattr(image, 'n_frames', 1)} pictures; the main one was used.")
    full_size = image.size

    _load(fmt, image)
    raw_exif = image.info.get("exif")  # after loading: a PNG may keep it after the pixel data
    working = _flatten_on_white(_fit_working_size(_to_8bit(image)))
    oriented, orientation_warnings = _apply_orientation(fmt, working, raw_exif)
    warnings += orientation_warnings
    swapped = oriented.size != working.size
    original_size = (full_size[1], full_size[0]) if swapped else full_size

    pixels = np.asarray(oriented)
    pixels.setflags(write=False)  # shared by every check: none may change it
    return IntakeResult(
        format=fmt,
        original_size=original_size,
        working=pixels,
        normalised_jpeg=_jpeg_bytes(oriented, NORMALISED_JPEG_QUALITY),
        thumbnail_jpeg=_jpeg_bytes(_thumbnail(oriented), THUMB_JPEG_QUALITY),
        warnings=tuple(warnings),
    )
