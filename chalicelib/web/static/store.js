// The store's page: pick the campaign, read what to do, take the photo; the photo is made smaller
// on the phone and queued (upload-queue.js: kept across a closed tab, retried, resumed when the
// network returns), uploaded straight to storage through the presigned POST, then the analysis is
// followed until the verdict, shown in a lasting "latest photo" card.
const $ = (id) => document.getElementById(id);
const FINAL = ["done", "rejected", "error", "expired"];
let campaigns = [];
let schedule = null; // the picked campaign's start and deadline for this store, in its timezone
let guideline = null; // the picked campaign's guideline: the rules' words in the page's language
let guidelineOf = null; // the campaign whose guideline that is
let lastResult = null;
let retakeOf = null; // the submission a new photo replaces: the retake is linked to it
let newsCursor = null;
let captured = null; // a photo the in-page camera took, waiting for "Send" (else the file input's)

const api = session.api;

// The store the page acts for: the token's only store, or the one picked among its stores.
function storeId() {
  const stores = session.user.stores;
  return stores.length > 1 ? $("store-id").value : stores[0] || "";
}

function showStores() {
  const stores = session.user.stores;
  $("store-one").hidden = stores.length !== 1;
  $("store-many").hidden = stores.length < 2;
  $("store-one-id").textContent = stores[0] || "";
  if (stores.length > 1) {
    $("store-id").replaceChildren(...stores.map((s) => new Option(s, s)));
    const saved = localStorage.getItem("vetrina.store");
    if (stores.includes(saved)) $("store-id").value = saved;
  }
}

// An objects rule in words: the label as the pages name it (a COCO label as written, underscores
// as spaces) and the count it asks for.
function objectsInstruction(p) {
  if (p.label === "person" && p.max_count === 0) return t("do.nobody");
  const key = "object." + p.label;
  const label = hasString(key) ? t(key) : String(p.label || "").replace(/_/g, " ");
  if (p.max_count === 0) return t("do.objectsNone", { label });
  const count = Math.max(1, Number(p.min_count) || 1);
  return t("do.objectsAtLeast", { label, count });
}

// What to do for a rule, as a checklist item: HQ's instruction in the page's language, else the
// pages' own words for the rule's type.
function instruction(rule) {
  const own = localised(rule.instruction, rule.instructions);
  if (own) return own;
  const p = rule.parameters || {};
  const name = (file) => String(file || "").replace(/\.[a-z]+$/i, "");
  switch (rule.type) {
    case "photo_quality": return t("do." + p.check);
    case "artwork_present": return t(p.mode === "forbidden" ? "do.artwork_absent" : "do.artwork_present", { artwork: name(p.artwork) });
    case "text": return t(p.mode === "forbidden" ? "do.textForbidden" : "do.text", { phrases: (p.phrases || []).map((x) => `“${x}”`).join(", ") });
    case "objects": return objectsInstruction(p);
    case "palette": return t("do.palette", { colours: (p.colours || []).map((c) => c.name).join(", ") });
    default: return hasString("do." + rule.type) ? t("do." + rule.type) : localised(rule.message, rule.messages);
  }
}

// A rule of the result in words: a failure in HQ's words (translated), a pass in the pages' own.
function guidelineRule(id) {
  return guideline && guideline.rules.find((r) => r.id === id);
}

function ruleText(rule) {
  const own = guidelineRule(rule.id);
  if (rule.status === "fail") return own ? localised(own.message, own.messages) : rule.message;
  if (rule.status === "pass") {
    if (own && rule.type === "photo_quality") return t("check." + own.parameters.check);
    if (own && rule.type === "artwork_present" && own.parameters.mode === "forbidden") return t("pass.artwork_absent");
    return hasString("pass." + rule.type) ? t("pass." + rule.type) : rule.message;
  }
  return own ? instruction(own) : rule.message; // not judged: what the rule asks
}

// The deadline: the end of the last day in the store's timezone once the campaign's schedule for
// this store is known (its zone named when it is not the phone's), until then the campaign's date.
function deadlineText(campaign) {
  const zone = schedule && schedule.timezone;
  let date;
  try {
    date = zone && schedule.deadline_at
      ? new Date(schedule.deadline_at).toLocaleString(dateLocale(), { dateStyle: "long", timeStyle: "short", timeZone: zone })
      : new Date(campaign.deadline).toLocaleDateString(dateLocale(), { dateStyle: "long", timeZone: "UTC" });
  } catch (_) { date = campaign.deadline; }
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return t("store.deadline", { date }) + (zone && zone !== here ? ` (${zone})` : "");
}

