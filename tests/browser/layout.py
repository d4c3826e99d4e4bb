"""Measures of a page as laid out: horizontal scrolling, text drawn over other text, text cut by
its box, and tap targets smaller than a finger. Each returns short descriptions of what is wrong."""

from __future__ import annotations

from .audit import DESCRIBE

# Every line of text on the page, as the rectangles the browser drew it in; two lines of different
# text nodes that share more than a sliver (2 px each way) overlap. The outbox floats over the page
# on purpose, for a second and a half; hidden things draw nothing.
OVERLAPS = DESCRIBE + """
() => {
  const lines = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest('#outbox, template, svg, option, [hidden], .sr-only')) { continue; }
    if (!shown(el)) { continue; }
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width > 1 && r.height > 1) { lines.push({ el, r: { x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height } }); }
    }
  }
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    for (let j = i + 1; j < lines.length; j++) {
      const a = lines[i].r, b = lines[j].r;
      const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (dx > 2 && dy > 2 && lines[i].el !== lines[j].el) {
        found.push(describe(lines[i].el) + ' over ' + describe(lines[j].el));
        if (found.length > 20) { return found; }
      }
    }
  }
  return found;
}
"""

# Text that its box does not show whole: a box that hides what overflows it and holds more than it
# shows, or an ellipsis. The page itself must not scroll sideways.
CUT = DESCRIBE + """
() => {
  const found = [];
  const page = document.documentElement;
  if (page.scrollWidth > innerWidth + 1) { found.push('the page scrolls sideways: ' + page.scrollWidth + ' > ' + innerWidth); }
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg, template, [hidden], .sr-only, select, textarea') || !shown(el)) { continue; }
    if (!(el.textContent || '').trim()) { continue; }
    const s = getComputedStyle(el);
    const hides = (v) => v === 'hidden' || v === 'clip';
    if (s.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1) { found.push(describe(el) + ' (ellipsis)'); continue; }
    if (hides(s.overflowX) && el.scrollWidth > el.clientWidth + 1) { found.push(describe(el) + ' (cut on the side)'); continue; }
    if (hides(s.overflowY) && el.scrollHeight > el.clientHeight + 1) { found.push(describe(el) + ' (cut at the bottom)'); }
  }
  return found;
}
"""

# WCAG 2.5.8: a target at least 24×24 CSS px; main actions on phones 44×44. A radio or a checkbox
# inside its label is tapped through the label; a link inside a sentence is exempt.
TARGETS = DESCRIBE + """
(sizes) => {
  const [least, main, mainSelector] = sizes;
  const found = [];
  let checked = 0;
  const controls = document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, summary, [role=button]');
  for (const el of controls) {
    if (el.closest('#outbox') || !shown(el)) { continue; }
    let target = el;
    if ((el.type === 'checkbox' || el.type === 'radio') && el.closest('label')) { target = el.closest('label'); }
    if (el.tagName === 'A' && el.parentElement) {
      const around = Array.from(el.parentElement.childNodes).some((n) => n !== el && n.nodeType === 3 && n.textContent.trim().length > 1);
      if (around) { continue; }
    }
    const box = target.getBoundingClientRect();
    const need = mainSelector && el.matches(mainSelector) ? main : least;
    checked += 1;
    if (box.width < need - 0.5 || box.height < need - 0.5) {
      found.push(describe(el) + ' ' + Math.round(box.width) + '×' + Math.round(box.height) + ' < ' + need);
    }
  }
  return { checked, found };
}
"""

# On a phone, the buttons that do the work: every button of a form that sends an action, the join
# and create buttons, the read-aloud and large-text buttons.
MAIN_ACTIONS = "form[ws-send] button, form[action] button, button.speak, button.large-text-toggle"


def overlaps(page) -> list[str]:
    return page.evaluate(OVERLAPS)


def cut(page) -> list[str]:
    return page.evaluate(CUT)


def small_targets(page, main: str | None = None) -> list[str]:
    result = page.evaluate(TARGETS, [24, 44, main])
    assert result["checked"] > 0, f"no control found on {page.url}"
    return result["found"]


def sound(page, main: str | None = None) -> list[str]:
    """Everything wrong with the page's layout, for one assertion message."""
    page.wait_for_load_state("load")
    return overlaps(page) + cut(page) + small_targets(page, main)
