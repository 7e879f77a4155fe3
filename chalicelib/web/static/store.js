// The store's page: pick the campaign, take the photo, upload it straight to storage through the
// presigned POST (with progress), then follow the analysis until the verdict.
const $ = (id) => document.getElementById(id);
const FINAL = ["done", "rejected", "error"];
let campaigns = [];
let schedule = null; // the picked campaign's start and deadline for this store, in its timezone
let lastResult = null;
let retakeOf = null; // the submission a new photo replaces: the retake is linked to it

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

function ruleLabel(rule) {
  if (rule.type === "photo_quality") return t("check." + rule.parameters.check);
  return rule.message;
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

function updateSend() {
  const campaign = campaigns.find((c) => c.campaign_id === $("campaign").value);
  $("send").disabled = !$("photo").files.length || !campaign || campaign.status === "closed";
}

function showCampaign() {
  const campaign = campaigns.find((c) => c.campaign_id === $("campaign").value);
  $("rules").replaceChildren();
  $("reference").replaceChildren();
  schedule = null;
  showInfo(campaign);
  if (!campaign) return;
  api("GET", `/campaigns/${encodeURIComponent(campaign.campaign_id)}`).then((full) => {
    if ($("campaign").value !== campaign.campaign_id) return; // another campaign was picked meanwhile
    schedule = (full.schedule || {})[storeId()] || null;
    showInfo(campaign);
    for (const rule of full.guideline.rules) {
      const li = document.createElement("li");
      li.textContent = ruleLabel(rule);
      $("rules").append(li);
    }
    // The reference photo: the window as HQ wants it.
    const references = full.guideline.rules.flatMap((r) => (r.parameters && r.parameters.references) || []);
    $("reference").replaceChildren(...references.filter((n) => full.pack_links[n]).slice(0, 1).map((name) => {
      const img = document.createElement("img");
      img.src = full.pack_links[name];
      img.alt = t("review.referenceAlt", { name });
      img.className = "reference";
      return img;
    }));
  }).catch((err) => { $("campaign-info").textContent = err.message; });
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

function uploadWithProgress(upload, file) {
  // A browser form POST, as S3 expects: the policy fields first, the file last.
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round((100 * e.loaded) / e.total);
      $("progress").value = pct;
      $("upload-state").textContent = t("store.uploading", { pct });
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let why = xhr.statusText || String(xhr.status);
      try { why = JSON.parse(xhr.responseText).error.message; } catch (_) { /* S3 answers XML */ }
      reject(new Error(why));
    };
    xhr.onerror = () => reject(new Error("network"));
    xhr.send(form);
  });
}

async function follow(submissionId) {
  for (;;) {
    const status = await api("GET", `/submissions/${submissionId}`);
    if (FINAL.includes(status.status)) return status;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function renderVerdict(status) {
  lastResult = status;
  $("retake-button").hidden = status.status === "done" && status.result.verdict === "pass";
  $("verdict").hidden = false;
  const badge = $("verdict-badge");
  const list = $("verdict-rules");
  list.replaceChildren();
  const image = $("verdict-image");
  const shown = status.images && (status.images.overlay || status.images.normalised || status.images.thumbnail);
  image.hidden = !shown;
  if (shown) image.src = shown;
  if (status.status !== "done") {
    badge.className = "badge fail";
    badge.textContent = t("status." + status.status);
    const li = document.createElement("li");
    li.textContent = status.reason;
    list.append(li);
    return;
  }
  const verdict = status.result.verdict;
  badge.className = "badge " + verdict;
  badge.textContent = t("verdict." + verdict);
  for (const rule of status.result.rules) {
    const li = document.createElement("li");
    li.className = "rule " + rule.status;
    const tag = document.createElement("span");
    tag.className = "tag " + rule.status;
    tag.textContent = t("rule." + rule.status);
    const text = document.createElement("span");
    text.textContent = rule.message;
    li.append(tag, text);
    list.append(li);
  }
  $("verdict").scrollIntoView({ behavior: "smooth" });
}

async function loadNews() {
  const store = storeId();
  if (!store) return;
  let items = [];
  try {
    ({ notifications: items } = await api("GET", `/notifications?store_id=${encodeURIComponent(store)}`));
  } catch (err) {
    if (err.status === 404) { $("news").hidden = true; return; } // in AWS, messages arrive by e-mail or push instead
    $("news-list").replaceChildren(Object.assign(document.createElement("li"), { textContent: err.message }));
    return;
  }
  $("news-list").replaceChildren(...(items.length ? items : [null]).map((n) => {
    const li = document.createElement("li");
    if (!n) { li.textContent = t("store.noNews"); return li; }
    const p = n.payload;
    li.textContent = n.type === "review.decided"
      ? t("news.review.decided", { decision: t("decision." + p.decision), comment: p.comment || "" })
      : n.type === "reminder.sent" // HQ's reminder (the dashboard): which campaign, by when
        ? t("news.reminder.sent", { campaign: p.campaign_name, deadline: new Date(p.deadline_at).toLocaleString(dateLocale(), { dateStyle: "long", timeStyle: "short" }) })
      : t("news.analysis.finished", { verdict: t(p.verdict ? "verdict." + p.verdict : "status." + p.status) });
    return li;
  }));
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

async function send() {
  const store = storeId();
  const file = $("photo").files[0];
  $("send").disabled = true;
  $("progress").hidden = false;
  $("progress").value = 0;
  try {
    const contentType = file.type || "image/jpeg";
    const created = retakeOf
      ? await api("POST", `/submissions/${retakeOf}/retake`, { content_type: contentType })
      : await api("POST", `/campaigns/${encodeURIComponent($("campaign").value)}/submissions`, { store_id: store, content_type: contentType });
    retakeOf = null;
    await uploadWithProgress(created.upload, file);
    $("upload-state").textContent = t("store.checking");
    renderVerdict(await follow(created.submission_id));
    $("upload-state").textContent = "";
    loadNews();
    loadCampaigns().catch(() => {}); // the campaign's state for this store has changed
  } catch (err) {
    $("upload-state").textContent = t("store.uploadFailed", { why: err.message });
  } finally {
    updateSend();
    $("progress").hidden = true;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  applyStrings();
  $("lang").addEventListener("click", switchLanguage);
  session.start((user) => {
    if (user.role !== "store") { session.showWrongPage("store.forStores", "/gallery", "store.toGallery"); return; }
    showStores();
    $("campaign").addEventListener("change", showCampaign);
    $("photo").addEventListener("change", () => {
      const file = $("photo").files[0];
      $("chosen").textContent = file ? `${file.name} · ${(file.size / 1048576).toFixed(1)} MB` : "";
      updateSend();
    });
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
});
