// The merchandisers' gallery: a campaign's photos as cards, filtered, a page at a time. The URL
// keeps the filters, so a view can be shared; the review page walks the same list.
const $ = (id) => document.getElementById(id);
let cursor = null;
let cards = [];

let generation = 0; // a newer load (another campaign or region) makes an older answer stale
let regionsSeen = new Set(); // HQ: the regions to offer (the campaigns' targets, the photos loaded)

const getJSON = (path) => session.api("GET", path);

function filters() {
  return {
    campaign: $("f-campaign").value, view: $("f-by-store").checked ? "stores" : "", status: $("f-status").value,
    store: $("f-store").value.trim(), region: $("f-region").value,
    rule: $("f-rule").value.trim(), score: $("f-score").value, since: $("f-since").value,
  };
}

// The per-store view: one tile per store (its latest finished photo), filtered by the server over
// every page (state, region, store); the filters it cannot apply that way are turned off.
const byStore = () => $("f-by-store").checked;
const CLIENT_ONLY = ["f-rule", "f-score", "f-since"];

function showView() {
  for (const id of CLIENT_ONLY) {
    $(id).disabled = byStore();
    $(id).title = byStore() ? t("gallery.notByStore") : "";
  }
  $("f-status").querySelector('option[value="missing"]').hidden = !byStore();
  if (!byStore() && $("f-status").value === "missing") $("f-status").value = "";
}

function keep(card) {
  if (byStore()) return true; // the server filtered
  const f = filters();
  if (f.store && card.store_id !== f.store) return false;
  if (f.status && (card.verdict || card.status) !== f.status) return false;
  if (f.rule && !card.failed_rules.includes(f.rule)) return false;
  if (f.score !== "" && (card.score == null || card.score * 100 > Number(f.score))) return false;
  if (f.since && card.created_at.slice(0, 10) < f.since) return false;
  return true;
}

function badge(card) {
  const verdict = card.verdict || card.status;
  return `<span class="badge small ${verdict}">${t("verdict." + verdict) || verdict}</span>`;
}

