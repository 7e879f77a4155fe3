"""Write a labelled folder for ``python -m chalicelib.devtools.cli eval``: synthetic window photos with the
campaign posters present or absent (other posters, occlusion, reflections, glare, colour casts,
blur, darkness, tilt, EXIF rotation mixed in), the pack, a guideline and labels.json.

    .venv/bin/python bench/labelled_set.py FOLDER [-n 60] [--seed 7]
    .venv/bin/python -m chalicelib.devtools.cli eval FOLDER --guideline FOLDER/guideline.yaml
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Defects that make a photo unusable: only its photo-quality verdict is labelled.
UNUSABLE = {"blur", "dark"}


def guideline(pack_names: list[str]) -> dict:
    rules = [
        {"id": "sharp", "type": "photo_quality", "message": "Blurry.", "parameters": {"check": "sharpness"}},
        {"id": "exposure", "type": "photo_quality", "message": "Too dark or too bright.", "parameters": {"check": "exposure"}},
    ]
    for name in pack_names:
        stem = name.rsplit(".", 1)[0]
        rules.append(
            {
                "id": f"poster-{stem}",
                "type": "artwork_present",
                "message": f"Put up {name}.",
                "parameters": {"artwork": name, "min_share": 0.005, "min_visible": 0.5},
            }
        )
    return {"name": "labelled set", "rules": rules}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("-n", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import yaml

    from chalicelib.devtools import scenes

    folder: Path = args.folder
    folder.mkdir(parents=True, exist_ok=True)
    pack = scenes.campaign_pack()
    for name, data in pack.items():
        (folder / name).write_bytes(data)
    (folder / "guideline.yaml").write_text(yaml.safe_dump(guideline(sorted(pack)), sort_keys=False))
    labels = {}
    for index, scene in enumerate(scenes.labelled_set(args.seed, args.n)):
        name = f"scene-{index:03d}.jpg"
        (folder / name).write_bytes(scene.jpeg)
        unusable = bool(UNUSABLE & set(scene.labels["defects"]))
        expected = {"sharp": "fail" if "blur" in scene.labels["defects"] else "pass"}
        if not unusable:
            for artwork, present in scene.labels["artwork_present"].items():
                visible = scene.labels["visible"].get(artwork, 0.0)
                if present and visible < 0.6:
                    continue  # mostly hidden: either answer is defensible, so it is not scored
                expected[f"poster-{artwork.rsplit('.', 1)[0]}"] = "pass" if present else "fail"
        labels[name] = expected
    (folder / "labels.json").write_text(json.dumps(labels, indent=1))
    print(f"{len(labels)} labelled photos in {folder}")


if __name__ == "__main__":
    main()
