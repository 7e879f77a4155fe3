// The merchandisers' gallery: one tile per store of a campaign (its latest photo, the earlier ones
// stacked behind it), not reviewed first. Every filter is the server's, over all the campaign's
// stores (GET /campaigns/{id}/windows); the URL keeps them, so a view can be shared. Tiles can be
// selected and approved together (POST /reviews: an answer per photo).
const $ = (id) => document.getElementById(id);
let cursor = null;
let tiles = [];
let rulesOf = {}; // the campaign's rule ids, for the failed-rule filter and the tiles
let generation = 0; // a newer load (another filter) makes an older answer stale
let regionsSeen = new Set(); // HQ: the regions to offer (the campaigns' targets)
let askedRegion = null; // a ?region= the page was opened with: asked of the server as is
const selected = new Set();

const getJSON = (path) => session.api("GET", path);

function filters() {
  return {
    campaign: $("f-campaign").value, status: $("f-status").value, review: $("f-review").value,
    region: askedRegion !== null ? askedRegion : $("f-region").value, store: $("f-store").value.trim(), rule: $("f-rule").value,
  };
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

const when = (iso) => new Date(iso).toLocaleString(dateLocale(), { dateStyle: "medium", timeStyle: "short" });
const reviewLink = (id) => `/review?submission=${encodeURIComponent(id)}&campaign=${encodeURIComponent(filters().campaign)}`;
const ruleWords = (id) => rulesOf[id] || id;

// A refused upload's reason in a reviewer's words (the store's page tells the store what to do).
function reasonText(code) {
  return hasString("gallery.reason." + code) ? t("gallery.reason." + code) : t("gallery.reason.other");
}

function reviewText(w) {
  if (!w.submission_id) return "";
  return t("review." + (w.review || "pending"));
}

function earlierList(w) {
  const items = w.earlier.map((e) => `<li><a href="${reviewLink(e.submission_id)}">
      ${e.thumbnail ? `<img src="${e.thumbnail}" alt="" loading="lazy">` : `<span class="no-thumb" aria-hidden="true"></span>`}
      <span><time datetime="${e.created_at}">${escapeHtml(when(e.created_at))}</time><br>${escapeHtml(t("gallery.state." + e.state))}</span></a></li>`);
  const hidden = w.attempts - 1 - w.earlier.length;
  if (hidden > 0) items.push(`<li class="muted">${escapeHtml(t("gallery.olderNotListed", { n: hidden }))}</li>`);
  return items.join("");
}

function tile(w) {
  const li = document.createElement("li");
  li.className = "card tile" + (w.attempts > 1 ? " stacked" : "");
  li.dataset.store = w.store_id;
  const score = w.score == null ? "" : `<span class="score">${Math.round(w.score * 100)}%</span>`;
  const alt = t("gallery.photoOfNamed", { store: w.store_id, name: w.store_name, state: t("gallery.state." + w.state) });
  const picture = w.thumbnail
    ? `<img src="${w.thumbnail}" alt="${escapeHtml(alt)}" loading="lazy">`
    : `<div class="no-photo">${escapeHtml(w.submission_id ? t("gallery.noThumbnail") : t("gallery.state.missing"))}</div>`;
  const reason = w.reason_code ? `<p class="reason">${escapeHtml(reasonText(w.reason_code))}</p>` : "";
  const failed = w.failed_rules.length
    ? `<p class="failed">${escapeHtml(t("gallery.fails", { rules: w.failed_rules.map(ruleWords).join(", ") }))}</p>` : "";
  const time = w.submitted_at ? `<time class="muted" datetime="${w.submitted_at}">${escapeHtml(when(w.submitted_at))}</time>` : "";
  const head = `<div class="tile-meta"><strong>${escapeHtml(w.store_name)}</strong> <span class="muted">${escapeHtml(w.store_id)}</span>
    <span class="badge small ${w.state}">${escapeHtml(t("gallery.state." + w.state))}</span> ${score}</div>
    <div class="tile-meta second">${time} <span class="review-state ${w.review || ""}">${escapeHtml(reviewText(w))}</span></div>${reason}${failed}`;
  const body = w.submission_id ? `<a class="open" href="${reviewLink(w.submission_id)}">${picture}${head}</a>` : `${picture}${head}`;
  const pick = w.submission_id && w.review === "pending"
    ? `<label class="pick"><input type="checkbox" value="${w.submission_id}" ${selected.has(w.submission_id) ? "checked" : ""}>
       <span class="visually-hidden">${escapeHtml(t("gallery.select", { store: w.store_name }))}</span></label>` : "";
  const stack = w.attempts > 1
    ? `<details class="stack"><summary>${escapeHtml(t("gallery.attempts", { n: w.attempts }))}</summary><ol class="earlier">${earlierList(w)}</ol></details>` : "";
  li.innerHTML = pick + body + stack;
  const box = li.querySelector(".pick input");
  if (box) box.addEventListener("change", () => { box.checked ? selected.add(box.value) : selected.delete(box.value); showSelection(); });
  return li;
}

function showSelection() {
  const button = $("approve-selected");
  button.textContent = t("gallery.approveSelected", { n: selected.size });
  button.disabled = selected.size === 0;
  const boxes = [...document.querySelectorAll(".pick input")];
  $("select-page").checked = boxes.length > 0 && boxes.every((b) => b.checked);
  $("select-page").disabled = boxes.length === 0;
}

function render() {
  $("grid").replaceChildren(...tiles.map(tile));
  // The review page walks the same list (j/k, and on to the next after a decision).
  sessionStorage.setItem("vetrina.queue", JSON.stringify(tiles.filter((w) => w.submission_id).map((w) => w.submission_id)));
  $("gallery-state").textContent = tiles.length ? t(cursor ? "gallery.countMore" : "gallery.countStores", { n: tiles.length })
    : t("gallery.empty");
  showSelection();
}

// The region select: a merchandiser's own regions (the server shows one region at a time); HQ may
// also pick "all regions".
function showRegions(wanted) {
  const select = $("f-region");
  const user = session.user;
  const current = wanted === undefined ? select.value : wanted;
  const options = [];
  if (user.role === "hq") {
    const all = new Option(t("gallery.allRegions"), "");
    all.dataset.i18n = "gallery.allRegions";
    options.push(all);
    if (current) regionsSeen.add(current);
    for (const region of [...regionsSeen].sort()) options.push(new Option(region, region));
  } else {
    for (const region of [...user.regions].sort()) options.push(new Option(region, region));
  }
  select.replaceChildren(...options);
  select.value = options.some((o) => o.value === current) ? current : options.length ? options[0].value : "";
}

async function showRules(campaignId) {
  const select = $("f-rule");
  const wanted = select.dataset.wanted || select.value;
  delete select.dataset.wanted;
  rulesOf = {};
  const any = new Option(t("gallery.any"), "");
  any.dataset.i18n = "gallery.any";
  const options = [any];
  try {
    const campaign = await getJSON(`/campaigns/${encodeURIComponent(campaignId)}`);
    for (const rule of (campaign.guideline && campaign.guideline.rules) || []) {
      rulesOf[rule.id] = rule.id;
      const words = localised(rule.instruction, rule.instructions); // what the rule asks of the window
      options.push(new Option(words ? `${rule.id} — ${words}` : rule.id, rule.id));
    }
  } catch (_) { /* the filter still lists "any"; the tiles show rule ids */ }
  select.replaceChildren(...options);
  select.value = options.some((o) => o.value === wanted) ? wanted : "";
}

async function load(reset) {
  const f = filters();
  if (!f.campaign) { $("gallery-state").textContent = t("gallery.noCampaigns"); return; }
  if (reset) { tiles = []; cursor = null; generation += 1; selected.clear(); }
  const mine = generation;
  const query = new URLSearchParams({ limit: "50" });
  for (const [param, value] of [["region", f.region], ["state", f.status], ["review", f.review], ["store_id", f.store], ["rule_id", f.rule]]) {
    if (value) query.set(param, value);
  }
  if (cursor) query.set("cursor", cursor);
  if (reset) $("gallery-state").textContent = t("gallery.loading");
  $("more").disabled = true;
  try {
    const page = await getJSON(`/campaigns/${encodeURIComponent(f.campaign)}/windows?${query}`);
    if (mine !== generation) return;
    tiles = tiles.concat(page.windows);
    cursor = page.cursor;
    $("more").hidden = !cursor;
    render();
  } finally {
    $("more").disabled = false;
  }
}

function showError(err) {
  tiles = [];
  $("grid").replaceChildren();
  $("more").hidden = true;
  if (err.code === "out_of_scope" && askedRegion) {
    // Asked for a region this account does not have: say so, rather than show another region.
    $("gallery-state").textContent = t("gallery.notYourRegion", { region: askedRegion, regions: [...session.user.regions].sort().join(", ") });
  } else {
    $("gallery-state").textContent = err.message;
  }
  $("gallery-state").classList.add("problem");
}

function reload() {
  $("gallery-state").classList.remove("problem");
  saveFilters();
  load(true).catch(showError);
}

function saveFilters() {
  const params = new URLSearchParams(Object.entries(filters()).filter(([, v]) => v));
  history.replaceState(null, "", "?" + params.toString());
}

// Approve the selected tiles in one call; the answer says, per photo, whether it was decided.
async function approveSelected() {
  const ids = [...selected];
  if (!ids.length) return;
  $("approve-selected").disabled = true;
  $("bulk-state").textContent = t("gallery.approving", { n: ids.length });
  try {
    const answer = await session.api("POST", "/reviews", { submission_ids: ids, decision: "approve" });
    const storeOf = Object.fromEntries(tiles.map((w) => [w.submission_id, w.store_name]));
    const refused = answer.results.filter((r) => !r.ok)
      .map((r) => t("gallery.refusedOne", { store: storeOf[r.submission_id] || r.submission_id, why: errorText(r.error.code, r.error.message) }));
    $("bulk-state").textContent = [t("gallery.approvedN", { n: answer.decided }), ...refused].join(" · ");
    selected.clear();
    await load(true);
  } catch (err) {
    $("bulk-state").textContent = err.message;
    showSelection();
  }
}

async function start() {
  const params = new URLSearchParams(location.search);
  const { campaigns } = await getJSON("/campaigns");
  $("f-campaign").replaceChildren(...campaigns.map((c) => new Option(c.name, c.campaign_id)));
  if (params.get("campaign")) $("f-campaign").value = params.get("campaign");
  for (const c of campaigns) for (const region of (c.targets && c.targets.regions) || []) regionsSeen.add(region);
  const region = params.get("region") || "";
  showRegions(region);
  if (region && session.user.role !== "hq" && !session.user.regions.includes(region)) askedRegion = region;
  $("f-status").value = params.get("status") || "";
  $("f-review").value = params.get("review") || "";
  $("f-store").value = params.get("store") || "";
  $("f-rule").dataset.wanted = params.get("rule") || "";
  if ($("f-campaign").value) await showRules($("f-campaign").value);
  $("f-campaign").addEventListener("change", async () => { await showRules($("f-campaign").value); reload(); });
  $("f-region").addEventListener("change", () => { askedRegion = null; reload(); });
  for (const id of ["f-status", "f-review", "f-rule"]) $(id).addEventListener("change", reload);
  let typing = null;
  $("f-store").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(reload, 300); });
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); reload(); });
  $("more").addEventListener("click", () => load(false).catch(showError));
  $("select-page").addEventListener("change", () => {
    for (const box of document.querySelectorAll(".pick input")) {
      box.checked = $("select-page").checked;
      box.checked ? selected.add(box.value) : selected.delete(box.value);
    }
    showSelection();
  });
  $("approve-selected").addEventListener("click", approveSelected);
  if (!askedRegion) saveFilters();
  await load(true);
}

document.addEventListener("DOMContentLoaded", () => {
  applyStrings();
  $("lang").addEventListener("click", switchLanguage);
  session.start((user) => {
    if (user.role === "store") { session.showWrongPage("gallery.forReviewers", "/", "gallery.toStore"); return; }
    start().catch(showError);
  });
});
document.addEventListener("languagechange", () => {
  if (!session.user || session.user.role === "store") return;
  if (!$("gallery-state").classList.contains("problem")) render();
});
