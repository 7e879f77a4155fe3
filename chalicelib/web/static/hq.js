// HQ's dashboard: a campaign's counts and rates, charts by region, by rule and by week, its stores
// (sortable, filterable, linked to their photo), the stores still owing a photo with reminders, the
// rules that split the network, reviewer–model agreement with threshold suggestions, and exports.
// Every number comes from the compliance API, which reads maintained counters (no scans).
const { $, el, pct, num, when, day } = hq;
const STATES = ["pass", "fail", "review", "retake", "missing"];
const SHOWN = 100; // store rows drawn at a time (a network has thousands)
const NEAR_HOURS = 48; // a deadline this close is "near"

let campaignId = null;
let data = null; // the campaign's answers, kept for re-drawing (language, sorting, filters)
let generation = 0; // a newer campaign makes an older answer stale
let sort = { key: "state", ascending: true };
let shown = SHOWN;
let viewer = null; // the signed-in user: HQ reads the network; a merchandiser its regions (the server scopes)
const network = () => viewer.role === "hq";

function say(id, key, vars) { $(id).textContent = key ? t(key, vars) : ""; }

// --- loading ---------------------------------------------------------------------------------------

async function loadCampaigns() {
  const { campaigns } = await session.api("GET", "/campaigns?limit=100");
  // A draft or a closed campaign says so in the list; the one asked for in the address opens, else
  // the newest published one (what HQ follows this week), else the newest.
  $("campaign").replaceChildren(...campaigns.map((c) => el("option", { value: c.campaign_id,
    text: `${c.name} (${c.campaign_id})${c.status === "published" ? "" : " · " + t("hq.status." + c.status)}` })));
  const wanted = new URLSearchParams(location.search).get("campaign");
  const open = campaigns.find((c) => c.status === "published");
  if (wanted && campaigns.some((c) => c.campaign_id === wanted)) $("campaign").value = wanted;
  else if (open) $("campaign").value = open.campaign_id;
  return campaigns;
}

function weeksBefore(isoDate, weeks) {
  const d = new Date(isoDate + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() - weeks * 7);
  return d.toISOString().slice(0, 10);
}

async function load() {
  campaignId = $("campaign").value;
  if (!campaignId) return;
  const mine = ++generation;
  history.replaceState(null, "", "?campaign=" + encodeURIComponent(campaignId));
  $("edit-campaign").href = "/hq/campaigns/" + encodeURIComponent(campaignId);
  say("state", "hq.loading");
  const path = "/compliance/campaigns/" + encodeURIComponent(campaignId);
  const campaign = await session.api("GET", "/campaigns/" + encodeURIComponent(campaignId));
  // The counters first (a few reads each): the board shows while the store list (an index listing
  // of every targeted store, thousands) is still coming.
  // HQ lists the network at once; a merchandiser's lists come one of its regions at a time.
  const listings = network() ? [""] : [...viewer.regions].sort().map((r) => "region=" + encodeURIComponent(r));
  const every = async (name, onPage) => {
    let rows = [];
    for (const [i, filter] of listings.entries()) {
      const before = rows;
      const part = await hq.all(`${path}/${name}${filter ? "?" + filter : ""}`, "stores", 500,
        onPage && ((got, more) => onPage(before.concat(got), more || i < listings.length - 1)));
      rows = rows.concat(part);
    }
    return rows;
  };
  const storesLoaded = every("stores", (rows, more) => {
    if (mine !== generation || !data) return;
    data.stores = rows;
    data.storesComplete = !more;
    renderStores();
  });
  const weeks = `/compliance/trends?from=${weeksBefore(campaign.start_date, 11)}&to=${campaign.start_date}`;
  const [compliance, spread, agreement, missing, trends] = await Promise.all([
    session.api("GET", path),
    session.api("GET", path + "/rules"),
    network() ? session.api("GET", "/compliance/agreement?campaign_id=" + encodeURIComponent(campaignId))
      : { rules: [], min_labels: 0 }, // agreement is the network's (HQ's thresholds)
    every("missing"),
    network() ? session.api("GET", weeks) : regionTrends(weeks),
  ]);
  if (mine !== generation) return;
  data = { campaign, compliance, spread, agreement, stores: [], storesComplete: false, missing, trends };
  shown = SHOWN;
  showRegions();
  render();
  say("state", "");
  $("board").hidden = false;
  const stores = await storesLoaded;
  if (mine !== generation) return;
  data.stores = stores;
  data.storesComplete = true;
  renderStores();
}

