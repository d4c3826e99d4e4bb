"""A page as htmx-ext-ws 2.0.4 changes it: a small DOM and the out-of-band swaps of each frame.

What ws.js does with a message (read in static/vendor/htmx-ext-ws-2.0.4/ws.js and htmx 2.0.11):
every top-level element of the frame is swapped out of band, with its `hx-swap-oob` value or
"true". "true" replaces the element of the same id (outerHTML); "style" or "style:#selector"
uses that swap style on the target, with the element's children as content (except outerHTML);
the attribute is removed first; a target that is not found is skipped. Only `#id` selectors are
supported here; anything else fails loudly so the test does not silently miss a region.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
STYLES = {"outerHTML", "innerHTML", "beforeend", "afterbegin", "beforebegin", "afterend", "delete", "none"}


class Node:
    __slots__ = ("tag", "attrs", "children", "parent")

    def __init__(self, tag: str, attrs: dict | None = None):
        self.tag, self.attrs, self.children, self.parent = tag, dict(attrs or {}), [], None

    def append(self, child) -> None:
        if isinstance(child, Node):
            child.parent = self
        self.children.append(child)

    def find(self, element_id: str) -> "Node | None":
        for child in self.children:
            if isinstance(child, Node):
                if child.attrs.get("id") == element_id:
                    return child
                found = child.find(element_id)
                if found is not None:
                    return found
        return None

    def elements(self) -> list["Node"]:
        return [c for c in self.children if isinstance(c, Node)]


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs})
        self.stack[-1].append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].append(Node(tag, {k: (v if v is not None else "") for k, v in attrs}))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def _detach(node: Node) -> None:
    node.parent.children.remove(node)
    node.parent = None


def _insert(parent: Node, index: int, nodes: list) -> None:
    for offset, child in enumerate(nodes):
        if isinstance(child, Node):
            child.parent = parent
        parent.children.insert(index + offset, child)


class Page:
    """The live regions of one reader's page."""

    def __init__(self, html: str):
        self.root = parse(html)
        for node in self._all(self.root):
            node.attrs.pop("hx-swap-oob", None)
        self.missed: list[str] = []

    def _all(self, node: Node):
        for child in node.elements():
            yield child
            yield from self._all(child)

    def apply(self, frame: str) -> None:
        for element in parse(frame).elements():
            value = element.attrs.pop("hx-swap-oob", None) or "true"
            style, selector = "outerHTML", "#" + element.attrs.get("id", "")
            if value != "true":
                style, _, rest = value.partition(":")
                selector = rest or selector
            if style not in STYLES:
                raise AssertionError(f"swap style not emulated: {value!r}")
            if not re.fullmatch(r"#[\w-]+", selector):
                raise AssertionError(f"selector not emulated: {value!r}")
            target = self.root.find(selector[1:])
            if target is None:
                self.missed.append(selector)
                continue
            self._swap(style, target, element)

    def _swap(self, style: str, target: Node, element: Node) -> None:
        content = element.children
        # An element swapped in whole keeps its children, which a later fragment may target.
        if style != "outerHTML":
            for child in content:
                if isinstance(child, Node):
                    child.parent = None
        parent = target.parent
        if style == "outerHTML":
            index = parent.children.index(target)
            _detach(target)
            _insert(parent, index, [element])
        elif style == "innerHTML":
            target.children = []
            _insert(target, 0, content)
        elif style == "beforeend":
            _insert(target, len(target.children), content)
        elif style == "afterbegin":
            _insert(target, 0, content)
        elif style == "beforebegin":
            _insert(parent, parent.children.index(target), content)
        elif style == "afterend":
            _insert(parent, parent.children.index(target) + 1, content)
        elif style == "delete":
            _detach(target)

    def region(self, element_id: str) -> str | None:
        node = self.root.find(element_id)
        return None if node is None else canonical(node)


def canonical(node) -> str:
    """Markup with the differences a reader cannot see taken out: attribute order, runs of
    whitespace, the oob markers, and whether a <details> is open.

    A <details> is opened and closed by its reader: that is their own state of the page, not
    data. A fragment may open one on purpose (the facilitator goes on editing the categories
    after adding one) while a fresh render shows it closed; both are the same content."""
    if isinstance(node, str):
        return " ".join(node.split())
    attrs = " ".join(f'{k}="{v}"' for k, v in sorted(node.attrs.items())
                     if k != "hx-swap-oob" and not (k == "open" and node.tag == "details"))
    inner = "".join(part for part in (canonical(c) for c in node.children) if part)
    return f"<{node.tag} {attrs}>{inner}</{node.tag}>"


def regions(html: str) -> dict[str, str]:
    """The top-level regions of a frame, by id, in canonical form."""
    return {node.attrs["id"]: canonical(node) for node in parse(html).elements() if "id" in node.attrs}
