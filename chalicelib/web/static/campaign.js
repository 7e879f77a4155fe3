// HQ's campaign set-up: the details and targets (regions, clusters, stores from the store list), the
// guideline as YAML checked by the server (problems at their line), the pack files with previews,
// publishing with the number of stores it reaches, and the guideline versions with what changed.
// The store list is never read whole (thousands of stores): the regions and clusters come from its
// facets, the store picker searches on the server, the reach is counted there.
const { $, el, when } = hq;
const campaignId = decodeURIComponent(location.pathname.split("/").pop());
let campaign = null; // as stored; null while the campaign is new
let facets = { regions: [], clusters: [] }; // the store list's regions and clusters, with their stores
const known = {}; // stores met so far (searches, the named targets), by id
let reachCount = 0; // the stores the targets reach, as the server counts them
let reachAsked = 0; // a newer count makes an older answer stale
let chosen = new Set(); // stores named one by one
let badLines = new Set();

// Rule templates per type (the README's examples): a start the editor inserts at the end; the
// message for the store in the page's language (HQ usually writes to stores in its own).
const TEMPLATES = {
  photo_quality: (m) => `  - id: photo-sharp\n    type: photo_quality\n    message: ${m}\n    parameters: {check: sharpness, min: 27}\n`,
  artwork_present: (m) => `  - id: poster\n    type: artwork_present\n    zone: upper_half\n    message: ${m}\n    parameters: {artwork: poster.png, mode: required, min_share: 0.01, min_visible: 0.6}\n`,
  text: (m) => `  - id: promo-text\n    type: text\n    message: ${m}\n    parameters: {phrases: ["-30%"], mode: required, match: all, min_similarity: 0.8}\n`,
  objects: (m) => `  - id: nobody-in-front\n    type: objects\n    message: ${m}\n    parameters: {model: person_detect_mediapipe_blazepose, label: person, min_count: 0, max_count: 0}\n`,
  palette: (m) => `  - id: brand-colours\n    type: palette\n    message: ${m}\n    parameters: {colours: [{name: navy, hex: "#12346E", min_share: 0.01}], max_delta_e: 12}\n`,
  reference_similarity: (m) => `  - id: like-reference\n    type: reference_similarity\n    message: ${m}\n    parameters: {references: [reference.jpg], min_similarity: 0.93}\n`,
  lighting: (m) => `  - id: window-lit\n    type: lighting\n    zone: centre\n    message: ${m}\n    parameters: {min_ratio: 1.15}\n`,
};
const template = (type) => TEMPLATES[type](JSON.stringify(t("camp.tpl." + type))); // a JSON string is a YAML string
const starter = () => `version: 1\nname: ${JSON.stringify(t("camp.tplName"))}\nrules:\n` + template("photo_quality");

// --- YAML out (the stored guideline is JSON; the editor shows it as YAML) ----------------------------

function scalar(value) {
  if (value === null) return "null";
  if (typeof value !== "string") return String(value);
  const plain = /^[A-Za-z_][A-Za-z0-9 _.\/()'-]*$/.test(value) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(value)
    && !/\s$/.test(value);
  return plain ? value : JSON.stringify(value); // a JSON string is a YAML double-quoted scalar
}

function yaml(value, indent = "") {
  const lines = [];
  const entry = (prefix, v) => {
    if (Array.isArray(v) && !v.length) lines.push(`${prefix} []`);
    else if (v && typeof v === "object" && !Array.isArray(v) && !Object.keys(v).length) lines.push(`${prefix} {}`);
    else if (v && typeof v === "object") { lines.push(prefix); lines.push(yaml(v, indent + "  ")); }
    else lines.push(`${prefix} ${scalar(v)}`);
  };
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item && typeof item === "object" && !Array.isArray(item) && Object.keys(item).length) {
        const inner = yaml(item, indent + "  ").split("\n");
        lines.push(indent + "- " + inner[0].slice(indent.length + 2), ...inner.slice(1));
      } else entry(indent + "-", item);
    }
  } else {
    for (const [key, v] of Object.entries(value)) entry(`${indent}${key}:`, v);
  }
  return lines.join("\n");
}