// A merchandiser's trend: each of its regions' weeks (the server answers one region at a time),
// their counts summed week by week and the rate taken again from the sums.
async function regionTrends(weeks) {
  const answers = await Promise.all([...viewer.regions].sort().map((r) => session.api("GET", `${weeks}&region=${encodeURIComponent(r)}`)));
  const byWeek = {};
  for (const week of answers.flatMap((a) => a.weeks)) {
    const sum = byWeek[week.week] || (byWeek[week.week] = { week: week.week, states: {} });
    for (const [state, n] of Object.entries(week.states)) sum.states[state] = (sum.states[state] || 0) + n;
  }
  const merged = Object.values(byWeek).sort((a, b) => a.week.localeCompare(b.week));
  for (const w of merged) {
    const judged = (w.states.pass || 0) + (w.states.fail || 0);
    w.compliance_rate = judged ? w.states.pass / judged : null;
  }
  return { weeks: merged };
}

// --- drawing ---------------------------------------------------------------------------------------

function render() {
  if (!data) return;
  renderSummary();
  renderCharts();
  renderMissing();
  renderStores();
  renderHardest();
  renderAgreement();
}

function renderSummary() {
  const { compliance: c } = data;
  $("sum-name").textContent = `${c.name} · ${t("hq.status." + c.status)} · ${t("hq.deadlineOn", { date: day(c.deadline + "T12:00:00") })}`;
  const o = c.overall;
  const tiles = [
    ["hq.targeted", num(o.targeted)], ["hq.submitted", `${num(o.submitted)} (${pct(o.submission_rate)})`],
    ["hq.onTimeRate", pct(o.on_time_rate)], ["hq.complianceRate", pct(o.compliance_rate), "big"],
    ...STATES.map((s) => ["state." + s, num(o.states[s]), "state-" + s]),
    ["hq.meanScore", pct(o.mean_score)],
  ];
  $("tiles").replaceChildren(...tiles.map(([key, value, cls]) => el("div", { class: "tile-n " + (cls || "") },
    el("dt", { text: t(key) }), el("dd", { text: value }))));
}

function renderCharts() {
  const { compliance: c, trends } = data;
  charts.bars($("chart-regions"), c.regions.map((r) => ({ label: r.region, value: r.compliance_rate,
    note: t("hq.ofStores", { n: r.targeted }) })), t("hq.byRegion"));
  charts.bars($("chart-rules"), c.rules.map((r) => ({ label: r.rule_id, value: r.pass_rate })), t("hq.byRule"));
  charts.line($("chart-trend"), trends.weeks.map((w) => ({ label: t("hq.weekShort", { n: Number(w.week.slice(-2)) }), value: w.compliance_rate })),
    t("hq.trend"));
}

function deadlineTag(row) {
  const hours = (new Date(row.deadline_at) - Date.now()) / 3600000;
  if (row.past_deadline || hours < 0) return el("span", { class: "tag fail", text: t("hq.pastDeadline") });
  if (hours <= NEAR_HOURS) return el("span", { class: "tag uncertain", text: t("hq.dueIn", { h: Math.max(1, Math.round(hours)) }) });
  return el("span", { class: "muted", text: when(row.deadline_at) });
}

function renderMissing() {
  // Past the deadline first, then the nearest deadlines: whom to chase today.
  const rows = [...data.missing].sort((a, b) => (b.past_deadline - a.past_deadline) || a.deadline_at.localeCompare(b.deadline_at)
    || a.store_id.localeCompare(b.store_id));
  $("missing-empty").hidden = rows.length > 0;
  // none missing because none is targeted (a draft) is not "every store sent its photo"
  say("missing-empty", data.compliance.overall.targeted ? "hq.noMissing" : noStores());
  $("missing").hidden = !rows.length;
  $("remind").disabled = !rows.length;
  $("missing-all").disabled = !rows.length;
  $("missing").tBodies[0].replaceChildren(...rows.map((row) => {
    const box = el("input", { type: "checkbox", value: row.store_id, "aria-label": t("hq.pickStore", { store: row.store_name }) });
    const remind = el("button", { type: "button", class: "button inline small-button", text: t("hq.remind"),
      "aria-label": t("hq.remindStore", { store: row.store_name }) });
    remind.addEventListener("click", () => sendReminders([row.store_id]));
    return el("tr", { "data-store": row.store_id },
      el("td", { class: "hq-only" }, box),
      el("td", {}, el("strong", { text: row.store_name }), " ", el("span", { class: "muted small", text: row.store_id })),
      el("td", { text: row.region }),
      el("td", {}, el("span", { class: "tag " + (row.state === "retake" ? "fail" : "uncertain"), text: t("state." + row.state) })),
      el("td", {}, deadlineTag(row)),
      el("td", { class: "reminded", text: row.reminded_at ? when(row.reminded_at) : t("hq.never") }),
      el("td", { class: "hq-only" }, remind));
  }));
}

