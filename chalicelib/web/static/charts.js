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

  // Horizontal bars of shares (0–1): [{label, value, note}] — a label column, the bar, the figure.
  function bars(container, items, label) {
    if (!items.length) { container.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: t("hq.noData") })); return; }
    const row = 28, labelWidth = 130, barWidth = 220, width = labelWidth + barWidth + 70;
    const root = svg("svg", { viewBox: `0 0 ${width} ${items.length * row + 4}`, role: "img", class: "bars",
      "aria-label": `${label}: ${items.map((i) => `${i.label} ${pct(i.value)}`).join(", ")}` });
    items.forEach((item, n) => {
      const y = n * row + 4;
      const g = svg("g");
      g.append(svg("title", {}, `${item.label}: ${pct(item.value)}${item.note ? " · " + item.note : ""}`));
      const name = item.label.length > 18 ? item.label.slice(0, 17) + "…" : item.label;
      g.append(svg("text", { x: labelWidth - 8, y: y + 15, "text-anchor": "end", fill: COLOURS.text, "font-size": 13 }, name));
      g.append(svg("rect", { x: labelWidth, y: y + 2, width: barWidth, height: 18, rx: 3, fill: COLOURS.track }));
      if (item.value !== null && item.value !== undefined) {
        g.append(svg("rect", { x: labelWidth, y: y + 2, width: Math.max(1, barWidth * item.value), height: 18, rx: 3, fill: COLOURS.bar }));
      }
      g.append(svg("text", { x: labelWidth + barWidth + 8, y: y + 15, fill: COLOURS.text, "font-size": 13 }, pct(item.value)));
      root.append(g);
    });
    container.replaceChildren(root);
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
