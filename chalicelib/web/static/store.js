// The store's page: pick the campaign, take the photo, upload it straight to storage through the
// presigned POST (with progress), then follow the analysis until the verdict.
const $ = (id) => document.getElementById(id);
const FINAL = ["done", "rejected", "error"];
let campaigns = [];
let lastResult = null;
let retakeOf = null; // the submission a new photo replaces: the retake is linked to it

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
  return data;
}

function ruleLabel(rule) {
  if (rule.type === "photo_quality") return t("check." + rule.parameters.check);
  return rule.message;
}

function showCampaign() {
  const campaign = campaigns.find((c) => c.campaign_id === $("campaign").value);
  $("rules").replaceChildren();
  $("campaign-info").textContent = campaign ? t("store.deadline", { date: new Date(campaign.deadline).toLocaleDateString(LANG) }) : "";
  if (!campaign) return;
  api("GET", `/campaigns/${encodeURIComponent(campaign.campaign_id)}`).then((full) => {
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
  });
}

async function loadCampaigns() {
  const { campaigns: list } = await api("GET", "/campaigns");
  // Only the campaigns that target this store, once the store is known.
  const storeId = $("store-id").value.trim();
  campaigns = storeId ? list.filter((c) => c.stores.includes(storeId)) : list;
  const select = $("campaign");
  select.replaceChildren(...campaigns.map((c) => new Option(c.name, c.campaign_id)));
  if (!campaigns.length) $("campaign-info").textContent = t("store.noCampaigns");
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
  const storeId = $("store-id").value.trim();
  if (!storeId) return;
  let items = [];
  try {
    ({ notifications: items } = await api("GET", `/notifications?store_id=${encodeURIComponent(storeId)}`));
  } catch (_) { return; /* in AWS, messages arrive by e-mail or push instead */ }
  $("news-list").replaceChildren(...(items.length ? items : [null]).map((n) => {
    const li = document.createElement("li");
    if (!n) { li.textContent = t("store.noNews"); return li; }
    const p = n.payload;
    li.textContent = n.type === "review.decided"
      ? t("news.review.decided", { decision: t("decision." + p.decision), comment: p.comment || "" })
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
  const storeId = $("store-id").value.trim();
  const file = $("photo").files[0];
  if (!storeId) { $("upload-state").textContent = t("store.needStore"); $("store-id").focus(); return; }
  localStorage.setItem("vetrina.store", storeId);
  $("send").disabled = true;
  $("progress").hidden = false;
  $("progress").value = 0;
  try {
    const contentType = file.type || "image/jpeg";
    const created = retakeOf
      ? await api("POST", `/submissions/${retakeOf}/retake`, { content_type: contentType })
      : await api("POST", `/campaigns/${encodeURIComponent($("campaign").value)}/submissions`, { store_id: storeId, content_type: contentType });
    retakeOf = null;
    await uploadWithProgress(created.upload, file);
    $("upload-state").textContent = t("store.checking");
    renderVerdict(await follow(created.submission_id));
    $("upload-state").textContent = "";
    loadNews();
  } catch (err) {
    $("upload-state").textContent = t("store.uploadFailed", { why: err.message });
  } finally {
    $("send").disabled = !$("photo").files.length;
    $("progress").hidden = true;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  applyStrings();
  $("lang").addEventListener("click", switchLanguage);
  $("store-id").value = localStorage.getItem("vetrina.store") || "";
  $("campaign").addEventListener("change", showCampaign);
  $("photo").addEventListener("change", () => {
    const file = $("photo").files[0];
    $("chosen").textContent = file ? `${file.name} · ${(file.size / 1048576).toFixed(1)} MB` : "";
    $("send").disabled = !file;
  });
  $("send").addEventListener("click", send);
  $("retake-button").addEventListener("click", () => {
    retakeOf = lastResult && lastResult.submission_id;
    $("shoot").scrollIntoView({ behavior: "smooth" });
    $("photo").click();
  });
  $("store-id").addEventListener("change", () => { loadNews(); loadCampaigns(); });
  loadCampaigns().catch((err) => { $("campaign-info").textContent = err.message; });
  loadNews();
  loadShowcase().catch(() => { $("showcase").hidden = true; });
});
document.addEventListener("languagechange", () => { showCampaign(); loadNews(); if (lastResult) renderVerdict(lastResult); });