async function sendReminders(storeIds) {
  if (!storeIds.length) { say("remind-state", "hq.pickFirst"); return; }
  say("remind-state", "hq.reminding");
  $("remind").disabled = true;
  try {
    let sent = [];
    let skipped = [];
    for (let i = 0; i < storeIds.length; i += 500) {
      const answer = await session.api("POST", `/compliance/campaigns/${encodeURIComponent(campaignId)}/reminders`,
        { store_ids: storeIds.slice(i, i + 500) });
      sent = sent.concat(answer.sent);
      skipped = skipped.concat(answer.skipped);
    }
    const at = Object.fromEntries(sent.map((s) => [s.store_id, s.reminded_at]));
    for (const row of data.missing.concat(data.stores)) if (at[row.store_id]) row.reminded_at = at[row.store_id];
    renderMissing();
    $("missing-all").checked = false;
    say("remind-state", skipped.length ? "hq.remindedSkipped" : "hq.reminded", { n: sent.length, skipped: skipped.length });
  } catch (err) {
    $("remind-state").textContent = t("hq.remindFailed", { why: err.message });
  } finally {
    $("remind").disabled = false;
  }
}

function showRegions() {
  const regions = data.compliance.regions.map((r) => r.region).sort(); // from the counters: known before the list
  const current = $("f-region").value;
  $("f-region").replaceChildren(el("option", { value: "", text: t("gallery.allRegions") }),
    ...regions.map((r) => el("option", { value: r, text: r })));
  $("f-region").value = regions.includes(current) ? current : "";
  const state = $("f-state").value;
  $("f-state").replaceChildren(el("option", { value: "", text: t("gallery.any") }),
    ...STATES.map((s) => el("option", { value: s, text: t("state." + s) })));
  $("f-state").value = state;
}

function sortValue(row, key) {
  if (key === "failed") return row.failed_rules.length;
  if (key === "state") return STATES.indexOf(row.state);
  if (key === "on_time") return row.on_time === null ? -1 : Number(row.on_time);
  if (key === "score") return row.score === null ? -1 : row.score;
  return String(row[key] || "").toLowerCase();
}

function renderStores() {
  const region = $("f-region").value;
  const state = $("f-state").value;
  const words = $("f-search").value.trim().toLowerCase();
  const rows = data.stores.filter((s) => (!region || s.region === region) && (!state || s.state === state)
    && (!words || `${s.store_name} ${s.store_id}`.toLowerCase().includes(words)));
  const sign = sort.ascending ? 1 : -1;
  rows.sort((a, b) => {
    const [x, y] = [sortValue(a, sort.key), sortValue(b, sort.key)];
    return (x < y ? -sign : x > y ? sign : 0) || a.store_id.localeCompare(b.store_id);
  });
  for (const th of $("stores").tHead.rows[0].cells) {
    th.setAttribute("aria-sort", th.dataset.sort === sort.key ? (sort.ascending ? "ascending" : "descending") : "none");
  }
  const campaign = encodeURIComponent(campaignId);
  $("stores").tBodies[0].replaceChildren(...rows.slice(0, shown).map((s) => {
    const name = s.submission_id
      ? el("a", { href: `/review?submission=${encodeURIComponent(s.submission_id)}&campaign=${campaign}`, text: s.store_name })
      : el("span", { text: s.store_name });
    return el("tr", {},
      el("td", {}, name, " ", el("span", { class: "muted small", text: s.store_id })),
      el("td", { text: s.region }),
      el("td", {}, el("span", { class: "tag " + tagOf(s.state), text: t("state." + s.state) })),
      el("td", { class: "num", text: s.score === null ? "–" : `${Math.round(s.score * 100)}%` }),
      el("td", { text: s.on_time === null ? "–" : t(s.on_time ? "hq.yes" : "hq.late") }),
      el("td", { text: s.failed_rules.join(", ") || "–" }));
  }));
  $("stores-more").hidden = rows.length <= shown;
  if (!data.storesComplete) say("stores-state", "hq.storesLoading", { n: data.stores.length, total: data.compliance.overall.targeted });
  else if (!data.stores.length) say("stores-state", noStores());
  else say("stores-state", rows.length ? "hq.storeCount" : "hq.noStores", { n: Math.min(shown, rows.length), total: rows.length });
}

