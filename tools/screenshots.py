"""Terminal screenshots of the outputs for people, for README.md and
docs/output.md: runs kubeward with colour forced, renders the ANSI output
with rich's SVG export (a terminal window), and converts the SVG to PNG with
headless Chromium (or ImageMagick's ``convert`` when Chromium is missing).

    python tools/screenshots.py            # writes docs/img/scan-text.png, scan-concise.png

Needs rich (a kubeward dependency) and chromium or ImageMagick on PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
PINNED = ["--check", "PSS001", "--check", "PSS002", "--check", "NET002", "--check", "RBAC001"]
#: name -> (terminal width, kubeward arguments)
SHOTS = {
    "scan-text": (118, ["scan", "--color", *PINNED, "examples/insecure-app"]),
    "scan-concise": (172, ["scan", "-o", "concise", *PINNED, "--check", "CTR001",
                           "--check", "IMG001", "examples/insecure-app"]),
}


def ansi_of(args: list[str], width: int) -> str:
    env = {**os.environ, "COLUMNS": str(width)}
    env.pop("NO_COLOR", None)
    proc = subprocess.run([sys.executable, "-m", "kubeward", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    return f"$ kubeward {' '.join(a for a in args if a != '--color')}\n" + proc.stdout


def svg_of(ansi: str, title: str, width: int) -> str:
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=width, file=open(os.devnull, "w"), force_terminal=True,
                      color_system="truecolor")
    console.print(Text.from_ansi(ansi), soft_wrap=False, crop=False)
    return console.export_svg(title=title)


def png_of(svg: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "shot.svg"
        src.write_text(svg, encoding="utf-8")
        width, height = _size(svg)
        chromium = shutil.which("chromium") or shutil.which("chromium-browser") \
            or shutil.which("google-chrome")
        if chromium:
            html = Path(tmp) / "shot.html"
            html.write_text(f'<html><body style="margin:0;background:#fff">{svg}</body></html>',
                            encoding="utf-8")
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", f"--window-size={width},{height}",
                            f"--screenshot={target}", html.as_uri()],
                           check=True, capture_output=True, timeout=120)
        else:
            subprocess.run(["convert", str(src), str(target)], check=True, timeout=120)


def _size(svg: str) -> tuple[int, int]:
    import re

    m = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    return (int(float(m.group(1))) + 1, int(float(m.group(2))) + 1) if m else (1200, 800)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (width, args) in SHOTS.items():
        target = OUT / f"{name}.png"
        png_of(svg_of(ansi_of(args, width), "kubeward", width), target)
        print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