// A stored guideline as a person writes it: id and type first, no empty zone.
function readable(guideline) {
  const rules = guideline.rules.map((rule) => {
    const { id, type, zone, ...rest } = rule;
    return { id, type, ...(zone === null || zone === undefined ? {} : { zone }), ...rest };
  });
  return { ...guideline, rules };
}

// --- the editor: line numbers, problems at their line ------------------------------------------------

function drawGutter() {
  const count = $("yaml").value.split("\n").length;
  const fragment = document.createDocumentFragment();
  for (let n = 1; n <= count; n += 1) fragment.append(el("span", { class: badLines.has(n) ? "bad" : null, text: String(n) }));
  $("gutter").replaceChildren(fragment);
  $("gutter").scrollTop = $("yaml").scrollTop;
}

function goToLine(line) {
  const text = $("yaml").value;
  const lines = text.split("\n");
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  const area = $("yaml");
  area.focus();
  area.setSelectionRange(start, start + (lines[line - 1] || "").length);
  const height = area.scrollHeight / Math.max(1, lines.length);
  area.scrollTop = Math.max(0, (line - 4) * height);
  drawGutter();
}

function showProblems(problems) {
  badLines = new Set(problems.map((p) => p.line).filter(Boolean));
  $("problems-title").textContent = problems.length ? t("camp.problems", { n: problems.length }) : "";
  $("problems").replaceChildren(...problems.map((p) => {
    const where = p.line ? t("camp.line", { n: p.line }) : "";
    const text = `${where}${p.path ? (where ? " · " : "") + p.path : ""}: ${p.message}`;
    if (!p.line) return el("li", { text });
    const go = el("button", { type: "button", text });
    go.addEventListener("click", () => goToLine(p.line));
    return el("li", {}, go);
  }));
  drawGutter();
}

async function checkYaml() {
  const answer = await session.api("POST", "/guidelines/check", { yaml: $("yaml").value });
  showProblems(answer.problems);
  return answer;
}

// --- a rule from a form: the fields of its type, as the guideline schema declares them ------------------

let ruleSchemas = null; // rule type -> {rule, parameters} JSON schemas, from the API's description

const deref = (schema, all) => (schema && schema.$ref ? all[schema.$ref.split("/").pop()] : schema);

async function loadRuleSchemas() {
  if (ruleSchemas) return ruleSchemas;
  const description = await session.api("GET", "/openapi.json");
  const all = description.components.schemas;
  ruleSchemas = {};
  for (const schema of Object.values(all)) {
    const type = schema.properties && schema.properties.type && schema.properties.type.const;
    if (type && schema.properties.parameters) ruleSchemas[type] = { rule: schema, parameters: deref(schema.properties.parameters, all) };
  }
  return ruleSchemas;
}

// A field's shape: its own schema, or the non-null choice of an "X or null".
function shapeOf(schema) {
  const choices = (schema.anyOf || [schema]).filter((c) => c.type !== "null");
  return { ...choices[0], nullable: Boolean(schema.anyOf && choices.length < schema.anyOf.length), default: schema.default };
}

function fieldFor(name, schema, required) {
  const shape = shapeOf(schema);
  const id = "rf-p-" + name;
  // the page's words for the parameter, and its YAML name (what the editor below shows)
  const label = el("label", { for: id }, hasString("camp.param." + name) ? t("camp.param." + name) : name, " ",
    el("code", { class: "muted small", text: name }), required ? " *" : "");
  let input;
  if (shape.enum) {
    input = el("select", { id, "data-param": name, "data-kind": "enum" },
      ...(required ? [] : [el("option", { value: "", text: t("camp.formDefault", { value: shape.default ?? "–" }) })]),
      ...shape.enum.map((v) => el("option", { value: v, text: v })));
  } else if (shape.type === "number" || shape.type === "integer") {
    input = el("input", { id, type: "number", step: shape.type === "integer" ? "1" : "any", min: shape.minimum ?? null,
      max: shape.maximum ?? null, placeholder: shape.default ?? "", "data-param": name, "data-kind": shape.type });
  } else if (shape.type === "array" && shape.items && (shape.items.type === "string" || shape.items.pattern)) {
    input = el("input", { id, "data-param": name, "data-kind": "list", placeholder: t("camp.formList") });
  } else if (shape.type === "array") { // a list of objects (brand colours): written as JSON
    input = el("input", { id, "data-param": name, "data-kind": "json", placeholder: '[{"name": "navy", "hex": "#12346E", "min_share": 0.01}]' });
  } else {
    input = el("input", { id, "data-param": name, "data-kind": "text", placeholder: shape.default ?? "" });
  }
  if (required) input.setAttribute("aria-required", "true");
  return el("div", {}, label, input);
}