function showInfo(campaign) {
  const info = $("campaign-info");
  if (!campaign) { info.textContent = campaigns.length ? "" : t(session.user.stores.length ? "store.noCampaigns" : "store.noStore"); return; }
  const state = (schedule && schedule.state) || campaign.state;
  const lines = [deadlineText(campaign)];
  if (campaign.status === "closed") lines.push(t("store.closed"));
  else if (state) lines.push(t("store.state." + state));
  info.replaceChildren(...lines.map((line) => Object.assign(document.createElement("div"), { textContent: line })));
  updateSend();
}

// The photo "Send" would send: the camera's, or the chosen file.
function chosenPhoto() {
  return captured || $("photo").files[0] || null;
}

function updateSend() {
  const campaign = campaigns.find((c) => c.campaign_id === $("campaign").value);
  $("send").disabled = !chosenPhoto() || !campaign || campaign.status === "closed";
}

// The camera's photo, shown before it is sent (a new one replaces it; a chosen file too).
function showCaptured(file) {
  const image = $("captured-image");
  if (image.src) URL.revokeObjectURL(image.src);
  captured = file;
  $("captured").hidden = !file;
  if (file) {
    image.src = URL.createObjectURL(file);
    image.alt = t("camera.takenAlt");
    $("captured-caption").textContent = `${t("camera.taken")} · ${(file.size / 1048576).toFixed(1)} MB`;
    $("chosen").textContent = "";
  } else {
    image.removeAttribute("src");
  }
  updateSend();
}

function showCampaign() {
  const campaign = campaigns.find((c) => c.campaign_id === $("campaign").value);
  $("rules").replaceChildren();
  $("reference").replaceChildren();
  $("checklist-title").hidden = true;
  camera.setGuide(null);
  schedule = null;
  // The same campaign again (a reload of the list after a photo): its words stay while it is
  // fetched again, so a verdict drawn meanwhile keeps them.
  if (!campaign || guidelineOf !== campaign.campaign_id) guideline = null;
  showInfo(campaign);
  if (!campaign) { showLatest(null); return; }
  api("GET", `/campaigns/${encodeURIComponent(campaign.campaign_id)}`).then((full) => {
    if ($("campaign").value !== campaign.campaign_id) return; // another campaign was picked meanwhile
    schedule = (full.schedule || {})[storeId()] || null;
    guideline = full.guideline;
    guidelineOf = campaign.campaign_id;
    showInfo(campaign);
    // A positive checklist: what to do, not the failures' accusations.
    $("checklist-title").hidden = false;
    $("rules").replaceChildren(...full.guideline.rules.map((rule) => {
      const li = document.createElement("li");
      li.textContent = instruction(rule);
      return li;
    }));
    // The poster(s) to put up and the reference photo (the window as HQ wants it), side by side.
    const rules = full.guideline.rules;
    const posters = [...new Set(rules.filter((r) => r.type === "artwork_present" && r.parameters.mode !== "forbidden").map((r) => r.parameters.artwork))];
    const references = rules.flatMap((r) => (r.parameters && r.parameters.references) || []).slice(0, 1);
    const thumb = (name, alt, className) => {
      const figure = document.createElement("figure");
      const img = document.createElement("img");
      img.src = full.pack_links[name];
      img.alt = alt;
      img.className = className;
      img.loading = "lazy";
      figure.append(img, Object.assign(document.createElement("figcaption"), { textContent: alt }));
      return figure;
    };
    $("reference").replaceChildren(
      ...posters.filter((n) => full.pack_links[n]).map((name) => thumb(name, t("store.posterAlt", { name }), "poster")),
      ...references.filter((n) => full.pack_links[n]).map((name) => thumb(name, t("review.referenceAlt", { name }), "reference")));
    // The reference photo is also the camera's framing guide.
    camera.setGuide(references.map((n) => full.pack_links[n]).find(Boolean));
    showLatest(latestId(campaign.campaign_id));
  }).catch((err) => { $("campaign-info").textContent = err.message; });
}