// Why a campaign has no stores on the board: a draft's targets count once it is published.
const noStores = () => (data.compliance.status === "draft" ? "hq.draftNoStores" : "hq.noTargets");

const tagOf = (state) => ({ pass: "pass", fail: "fail", retake: "fail" })[state] || "uncertain";

function renderHardest() {
  const rules = data.spread.rules;
  $("hardest-empty").hidden = rules.length > 0;
  $("hardest").hidden = !rules.length;
  const campaign = encodeURIComponent(campaignId);
  $("hardest").tBodies[0].replaceChildren(...rules.map((r) => {
    const regions = r.regions.map((g) => `${g.region} ${pct(g.pass_rate)}`).join(", ");
    const failing = r.failed
      ? el("a", { href: `/gallery?campaign=${campaign}&rule=${encodeURIComponent(r.rule_id)}`, text: t("hq.failingPhotos", { n: r.failed }) })
      : el("span", { class: "muted", text: t("hq.noneFailing") });
    return el("tr", {},
      el("th", { scope: "row", text: r.rule_id }),
      el("td", { class: "num", text: `${pct(r.pass_rate)} (${num(r.judged)})` }),
      el("td", {}, charts.range(r.lowest, r.highest, r.pass_rate, t("hq.rangeLabel", { regions: regions || "–" })),
        " ", el("span", { class: "small", text: r.lowest === null ? "–" : `${pct(r.lowest)} – ${pct(r.highest)}` })),
      el("td", { class: "num", text: r.region_spread === null ? "–" : t("hq.points", { n: Math.round(r.region_spread * 100), s: pct(r.store_spread) }) }),
      el("td", {}, failing));
  }));
}

function thresholdCell(rule) {
  const th = rule.threshold;
  if (th.suggested === null || th.suggested === undefined) {
    return el("span", { class: "muted small", text: /^needs/.test(th.reason || "") ? t("hq.needsLabels", { n: data.agreement.min_labels })
      : t("hq.oneBound") });
  }
  return el("span", { text: t("hq.suggestion", { bound: th.bound, current: th.current, suggested: th.suggested,
    a: pct(th.agreement_at_current), b: pct(th.agreement_at_suggested) }) });
}

function renderAgreement() {
  const rules = data.agreement.rules;
  $("agree-hint").textContent = t("hq.agreementHint", { n: data.agreement.min_labels });
  $("agree-empty").hidden = rules.length > 0;
  $("agreement").hidden = !rules.length;
  $("agreement").tBodies[0].replaceChildren(...rules.map((r) => {
    const th = r.threshold;
    const apply = th.suggested !== null && th.suggested !== undefined && th.suggested !== th.current
      ? el("button", { type: "button", class: "button inline small-button", text: t("hq.applySuggestion"),
        "aria-label": t("hq.applyFor", { rule: r.rule_id }) })
      : null;
    if (apply) apply.addEventListener("click", () => applySuggestion(r));
    return el("tr", {},
      el("th", { scope: "row", text: r.rule_id }),
      el("td", { class: "num", text: num(r.labelled) }),
      el("td", { class: "num", text: pct(r.override_rate) }),
      el("td", { class: "num", text: pct(r.precision) }),
      el("td", { class: "num", text: pct(r.recall) }),
      el("td", {}, thresholdCell(r)),
      el("td", {}, apply));
  }));
}

// The parameter a suggestion changes: the rule's bound (photo quality: min/max), else the one
// min_…/max_… parameter holding the current value.
function boundParameter(parameters, bound, current) {
  if (bound in parameters && parameters[bound] === current) return bound;
  const named = Object.keys(parameters).filter((k) => k.startsWith(bound + "_") && typeof parameters[k] === "number");
  return named.find((k) => parameters[k] === current) || (named.length === 1 ? named[0] : (bound in parameters ? bound : null));
}

