"""Composed shop windows with known contents, for the objects rule: people, mannequins, products.

No photograph of a real mannequin ships in a package this project may use, so the windows are
composed from real photographs that do (scikit-image's, public domain or CC0):

- a **person**: the astronaut (``skimage.data.astronaut``, upper body, facing the camera), cut
  out of her studio backdrop along an outline traced by eye (``backdrop=True`` keeps the whole
  rectangular photo, as the first version of these windows did);
- a **mannequin**: the same figure with its skin turned into plastic (white, black or beige, with
  smooth shading and no eyes or mouth: the face is closed over and re-shaded): a dressed bust
  form standing on the window's platform;
- a **passer-by**: the person pasted large in front of the window, cut by the photo's bottom edge;
- **products**: the cup of ``skimage.data.coffee`` on the window's shelf, small;
- a **poster** (``poster=True``): a campaign artwork of chalicelib.devtools.scenes on the back
  wall of the right pane, where a passer-by stands in front of it.

A window is a drawn facade: wall, a framed glass pane with a lit interior and a platform,
reflections on the glass over everything behind it, a pavement. Every pasted thing's box is in
the labels, with the label a guideline would use (``person``, ``mannequin``, ``cup``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

GLASS = (0.06, 0.10, 0.94, 0.80)  # left, top, right, bottom of the glass, shares of the photo
PLATFORM = 0.74  # the interior floor the figures stand on (share of the photo's height)
SHELF = (0.30, 0.60, 0.90)  # y, x0, x1 of the shelf for products (shares), above the figures
POSTER = (0.66, 0.36, 0.9, 0.72)  # left, top, right, bottom (shares) of the poster's place; it keeps its proportions
PLASTICS = {"white": (236, 232, 226), "black": (58, 56, 55), "beige": (222, 180, 150)}

# The detector issue's example guideline on these windows: at least two people or mannequins
# behind the glass, nobody in front of the poster, at least one handbag in the lower half.
EXAMPLE_RULES: list[dict] = [
    {
        "id": "figures",
        "type": "objects",
        "message": "Put two dressed mannequins in the window.",
        "zone": {"box": [0.05, 0.08, 0.95, 0.82]},
        "parameters": {"label": "person_or_mannequin", "min_count": 2},
    },
    {
        "id": "poster-clear",
        "type": "objects",
        "message": "Someone stands in front of the poster. Take the photo when nobody covers it.",
        "zone": {"box": [0.64, 0.34, 0.92, 0.74]},  # around POSTER
        "parameters": {"label": "person", "min_count": 0, "max_count": 0},
    },
    {
        "id": "bags",
        "type": "objects",
        "message": "Display at least one handbag.",
        "zone": "lower_half",
        "parameters": {"label": "handbag", "min_count": 1},
    },
]


@dataclass
class ObjectScene:
    rgb: np.ndarray
    objects: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)  # (label, x y w h)
    notes: dict[str, str] = field(default_factory=dict)

    def count(self, label: str, zone: tuple[int, int, int, int] | None = None) -> int:
        def inside(box):
            if zone is None:
                return True
            cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
            return zone[0] <= cx < zone[0] + zone[2] and zone[1] <= cy < zone[1] + zone[3]

        return sum(1 for name, box in self.objects if name == label and inside(box))


@functools.cache
def _astronaut() -> np.ndarray:
    import skimage.data

    return np.ascontiguousarray(skimage.data.astronaut()[0:512, 15:375])


@functools.cache
def _cup() -> np.ndarray:
    import skimage.data

    return np.ascontiguousarray(skimage.data.coffee()[40:330, 80:520])


# The astronaut's outline in the crop of ``_astronaut`` (x, y pixels), traced by eye: the head
# with its hair as an ellipse, the suit from the collar ring down to the photo's bottom edge.
_HEAD = ((210, 100), (74, 86))
_SUIT = (
    (125, 150), (290, 150), (292, 205), (331, 262), (352, 312), (360, 350), (360, 512),
    (0, 512), (5, 420), (12, 360), (22, 312), (45, 250), (81, 206), (103, 195),
)  # fmt: skip


@functools.cache
def figure_alpha() -> np.ndarray:
    """The astronaut without her studio backdrop: 1 on the figure, 0 on the flag and the wall,
    softened over two pixels (float32, the crop's height and width)."""
    height, width = _astronaut().shape[:2]
    mask = np.zeros((height, width), np.uint8)
    cv2.ellipse(mask, _HEAD[0], _HEAD[1], 0, 0, 360, 255, -1, cv2.LINE_AA)
    cv2.fillPoly(mask, [np.array(_SUIT, np.int32)], 255, cv2.LINE_AA)
    return cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), 1.2)


