"""Layout checks every page test shares: no text overflows its box, no number breaks inside itself, and a
screenshot of what was checked kept as a test artifact.

The checks run in the page (the DOM as Chromium laid it out), so they see what a person sees at that size and in
that language, not what the CSS meant. A failure names the element and the text, so the fix is findable.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, ViewportSize

# The screens people use: a wall screen or desktop, a laptop, the kiosk's 7-10" panel, a phone.
SCREENS: dict[str, ViewportSize] = {
    "1920x1080": {"width": 1920, "height": 1080},
    "1366x768": {"width": 1366, "height": 768},
    "1024x600": {"width": 1024, "height": 600},
    "390x844": {"width": 390, "height": 844},
}

# Where screenshots go: $SORTCENTRE_ARTIFACTS (CI keeps it) or build/test-artifacts in the checkout.
_DEFAULT_ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts"
ARTIFACTS = Path(os.environ.get("SORTCENTRE_ARTIFACTS", _DEFAULT_ARTIFACTS))

# One JavaScript pass over the page. An element overflows when its content is wider or taller than its box and
# the overflow is neither scrolled (overflow auto/scroll) nor deliberately cut with an ellipsis that the element
# shows in full in its title. A number breaks when one text node's digits (with their . , : separators) are laid
# out on more than one line. Hidden elements and elements marked data-layout-ignore are skipped.
_CHECK_JS = r"""
(tolerance) => {
  const problems = [];
  const label = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.className && typeof el.className === 'string' && el.className.trim()) {
      s += '.' + el.className.trim().split(/\s+/).join('.');
    }
    return s;
  };
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') return false;
    // Screen-reader-only text (.visually-hidden: clipped to nothing) is no box anyone sees.
    if (style.clip === 'rect(0px, 0px, 0px, 0px)' || style.clipPath === 'inset(50%)') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const scrolls = (v) => v === 'auto' || v === 'scroll';
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('[data-layout-ignore]') || !visible(el)) continue;
    const skipped = ['SCRIPT', 'STYLE', 'CANVAS', 'IMG', 'INPUT', 'SELECT', 'TEXTAREA', 'OPTION'];
    if (skipped.includes(el.tagName)) continue;
    if (el.closest('svg')) continue;
    const style = getComputedStyle(el);
    const text = (el.innerText || '').trim();
    if (!text) continue;
    if (el.clientWidth <= 1 && el.clientHeight <= 1) continue;  // screen-reader-only text: a clipped 1px box
    const wide = el.scrollWidth - el.clientWidth > tolerance && !scrolls(style.overflowX);
    const tall = el.scrollHeight - el.clientHeight > tolerance && !scrolls(style.overflowY)
      && style.overflowY !== 'visible';
    const ellipsis = style.textOverflow === 'ellipsis' && el.title && el.title.trim() === text;
    if ((wide || tall) && !ellipsis && el.clientWidth > 0) {
      problems.push({kind: 'overflow', element: label(el), text: text.slice(0, 60),
                     box: [el.clientWidth, el.clientHeight], content: [el.scrollWidth, el.scrollHeight]});
    }
  }
  // Numbers: each text node's numeric runs must sit on one line.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const numeric = /\d[\d.,:\u202f\u00a0]*\d/g;
  let node;
  while ((node = walker.nextNode())) {
    const parent = node.parentElement;
    if (!parent || parent.closest('[data-layout-ignore]') || !visible(parent)) continue;
    let m;
    while ((m = numeric.exec(node.data))) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) {
        problems.push({kind: 'number broken', element: label(parent), text: m[0]});
      }
    }
  }
  // The page itself: nothing wider than the screen.
  const doc = document.documentElement;
  if (doc.scrollWidth - doc.clientWidth > tolerance) {
    problems.push({kind: 'page wider than the screen', element: 'html', text: '',
                   box: [doc.clientWidth, doc.clientHeight], content: [doc.scrollWidth, doc.scrollHeight]});
  }
  return problems;
}
"""


def layout_problems(page: Page, tolerance_px: int = 1) -> list[dict[str, Any]]:
    """Every text that overflows its box, every number broken over two lines, and a page wider than the screen."""
    problems: list[dict[str, Any]] = page.evaluate(_CHECK_JS, tolerance_px)
    return problems


def save_screenshot(page: Page, name: str) -> Path:
    """Keep what the test saw: ARTIFACTS/<name>.png (name: page, size and language, e.g. wall-1920x1080-nl)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "-", name) + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_layout_holds(page: Page, name: str) -> None:
    """Save a screenshot, then fail naming every overflowing text and broken number on the page."""
    shot = save_screenshot(page, name)
    problems = layout_problems(page)
    assert not problems, f"{name}: {len(problems)} layout problem(s) (screenshot {shot}):\n" + "\n".join(
        f"  {p['kind']}: {p['element']} {p.get('text', '')!r} box={p.get('box')} content={p.get('content')}"
        for p in problems[:20]
    )