async function drawRuleForm() {
  const type = $("rf-type").value;
  $("rf-state").textContent = t("hq.loading");
  try {
    const { rule, parameters } = (await loadRuleSchemas())[type];
    const zone = (rule.properties.zone && rule.properties.zone.anyOf || []).find((c) => c.enum);
    $("rf-zone").replaceChildren(el("option", { value: "", text: t("camp.formWhole") }),
      ...((zone && zone.enum) || []).filter((z) => z !== "whole").map((z) => el("option", { value: z,
        text: hasString("camp.zone." + z) ? t("camp.zone." + z) : z })));
    $("rf-zone").disabled = !zone;
    const required = parameters.required || [];
    $("rf-fields").replaceChildren(...Object.entries(parameters.properties).map(([name, schema]) => fieldFor(name, schema, required.includes(name))));
    if (!$("rf-id").value) $("rf-id").value = type.replace(/_/g, "-");
    $("rf-state").textContent = "";
  } catch (err) {
    $("rf-state").textContent = t("camp.formFailed", { why: err.message });
  }
}

// The rule the form describes, or the fields still to fill in.
function ruleFromForm() {
  const missing = [];
  const wrong = [];
  const parameters = {};
  for (const input of $("rf-fields").querySelectorAll("[data-param]")) {
    const raw = input.value.trim();
    const param = input.dataset.param;
    const named = hasString("camp.param." + param) ? t("camp.param." + param) : param;
    if (!raw) { if (input.getAttribute("aria-required")) missing.push(named); continue; }
    const kind = input.dataset.kind;
    if (kind === "number" || kind === "integer") parameters[input.dataset.param] = Number(raw);
    else if (kind === "list") parameters[input.dataset.param] = raw.split(",").map((v) => v.trim()).filter(Boolean);
    else if (kind === "json") {
      try { parameters[input.dataset.param] = JSON.parse(raw); } catch { wrong.push(named); }
    } else parameters[input.dataset.param] = raw;
  }
  const id = $("rf-id").value.trim();
  const message = $("rf-message").value.trim();
  if (!id) missing.unshift(t("camp.formId"));
  if (!message) missing.push(t("camp.formMessage"));
  if (missing.length || wrong.length) return { missing, wrong };
  const rule = { id, type: $("rf-type").value, ...($("rf-zone").value ? { zone: $("rf-zone").value } : {}), message, parameters };
  return { rule };
}

async function addRuleFromForm() {
  const { rule, missing, wrong } = ruleFromForm();
  if (!rule) {
    $("rf-state").textContent = missing.length ? t("camp.formMissing", { fields: missing.join(", ") })
      : t("camp.formBadJson", { fields: wrong.join(", ") });
    return;
  }
  const area = $("yaml");
  if (!/^rules:/m.test(area.value)) area.value = area.value.replace(/\n*$/, "\n") + "rules:\n";
  area.value = area.value.replace(/\n*$/, "\n") + yaml([rule], "  ") + "\n";
  drawGutter();
  try {
    const answer = await checkYaml();
    $("rf-state").textContent = answer.valid ? t("camp.formAdded", { id: rule.id }) : t("camp.formAddedProblems", { id: rule.id });
  } catch (err) { $("rf-state").textContent = err.message; }
}

