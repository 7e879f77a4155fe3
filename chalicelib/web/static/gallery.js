// The merchandisers' gallery: a campaign's photos as cards, filtered, a page at a time. The URL
// keeps the filters, so a view can be shared; the review page walks the same list.
const $ = (id) => document.getElementById(id);
let cursor = null;
let cards = [];

async function getJSON(path) {
  const response = await fetch(path);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
  return body;
}

function filters() {
  return {
    campaign: $("f-campaign").value, status: $("f-status").value, store: $("f-store").value.trim(), region: $("f-region").value.trim(),
    rule: $("f-rule").value.trim(), score: $("f-score").value, since: $("f-since").value,
  };
}

function keep(card) {
  const f = filters();
  if (f.store && card.store_id !== f.store) return false;
  if (f.region && card.region !== f.region) return false;
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

function render() {
  const shown = cards.filter(keep);
  // Needs review first: what a person must look at comes before what the model decided.
  shown.sort((a, b) => (a.verdict === "review" ? 0 : 1) - (b.verdict === "review" ? 0 : 1));
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

async function load(reset) {
  const campaign = filters().campaign;
  if (!campaign) return;
  if (reset) { cards = []; cursor = null; }
  const page = await getJSON(`/campaigns/${encodeURIComponent(campaign)}/submissions?limit=50${cursor ? "&cursor=" + cursor : ""}`);
  cards = cards.concat(page.submissions);
  cursor = page.cursor;
  $("more").hidden = !cursor;
  render();
}

function saveFilters() {
  const params = new URLSearchParams(Object.entries(filters()).filter(([, v]) => v));
  history.replaceState(null, "", "?" + params.toString());
}

document.addEventListener("DOMContentLoaded", async () => {
  applyStrings();
  $("lang").addEventListener("click", switchLanguage);
  const params = new URLSearchParams(location.search);
  const { campaigns } = await getJSON("/campaigns");
  $("f-campaign").replaceChildren(...campaigns.map((c) => new Option(c.name, c.campaign_id)));
  if (params.get("campaign")) $("f-campaign").value = params.get("campaign");
  $("f-status").value = params.get("status") || "";
  $("f-store").value = params.get("store") || "";
  $("f-region").value = params.get("region") || "";
  $("f-rule").value = params.get("rule") || "";
  $("f-score").value = params.get("score") || "";
  $("f-since").value = params.get("since") || "";
  $("f-campaign").addEventListener("change", () => { saveFilters(); load(true); });
  for (const id of ["f-status", "f-region", "f-store", "f-rule", "f-score", "f-since"]) $(id).addEventListener("input", () => { saveFilters(); render(); });
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  $("more").addEventListener("click", () => load(false));
  load(true).catch((err) => { $("gallery-state").textContent = err.message; });
});
document.addEventListener("languagechange", render);