async function applySuggestion(rule) {
  say("agree-state", "hq.loading");
  try {
    const campaign = await session.api("GET", "/campaigns/" + encodeURIComponent(campaignId));
    const guideline = JSON.parse(JSON.stringify(campaign.guideline));
    const target = guideline.rules.find((r) => r.id === rule.rule_id);
    const parameter = target && boundParameter(target.parameters || {}, rule.threshold.bound, rule.threshold.current);
    if (!parameter) { say("agree-state", "hq.noParameter", { rule: rule.rule_id }); return; }
    const old = target.parameters[parameter];
    target.parameters[parameter] = rule.threshold.suggested;
    const next = campaign.guideline_version + 1;
    const ok = await hq.confirm(t("hq.confirmText", { campaign: campaign.name, version: next }), [
      t("hq.confirmChange", { rule: rule.rule_id, parameter, old, suggested: rule.threshold.suggested }),
      t("hq.confirmAgreement", { a: pct(rule.threshold.agreement_at_current), b: pct(rule.threshold.agreement_at_suggested) }),
      t("hq.confirmRerun"),
    ]);
    if (!ok) { say("agree-state", "hq.notApplied"); return; }
    const saved = await session.api("PUT", "/campaigns/" + encodeURIComponent(campaignId), {
      name: campaign.name, start_date: campaign.start_date, deadline: campaign.deadline, targets: campaign.targets, guideline,
    });
    say("agree-state", "hq.applied", { version: saved.guideline_version, rule: rule.rule_id });
  } catch (err) {
    $("agree-state").textContent = t("hq.applyFailed", { why: err.message });
  }
}

// --- exports ---------------------------------------------------------------------------------------

async function startExport(kind) {
  const buttons = [$("export-results"), $("export-labels")];
  buttons.forEach((b) => { b.disabled = true; });
  const progress = $("export-progress");
  progress.hidden = false;
  progress.removeAttribute("value"); // indeterminate: the job says queued, then done
  say("export-state", "hq.exportQueued");
  try {
    const { export_id: id } = await session.api("POST", "/exports", { kind, campaign_id: campaignId });
    const started = Date.now();
    let job;
    for (;;) {
      job = await session.api("GET", "/exports/" + encodeURIComponent(id));
      if (job.status === "done") break;
      if (job.status === "failed") throw new Error(job.reason || t("hq.exportSlow"));
      if (Date.now() - started > 120000) throw new Error(t("hq.exportSlow"));
      say("export-state", "hq.exportRunning", { s: Math.round((Date.now() - started) / 1000) });
      await new Promise((r) => setTimeout(r, 500));
    }
    progress.max = 1;
    progress.value = 1;
    const link = el("a", { href: job.download, download: `${campaignId}-${kind}.csv`, id: "export-link",
      text: t("hq.exportDone", { kind: t("hq.kind." + kind), n: num(job.rows) }) });
    $("export-state").replaceChildren(link);
    link.focus();
  } catch (err) {
    progress.hidden = true;
    $("export-state").textContent = t("hq.exportFailed", { why: err.message });
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

// --- start -----------------------------------------------------------------------------------------

function fail(err) {
  $("state").textContent = t("hq.loadFailed", { why: err.message });
}

function showScope() {
  document.body.classList.toggle("scoped", !network());
  $("scope-note").hidden = network();
  if (!network()) {
    $("scope-note").textContent = t("hq.scopeNote", { regions: [...viewer.regions].sort().join(", ") });
    $("missing-hint").textContent = t("hq.missingHintScoped");
  }
}

hq.start(async (user) => {
  viewer = user;
  showScope();
  $("campaign").addEventListener("change", () => load().catch(fail));
  $("pick").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = $("new-id").value.trim();
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) { say("state", "hq.badId"); $("new-id").focus(); return; }
    location.href = "/hq/campaigns/" + encodeURIComponent(id);
  });
  for (const id of ["f-region", "f-state", "f-search"]) $(id).addEventListener("input", () => { shown = SHOWN; renderStores(); });
  $("store-filters").addEventListener("submit", (e) => e.preventDefault());
  $("stores-more").addEventListener("click", () => { shown += SHOWN; renderStores(); });
  for (const th of $("stores").tHead.rows[0].cells) {
    th.querySelector("button").addEventListener("click", () => {
      sort = { key: th.dataset.sort, ascending: sort.key === th.dataset.sort ? !sort.ascending : true };
      renderStores();
    });
  }
  $("missing-all").addEventListener("change", () => {
    for (const box of $("missing").tBodies[0].querySelectorAll("input[type=checkbox]")) box.checked = $("missing-all").checked;
  });
  $("remind").addEventListener("click", () => sendReminders(
    [...$("missing").tBodies[0].querySelectorAll("input[type=checkbox]:checked")].map((b) => b.value)));
  $("export-results").addEventListener("click", () => startExport("results"));
  $("export-labels").addEventListener("click", () => startExport("labels"));
  document.addEventListener("languagechange", () => { showScope(); if (data) { showRegions(); render(); } });
  try {
    const campaigns = await loadCampaigns();
    if (!campaigns.length) { say("state", "hq.noCampaigns"); $("edit-campaign").hidden = true; return; }
    await load();
  } catch (err) { fail(err); }
}, ["hq", "merchandiser"]);