// --- targets -------------------------------------------------------------------------------------------

function checks(container, values, selected, name, counts = {}) {
  container.replaceChildren(...values.map((v) => {
    const box = el("input", { type: "checkbox", value: v, name, checked: selected.includes(v) });
    box.addEventListener("change", countTargets);
    return el("label", {}, box, v, counts[v] === undefined ? null : el("span", { class: "muted small", text: `(${hq.num(counts[v])})` }));
  }));
  if (!values.length) container.append(el("span", { class: "muted small", text: t("camp.noneInList") }));
}

const ticked = (id) => [...$(id).querySelectorAll("input:checked")].map((b) => b.value);

function targets() {
  return { regions: ticked("regions"), clusters: ticked("clusters"), stores: [...chosen].sort() };
}

function drawChips() {
  const byId = known;
  $("store-chips").replaceChildren(...[...chosen].sort().map((id) => {
    const remove = el("button", { type: "button", "aria-label": t("camp.removeStore", { store: id }), text: "×" });
    remove.addEventListener("click", () => { chosen.delete(id); drawChips(); countTargets(); });
    return el("li", {}, el("span", { text: byId[id] ? `${id} · ${byId[id].name}` : `${id} · ${t("camp.unknownStore")}` }), remove);
  }));
}

// The picker's suggestions: the server's search (id, or the start of a word of the name).
let searchTimer = null;
let searchAsked = 0;
async function searchStores() {
  const q = $("store-pick").value.split(" · ")[0].trim();
  const asked = ++searchAsked;
  if (!q) { $("store-options").replaceChildren(); $("pick-state").textContent = ""; return; }
  try {
    const { stores: found } = await session.api("GET", `/stores/search?q=${encodeURIComponent(q)}&limit=20`);
    if (asked !== searchAsked) return;
    for (const store of found) known[store.store_id] = store;
    $("store-options").replaceChildren(...found.map((s) => el("option", { value: `${s.store_id} · ${s.name}`, label: `${s.name} · ${s.region}` })));
    $("pick-state").textContent = found.length ? t("camp.matches", { n: found.length }) : t("camp.noMatch", { q });
  } catch (err) {
    if (asked === searchAsked) $("pick-state").textContent = t("camp.searchFailed", { why: err.message });
  }
}

function addStore() {
  const id = $("store-pick").value.split(" · ")[0].trim();
  if (!id) return;
  chosen.add(id);
  $("store-pick").value = "";
  drawChips();
  countTargets();
}

// The stores the targets reach, as publishing will resolve them against the store list: counted by
// the server from the list's facets (and the named stores, which come back as the list has them).
async function countTargets() {
  const asked = ++reachAsked;
  $("target-count").textContent = t("camp.counting");
  try {
    const answer = await session.api("POST", "/stores/reach", targets());
    if (asked !== reachAsked) return;
    for (const store of answer.named) known[store.store_id] = store;
    reachCount = answer.stores;
    drawChips();
    drawCount();
  } catch (err) {
    if (asked === reachAsked) $("target-count").textContent = t("camp.countFailed", { why: err.message });
  }
}

function drawCount() {
  const n = reachCount;
  $("target-count").textContent = t("camp.targetCount", { n });
  const published = campaign && campaign.status === "published";
  $("publish").textContent = t(published ? "camp.publishAgain" : "camp.publishTo", { n });
  $("publish").disabled = !campaign || campaign.status === "closed" || !n;
  $("publish-hint").textContent = !campaign ? t("camp.saveFirst") : campaign.status === "closed" ? t("camp.closed")
    : published ? t("camp.publishedHint", { n: campaign.target_count }) : t("camp.draftHint");
}

// --- the pack --------------------------------------------------------------------------------------

function packNames() {
  const named = new Set();
  for (const rule of (campaign && campaign.guideline.rules) || []) {
    const p = rule.parameters || {};
    if (p.artwork) named.add(p.artwork);
    for (const r of p.references || []) named.add(r);
  }
  for (const name of (campaign && campaign.pack) || []) named.add(name);
  return [...named].sort();
}

