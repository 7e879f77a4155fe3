// HQ's store list: import a CSV (every row is checked before any is written; the errors are shown
// by line and field, with the value from the file), then list and search the stores.
const { $, el } = hq;
const SHOWN = 200;
let stores = [];
let shown = SHOWN;

// A CSV line split into fields (quotes as spreadsheets write them): only to show the bad values.
function csvRows(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 1; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows.filter((r) => r.some((f) => f.trim()));
}

// The server names each problem "stores[<row>].<field>: <message>", joined by "; ".
function problemsOf(message) {
  const found = [];
  const pattern = /stores\[(\d+)\]\.?([\w.]*): (.*?)(?=; stores\[\d+\]|$)/g;
  let match;
  while ((match = pattern.exec(message))) found.push({ row: Number(match[1]), field: match[2] || "–", message: match[3] });
  return found;
}

async function upload(event) {
  event.preventDefault();
  const file = $("csv").files[0];
  $("errors").hidden = true;
  if (!file) { $("import-state").textContent = t("stores.pickFile"); $("csv").focus(); return; }
  $("import-state").textContent = t("stores.uploading");
  $("upload").disabled = true;
  const text = await file.text();
  try {
    const response = await session.fetch("/stores", { method: "PUT", headers: { "Content-Type": "text/csv" }, body: text });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) { session.showSignIn({ key: "signin.expired" }); return; }
    if (!response.ok) {
      const message = (body.error && body.error.message) || String(response.status);
      const found = problemsOf(message);
      if (!found.length) { $("import-state").textContent = t("stores.refused", { why: message }); return; }
      const lines = csvRows(text);
      const header = (lines[0] || []).map((h) => h.trim().replace(/^\ufeff/, ""));
      $("errors").tBodies[0].replaceChildren(...found.map((p) => {
        const values = lines[p.row + 1] || [];
        const column = header.indexOf(p.field);
        return el("tr", {}, el("td", { class: "num", text: String(p.row + 2) }), el("td", {}, el("code", { text: p.field })),
          el("td", { text: column >= 0 ? values[column] || "" : "" }), el("td", { text: p.message }));
      }));
      $("errors").hidden = false;
      $("import-state").textContent = t("stores.invalid", { n: found.length });
      return;
    }
    $("import-state").textContent = t("stores.imported", { n: body.imported });
    await loadStores();
  } catch (err) {
    $("import-state").textContent = t("stores.refused", { why: err.message });
  } finally {
    $("upload").disabled = false;
  }
}

async function loadStores() {
  $("list-state").textContent = t("hq.loading");
  stores = await hq.all("/stores", "stores", 500, (rows, more) => { stores = rows; loading = more; render(loading); });
  const regions = [...new Set(stores.map((s) => s.region))].sort();
  const current = $("region").value;
  $("region").replaceChildren(el("option", { value: "", text: t("gallery.allRegions") }), ...regions.map((r) => el("option", { value: r, text: r })));
  $("region").value = regions.includes(current) ? current : "";
  render();
}

function render(loading = false) {
  const words = $("search").value.trim().toLowerCase();
  const region = $("region").value;
  const rows = stores.filter((s) => (!region || s.region === region)
    && (!words || `${s.store_id} ${s.name} ${s.region} ${s.cluster}`.toLowerCase().includes(words)));
  $("stores").tBodies[0].replaceChildren(...rows.slice(0, shown).map((s) => el("tr", {},
    el("td", {}, el("code", { text: s.store_id })), el("td", { text: s.name }), el("td", { text: s.region }),
    el("td", { text: s.cluster || "–" }), el("td", { text: s.timezone }))));
  $("stores").hidden = !rows.length;
  $("more").hidden = rows.length <= shown;
  $("list-state").textContent = loading ? t("stores.loadingMore", { n: stores.length })
    : !stores.length ? t("stores.empty") : !rows.length ? t("stores.noMatch")
    : t("stores.count", { n: Math.min(shown, rows.length), total: rows.length });
}

hq.start(async () => {
  $("import").addEventListener("submit", upload);
  $("search").addEventListener("input", () => { shown = SHOWN; render(); });
  $("region").addEventListener("input", () => { shown = SHOWN; render(); });
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  $("more").addEventListener("click", () => { shown += SHOWN; render(); });
  document.addEventListener("languagechange", () => { if (stores) render(); });
  try { await loadStores(); } catch (err) { $("list-state").textContent = t("hq.loadFailed", { why: err.message }); }
});
