"""Checks run inside a page: language, labels, visible focus, text contrast, injected markup.

Each check returns what it found wrong (a list of short descriptions), so a failing assertion
names the element and the page."""

from __future__ import annotations

DESCRIBE = """
const describe = (el) => {
  const id = el.id ? '#' + el.id : '';
  const names = typeof el.className === 'string' ? el.className.trim() : '';
  const cls = names ? '.' + names.split(/\\s+/).join('.') : '';
  const text = (el.textContent || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
  return el.tagName.toLowerCase() + id + cls + (text ? ' "' + text + '"' : '');
};
const shown = (el) => {
  // checkVisibility also knows the content of a closed <details>, laid out but not rendered.
  if (!el.getClientRects().length || !el.checkVisibility({ visibilityProperty: true })) { return false; }
  const s = getComputedStyle(el);
  if (s.visibility === 'hidden' || s.display === 'none') { return false; }
  const box = el.getBoundingClientRect();
  // Visually hidden on purpose (the sr-only pattern): read aloud, not seen.
  return box.width > 1 && box.height > 1 && !(s.clip && s.clip.startsWith('rect(0'));
};
"""

UNLABELLED = DESCRIBE + """
() => {
  const name = (el) => {
    const aria = (el.getAttribute('aria-label') || '').trim();
    if (aria) { return aria; }
    const by = el.getAttribute('aria-labelledby');
    if (by) {
      const text = by.split(/\\s+/).map((id) => (document.getElementById(id) || {}).textContent || '').join(' ').trim();
      if (text) { return text; }
    }
    if (el.labels && el.labels.length) {
      const text = Array.from(el.labels).map((l) => l.textContent).join(' ').trim();
      if (text) { return text; }
    }
    if (['BUTTON', 'A', 'SUMMARY'].includes(el.tagName)) {
      const text = (el.innerText || el.textContent || '').trim();
      if (text) { return text; }
      const img = el.querySelector('img[alt], svg[aria-label]');
      if (img) { return img.getAttribute('alt') || img.getAttribute('aria-label'); }
    }
    if (el.tagName === 'INPUT' && ['submit', 'button', 'reset'].includes(el.type)) { return el.value; }
    return (el.getAttribute('title') || '').trim();
  };
  const controls = document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, a[href], summary, [role=button]');
  return Array.from(controls).filter((el) => !name(el)).map(describe);
}
"""

FOCUS = DESCRIBE + """
() => {
  const missing = [];
  const candidates = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])');
  let checked = 0;
  for (const el of candidates) {
    if (el.disabled || !shown(el)) { continue; }
    // As when reached with the keyboard: focusVisible asks for the keyboard focus style.
    el.focus({ preventScroll: true, focusVisible: true });
    if (document.activeElement !== el) { continue; }
    checked += 1;
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
      && !/rgba\\([^)]*,\\s*0\\)/.test(s.outlineColor) && s.outlineColor !== 'transparent';
    const ring = s.boxShadow && s.boxShadow !== 'none';
    if (!outline && !ring) { missing.push(describe(el)); }
  }
  if (document.activeElement && document.activeElement.blur) { document.activeElement.blur(); }
  return { checked, missing };
}
"""

