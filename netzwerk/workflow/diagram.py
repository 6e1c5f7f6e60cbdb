"""Server-side SVG diagrams of workflow definitions (no JavaScript).

A layered ("Sugiyama") layout, small enough to read in one sitting:

1. Rows: each state sits in the row of the longest way to it from the
   initial state (transitions that lead back are left out for this); final
   states share the bottom row, so exits do not clutter the way through.
2. Between two rows of states lies a row for the arrows: an arrow that
   spans several rows passes each row on a placeholder of its own, and its
   label is such a placeholder, in the row next to its target.  A step from
   several states into one has one label, where its arrows meet.
3. Within a row, the order follows the neighbours' average position (a few
   sweeps down and up, keeping the order with the fewest crossings), and
   the horizontal positions are the closest to the neighbours' average that
   keep the row's items apart (pool-adjacent-violators).

So no label overlaps a state, another label or a line of another row by
construction: every box and label has a slot of its own in its row, and
lines bend only between rows.  Steps back are dashed; a step that stays in
its state is a loop on the right of its box.  Only presentation attributes
are used (the CSP forbids inline styles).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from .definition import WorkflowDefinition

FONT_SIZE = 12
CHAR_W = 7.0  # generous width of a 12px sans-serif character (DejaVu Sans)
BOX_W = 210
BOX_LINE_H = 16
BOX_PAD_Y = 12
STATE_WRAP = 26
LABEL_WRAP = 24
LABEL_LINE_H = 15
LABEL_PAD_X = 7
LABEL_PAD_Y = 4
NODE_GAP = 26  # between two items of one row
DUMMY_W = 8
ROW_GAP = 30  # vertical room between two rows, where lines bend
LOOP_W = 26
MARGIN = 24
TOP_EXTRA = 20  # the start marker above the initial state
SWEEPS = 8

LINE_COLOUR = "#334155"
BACK_COLOUR = "#64748b"


@dataclass(eq=False)
class _Node:
    rank: int
    w: float
    h: float
    state: str | None = None  # a state's box; None: a placeholder of an arrow
    lines: list[str] = field(default_factory=list)  # a state's title or a label
    back: bool = False  # a placeholder on a step back (dashed)
    loops: list[list[str]] = field(default_factory=list)  # labels of loops
    x: float = 0.0  # centre of the slot
    up: list[_Node] = field(default_factory=list)  # neighbours in the row above
    down: list[_Node] = field(default_factory=list)  # ... and below

    @property
    def box_w(self) -> float:
        return BOX_W if self.state is not None else self.w

    @property
    def left(self) -> float:
        return self.x - self.w / 2

    @property
    def box_cx(self) -> float:
        return self.left + self.box_w / 2


@dataclass(eq=False)
class _Segment:
    upper: _Node
    lower: _Node
    back: bool
    arrow_up: bool = False  # the arrowhead points into the upper state
    arrow_down: bool = False  # ... into the lower state


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines or [text]


def _text_width(text: str) -> float:
    return len(text) * CHAR_W


def _label_size(lines: list[str]) -> tuple[float, float]:
    width = max(_text_width(line) for line in lines) + 2 * LABEL_PAD_X
    return width, len(lines) * LABEL_LINE_H + 2 * LABEL_PAD_Y


def layers(definition: WorkflowDefinition) -> dict[str, int]:
    """The row of each state: the longest way to it from the initial state
    without steps back (found depth first); final states share the bottom
    row."""
    states = list(definition.states)
    successors: dict[str, list[str]] = {name: [] for name in states}
    for t in definition.transitions.values():
        for source in t.from_states:
            if source in successors and t.to in successors and t.to != source:
                successors[source].append(t.to)
    # Depth first from the initial state: an arrow to a state on the current
    # path leads back and is left out of the ordering.
    forward: dict[str, list[str]] = {name: [] for name in states}
    visited: set[str] = set()
    on_path: set[str] = set()
    roots = [definition.initial, *[n for n in states if n != definition.initial]]
    for root in roots:
        if root in visited or root not in successors:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        visited.add(root)
        on_path.add(root)
        while stack:
            node, index = stack[-1]
            if index < len(successors[node]):
                stack[-1] = (node, index + 1)
                nxt = successors[node][index]
                if nxt in on_path:
                    continue
                forward[node].append(nxt)
                if nxt not in visited:
                    visited.add(nxt)
                    on_path.add(nxt)
                    stack.append((nxt, 0))
            else:
                on_path.discard(node)
                stack.pop()
    # Longest path in the remaining acyclic graph (Kahn's order).
    incoming = dict.fromkeys(states, 0)
    for node in states:
        for nxt in forward[node]:
            incoming[nxt] += 1
    layer = dict.fromkeys(states, 0)
    queue = deque(n for n in states if incoming[n] == 0)
    while queue:
        node = queue.popleft()
        for nxt in forward[node]:
            layer[nxt] = max(layer[nxt], layer[node] + 1)
            incoming[nxt] -= 1
            if incoming[nxt] == 0:
                queue.append(nxt)
    open_rows = [layer[n] for n, st in definition.states.items() if not st.final]
    bottom = (max(open_rows) + 1) if open_rows else 1
    for name, state in definition.states.items():
        if state.final and name != definition.initial:
            layer[name] = bottom
    return layer


class _Layout:
    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self.layer = layers(definition)
        self.rows: dict[int, list[_Node]] = {}
        self.segments: list[_Segment] = []
        self.labels: list[_Node] = []
        self.states: dict[str, _Node] = {}
        self._build()
        self._order()
        self._place()

    # --- graph -------------------------------------------------------------

    def _add(self, node: _Node) -> _Node:
        self.rows.setdefault(node.rank, []).append(node)
        return node

    def _link(self, upper: _Node, lower: _Node, back: bool, **arrows: bool) -> None:
        self.segments.append(_Segment(upper, lower, back, **arrows))
        upper.down.append(lower)
        lower.up.append(upper)

    def _chain(self, upper: _Node, lower: _Node, back: bool) -> None:
        """Placeholders in every row between ``upper`` and ``lower``."""
        current = upper
        for rank in range(upper.rank + 1, lower.rank):
            dummy = self._add(_Node(rank, DUMMY_W, 0, back=back))
            self._link(current, dummy, back)
            current = dummy
        self._link(current, lower, back)

    def _build(self) -> None:
        d = self.definition
        for name, state in d.states.items():
            lines = _wrap(state.title, STATE_WRAP)
            h = BOX_PAD_Y * 2 + BOX_LINE_H * len(lines)
            node = _Node(2 * self.layer[name], BOX_W, h, state=name, lines=lines)
            self.states[name] = self._add(node)
        for t in d.transitions.values():
            if t.to not in self.states:
                continue
            target = self.states[t.to]
            groups: dict[str, list[str]] = {}
            for source in t.from_states:
                if source not in self.states:
                    continue
                if source == t.to:
                    target.loops.append(_wrap(t.label, LABEL_WRAP))
                    continue
                diff = self.layer[t.to] - self.layer[source]
                kind = "down" if diff > 0 else ("up" if diff < 0 else "flat")
                groups.setdefault(kind, []).append(source)
            lines = _wrap(t.label, LABEL_WRAP)
            label_w, label_h = _label_size(lines)
            for kind, sources in groups.items():
                back = kind == "up"
                rank = target.rank - 1 if kind == "down" else target.rank + 1
                label = self._add(_Node(rank, label_w, label_h, lines=lines, back=back))
                self.labels.append(label)
                if kind == "down":
                    for source in sources:
                        self._chain(self.states[source], label, back)
                    self._link(label, target, back, arrow_down=True)
                else:
                    self._link(target, label, back, arrow_up=True)
                    for source in sources:
                        self._chain(label, self.states[source], back)
        for node in self.states.values():
            if node.loops:
                widest = max(_label_size(lines)[0] for lines in node.loops)
                node.w = BOX_W + LOOP_W + 6 + widest
                node.h = max(node.h, sum(_label_size(lines)[1] + 4 for lines in node.loops))

    # --- order within the rows ------------------------------------------

    def _crossings(self) -> int:
        position = {id(n): i for row in self.rows.values() for i, n in enumerate(row)}
        total = 0
        by_rank: dict[int, list[tuple[int, int]]] = {}
        for seg in self.segments:
            pair = (position[id(seg.upper)], position[id(seg.lower)])
            by_rank.setdefault(seg.upper.rank, []).append(pair)
        for pairs in by_rank.values():
            for i, (a1, b1) in enumerate(pairs):
                for a2, b2 in pairs[i + 1 :]:
                    if (a1 - a2) * (b1 - b2) < 0:
                        total += 1
        return total

    def _sweep(self, ranks: list[int], downwards: bool) -> None:
        for rank in ranks:
            row = self.rows[rank]
            neighbour_row = self.rows.get(rank - 1 if downwards else rank + 1, [])
            position = {id(n): i for i, n in enumerate(neighbour_row)}
            keyed = []
            for i, node in enumerate(row):
                neighbours = [position[id(m)] for m in (node.up if downwards else node.down)]
                key = sum(neighbours) / len(neighbours) if neighbours else float(i)
                keyed.append((key, i, node))
            keyed.sort(key=lambda item: (item[0], item[1]))
            self.rows[rank] = [node for _, _, node in keyed]

    def _order(self) -> None:
        ranks = sorted(self.rows)
        best = {r: list(row) for r, row in self.rows.items()}
        fewest = self._crossings()
        for i in range(SWEEPS):
            if i % 2 == 0:
                self._sweep(ranks[1:], downwards=True)
            else:
                self._sweep(list(reversed(ranks[:-1])), downwards=False)
            crossings = self._crossings()
            if crossings < fewest:
                fewest = crossings
                best = {r: list(row) for r, row in self.rows.items()}
        self.rows = best

    # --- positions ------------------------------------------------------

    @staticmethod
    def _fit(row: list[_Node], wanted: list[float]) -> None:
        """Centres as close as possible (least squares) to ``wanted`` while
        every item keeps its order and its distance (pool-adjacent-
        violators on the centres minus the least offsets)."""
        offsets = [0.0]
        for left, right in zip(row, row[1:], strict=False):
            offsets.append(offsets[-1] + (left.w + right.w) / 2 + NODE_GAP)
        blocks: list[list[float]] = []  # [mean, count]
        for value in (w - o for w, o in zip(wanted, offsets, strict=True)):
            blocks.append([value, 1.0])
            while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
                mean2, n2 = blocks.pop()
                mean1, n1 = blocks.pop()
                blocks.append([(mean1 * n1 + mean2 * n2) / (n1 + n2), n1 + n2])
        values: list[float] = []
        for mean, count in blocks:
            values.extend([mean] * int(count))
        for node, value, offset in zip(row, values, offsets, strict=True):
            node.x = value + offset

    def _place(self) -> None:
        ranks = sorted(self.rows)
        for rank in ranks:  # packed and centred to begin with
            row = self.rows[rank]
            self._fit(row, [0.0] * len(row))
        for i in range(SWEEPS):
            order = ranks if i % 2 == 0 else list(reversed(ranks))
            for rank in order:
                row = self.rows[rank]
                wanted = []
                for node in row:
                    if i >= SWEEPS - 2:
                        neighbours = node.up + node.down
                    else:
                        neighbours = node.up if i % 2 == 0 else node.down
                    wanted.append(
                        sum(m.box_cx + (node.w - node.box_w) / 2 for m in neighbours)
                        / len(neighbours)
                        if neighbours
                        else node.x
                    )
                self._fit(row, wanted)
        left = min(node.left for row in self.rows.values() for node in row)
        for row in self.rows.values():
            for node in row:
                node.x += MARGIN - left
        # Rows from the top: each as high as its highest item.
        self.band_top: dict[int, float] = {}
        self.band_h: dict[int, float] = {}
        y: float = MARGIN + TOP_EXTRA
        for rank in range(ranks[0], ranks[-1] + 1):
            row = self.rows.get(rank, [])
            height = max((n.h for n in row), default=0.0)
            self.band_top[rank], self.band_h[rank] = y, height
            y += height + ROW_GAP
        self.height = y - ROW_GAP + MARGIN
        self.width = max(n.left + n.w for row in self.rows.values() for n in row) + MARGIN

    def top(self, node: _Node) -> float:
        return self.band_top[node.rank] + (self.band_h[node.rank] - node.h) / 2

    def bottom(self, node: _Node) -> float:
        return self.top(node) + node.h


def _ports(layout: _Layout) -> dict[tuple[int, bool], float]:
    """Where each segment meets a state's box: spread along the box's top or
    bottom edge, ordered by the other end."""
    ports: dict[tuple[int, bool], float] = {}
    sides: dict[tuple[int, bool], list[tuple[float, int]]] = {}
    for i, seg in enumerate(layout.segments):
        if seg.upper.state is not None:
            sides.setdefault((id(seg.upper), False), []).append((seg.lower.box_cx, i))
        if seg.lower.state is not None:
            sides.setdefault((id(seg.lower), True), []).append((seg.upper.box_cx, i))
    nodes = {id(n): n for n in layout.states.values()}
    for (node_id, is_top), ends in sides.items():
        node = nodes[node_id]
        ends.sort()
        for k, (_, i) in enumerate(ends):
            ports[(i, is_top)] = node.left + node.box_w * (k + 1) / (len(ends) + 1)
    return ports


def _text(
    x: float, y: float, lines: list[str], line_h: float, fill: str = "#0f172a", extra: str = ""
) -> str:
    """One <text>; its lines as <tspan>s that keep the spaces between them,
    so that the text reads (and is found) as one."""
    spans = []
    for k, line in enumerate(lines):
        sep = " " if k < len(lines) - 1 else ""
        dy = "0" if k == 0 else f"{line_h:g}"
        spans.append(f'<tspan x="{x:.1f}" dy="{dy}">{escape(line + sep)}</tspan>')
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="{fill}"{extra}>'
        + "".join(spans)
        + "</text>"
    )


def render_svg(definition: WorkflowDefinition, id_prefix: str = "wf") -> Markup:
    """The diagram as an SVG document fragment (safe to embed in HTML)."""
    layout = _Layout(definition)
    width, height = layout.width, layout.height
    p = escape(id_prefix)
    out: list[str] = []
    title_id, desc_id, arrow_id = f"{p}-title", f"{p}-desc", f"{p}-arrow"
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" '
        f'font-family="DejaVu Sans, Verdana, sans-serif" font-size="{FONT_SIZE}">'
    )
    out.append(f'<title id="{title_id}">{escape(definition.title)}</title>')
    desc = "; ".join(
        f"{t.label}: {', '.join(definition.state_title(s) for s in t.from_states)} → "
        f"{definition.state_title(t.to)}"
        for t in definition.transitions.values()
    )
    out.append(f'<desc id="{desc_id}">{escape(desc)}</desc>')
    out.append(
        f'<defs><marker id="{arrow_id}" viewBox="0 0 10 10" refX="10" refY="5" '
        f'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{LINE_COLOUR}"/></marker></defs>'
    )

    # Lines first, so boxes and labels are drawn over their ends.
    ports = _ports(layout)
    for i, seg in enumerate(layout.segments):
        upper, lower = seg.upper, seg.lower
        x1 = ports.get((i, False), upper.box_cx)
        x2 = ports.get((i, True), lower.box_cx)
        band_bottom = layout.band_top[upper.rank] + layout.band_h[upper.rank]
        band_top = layout.band_top[lower.rank]
        y1 = layout.bottom(upper) if upper.state is not None else layout.top(upper) + upper.h / 2
        y2 = layout.top(lower) if lower.state is not None else layout.top(lower) + lower.h / 2
        ym = (band_bottom + band_top) / 2
        d = f"M{x1:.1f},{y1:.1f}"
        if band_bottom - y1 > 0.5:
            d += f" L{x1:.1f},{band_bottom:.1f}"
        d += f" C{x1:.1f},{ym:.1f} {x2:.1f},{ym:.1f} {x2:.1f},{band_top:.1f}"
        if y2 - band_top > 0.5:
            d += f" L{x2:.1f},{y2:.1f}"
        style = (
            f'stroke="{BACK_COLOUR}" stroke-width="1.3" stroke-dasharray="5 3"'
            if seg.back
            else f'stroke="{LINE_COLOUR}" stroke-width="1.5"'
        )
        marker = ""
        if seg.arrow_down:
            marker += f' marker-end="url(#{arrow_id})"'
        if seg.arrow_up:
            marker += f' marker-start="url(#{arrow_id})"'
        out.append(f'<path d="{d}" fill="none" {style}{marker}/>')

    for node in layout.states.values():
        top = layout.top(node)
        box_h = BOX_PAD_Y * 2 + BOX_LINE_H * len(node.lines)
        box_y = top + (node.h - box_h) / 2
        state = definition.states[node.state or ""]
        final = state.final
        initial = node.state == definition.initial
        fill = "#e3f4e6" if final else ("#e8f0f8" if initial else "#ffffff")
        stroke_w = "2.5" if initial else "1.5"
        out.append(f'<g class="state" data-state="{escape(node.state)}">')
        out.append(
            f'<rect x="{node.left:.1f}" y="{box_y:.1f}" width="{BOX_W}" height="{box_h:.1f}" '
            f'rx="8" fill="{fill}" stroke="#1f4e79" stroke-width="{stroke_w}"/>'
        )
        if final:
            out.append(
                f'<rect x="{node.left + 4:.1f}" y="{box_y + 4:.1f}" width="{BOX_W - 8}" '
                f'height="{box_h - 8:.1f}" rx="5" fill="none" stroke="#1f4e79" '
                f'stroke-width="1"/>'
            )
        if initial:
            cx = node.box_cx
            out.append(
                f'<circle cx="{cx:.1f}" cy="{box_y - 14:.1f}" r="5" fill="#1f4e79"/>'
                f'<line x1="{cx:.1f}" y1="{box_y - 9:.1f}" x2="{cx:.1f}" '
                f'y2="{box_y:.1f}" stroke="#1f4e79" stroke-width="1.5" '
                f'marker-end="url(#{arrow_id})"/>'
            )
        weight = ' font-weight="bold"' if initial or final else ""
        out.append(
            _text(
                node.box_cx,
                box_y + BOX_PAD_Y + BOX_LINE_H - 4,
                node.lines,
                BOX_LINE_H,
                extra=weight,
            )
        )
        out.append("</g>")
        # Steps that stay in the state: a loop on the right, labelled beside it.
        ly = top + (node.h - sum(_label_size(lines)[1] + 4 for lines in node.loops)) / 2
        for lines in node.loops:
            w, h = _label_size(lines)
            right = node.left + BOX_W
            y_a, y_b = box_y + box_h * 0.3, box_y + box_h * 0.7
            out.append(
                f'<path d="M{right:.1f},{y_a:.1f} C{right + LOOP_W:.1f},{y_a - 6:.1f} '
                f'{right + LOOP_W:.1f},{y_b + 6:.1f} {right:.1f},{y_b:.1f}" fill="none" '
                f'stroke="{LINE_COLOUR}" stroke-width="1.5" marker-end="url(#{arrow_id})"/>'
            )
            out.append(_label(right + LOOP_W + 6 + w / 2, ly, w, h, lines))
            ly += h + 4

    for label in layout.labels:
        out.append(_label(label.x, layout.top(label), label.w, label.h, label.lines))
    out.append("</svg>")
    return Markup("\n".join(out))  # noqa: S704 - every value above is escaped


def _label(cx: float, top: float, w: float, h: float, lines: list[str]) -> str:
    first_baseline = top + LABEL_PAD_Y + LABEL_LINE_H - 4
    return (
        f'<g class="edge-label"><rect x="{cx - w / 2:.1f}" y="{top:.1f}" '
        f'width="{w:.1f}" height="{h:.1f}" rx="3" fill="#ffffff" '
        f'stroke="#cbd5e1" stroke-width="0.8"/>'
        + _text(cx, first_baseline, lines, LABEL_LINE_H, fill="#1e293b")
        + "</g>"
    )