function drawPack() {
  if (!campaign) { $("pack").replaceChildren(); $("pack-state").textContent = t("camp.saveFirst"); return; }
  const names = packNames();
  $("pack-state").textContent = names.length ? "" : t("camp.noPack");
  $("pack").replaceChildren(...names.map((name) => {
    const uploaded = campaign.pack.includes(name);
    const preview = el("img", { alt: t("camp.previewOf", { name }), src: uploaded ? campaign.pack_links[name] : null, hidden: !uploaded });
    const input = el("input", { type: "file", accept: "image/jpeg,image/png,image/webp", "aria-label": t("camp.chooseFor", { name }) });
    const state = el("p", { class: "small " + (uploaded ? "muted" : "problem"), text: t(uploaded ? "camp.uploaded" : "camp.missingFile") });
    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (!file) return;
      preview.src = URL.createObjectURL(file); // the preview before the upload finishes
      preview.hidden = false;
      state.className = "small muted";
      state.textContent = t("camp.uploading");
      try {
        const link = await session.api("POST", `/campaigns/${encodeURIComponent(campaignId)}/pack`, { name, content_type: file.type });
        const form = new FormData();
        for (const [k, v] of Object.entries(link.upload.fields)) form.append(k, v);
        form.append("file", file);
        const sent = await fetch(link.upload.url, { method: "POST", body: form });
        if (!sent.ok) throw new Error(t("camp.storageRefused", { status: sent.status }));
        state.textContent = t("camp.uploaded");
        campaign = await session.api("GET", "/campaigns/" + encodeURIComponent(campaignId));
      } catch (err) {
        state.className = "small problem";
        state.textContent = t("camp.uploadFailed", { why: err.message });
      }
    });
    // the input itself is hidden (style.css .file): the label is what a mouse sees and clicks
    const choose = el("label", { class: "button inline small-button file" }, t(uploaded ? "camp.replaceFile" : "camp.chooseFile"), input);
    return el("li", {}, preview, el("strong", { text: name }), state, choose);
  }));
}

// --- versions and what changed ---------------------------------------------------------------------

function flatten(value, prefix, out) {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = JSON.stringify(value);
  return out;
}

function diffOf(a, b) {
  const rulesOf = (g) => Object.fromEntries(g.rules.map((r) => [r.id, r]));
  const [ra, rb] = [rulesOf(a), rulesOf(b)];
  const lines = [];
  const header = (g) => Object.fromEntries(Object.entries(g).filter(([k]) => k !== "rules"));
  const [ha, hb] = [flatten(header(a), "", {}), flatten(header(b), "", {})];
  for (const k of new Set([...Object.keys(ha), ...Object.keys(hb)])) {
    if (ha[k] !== hb[k]) lines.push(["chg", `${k}: ${ha[k] ?? "–"} → ${hb[k] ?? "–"}`]);
  }
  for (const id of Object.keys(ra)) if (!(id in rb)) lines.push(["del", t("camp.ruleRemoved", { id })]);
  for (const id of Object.keys(rb)) {
    if (!(id in ra)) { lines.push(["add", t("camp.ruleAdded", { id, type: rb[id].type })]); continue; }
    const [fa, fb] = [flatten(ra[id], "", {}), flatten(rb[id], "", {})];
    for (const k of new Set([...Object.keys(fa), ...Object.keys(fb)])) {
      if (fa[k] !== fb[k]) lines.push(["chg", `${id} · ${k}: ${fa[k] ?? "–"} → ${fb[k] ?? "–"}`]);
    }
  }
  return lines;
}

const versionCache = {};
async function version(n) {
  if (!versionCache[n]) versionCache[n] = session.api("GET", `/campaigns/${encodeURIComponent(campaignId)}/guidelines/${n}`);
  return versionCache[n];
}