@functools.cache
def _poster() -> np.ndarray:
    from chalicelib.devtools import scenes

    return scenes.poster_rgb("Warm Layers", "-30%", 7, "brand-a")


def _skin_mask(rgb: np.ndarray) -> np.ndarray:
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    cr, cb = ycrcb[..., 1], ycrcb[..., 2]
    skin = ((cr >= 138) & (cr <= 175) & (cb >= 85) & (cb <= 125)).astype(np.uint8)
    height = rgb.shape[0]
    skin[int(height * 0.42) :] = 0  # the face and neck only (the suit is orange: not skin)
    skin = cv2.morphologyEx(skin, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(skin, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    closed = np.zeros_like(skin)
    if contours:
        biggest = max(contours, key=cv2.contourArea)
        cv2.drawContours(closed, [cv2.convexHull(biggest)], -1, 1, -1)  # over the eyes and mouth
    return closed.astype(bool)


@functools.cache
def mannequin_rgb(plastic: str) -> np.ndarray:
    """The astronaut as a mannequin: face and neck in smooth plastic of the given colour."""
    person = _astronaut()
    mask = _skin_mask(person)
    grey = cv2.cvtColor(person, cv2.COLOR_RGB2GRAY).astype(np.float32)
    shading = cv2.GaussianBlur(grey, (0, 0), 18)
    shading = 0.75 + 0.35 * (shading - shading[mask].mean()) / max(1.0, shading[mask].std() * 3) if mask.any() else 1.0
    colour = np.array(PLASTICS[plastic], np.float32)
    plastic_rgb = np.clip(colour[None, None, :] * np.asarray(shading, np.float32)[..., None], 0, 255)
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 2)[..., None]
    out = person.astype(np.float32) * (1 - soft) + plastic_rgb * soft
    return np.clip(out, 0, 255).astype(np.uint8)


def _facade(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    wall = np.array([rng.integers(90, 140)] * 3, np.float32) + rng.normal(0, 6, 3)
    rgb = np.empty((height, width, 3), np.float32)
    rgb[:] = wall
    gx0, gy0, gx1, gy1 = (int(GLASS[0] * width), int(GLASS[1] * height), int(GLASS[2] * width), int(GLASS[3] * height))
    interior = np.array(rng.choice([(236, 230, 218), (222, 226, 232), (240, 236, 228)]), np.float32)
    ramp = np.linspace(0.8, 1.05, gy1 - gy0, dtype=np.float32)[:, None, None]
    rgb[gy0:gy1, gx0:gx1] = interior * ramp
    rgb[int(PLATFORM * height) : gy1, gx0:gx1] = (150, 108, 72)
    rgb[gy1:, :] = (172, 170, 166)  # pavement
    noise = rng.normal(0, 3, (height, width, 1)).astype(np.float32)
    return np.clip(rgb + noise, 0, 255)


def _frame(rgb: np.ndarray, width: int, height: int) -> None:
    gx0, gy0, gx1, gy1 = (int(GLASS[0] * width), int(GLASS[1] * height), int(GLASS[2] * width), int(GLASS[3] * height))
    t = max(4, width // 120)
    cv2.rectangle(rgb, (gx0, gy0), (gx1, gy1), (30, 34, 44), t)
    mid = (gx0 + gx1) // 2
    cv2.line(rgb, (mid, gy0), (mid, gy1), (30, 34, 44), t)
    cv2.rectangle(rgb, (gx0 - t, gy1), (gx1 + t, gy1 + 2 * t), (205, 205, 200), -1)  # sill


def _paste(canvas: np.ndarray, patch: np.ndarray, x: int, y: int, alpha: np.ndarray | None = None) -> tuple[int, int, int, int]:
    """Paste ``patch`` with its top-left at (x, y), clipped to the canvas, through ``alpha`` (the
    patch's opacity, 0..1) if given; the visible box."""
    height, width = canvas.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + patch.shape[1]), min(height, y + patch.shape[0])
    if x1 <= x0 or y1 <= y0:
        return (x0, y0, 0, 0)
    part = patch[y0 - y : y1 - y, x0 - x : x1 - x]
    if alpha is None:
        canvas[y0:y1, x0:x1] = part
    else:
        opacity = alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
        canvas[y0:y1, x0:x1] = part * opacity + canvas[y0:y1, x0:x1] * (1 - opacity)
    return (x0, y0, x1 - x0, y1 - y0)


def _glass_reflection(rgb: np.ndarray, rng: np.random.Generator, width: int, height: int) -> None:
    gx0, gy0, gx1, gy1 = (int(GLASS[0] * width), int(GLASS[1] * height), int(GLASS[2] * width), int(GLASS[3] * height))
    yy, xx = np.mgrid[gy0:gy1, gx0:gx1].astype(np.float32)
    angle = float(rng.uniform(0.3, 0.8))
    band = np.sin((xx * angle + yy) / (width * 0.08) + float(rng.uniform(0, 6))) * 0.5 + 0.5
    strength = float(rng.uniform(0.05, 0.18))
    rgb[gy0:gy1, gx0:gx1] = rgb[gy0:gy1, gx0:gx1] * (1 - strength * band[..., None]) + 255 * strength * band[..., None]


def _scaled(patch: np.ndarray, height: int) -> np.ndarray:
    scale = height / patch.shape[0]
    return cv2.resize(patch, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def window(
    seed: int,
    *,
    people: int = 0,
    mannequins: int = 0,
    passers_by: int = 0,
    cups: int = 0,
    size: tuple[int, int] = (1600, 1200),
    figure_height: float = 0.36,
    cup_height: float = 0.07,
    backdrop: bool = False,
    poster: bool = False,
) -> ObjectScene:
    """A composed window; figures stand on the platform left to right (three fit), cups on the
    shelf at the top right, the poster under it, passers-by in front of the right half."""
    rng = np.random.default_rng(seed)
    width, height = size
    canvas = _facade(rng, width, height)
    scene = ObjectScene(canvas)
    figures = ["person"] * people + ["mannequin"] * mannequins
    order: Any = rng.permutation(len(figures)) if figures else []
    fig_h = int(figure_height * height * float(rng.uniform(0.92, 1.08)))
    x = int((GLASS[0] + float(rng.uniform(0.01, 0.04))) * width)
    for i, index in enumerate(order):
        kind = figures[index]
        if kind == "person":
            patch = _scaled(_astronaut(), fig_h)
        else:
            plastic = str(rng.choice(list(PLASTICS)))
            scene.notes[f"mannequin{i}"] = plastic
            patch = _scaled(mannequin_rgb(plastic), fig_h)
        y = int(PLATFORM * height) - patch.shape[0] + int(0.01 * height)
        alpha = None if backdrop else _scaled(figure_alpha(), fig_h)
        box = _paste(canvas, patch.astype(np.float32), x, y, alpha)
        scene.objects.append((kind, box))
        x += patch.shape[1] + int(float(rng.uniform(0.01, 0.04)) * width)
    if poster:  # a campaign poster on the back wall of the right pane, under the shelf
        art = _scaled(_poster(), int((POSTER[3] - POSTER[1]) * height))
        box = _paste(canvas, art.astype(np.float32), int(POSTER[0] * width), int(POSTER[1] * height))
        scene.objects.append(("poster", box))
    shelf_y, sx0, sx1 = SHELF
    cv2.rectangle(
        canvas, (int(sx0 * width), int(shelf_y * height)), (int(sx1 * width), int((shelf_y + 0.012) * height)), (110, 84, 60), -1
    )
    for i in range(cups):
        patch = _scaled(_cup(), int(cup_height * height * float(rng.uniform(0.9, 1.1))))
        x = int((sx0 + 0.01) * width + i * patch.shape[1] * 1.3)
        box = _paste(canvas, patch.astype(np.float32), x, int(shelf_y * height) - patch.shape[0])
        scene.objects.append(("cup", box))
    _glass_reflection(canvas, rng, width, height)
    _frame(canvas, width, height)
    for _ in range(passers_by):
        patch = _scaled(_astronaut(), int(height * float(rng.uniform(0.85, 1.1))))
        x = int(rng.uniform(0.6, 0.8) * width)
        y = height - int(patch.shape[0] * float(rng.uniform(0.8, 0.95)))
        box = _paste(canvas, patch.astype(np.float32), x, y, None if backdrop else _scaled(figure_alpha(), patch.shape[0]))
        bx, by, bw, bh = box
        hidden = [
            o
            for o in scene.objects
            if o[0] != "poster" and bx <= o[1][0] + o[1][2] / 2 < bx + bw and by <= o[1][1] + o[1][3] / 2 < by + bh
        ]
        scene.objects = [o for o in scene.objects if o not in hidden]
        scene.objects.append(("person", box))
        scene.notes["passer-by"] = "yes"
    scene.rgb = np.clip(canvas, 0, 255).astype(np.uint8)
    return scene