function windowTile(w) {
  const li = document.createElement("li");
  li.className = "card tile";
  const score = w.score == null ? "" : `${Math.round(w.score * 100)}%`;
  const label = escapeHtml(t("gallery.state." + w.state));
  const meta = `<div class="tile-meta"><strong>${escapeHtml(w.store_id)}</strong> <span>${escapeHtml(w.store_name)}</span>
    <span class="badge small ${w.state}">${label}</span> <span class="score">${score}</span>
    ${w.submitted_at ? `<time class="muted" datetime="${w.submitted_at}">${new Date(w.submitted_at).toLocaleString(dateLocale(), { dateStyle: "short", timeStyle: "short" })}</time>` : ""}</div>`;
  li.innerHTML = w.submission_id
    ? `<a href="/review?submission=${encodeURIComponent(w.submission_id)}&campaign=${encodeURIComponent(filters().campaign)}">
      ${w.thumbnail ? `<img src="${w.thumbnail}" alt="${escapeHtml(t("gallery.photoOf", { store: w.store_id }))}" loading="lazy">` : ""}${meta}</a>`
    : meta;
  return li;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function render() {
  if (byStore()) {
    $("grid").replaceChildren(...cards.map(windowTile));
    sessionStorage.setItem("vetrina.queue", JSON.stringify(cards.filter((w) => w.submission_id).map((w) => w.submission_id)));
    $("gallery-state").textContent = t("gallery.countStores", { n: cards.length });
    return;
  }
  const shown = cards.filter(keep);
  // Needs review first: the photos nobody has reviewed yet, and among them those the model left
  // to a person; then the reviewed ones. (Within the loaded pages: the server lists newest first.)
  const rank = (c) => (c.review_status === "pending" ? 0 : 2) + (c.verdict === "review" ? 0 : 1);
  shown.sort((a, b) => rank(a) - rank(b));
  $("grid").replaceChildren(...shown.map((card) => {
    const li = document.createElement("li");
    li.className = "card tile";
    const score = card.score == null ? "" : `${Math.round(card.score * 100)}%`;
    li.innerHTML = `<a href="/review?submission=${card.submission_id}&campaign=${encodeURIComponent(filters().campaign)}">
      <img src="${card.thumbnail || ""}" alt="${t("gallery.photoOf", { store: card.store_id })}" loading="lazy">
      <div class="tile-meta"><strong>${card.store_id}</strong> ${badge(card)} <span class="score">${score}</span>
      <span class="muted">${t("review." + card.review_status)}</span></div></a>`;
    return li;
  }));
  sessionStorage.setItem("vetrina.queue", JSON.stringify(shown.map((c) => c.submission_id)));
  $("gallery-state").textContent = t("gallery.count", { n: shown.length });
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

async function load(reset) {
  const { campaign, region } = filters();
  if (!campaign) { $("gallery-state").textContent = t("gallery.noCampaigns"); return; }
  if (reset) { cards = []; cursor = null; generation += 1; }
  const mine = generation;
  const query = new URLSearchParams({ limit: "50" });
  if (region) query.set("region", region);
  if (cursor) query.set("cursor", cursor);
  if (byStore()) {
    const { status, store } = filters();
    if (status) query.set("state", status);
    if (store) query.set("store_id", store);
    const page = await getJSON(`/campaigns/${encodeURIComponent(campaign)}/windows?${query}`);
    if (mine !== generation) return;
    cards = cards.concat(page.windows);
    cursor = page.cursor;
    $("more").hidden = !cursor;
    render();
    return;
  }
  const page = await getJSON(`/campaigns/${encodeURIComponent(campaign)}/submissions?${query}`);
  if (mine !== generation) return;
  cards = cards.concat(page.submissions);
  cursor = page.cursor;
  $("more").hidden = !cursor;
  if (session.user.role === "hq") {
    let added = false;
    for (const card of page.submissions) if (card.region && !regionsSeen.has(card.region)) { regionsSeen.add(card.region); added = true; }
    if (added) showRegions();
  }
  render();
}

function showError(err) {
  $("gallery-state").textContent = err.message;
}

function saveFilters() {
  const params = new URLSearchParams(Object.entries(filters()).filter(([, v]) => v));
  history.replaceState(null, "", "?" + params.toString());
}

async function start() {
  const params = new URLSearchParams(location.search);
  const { campaigns } = await getJSON("/campaigns");
  $("f-campaign").replaceChildren(...campaigns.map((c) => new Option(c.name, c.campaign_id)));
  if (params.get("campaign")) $("f-campaign").value = params.get("campaign");
  for (const c of campaigns) for (const region of (c.targets && c.targets.regions) || []) regionsSeen.add(region);
  showRegions(params.get("region") || "");
  $("f-status").value = params.get("status") || "";
  $("f-store").value = params.get("store") || "";
  $("f-rule").value = params.get("rule") || "";
  $("f-score").value = params.get("score") || "";
  $("f-since").value = params.get("since") || "";
  $("f-by-store").checked = params.get("view") === "stores";
  showView();
  if (byStore()) $("f-status").value = params.get("status") || "";
  saveFilters();
  for (const id of ["f-campaign", "f-region"]) $(id).addEventListener("change", () => { saveFilters(); load(true).catch(showError); });
  $("f-by-store").addEventListener("change", () => { showView(); saveFilters(); load(true).catch(showError); });
  // In the per-store view the status and the store are the server's filters: a new query.
  for (const id of ["f-status", "f-store", "f-rule", "f-score", "f-since"]) {
    $(id).addEventListener("input", () => {
      saveFilters();
      if (byStore() && (id === "f-status" || id === "f-store")) load(true).catch(showError);
      else render();
    });
  }
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  $("more").addEventListener("click", () => load(false).catch(showError));
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
document.addEventListener("languagechange", () => { if (session.user && session.user.role !== "store") { showView(); render(); } });
