"""Screenshots of every page for the README's "What you see in the demo", taken from a running demo with Debian's
Chromium through Playwright, so they can be retaken after a change:

    .venv/bin/python scripts/screenshots.py            # writes docs/images/demo-*.png

It runs `sortcentre demo` in a temporary folder for as long as it takes (about a minute of sorting first, so the
pages have data), logs in as the demo's admin, and saves one small PNG per page (a 1366x768 window, 256 colours).
A page the hub does not serve (a 404, such as a wall screen on a hub without one) is skipped and named.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_servers.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from local_servers.process import free_port  # noqa: E402

VIEWPORT = {"width": 1366, "height": 768}
KIOSK_VIEWPORT = {"width": 1024, "height": 600}  # the stations' 7-10" panel


def start_demo(var: Path, port: int) -> tuple[subprocess.Popen[str], str, str]:
    """The running demo, the admin's password and the first station's kiosk URL, once the demo printed them."""
    command = [sys.executable, "-m", "sortcentre", "demo", "--var", str(var), "--http-port", str(port)]
    demo = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert demo.stdout is not None
    password = kiosk = ""
    for line in demo.stdout:
        if found := re.search(r"log in as admin with password (\S+)", line):
            password = found.group(1)
        if found := re.search(r"sorters' screens: \S+: (http://\S+)", line):
            kiosk = found.group(1)
        if password and kiosk:
            return demo, password, kiosk
    raise SystemExit(f"the demo stopped before it printed its logins (exit {demo.wait()})")


def shoot(page: Page, url: str, path: Path, wait_for: str | None = None) -> bool:
    answer = page.goto(url)
    if answer is None or answer.status == 404:
        print(f"skipped {url}: not served by this hub")  # noqa: T201
        return False
    if wait_for:
        page.wait_for_selector(wait_for, timeout=15_000)
    page.wait_for_timeout(1500)  # charts and live numbers settle
    page.screenshot(path=str(path))
    # 256 colours: the pages are flat colours and text, so this keeps each PNG small for the repository.
    Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")  # noqa: T201
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--sort-s", type=float, default=60.0, help="let the demo sort this long first")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    hub = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        demo, password, kiosk = start_demo(Path(tmp) / "var", port)
        try:
            time.sleep(args.sort_s)
            today = date.today().isoformat()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                context = browser.new_context(viewport=VIEWPORT, locale="nl-NL", timezone_id="Europe/Amsterdam")
                answer = context.request.post(f"{hub}/api/v1/login", data={"username": "admin", "password": password})
                if not answer.ok:
                    raise SystemExit(f"login failed: {answer.status} {answer.text()}")
                page = context.new_page()
                shoot(page, f"{hub}/", args.out / "demo-dashboard.png", "#tiles .tile")
                shoot(page, f"{hub}/wall?site=zwolle", args.out / "demo-wall.png")
                shoot(page, f"{hub}/static/fleet.html", args.out / "demo-fleet.png")
                shoot(page, f"{hub}/api/v1/reports/co2e?from={today}&to={today}", args.out / "demo-reports.png")
                shoot(page, f"{hub}/api/v1/feeds/docs", args.out / "demo-feed-docs.png")
                kiosk_page = browser.new_context(viewport=KIOSK_VIEWPORT, locale="nl-NL").new_page()
                shoot(kiosk_page, kiosk, args.out / "demo-kiosk.png")
                browser.close()
        finally:
            demo.send_signal(signal.SIGINT)
            demo.communicate(timeout=120)


if __name__ == "__main__":
    main()