# WCAG 2 relative luminance and contrast ratio. The background is what the browser paints under
# the text: the elements stacked at the centre of its first line (elementsFromPoint), from the text's
# own element down, each background faded by the opacity it inherits, over a white canvas.
CONTRAST = DESCRIBE + """
(minimum) => {
  const parse = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) { return null; }
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(parseFloat);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => {
    const a = top.a + bottom.a * (1 - top.a);
    if (a === 0) { return { r: 0, g: 0, b: 0, a: 0 }; }
    const mix = (k) => (top[k] * top.a + bottom[k] * bottom.a * (1 - top.a)) / a;
    return { r: mix('r'), g: mix('g'), b: mix('b'), a };
  };
  const opacity = (el) => {
    let o = 1;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      o *= parseFloat(getComputedStyle(node).opacity);
    }
    return o;
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  // The point where the element's own text starts to be drawn.
  const textPoint = (el) => {
    for (const n of el.childNodes) {
      if (n.nodeType !== 3 || !n.textContent.trim()) { continue; }
      const range = document.createRange();
      range.selectNodeContents(n);
      const box = Array.from(range.getClientRects()).find((r) => r.width > 0 && r.height > 0);
      if (box) { return [box.left + Math.min(box.width / 2, 8), box.top + box.height / 2]; }
    }
    const box = el.getBoundingClientRect();
    return [box.left + box.width / 2, box.top + box.height / 2];
  };
  const failures = [];
  let checked = 0;
  const unknown = [];
  const formField = (el) => ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName);
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg, template, [hidden]') || el.tagName === 'OPTION') { continue; }
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    const value = formField(el) && !['hidden', 'checkbox', 'radio', 'file'].includes(el.type)
      && String(el.value || '').trim();
    if (!own && !value) { continue; }
    // Inactive controls are exempt (WCAG 1.4.3).
    if (el.disabled || el.closest('button:disabled') || !shown(el)) { continue; }
    // Bring the text into view: within its own scrolling box first (a sheet over the page), then the page.
    const inView = (p) => p[0] >= 1 && p[1] >= 1 && p[0] < innerWidth - 2 && p[1] < innerHeight - 2;
    let point = textPoint(el);
    if (!inView(point)) { el.scrollIntoView({ block: 'center', inline: 'nearest' }); point = textPoint(el); }
    if (!inView(point)) { window.scrollBy(0, point[1] - innerHeight / 2); point = textPoint(el); }
    const [x, y] = point;
    const stack = document.elementsFromPoint(x, y);
    const from = stack.indexOf(el);
    if (from < 0) { unknown.push(describe(el) + ' (not found where its text is drawn)'); continue; }
    let bg = { r: 0, g: 0, b: 0, a: 0 };
    let known = true;
    for (const layer of stack.slice(from)) {
      const s = getComputedStyle(layer);
      if (s.backgroundImage !== 'none' && bg.a < 1) { known = false; break; }
      const colour = parse(s.backgroundColor);
      if (colour) { bg = over(bg, { ...colour, a: colour.a * opacity(layer) }); }
      if (bg.a >= 1) { break; }
    }
    if (!known) { unknown.push(describe(el) + ' (over a background image)'); continue; }
    bg = over(bg, { r: 255, g: 255, b: 255, a: 1 });
    const text = parse(getComputedStyle(el).color);
    if (!text) { unknown.push(describe(el) + ' (colour ' + getComputedStyle(el).color + ')'); continue; }
    const fg = over({ ...text, a: text.a * opacity(el) }, bg);
    checked += 1;
    const [hi, lo] = [lum(fg), lum(bg)].sort((p, q) => q - p);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < minimum) { failures.push(describe(el) + ' ' + ratio.toFixed(2) + ':1'); }
  }
  window.scrollTo(0, 0);
  return { checked, unknown, failures };
}
"""


# Markup that came alive from typed text. Every hostile payload carries `marker`: in an event
# handler, an htmx or style attribute, or as the whole text of an element of its own
# (<b ...>pwn</b>), it means text was parsed as HTML; a javascript: address or an img with src=x
# means the same whatever it holds.
INJECTED = """
(marker) => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const active = name.startsWith('on') || name.startsWith('hx-') || name.startsWith('data-hx-')
        || name.startsWith('ws-') || name === 'style' || name === 'srcdoc';
      const address = ['href', 'src', 'action', 'formaction'].includes(name);
      const scripted = address && /^\\s*(javascript|vbscript|data:text\\/html)/i.test(attr.value);
      if ((active && attr.value.includes(marker)) || scripted) {
        found.push(el.tagName + ' ' + name + '=' + attr.value.slice(0, 60));
      }
    }
    if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') { found.push('img src=x'); }
    if (['IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName)) { found.push(el.tagName); }
    if (el.tagName === 'SCRIPT' && !el.src && !/json/.test(el.type) && el.textContent.includes(marker)) {
      found.push('inline script: ' + el.textContent.slice(0, 60));
    }
    if (!['SCRIPT', 'STYLE', 'TITLE', 'TEXTAREA', 'OPTION'].includes(el.tagName) && el.textContent.trim() === marker) {
      found.push('element of its own: ' + el.outerHTML.slice(0, 80));
    }
  }
  return { found, ran: window.__pwned === undefined ? null : String(window.__pwned) };
}
"""


def unlabelled(page) -> list[str]:
    return page.evaluate(UNLABELLED)


def focus_missing(page) -> list[str]:
    """Controls that show no focus ring when reached with the keyboard."""
    result = page.evaluate(FOCUS)
    assert result["checked"] > 0, f"no focusable control found on {page.url}"
    return result["missing"]


def contrast_failures(page, minimum: float = 4.5) -> list[str]:
    """Text below `minimum`:1, and text whose contrast could not be measured (a failure too)."""
    result = page.evaluate(CONTRAST, minimum)
    assert result["checked"] > 5, f"too little text checked on {page.url}: {result}"
    return result["failures"] + result["unknown"]


def basics(page, contrast: bool = False) -> None:
    """Language, labels and focus on any page; contrast too on participant and projector pages."""
    # Styles apply once their sheets are in: the DOM may be queried before that.
    page.wait_for_load_state("load")
    lang = page.evaluate("document.documentElement.lang")
    assert lang == "fr", f"{page.url}: lang={lang!r}"
    assert unlabelled(page) == [], f"{page.url}: controls without a label: {unlabelled(page)}"
    missing = focus_missing(page)
    assert missing == [], f"{page.url}: no visible focus on {missing}"
    if contrast:
        failures = contrast_failures(page)
        assert failures == [], f"{page.url}: text below 4.5:1: {failures}"


def injected(page, marker: str) -> dict:
    return page.evaluate(INJECTED, marker)