async function drawDiff() {
  const [from, to] = [$("diff-from").value, $("diff-to").value];
  if (!from || !to) { $("diff").replaceChildren(); return; }
  const [a, b] = await Promise.all([version(from), version(to)]);
  const lines = diffOf(a.guideline, b.guideline);
  $("diff").replaceChildren(...(lines.length ? lines : [["", t("camp.noChanges")]]).map(([cls, text]) =>
    el("li", { class: cls || null, text: (cls === "add" ? "+ " : cls === "del" ? "− " : cls === "chg" ? "~ " : "") + text })));
}

async function loadVersions() {
  if (!campaign) { $("versions").replaceChildren(el("li", { class: "empty", text: t("camp.noVersions") })); $("diff-form").hidden = true; return; }
  const { versions } = await session.api("GET", `/campaigns/${encodeURIComponent(campaignId)}/guidelines?limit=100`);
  $("versions").replaceChildren(...versions.map((v) => el("li", { value: v.version,
    text: t("camp.versionLine", { v: v.version, when: when(v.created_at), n: v.rules }) })));
  const options = () => versions.map((v) => el("option", { value: v.version, text: t("camp.versionN", { v: v.version }) }));
  $("diff-from").replaceChildren(...options());
  $("diff-to").replaceChildren(...options());
  $("diff-form").hidden = versions.length < 2;
  if (versions.length >= 2) {
    $("diff-to").value = versions[0].version;
    $("diff-from").value = versions[1].version;
    await drawDiff();
  } else $("diff").replaceChildren();
}

// --- a test photo against the draft (the analyzer judges it as a store's photo; nothing is counted) -----

const TRIAL_TYPES = ["image/jpeg", "image/png", "image/webp"];
const TRIAL_WAIT_MS = 120000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function trialValue(rule) {
  if (rule.value === null || rule.value === undefined) return "–";
  const bound = rule.threshold ? [rule.threshold.min !== undefined ? `≥ ${rule.threshold.min}` : "", rule.threshold.max !== undefined ? `≤ ${rule.threshold.max}` : ""].filter(Boolean).join(" ") : "";
  return `${Math.round(rule.value * 1000) / 1000}${bound ? ` (${bound})` : ""}`;
}

// A rule of the result as the store would read it: a failure in the draft's words (in the page's
// language when the draft has it), a pass in the pages' own; the analysis' own finding (English,
// specific: "Seen 1 person in the zone") stays on hover.
function trialText(rule, draft) {
  const own = draft && (draft.rules || []).find((r) => r.id === rule.id);
  if (rule.status === "fail" && own) return localised(own.message, own.messages);
  if (rule.status === "pass" && own) {
    if (rule.type === "photo_quality") return t("check." + own.parameters.check);
    if (rule.type === "artwork_present" && own.parameters.mode === "forbidden") return t("pass.artwork_absent");
    if (hasString("pass." + rule.type)) return t("pass." + rule.type);
  }
  return rule.message;
}

function drawTrial(trial, draft) {
  const result = trial.result;
  $("trial-overlay").src = trial.overlay;
  $("trial-overlay").alt = t("camp.trialOverlay");
  $("trial-verdict").textContent = t("camp.trialVerdict", { verdict: t("state." + result.verdict), score: hq.pct(result.score) });
  $("trial-rules").replaceChildren(...result.rules.map((rule, n) => el("tr", {},
    el("td", { text: String(n + 1) }),
    el("td", {}, el("code", { text: rule.id }), " ", el("span", { class: "muted small", text: t("camp.type." + rule.type) })),
    el("td", { class: rule.status, text: t("rule." + rule.status) }),
    el("td", { text: trialValue(rule) }),
    el("td", { text: trialText(rule, draft), title: rule.message ? t("camp.trialAnalyzer", { text: rule.message }) : null }))));
  $("trial-result").hidden = false;
}

