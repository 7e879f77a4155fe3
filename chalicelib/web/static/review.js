// The review page: the photo beside the campaign's reference (zoomed and scrolled together), the
// rule table (measured value, threshold, the reviewer's verdict, which can be taken back), the
// decision and the history. Keys: j/k next/previous in the gallery's list, a approve, r reject.
//
// A decision is held for a few seconds before it is sent, and the page moves on to the next photo
// with an "Undo" toast: undo takes it back before the store hears of it, and a second decision on
// the same photo within that time replaces the first, so the store gets one message, not two.
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const HOLD_MS = 5000;
let submissionId = params.get("submission");
let current = null;
let held = null; // { submissionId, decision, comment, store, timer }
let referenceOf = {}; // campaign id → { url, name } (or null: no reference)

const call = session.api;

// Every decision, override and comment is recorded under the signed-in user's name by the server.
function showSignedAs() {
  $("signed-as").textContent = t("review.signedAs", { name: session.user.username });
}

const queue = () => JSON.parse(sessionStorage.getItem("vetrina.queue") || "[]");

// --- the photo and the reference, zoomed and scrolled together -----------------------------------

async function showReference() {
  const campaignId = current.campaign_id;
  if (!(campaignId in referenceOf)) {
    const campaign = await call("GET", `/campaigns/${encodeURIComponent(campaignId)}`);
    const names = campaign.guideline.rules.flatMap((r) => (r.parameters && r.parameters.references) || []);
    const name = names.find((n) => campaign.pack_links[n]);
    referenceOf[campaignId] = name ? { url: campaign.pack_links[name], name } : null;
  }
  const reference = referenceOf[campaignId];
  $("reference").hidden = !reference;
  $("reference-zoom").hidden = !reference; // no empty frame beside the photo
  $("no-reference").hidden = Boolean(reference);
  if (reference) {
    $("reference").src = reference.url;
    $("reference").alt = t("review.referenceAlt", { name: reference.name });
  }
}

function showPhoto() {
  const images = current.images || {};
  const marked = $("show-overlay").checked && images.overlay;
  $("photo").src = marked || images.normalised || images.thumbnail || "";
  $("photo").hidden = !$("photo").src;
  $("photo").alt = t(marked ? "review.overlayAlt" : "gallery.photoOf", { store: current.store_id });
}

function toggleZoom() {
  const zoomed = !$("zoom").classList.contains("zoomed");
  for (const id of ["zoom", "reference-zoom"]) $(id).classList.toggle("zoomed", zoomed);
}

// Scrolling one pane scrolls the other to the same place (as a fraction: the images differ in
// size); the scroll that this causes in the other pane is not echoed back.
let echoOf = null;
function syncScroll(from, to) {
  from.addEventListener("scroll", () => {
    if (echoOf === from) { echoOf = null; return; }
    const x = from.scrollLeft / Math.max(1, from.scrollWidth - from.clientWidth);
    const y = from.scrollTop / Math.max(1, from.scrollHeight - from.clientHeight);
    const left = Math.round(x * (to.scrollWidth - to.clientWidth));
    const top = Math.round(y * (to.scrollHeight - to.clientHeight));
    if (Math.abs(to.scrollLeft - left) < 1 && Math.abs(to.scrollTop - top) < 1) return;
    echoOf = to;
    to.scrollTo(left, top);
  });
}

function showLinks() {
  const parts = [];
  for (const [field, key] of [["previous_submission_id", "review.previous"], ["retaken_by", "review.retakenBy"]]) {
    if (current[field]) parts.push(`<a href="/review?submission=${encodeURIComponent(current[field])}">${t(key)}</a>`);
  }
  $("links").innerHTML = parts.join(" · ");
}

// --- the rules ---------------------------------------------------------------------------------------

const number = (v) => (v == null ? "" : Number(v).toLocaleString(dateLocale(), { maximumSignificantDigits: 3 }));

function thresholdText(threshold) {
  if (!threshold) return "";
  const { min, max } = threshold;
  if (min != null && max != null) return t("review.between", { min: number(min), max: number(max) });
  if (min != null) return t("review.atLeast", { min: number(min) });
  if (max != null) return t("review.atMost", { max: number(max) });
  return "";
}

