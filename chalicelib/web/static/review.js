// The review page: the photo (overlay on/off, zoom), the rule table with overrides, the decision,
// the comment thread and history. Keys: j/k next/previous in the gallery's list, a approve, r reject.
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const submissionId = params.get("submission");
let current = null;

const call = session.api;

// Every decision, override and comment is recorded under the signed-in user's name by the server.
function showSignedAs() {
  $("signed-as").textContent = t("review.signedAs", { name: session.user.username });
}

async function showReferences() {
  const campaign = await call("GET", `/campaigns/${encodeURIComponent(current.campaign_id)}`);
  const names = campaign.guideline.rules.flatMap((r) => (r.parameters && r.parameters.references) || []);
  $("references").replaceChildren(...[...new Set(names)].filter((n) => campaign.pack_links[n]).map((name) => {
    const img = document.createElement("img");
    img.src = campaign.pack_links[name];
    img.alt = t("review.referenceAlt", { name });
    return img;
  }));
  if (!$("references").children.length) $("references").textContent = t("review.noReference");
}

function showLinks() {
  const parts = [];
  for (const [field, key] of [["previous_submission_id", "review.previous"], ["retaken_by", "review.retakenBy"]]) {
    if (current[field]) parts.push(`<a href="/review?submission=${current[field]}">${t(key)}</a>`);
  }
  $("links").innerHTML = parts.join(" · ");
}

function showPhoto() {
  const images = current.images || {};
  $("photo").src = ($("show-overlay").checked && images.overlay) || images.normalised || images.thumbnail || "";
  const marked = $("show-overlay").checked && images.overlay;
  $("photo").alt = t(marked ? "review.overlayAlt" : "gallery.photoOf", { store: current.store_id });
}

function renderRules() {
  const rules = (current.result && current.result.rules) || [];
  // Each rule's number is the one the overlay draws on the photo: the table is the legend.
  $("rules").replaceChildren(...rules.map((rule, index) => {
    const tr = document.createElement("tr");
    const override = current.overrides[rule.id];
    const value = rule.value == null ? "" : String(rule.value);
    tr.innerHTML = `<th scope="row"></th><td><span class="tag ${rule.status}"></span></td><td class="num"></td><td></td>`;
    tr.children[0].append(Object.assign(document.createElement("span"), { className: "mark " + rule.status, textContent: String(index + 1) }),
      " " + rule.id);
    tr.children[0].title = rule.message;
    tr.querySelector(".tag").textContent = t("rule." + rule.status);
    tr.children[2].textContent = value;
    const select = document.createElement("select");
    select.setAttribute("aria-label", t("review.overrideFor", { rule: rule.id }));
    for (const [v, label] of [["", t("review.agree")], ["pass", t("rule.pass")], ["fail", t("rule.fail")]]) select.append(new Option(label, v));
    select.value = override ? override.reviewer : "";
    select.addEventListener("change", () => overrideRule(rule.id, select.value));
    tr.children[3].append(select);
    return tr;
  }));
}

async function overrideRule(ruleId, status) {
  if (!status) return;
  try {
    await call("POST", `/submissions/${submissionId}/overrides`, { rule_id: ruleId, status, comment: $("comment").value });
    $("review-state").textContent = t("review.overridden", { rule: ruleId });
    await load();
  } catch (err) { $("review-state").textContent = err.message; }
}

async function decide(decision) {
  try {
    const comment = $("comment").value;
    await call("POST", `/submissions/${submissionId}/review`, { decision, comment });
    if (comment) await call("POST", `/submissions/${submissionId}/comments`, { text: comment });
    $("review-state").textContent = t("review.decided." + decision);
    $("comment").value = "";
    await load();
  } catch (err) { $("review-state").textContent = err.message; }
}

async function feature() {
  try {
    await call("POST", `/submissions/${submissionId}/feature`, { featured: !current.featured });
    await load();
  } catch (err) { $("review-state").textContent = err.message; }
}

async function load() {
  current = await call("GET", `/submissions/${submissionId}`);
  $("title").textContent = `${current.store_id} · ${current.campaign_id}`;
  const verdict = current.result ? current.result.verdict : current.status;
  $("verdict").className = "badge " + verdict;
  $("verdict").textContent = `${t("verdict." + verdict)} · ${t("review." + current.review.state)}`;
  $("feature").textContent = t(current.featured ? "review.unfeature" : "review.feature");
  showPhoto();
  showLinks();
  renderRules();
  showReferences().catch(() => {});
  const { events } = await call("GET", `/submissions/${submissionId}/history`);
  $("history").replaceChildren(...events.map((e) => {
    const li = document.createElement("li");
    li.textContent = `${new Date(e.at).toLocaleString(dateLocale())} · ${e.by} · ${e.action}${e.text ? ": " + e.text : ""}${e.comment ? ": " + e.comment : ""}`;
    return li;
  }));
}

function step(delta) {
  const queue = JSON.parse(sessionStorage.getItem("vetrina.queue") || "[]");
  const next = queue[queue.indexOf(submissionId) + delta];
  if (next) location.search = `?submission=${next}&campaign=${encodeURIComponent(params.get("campaign") || "")}`;
}

document.addEventListener("DOMContentLoaded", () => {
  applyStrings();
  $("lang").addEventListener("click", switchLanguage);
  session.start((user) => {
    if (user.role === "store") { session.showWrongPage("gallery.forReviewers", "/", "gallery.toStore"); return; }
    $("back").href = "/gallery" + (params.get("campaign") ? "?campaign=" + encodeURIComponent(params.get("campaign")) : "");
    showSignedAs();
    $("show-overlay").addEventListener("change", showPhoto);
    $("zoom").addEventListener("click", () => $("zoom").classList.toggle("zoomed"));
    $("zoom").addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("zoom").classList.toggle("zoomed"); } });
    $("approve").addEventListener("click", () => decide("approve"));
    $("reject").addEventListener("click", () => decide("reject"));
    $("retake").addEventListener("click", () => decide("retake"));
    $("feature").addEventListener("click", feature);
    document.addEventListener("keydown", (e) => {
      if (["INPUT", "TEXTAREA", "SELECT"].includes(e.target.tagName) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "j") step(1);
      else if (e.key === "k") step(-1);
      else if (e.key === "a") decide("approve");
      else if (e.key === "r") decide("reject");
    });
    load().catch((err) => { $("review-state").textContent = err.message; });
  });
});
document.addEventListener("languagechange", () => {
  if (!session.user || session.user.role === "store") return;
  showSignedAs();
  if (current) load();
});