// --- the latest photo: a lasting card per campaign ---------------------------------------------

// The last photo this phone sent for the store and campaign, else the latest the server judged.
const latestKey = (store, campaign) => `vetrina.latest.${store}.${campaign}`;

function latestId(campaignId) {
  return localStorage.getItem(latestKey(storeId(), campaignId)) || (schedule && schedule.latest_submission_id) || null;
}

let shownLatest = null; // the submission the card follows: an older answer must not replace a newer one

// exact: this photo (a message's link), not the latest one.
async function showLatest(submissionId, exact = false) {
  shownLatest = submissionId;
  if (pendingFor(storeId(), $("campaign").value)) { renderSending(); return; }
  if (!submissionId) { $("verdict").hidden = true; lastResult = null; return; }
  try {
    let status = await api("GET", `/submissions/${encodeURIComponent(submissionId)}`);
    if (shownLatest !== submissionId) return;
    // The server's latest judged photo is newer than a finished one this phone remembers (another
    // phone sent one since): show that.
    const judged = schedule && schedule.latest_submission_id;
    if (!exact && FINAL.includes(status.status) && judged && judged !== submissionId && status.campaign_id === $("campaign").value) {
      shownLatest = submissionId = judged;
      status = await api("GET", `/submissions/${encodeURIComponent(judged)}`);
      if (shownLatest !== submissionId) return;
    }
    if (!FINAL.includes(status.status)) {
      renderChecking();
      status = await follow(submissionId);
      if (shownLatest !== submissionId) return;
      if (!status) { $("verdict-state").textContent = t("store.stillChecking"); return; }
    }
    renderVerdict(status);
  } catch (err) {
    if (err.status === 404) { $("verdict").hidden = true; return; }
    $("verdict-state").textContent = err.message;
  }
}

function clearVerdict() {
  $("verdict").hidden = false;
  $("verdict-badge").hidden = true;
  $("verdict-score").hidden = true;
  $("verdict-image").hidden = true;
  $("legend-title").hidden = true;
  $("verdict-ok").hidden = true;
  $("retake-button").hidden = true;
  $("latest-time").textContent = "";
  $("verdict-rules").replaceChildren();
}

// While a new photo is on its way the previous verdict is cleared: it no longer describes the window.
function renderSending() {
  clearVerdict();
  $("verdict-state").textContent = t("store.sendingNew");
}

function renderChecking() {
  clearVerdict();
  $("verdict-state").textContent = t("store.pendingCheck");
}

// The campaigns of the signed-in store, as the server lists them (published or closed, newest first).
async function loadCampaigns() {
  const stores = session.user.stores;
  if (!stores.length) { campaigns = []; showInfo(null); return; }
  const query = stores.length > 1 ? `?store_id=${encodeURIComponent(storeId())}` : "";
  const { campaigns: list } = await api("GET", "/campaigns" + query);
  campaigns = list;
  const select = $("campaign");
  const before = select.value;
  select.replaceChildren(...campaigns.map((c) => new Option(c.status === "closed" ? `${c.name} · ${t("store.closedShort")}` : c.name, c.campaign_id)));
  const open = campaigns.find((c) => c.status !== "closed");
  if (campaigns.some((c) => c.campaign_id === before)) select.value = before;
  else if (open) select.value = open.campaign_id;
  showCampaign();
}

function uploadWithProgress(upload, file, onProgress) {
  // A browser form POST, as S3 expects: the policy fields first, the file last.
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append("file", file, "photo.jpg");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(Math.round((100 * e.loaded) / e.total));
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let why = t("error.upload") + ` (${xhr.status})`;
      try {
        const problem = JSON.parse(xhr.responseText).error;
        why = errorText(problem.code, problem.message);
      } catch (_) { /* S3 answers XML */ }
      reject(Object.assign(new Error(why), { status: xhr.status }));
    };
    xhr.onerror = () => reject(Object.assign(new Error(t("error.network")), { status: 0 }));
    xhr.send(form);
  });
}

const FOLLOW_MS = 5 * 60 * 1000; // then stop polling: the verdict also arrives in the messages