function renderRules() {
  const rules = (current.result && current.result.rules) || [];
  // Each rule's number is the one the overlay draws on the photo: the table is the legend.
  $("rules").replaceChildren(...rules.map((rule, index) => {
    const tr = document.createElement("tr");
    const override = current.overrides[rule.id];
    tr.innerHTML = `<th scope="row"></th><td><span class="tag ${rule.status}"></span></td><td class="num"></td><td class="num threshold"></td><td class="verdict-cell"></td>`;
    tr.children[0].append(Object.assign(document.createElement("span"), { className: "mark " + rule.status, textContent: String(index + 1) }),
      " " + rule.id);
    tr.querySelector(".tag").textContent = t("rule." + rule.status);
    tr.children[2].textContent = number(rule.value);
    tr.children[3].textContent = thresholdText(rule.threshold);
    // On a phone the row is a card and its cells say what they are (the header is out of sight).
    for (const [cell, key] of [[1, "review.model"], [2, "review.value"], [3, "review.threshold"], [4, "review.reviewer"]]) {
      tr.children[cell].dataset.label = t(key);
    }
    const select = document.createElement("select");
    select.setAttribute("aria-label", t("review.overrideFor", { rule: rule.id }));
    for (const [v, label] of [["", t("review.agree")], ["pass", t("rule.pass")], ["fail", t("rule.fail")]]) select.append(new Option(label, v));
    select.value = override ? override.reviewer : "";
    select.addEventListener("change", () => (select.value ? overrideRule(rule.id, select.value) : withdrawOverride(rule.id)));
    tr.children[4].append(select);
    if (override) {
      tr.classList.add("overridden");
      const undo = Object.assign(document.createElement("button"), { type: "button", className: "link take-back", textContent: t("review.takeBack") });
      undo.setAttribute("aria-label", t("review.takeBackFor", { rule: rule.id }));
      undo.addEventListener("click", () => withdrawOverride(rule.id));
      tr.children[4].append(" ", undo);
    }
    return tr;
  }));
}

async function overrideRule(ruleId, status) {
  try {
    await call("POST", `/submissions/${submissionId}/overrides`, { rule_id: ruleId, status });
    $("review-state").textContent = t("review.overridden", { rule: ruleId });
    await load();
  } catch (err) { $("review-state").textContent = err.message; }
}

async function withdrawOverride(ruleId) {
  try {
    await call("DELETE", `/submissions/${submissionId}/overrides/${encodeURIComponent(ruleId)}`);
    $("review-state").textContent = t("review.tookBack", { rule: ruleId });
    await load();
  } catch (err) { $("review-state").textContent = err.message; }
}

// --- decisions: held for the undo window, then sent once --------------------------------------------

// What the page refuses before asking (the server refuses it too, in the same words).
function refusal(decision) {
  if (decision === "approve" && current.status !== "done") return t("error.not_a_photo");
  return "";
}

function decide(decision) {
  if (!current) return;
  const why = refusal(decision);
  if (why) { $("review-state").textContent = why; return; }
  if (held && held.submissionId !== submissionId) send(held); // another photo's: it goes now
  if (held) clearTimeout(held.timer); // the same photo's: this one replaces it
  const store = current.store_id;
  held = { submissionId, decision, comment: $("comment").value, store };
  held.timer = setTimeout(() => send(held), HOLD_MS);
  $("comment").value = "";
  $("toast-text").textContent = t("review.held." + decision, { store });
  $("toast").hidden = false;
  const next = queue()[queue().indexOf(submissionId) + 1];
  if (next) show(next);
  else $("review-state").textContent = t("review.lastInList");
}

async function send(decision, keepalive = false) {
  if (!decision || decision.sent) return;
  decision.sent = true;
  clearTimeout(decision.timer);
  if (held === decision) { held = null; $("toast").hidden = true; }
  const body = { decision: decision.decision, comment: decision.comment };
  const path = `/submissions/${decision.submissionId}/review`;
  if (keepalive) { // the page is going away: the request must outlive it
    fetch(path, { method: "POST", keepalive: true, headers: { "Content-Type": "application/json", Authorization: "Bearer " + session.token }, body: JSON.stringify(body) });
    return;
  }
  try {
    await call("POST", path, body);
    $("review-state").textContent = t("review.sent." + decision.decision, { store: decision.store });
    if (decision.submissionId === submissionId) await load();
  } catch (err) {
    $("review-state").textContent = t("review.notSent", { store: decision.store, why: err.message });
  }
}

function undo() {
  if (!held) return;
  const taken = held;
  clearTimeout(taken.timer);
  held = null;
  $("toast").hidden = true;
  $("review-state").textContent = t("review.undone", { store: taken.store });
  show(taken.submissionId).then(() => { $("comment").value = taken.comment; });
}

async function feature() {
  try {
    await call("POST", `/submissions/${submissionId}/feature`, { featured: !current.featured });
    await load();
  } catch (err) { $("review-state").textContent = err.message; }
}

// --- the history, in words -------------------------------------------------------------------------

