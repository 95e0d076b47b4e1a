"""The report as a PDF an owner can mail: the index page printed by a headless chromium.

Chromium's `--print-to-pdf` uses the report's print stylesheet (A4 landscape, evidence lists
left out); `--virtual-time-budget` lets the charts draw before the page is printed. No browser is
downloaded: one must be installed (Debian: `apt-get install chromium`), or named by CJM_CHROMIUM.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import UsageError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
        "--virtual-time-budget=20000")
TIMEOUT_S = 180


def find_browser() -> str | None:
    """CJM_CHROMIUM when set, else the first chromium or chrome on PATH."""
    named = os.environ.get("CJM_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def write_pdf(index: str | Path, pdf: str | Path) -> Path:
    """Print `index` (the report's index.html) to `pdf`; a `UsageError` when no browser can do it."""
    browser = find_browser()
    if browser is None:
        raise UsageError("--pdf needs a headless chromium, and none was found",
                         hint="install chromium (Debian: apt-get install chromium) or set CJM_CHROMIUM to its path")
    pdf = Path(pdf).resolve()
    with tempfile.TemporaryDirectory(prefix="cjm-pdf-") as profile:
        command = [browser, *ARGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}",
                   Path(index).resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UsageError(f"--pdf: {browser} could not print the report: {exc}") from None
    if not pdf.is_file() or pdf.stat().st_size == 0:
        raise UsageError(f"--pdf: {browser} wrote no PDF (exit {done.returncode})",
                         hint=(done.stderr or "").strip().splitlines()[-1][:200] if done.stderr else None)
    return pdf
