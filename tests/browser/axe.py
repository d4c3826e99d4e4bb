"""axe-core, the accessibility engine, run inside pages by the browser tests.

The engine is vendored for the tests only (tests/browser/vendor/, pinned, with its licence); it is
never under static/ and no page of the product loads it. It goes in as an init script, which the
browser runs through its debugging protocol: the pages' Content-Security-Policy stays as it is.
"""

from __future__ import annotations

from pathlib import Path

AXE_VERSION = "4.14.1"
AXE = Path(__file__).parent / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"

# The impacts a page must never have; "moderate" and "minor" are reported, not failed on.
BLOCKING = ("serious", "critical")

RUN = """
async () => {
  const result = await axe.run(document, {
    resultTypes: ['violations'],
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 160)),
  }));
}
"""


def install(context) -> None:
    """Every page of `context` gets axe; call before opening pages."""
    context.add_init_script(path=str(AXE))


def violations(page, blocking: tuple[str, ...] = BLOCKING) -> list[dict]:
    """axe's violations of the given impacts on the page as it is now."""
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return [v for v in page.evaluate(RUN) if v["impact"] in blocking]


def describe(found: list[dict]) -> str:
    return "\n".join(f"  [{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"][:6])
                     for v in found)