function eventText(e) {
  const decided = e.action.startsWith("review:");
  if (decided) {
    const now = t("review." + (e.new || { approve: "approved", reject: "rejected", retake: "retake_requested" }[e.action.slice(7)]));
    return e.old ? t("history.decision", { old: t("review." + e.old), new: now }) : t("history.decided", { new: now });
  }
  if (e.action === "override") return t("history.override", { rule: e.rule_id, old: t("rule." + (e.old || e.model)), new: t("rule." + (e.new || e.reviewer)) });
  if (e.action === "override:withdraw") return t("history.withdraw", { rule: e.rule_id, old: t("rule." + e.old), new: t("rule." + e.new) });
  if (e.action === "comment") return t("history.comment");
  if (e.action === "feature") return t("history.feature");
  if (e.action === "unfeature") return t("history.unfeature");
  return e.action;
}

async function showHistory() {
  const { events } = await call("GET", `/submissions/${submissionId}/history`);
  $("history").replaceChildren(...events.map((e) => {
    const li = document.createElement("li");
    const head = document.createElement("div");
    const time = Object.assign(document.createElement("time"), { dateTime: e.at, textContent: new Date(e.at).toLocaleString(dateLocale(), { dateStyle: "short", timeStyle: "short" }) });
    head.append(time, ` · ${e.by} · `, Object.assign(document.createElement("strong"), { textContent: eventText(e) }));
    li.append(head);
    const said = e.text || e.comment;
    if (said) li.append(Object.assign(document.createElement("q"), { textContent: said }));
    return li;
  }));
  if (!events.length) $("history").replaceChildren(Object.assign(document.createElement("li"), { className: "muted", textContent: t("history.none") }));
}

// --- loading ---------------------------------------------------------------------------------------------

async function load() {
  const mine = submissionId;
  const loaded = await call("GET", `/submissions/${submissionId}`);
  if (mine !== submissionId) return;
  current = loaded;
  $("title").textContent = `${current.store_id} · ${current.campaign_id}`;
  // In a reviewer's words (the store's page speaks to the store).
  const verdict = current.result ? current.result.verdict : current.status;
  $("verdict").className = "badge " + verdict;
  const said = current.result ? t("gallery.state." + verdict) : t("status." + verdict);
  $("verdict").textContent = `${said} · ${t("review." + current.review.state)}`;
  $("feature").textContent = t(current.featured ? "review.unfeature" : "review.feature");
  const notPhoto = current.status !== "done";
  const rejected = ["rejected", "retake_requested"].includes(current.review.state);
  $("approve").disabled = notPhoto;
  $("feature").disabled = notPhoto || (rejected && !current.featured);
  const reasons = [];
  if (notPhoto) reasons.push(t("error.not_a_photo") + (current.reason_code ? " (" + t("gallery.reason." + current.reason_code) + ")" : ""));
  else if (rejected && !current.featured) reasons.push(t("error.window_rejected"));
  $("refused").textContent = reasons.join(" ");
  showPhoto();
  showLinks();
  renderRules();
  showReference().catch(() => { $("no-reference").hidden = false; $("reference-zoom").hidden = true; });
  await showHistory();
}

async function show(id) {
  submissionId = id;
  const next = new URLSearchParams(location.search);
  next.set("submission", id);
  history.replaceState(null, "", "?" + next.toString());
  try { await load(); } catch (err) { $("review-state").textContent = err.message; }
}

function step(delta) {
  const next = queue()[queue().indexOf(submissionId) + delta];
  if (next) show(next);
}

document.addEventListener("DOMContentLoaded", () => {
  applyStrings();
  $("lang").addEventListener("click", switchLanguage);
  session.start((user) => {
    if (user.role === "store") { session.showWrongPage("gallery.forReviewers", "/", "gallery.toStore"); return; }
    $("back").href = "/gallery" + (params.get("campaign") ? "?campaign=" + encodeURIComponent(params.get("campaign")) : "");
    showSignedAs();
    $("show-overlay").addEventListener("change", showPhoto);
    for (const id of ["zoom", "reference-zoom"]) {
      $(id).addEventListener("click", toggleZoom);
      $(id).addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggleZoom(); } });
    }
    syncScroll($("zoom"), $("reference-zoom"));
    syncScroll($("reference-zoom"), $("zoom"));
    $("approve").addEventListener("click", () => decide("approve"));
    $("reject").addEventListener("click", () => decide("reject"));
    $("retake").addEventListener("click", () => decide("retake"));
    $("feature").addEventListener("click", feature);
    $("undo").addEventListener("click", undo);
    document.addEventListener("keydown", (e) => {
      if (["INPUT", "TEXTAREA", "SELECT"].includes(e.target.tagName) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "j") step(1);
      else if (e.key === "k") step(-1);
      else if (e.key === "a") decide("approve");
      else if (e.key === "r") decide("reject");
      else if (e.key === "u") undo();
    });
    // Leaving the page within the undo window: the held decision still goes, once.
    window.addEventListener("pagehide", () => send(held, true));
    load().catch((err) => { $("review-state").textContent = err.message; });
  });
});
document.addEventListener("languagechange", () => {
  if (!session.user || session.user.role === "store") return;
  showSignedAs();
  if (current) load();
});