async function follow(submissionId) {
  for (const until = Date.now() + FOLLOW_MS; Date.now() < until;) {
    const status = await api("GET", `/submissions/${submissionId}`);
    if (FINAL.includes(status.status)) return status;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return null;
}

// A rule of the result as a line of the legend: its number (the mark on the photo), its status, its words.
function ruleLine(rule, number) {
  const li = document.createElement("li");
  li.className = "rule " + rule.status;
  const mark = Object.assign(document.createElement("span"), { className: "mark " + rule.status, textContent: String(number) });
  mark.setAttribute("aria-hidden", "true");
  const tag = Object.assign(document.createElement("span"), { className: "tag " + rule.status, textContent: t("rule." + rule.status) });
  const text = Object.assign(document.createElement("span"), { textContent: ruleText(rule) });
  li.append(mark, tag, text);
  return li;
}

function renderVerdict(status) {
  lastResult = status;
  clearVerdict();
  $("verdict-state").textContent = "";
  $("retake-button").hidden = status.status === "done" && status.result.verdict === "pass";
  const created = new Date(status.created_at);
  $("latest-time").textContent = isNaN(created) ? "" : t("store.latestAt", {
    time: created.toLocaleString(dateLocale(), { dateStyle: "medium", timeStyle: "short" }) });
  const badge = $("verdict-badge");
  badge.hidden = false;
  const image = $("verdict-image");
  const shown = status.images && (status.images.overlay || status.images.normalised || status.images.thumbnail);
  image.hidden = !shown;
  if (shown) image.src = shown;
  if (status.status !== "done") {
    badge.className = "badge fail";
    badge.textContent = t("status." + status.status);
    image.alt = t("status." + status.status);
    const li = document.createElement("li");
    li.textContent = status.reason_code && hasString("reason." + status.reason_code) ? t("reason." + status.reason_code) : status.reason;
    $("verdict-rules").append(li);
    return;
  }
  const verdict = status.result.verdict;
  badge.className = "badge " + verdict;
  badge.textContent = t("verdict." + verdict);
  // A merchandiser's decision is the last word: it replaces the model's verdict, with its comment.
  const review = status.review || {};
  const decision = { approved: "approve", rejected: "reject", retake_requested: "retake" }[review.state];
  if (decision) {
    badge.className = "badge " + { approve: "pass", reject: "fail", retake: "retake" }[decision];
    badge.textContent = t("decision." + decision);
    $("verdict-state").textContent = review.comment ? t("news.comment", { comment: review.comment }) : "";
    if (decision !== "approve") $("retake-button").hidden = false;
  }
  // No score on a retake: the photo could not be judged, a number would read as a judgement.
  const score = status.result.score;
  $("verdict-score").hidden = verdict === "retake" || typeof score !== "number";
  $("verdict-score").textContent = t("store.score", { pct: Math.round((score || 0) * 100) });
  // Failures first, in words; then what a person decides; the rules that passed (or were not
  // judged) folded. Each keeps its number: the overlay marks it with the same one.
  // A reviewer's override is the rule's status (the marks on the photo keep the model's colours).
  const overrides = status.overrides || {};
  const numbered = status.result.rules.map((rule, i) => ({
    rule: overrides[rule.id] ? { ...rule, status: overrides[rule.id].reviewer } : rule, number: i + 1 }));
  const order = { fail: 0, uncertain: 1, error: 2 };
  const open = numbered.filter(({ rule }) => rule.status in order).sort((a, b) => order[a.rule.status] - order[b.rule.status]);
  const folded = numbered.filter(({ rule }) => !(rule.status in order));
  $("verdict-rules").replaceChildren(...open.map(({ rule, number }) => ruleLine(rule, number)));
  $("verdict-ok-rules").replaceChildren(...folded.map(({ rule, number }) => ruleLine(rule, number)));
  const passed = folded.filter(({ rule }) => rule.status === "pass").length;
  $("verdict-ok").hidden = !folded.length;
  $("verdict-ok").open = false;
  $("verdict-ok-summary").textContent = passed === 1 ? t("store.oneOk") : t("store.okFolded", { n: passed })
    + (folded.length > passed ? ` · ${folded.length - passed} ${t("rule.skipped").toLowerCase()}` : "");
  $("legend-title").hidden = !shown;
  // The picture's text alternative: the verdict and the failures; the legend below says the rest.
  const summary = [t("verdict." + verdict), ...open.map(({ rule, number }) => `${number}: ${ruleText(rule)}`)].join("; ");
  image.alt = t("store.overlayAlt", { summary });
}

// The store's messages, newest first, a page at a time: when, what, the comment if there is one,
// and a link that opens the photo in the card.
async function loadNews(more = false) {
  const store = storeId();
  if (!store) return;
  let items = [];
  let cursor = null;
  try {
    const query = `store_id=${encodeURIComponent(store)}` + (more && newsCursor ? `&cursor=${encodeURIComponent(newsCursor)}` : "");
    ({ notifications: items, cursor } = await api("GET", `/notifications?${query}`));
  } catch (err) {
    if (err.status === 404) { $("news").hidden = true; return; } // in AWS, messages arrive by e-mail or push instead
    $("news-list").replaceChildren(Object.assign(document.createElement("li"), { textContent: err.message }));
    return;
  }
  newsCursor = cursor;
  $("news-more").hidden = !cursor;
  const lines = items.map(newsLine);
  if (more) $("news-list").append(...lines);
  else $("news-list").replaceChildren(...(lines.length ? lines : [Object.assign(document.createElement("li"), { textContent: t("store.noNews") })]));
}

function newsLine(n) {
  const li = document.createElement("li");
  const p = n.payload || {};
  const at = new Date(n.at);
  const time = document.createElement("time");
  time.dateTime = n.at;
  time.textContent = isNaN(at) ? n.at : at.toLocaleString(dateLocale(), { dateStyle: "medium", timeStyle: "short" });
  const what = document.createElement("span");
  what.textContent = n.type === "review.decided"
    ? t("decision." + p.decision)
    : n.type === "reminder.sent" // HQ's reminder (the dashboard): which campaign, by when
      ? t("news.reminder.sent", { campaign: p.campaign_name, deadline: new Date(p.deadline_at).toLocaleString(dateLocale(), { dateStyle: "long", timeStyle: "short" }) })
      : t("news.analysis.finished", { verdict: t(p.verdict ? "verdict." + p.verdict : "status." + p.status) });
  li.append(time, what);
  if (p.comment) li.append(Object.assign(document.createElement("span"), { className: "comment", textContent: t("news.comment", { comment: p.comment }) }));
  if (p.submission_id) {
    const open = Object.assign(document.createElement("button"), { type: "button", className: "link-button", textContent: t("store.openPhoto") });
    open.addEventListener("click", () => { showLatest(p.submission_id, true); $("verdict").scrollIntoView({ behavior: "smooth" }); });
    li.append(open);
  }
  return li;
}

async function loadShowcase() {
  const { windows } = await api("GET", "/showcase?limit=6");
  $("showcase").hidden = !windows.length;
  $("showcase-list").replaceChildren(...windows.map((w) => {
    const li = document.createElement("li");
    const img = document.createElement("img");
    img.src = w.image || "";
    img.alt = t("gallery.photoOf", { store: w.store_id });
    img.loading = "lazy";
    li.append(img);
    return li;
  }));
}

// The chosen photo goes to the queue (made smaller first); the queue sends it. The file input is
// emptied: "Send" waits for a new photo, so a second tap cannot send the same one twice.
async function send() {
  const file = chosenPhoto();
  if (!file) return;
  const item = { store: storeId(), campaign: $("campaign").value, retakeOf, name: file.name };
  retakeOf = null;
  $("photo").value = "";
  showCaptured(null);
  $("chosen").textContent = t("store.chooseNew");
  updateSend();
  renderSending();
  $("upload-state").textContent = t("queue.preparing");
  await uploads.add(file, item);
  $("upload-state").textContent = "";
}

// The queue's state, one line per photo (uploads tells when it changes).
function renderQueue(items) {
  $("queue-box").hidden = !items.length;
  $("queue").replaceChildren(...items.map((item) => {
    const li = document.createElement("li");
    li.className = item.state;
    const name = Object.assign(document.createElement("span"), {
      textContent: `${item.name} · ${t("queue.resized", { from: (item.originalSize / 1048576).toFixed(1), to: (item.blob.size / 1048576).toFixed(1) })}` });
    const waitS = Math.max(0, Math.round((item.nextAt - Date.now()) / 1000));
    const text = {
      queued: navigator.onLine ? t("queue.uploading", { pct: 0 }) : t("queue.waiting"),
      waiting: t("queue.waiting"),
      retrying: t("queue.retrying", { why: item.why || "", s: waitS }),
      uploading: t("queue.uploading", { pct: item.pct || 0 }),
      checking: t("queue.checking"),
      failed: t("queue.failed", { why: item.why || "" }),
    }[item.state] || item.state;
    const state = Object.assign(document.createElement("span"), { className: "queue-state", textContent: text });
    li.append(name, state);
    if (item.state === "failed" || item.state === "retrying" || item.state === "waiting") {
      const actions = Object.assign(document.createElement("div"), { className: "queue-actions" });
      const again = Object.assign(document.createElement("button"), { type: "button", className: "button", textContent: t("queue.retryNow") });
      again.addEventListener("click", () => uploads.retry(item.id));
      const remove = Object.assign(document.createElement("button"), { type: "button", className: "button", textContent: t("queue.remove") });
      remove.addEventListener("click", () => uploads.remove(item.id));
      actions.append(again, remove);
      li.append(actions);
    }
    return li;
  }));
  const progress = items.find((i) => i.state === "uploading");
  $("progress").hidden = !progress;
  if (progress) $("progress").value = progress.pct || 0;
}

let queued = []; // the queue's items as last shown

function pendingFor(store, campaign) {
  return queued.some((i) => i.store === store && i.campaign === campaign && i.state !== "failed");
}

// How the queue sends one photo: a submission (or a retake) for its store and campaign, then the
// upload. Kept here: the queue knows storage and retries, not the API.
const sender = {
  create(item) {
    return item.retakeOf
      ? api("POST", `/submissions/${item.retakeOf}/retake`, { content_type: item.type })
      : api("POST", `/campaigns/${encodeURIComponent(item.campaign)}/submissions`, { store_id: item.store, content_type: item.type });
  },
  upload: uploadWithProgress,
  sent(item, submissionId) {
    localStorage.setItem(latestKey(item.store, item.campaign), submissionId);
    if (item.store === storeId() && item.campaign === $("campaign").value) {
      showLatest(submissionId).then(() => {
        loadNews();
        loadCampaigns().catch(() => {}); // the campaign's state for this store has changed
      });
    }
  },
  changed(items) {
    const before = pendingFor(storeId(), $("campaign").value);
    queued = items;
    renderQueue(items);
    // A photo that could not be sent: the card shows the latest sent one again.
    const failed = items.some((i) => i.store === storeId() && i.campaign === $("campaign").value && i.state === "failed");
    if (before && failed && !pendingFor(storeId(), $("campaign").value)) showLatest(latestId($("campaign").value));
  },
};

document.addEventListener("DOMContentLoaded", () => {
  applyStrings();
  $("lang").addEventListener("click", switchLanguage);
  session.start((user) => {
    if (user.role !== "store") { session.showWrongPage("store.forStores", "/gallery", "store.toGallery"); return; }
    showStores();
    $("campaign").addEventListener("change", showCampaign);
    camera.start((file) => { showCaptured(file); $("send").focus(); });
    $("photo").addEventListener("change", () => {
      if ($("photo").files[0]) showCaptured(null); // the chosen file replaces the camera's photo
      const file = $("photo").files[0];
      $("chosen").textContent = file ? `${file.name} · ${(file.size / 1048576).toFixed(1)} MB` : "";
      updateSend();
    });
    $("news-more").addEventListener("click", () => loadNews(true));
    uploads.start(sender);
    $("send").addEventListener("click", send);
    $("retake-button").addEventListener("click", () => {
      retakeOf = lastResult && lastResult.submission_id;
      $("shoot").scrollIntoView({ behavior: "smooth" });
      $("photo").click();
    });
    $("store-id").addEventListener("change", () => {
      localStorage.setItem("vetrina.store", storeId());
      loadNews();
      loadCampaigns().catch((err) => { $("campaign-info").textContent = err.message; });
    });
    loadCampaigns().catch((err) => { $("campaign-info").textContent = err.message; });
    loadNews();
    loadShowcase().catch(() => { $("showcase").hidden = true; });
  });
});
document.addEventListener("languagechange", () => {
  if (!session.user || session.user.role !== "store") return;
  loadCampaigns().catch(() => {});
  loadNews();
  if (lastResult) renderVerdict(lastResult);
  renderQueue(queued);
  if (captured) showCaptured(captured);
});