async function tryPhoto() {
  const file = $("trial-photo").files[0];
  $("trial-result").hidden = true;
  if (!campaign) { $("trial-state").textContent = t("camp.saveFirst"); return; }
  if (!file) { $("trial-state").textContent = t("camp.trialChoose"); $("trial-photo").focus(); return; }
  if (!TRIAL_TYPES.includes(file.type)) { $("trial-state").textContent = t("camp.trialType"); return; }
  $("trial-run").disabled = true;
  try {
    $("trial-state").textContent = t("camp.trialChecking");
    const checked = await checkYaml();
    if (!checked.valid) { $("trial-state").textContent = t("camp.fixRules"); return; }
    const base = `/campaigns/${encodeURIComponent(campaignId)}/trials`;
    const trial = await session.api("POST", base, { guideline: checked.guideline, content_type: file.type });
    if (file.size > trial.max_bytes) { $("trial-state").textContent = t("camp.trialTooBig", { mb: Math.round(trial.max_bytes / 1048576) }); return; }
    $("trial-state").textContent = t("camp.uploading");
    const form = new FormData();
    for (const [k, v] of Object.entries(trial.upload.fields)) form.append(k, v);
    form.append("file", file);
    const sent = await fetch(trial.upload.url, { method: "POST", body: form });
    if (!sent.ok) throw new Error(t("camp.storageRefused", { status: sent.status }));
    const path = `${base}/${encodeURIComponent(trial.trial_id)}`;
    await session.api("POST", path + "/run");
    $("trial-state").textContent = t("camp.trialRunning");
    const until = Date.now() + TRIAL_WAIT_MS;
    for (let wait = 500; Date.now() < until; wait = Math.min(wait * 1.5, 3000)) {
      await sleep(wait);
      const answer = await session.api("GET", path);
      if (answer.status === "done") { $("trial-state").textContent = ""; drawTrial(answer, checked.guideline); return; }
      if (answer.status === "rejected" || answer.status === "failed") {
        const own = "reason." + answer.reason_code;
        $("trial-state").textContent = t("camp.trialRejected", { why: hasString(own) ? t(own) : answer.reason });
        return;
      }
    }
    $("trial-state").textContent = t("camp.trialSlow");
  } catch (err) {
    $("trial-state").textContent = t("camp.trialFailed", { why: err.message });
  } finally {
    $("trial-run").disabled = false;
  }
}

// --- saving and publishing ---------------------------------------------------------------------------

function fill() {
  showTitle();
  const status = campaign ? campaign.status : "new";
  $("status").textContent = t("camp.status." + status);
  $("status").className = "badge small " + ({ published: "pass", closed: "fail" }[status] || "draft"); // not "review": review.css lays that class out as a grid
  const published = campaign && campaign.status !== "draft";
  $("start").disabled = $("deadline").disabled = !!published;
  $("dates-fixed").hidden = !published;
  if (campaign) {
    $("name").value = campaign.name;
    $("start").value = campaign.start_date;
    $("deadline").value = campaign.deadline;
    chosen = new Set(campaign.targets.stores);
    $("yaml").value = yaml(readable(campaign.guideline)) + "\n";
  } else {
    $("yaml").value = starter();
  }
  const regions = Object.fromEntries(facets.regions.map((r) => [r.region, r.stores]));
  const clusters = Object.fromEntries(facets.clusters.map((c) => [c.cluster, c.stores]));
  const keep = campaign ? campaign.targets : { regions: [], clusters: [] };
  checks($("regions"), [...new Set([...Object.keys(regions), ...keep.regions])].sort(), keep.regions, "regions", regions);
  checks($("clusters"), [...new Set([...Object.keys(clusters), ...keep.clusters])].sort(), keep.clusters, "clusters", clusters);
  drawChips();
  countTargets();
  drawGutter();
  drawPack();
}

async function save(event) {
  event.preventDefault();
  $("state").textContent = t("camp.saving");
  try {
    const checked = await checkYaml();
    if (!checked.valid) { $("state").textContent = t("camp.fixRules"); return; }
    const body = { name: $("name").value.trim(), start_date: $("start").value, deadline: $("deadline").value,
      targets: targets(), guideline: checked.guideline };
    const saved = await session.api("PUT", "/campaigns/" + encodeURIComponent(campaignId), body);
    campaign = await session.api("GET", "/campaigns/" + encodeURIComponent(campaignId));
    fill();
    await loadVersions();
    $("state").textContent = t("camp.saved", { v: saved.guideline_version });
  } catch (err) {
    $("state").textContent = t("camp.saveFailed", { why: err.message });
  }
}

