// Plain SVG charts for HQ's dashboard (no library: bars and one line are a few dozen lines).
// Each chart is an <svg role="img"> with a label that reads the numbers out, and a <title> per mark.
const charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const COLOURS = { bar: "#8a3b12", track: "#efe9e2", text: "#1d1b19", muted: "#5f5a54", line: "#1f6b3a", grid: "#e3ddd5" };

  function svg(tag, attributes = {}, text) {
    const node = document.createElementNS(NS, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const pct = (v) => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);

  // Horizontal bars of shares (0–1): [{label, value, note}] — each label on its own line above
  // its bar (rule ids such as "dressed-mannequins" are long: a label column beside the bar cut
  // them), cut at the end with "…" only when wider than the chart; the full name stays in the
  // chart's aria-label (screen readers) and in each row's <title> (hover).
  function bars(container, items, label) {
    if (!items.length) { container.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: t("hq.noData") })); return; }
    const row = 42, barWidth = 340, width = barWidth + 60;
    const root = svg("svg", { viewBox: `0 0 ${width} ${items.length * row + 2}`, role: "img", class: "bars",
      "aria-label": `${label}: ${items.map((i) => `${i.label} ${pct(i.value)}`).join(", ")}` });
    const names = [];
    items.forEach((item, n) => {
      const y = n * row;
      const g = svg("g");
      g.append(svg("title", {}, `${item.label}: ${pct(item.value)}${item.note ? " · " + item.note : ""}`));
      const name = svg("text", { x: 0, y: y + 14, fill: COLOURS.text, "font-size": 13 }, item.label);
      names.push(name);
      g.append(name);
      g.append(svg("rect", { x: 0, y: y + 20, width: barWidth, height: 16, rx: 3, fill: COLOURS.track }));
      if (item.value !== null && item.value !== undefined) {
        g.append(svg("rect", { x: 0, y: y + 20, width: Math.max(1, barWidth * item.value), height: 16, rx: 3, fill: COLOURS.bar }));
      }
      g.append(svg("text", { x: barWidth + 8, y: y + 33, fill: COLOURS.text, "font-size": 13 }, pct(item.value)));
      root.append(g);
    });
    container.replaceChildren(root);
    for (const name of names) fit(name, width);
  }

  // Cut a drawn text at the end ("…") until it fits in `room` (SVG units); text too long for any
  // chart only: the measure needs the text drawn, hence after it is in the page.
  function fit(node, room) {
    if (typeof node.getComputedTextLength !== "function" || node.getComputedTextLength() <= room) return;
    const full = node.textContent;
    let keep = full.length;
    while (keep > 1 && node.getComputedTextLength() > room) node.textContent = full.slice(0, --keep).trimEnd() + "…";
  }

  // A line of shares over time: [{label, value}] in order; gaps (null) break nothing, they are skipped.
  function line(container, points, label) {
    const known = points.filter((p) => p.value !== null && p.value !== undefined);
    if (!known.length) { container.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: t("hq.noData") })); return; }
    const width = 420, height = 190, left = 40, right = 12, top = 12, bottom = 36;
    const x = (i) => left + (points.length === 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (points.length - 1));
    const y = (v) => top + (1 - v) * (height - top - bottom);
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "line",
      "aria-label": `${label}: ${points.map((p) => `${p.label} ${pct(p.value)}`).join(", ")}` });
    for (const v of [0, 0.5, 1]) {
      root.append(svg("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), stroke: COLOURS.grid }));
      root.append(svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", fill: COLOURS.muted, "font-size": 11 }, pct(v)));
    }
    const path = points.map((p, i) => (p.value === null || p.value === undefined ? null : `${x(i)},${y(p.value)}`)).filter(Boolean);
    root.append(svg("polyline", { points: path.join(" "), fill: "none", stroke: COLOURS.line, "stroke-width": 2.5 }));
    points.forEach((p, i) => {
      if (points.length <= 8 || i % Math.ceil(points.length / 8) === 0 || i === points.length - 1) {
        root.append(svg("text", { x: x(i), y: height - 12, "text-anchor": "middle", fill: COLOURS.muted, "font-size": 11 }, p.label));
      }
      if (p.value === null || p.value === undefined) return;
      const dot = svg("circle", { cx: x(i), cy: y(p.value), r: 4, fill: COLOURS.line });
      dot.append(svg("title", {}, `${p.label}: ${pct(p.value)}`));
      root.append(dot);
    });
    container.replaceChildren(root);
  }

  // A range on a 0–1 axis (lowest to highest regional pass rate) with the overall rate marked.
  function range(low, high, mark, label) {
    const width = 120, height = 16, x = (v) => 2 + v * (width - 4);
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "range", "aria-label": label });
    root.append(svg("line", { x1: 2, x2: width - 2, y1: 8, y2: 8, stroke: COLOURS.grid, "stroke-width": 4 }));
    if (low !== null && high !== null) root.append(svg("line", { x1: x(low), x2: x(high), y1: 8, y2: 8, stroke: COLOURS.bar, "stroke-width": 6, "stroke-linecap": "round" }));
    if (mark !== null) root.append(svg("circle", { cx: x(mark), cy: 8, r: 4, fill: COLOURS.text }));
    return root;
  }

  return { bars, line, range };
})();
