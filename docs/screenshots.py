"""Make docs/img/report.png and docs/img/dashboard.png from the demo shop.

    python docs/screenshots.py

The demo's story (`kitchen demo --keep`: a kitchen merged into dev, dev released to
production), then a new kitchen tested six times on dev's data, its orders cut by half (the
case SPC must catch) and tested again; its report and the dashboard opened in Debian's
Chromium by Playwright and photographed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def kitchen(folder: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kitchen", "-C", str(folder), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in ok:
        raise SystemExit(f"kitchen {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="kitchen-shots-"))
    told = kitchen(base, "demo", "--keep")
    shop = Path(told.rsplit("The demo project is kept in ", 1)[1].split()[0])
    kitchen(shop, "create", "churn", "--parent", "dev")
    for _ in range(6):
        kitchen(shop, "test", "churn", "--no-report")
    with duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb")) as db:
        db.execute("DELETE FROM churn.orders WHERE customer_id % 2 = 0")
    kitchen(shop, "test", "churn", ok=(0, 1))
    kitchen(shop, "report", "churn", "--out", str(base / "report.html"))
    kitchen(shop, "dashboard", "--out", str(base / "site"))
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        for page_file, image, width in (
            (base / "report.html", "report.png", 1100),
            (base / "site/index.html", "dashboard.png", 1100),
        ):
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(page_file.as_uri())
            page.screenshot(path=str(DOCS / "img" / image), full_page=True)
            page.close()
        browser.close()
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(shop, ignore_errors=True)
    print("wrote", DOCS / "img/report.png", "and", DOCS / "img/dashboard.png")


if __name__ == "__main__":
    main()