async function publish() {
  const n = reachCount;
  const ok = await hq.confirm(t("camp.confirmPublish", { name: campaign.name, n }), [
    t("camp.confirmDates", { start: campaign.start_date, deadline: campaign.deadline }),
    t("camp.confirmVersion", { v: campaign.guideline_version })]);
  if (!ok) return;
  $("publish-state").textContent = t("camp.publishing");
  try {
    const answer = await session.api("POST", `/campaigns/${encodeURIComponent(campaignId)}/publish`);
    campaign = await session.api("GET", "/campaigns/" + encodeURIComponent(campaignId));
    fill();
    $("publish-state").textContent = t("camp.published", { n: answer.target_count, new: answer.new_targets, v: answer.guideline_version });
  } catch (err) {
    $("publish-state").textContent = t("camp.publishFailed", { why: err.message });
  }
}

// The campaign's name once it has one (the id alone says little on Monday morning), its id beside it.
function showTitle() {
  const name = campaign ? campaign.name : "";
  $("campaign-name").textContent = name;
  $("campaign-id").textContent = campaignId;
  $("campaign-id").classList.toggle("muted", Boolean(name));
  document.title = `Vetrina · ${name || campaignId}`;
}

hq.start(async () => {
  showTitle();
  $("template").replaceChildren(...Object.keys(TEMPLATES).map((type) => el("option", { value: type, text: t("camp.type." + type) })));
  $("insert").addEventListener("click", () => {
    const area = $("yaml");
    area.value = area.value.replace(/\n*$/, "\n") + template($("template").value);
    drawGutter();
    goToLine(area.value.split("\n").length - 1);
  });
  $("rf-type").replaceChildren(...Object.keys(TEMPLATES).map((type) => el("option", { value: type, text: t("camp.type." + type) })));
  $("rule-form").addEventListener("toggle", () => { if ($("rule-form").open && !$("rf-fields").children.length) drawRuleForm(); });
  $("rf-type").addEventListener("change", () => { $("rf-id").value = ""; drawRuleForm(); });
  $("rf-add").addEventListener("click", addRuleFromForm);
  $("check").addEventListener("click", async () => {
    try {
      const answer = await checkYaml();
      $("state").textContent = answer.valid ? t("camp.valid", { n: answer.guideline.rules.length }) : t("camp.fixRules");
    } catch (err) { $("state").textContent = err.message; }
  });
  $("yaml").addEventListener("input", drawGutter);
  $("yaml").addEventListener("scroll", () => { $("gutter").scrollTop = $("yaml").scrollTop; });
  $("add-store").addEventListener("click", addStore);
  $("store-pick").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); addStore(); } });
  $("store-pick").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(searchStores, 200); });
  $("form").addEventListener("submit", save);
  $("publish").addEventListener("click", publish);
  $("trial-run").addEventListener("click", tryPhoto);
  $("trial-photo").addEventListener("change", () => {
    const file = $("trial-photo").files[0];
    $("trial-file").textContent = file ? file.name : "";
  });
  $("diff-from").addEventListener("change", drawDiff);
  $("diff-to").addEventListener("change", drawDiff);
  $("diff-form").addEventListener("submit", (e) => e.preventDefault());
  document.addEventListener("languagechange", () => { drawCount(); drawChips(); drawPack(); });
  $("state").textContent = t("hq.loading");
  try {
    const loaded = session.api("GET", "/campaigns/" + encodeURIComponent(campaignId)).catch((err) => {
      if (err.status !== 404) throw err;
      return null; // a new id: the form creates it
    });
    [facets, campaign] = await Promise.all([session.api("GET", "/stores/facets"), loaded]);
    fill();
    $("state").textContent = campaign ? "" : t("camp.new");
    await loadVersions();
  } catch (err) {
    $("state").textContent = t("hq.loadFailed", { why: err.message });
  }
});
