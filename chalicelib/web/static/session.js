// Who is signed in, for every page (loaded after i18n.js, before the page's own script).
//
// The token arrives in the URL's fragment — #token=… from a local sign-in link (`make run` prints
// them, HQ sends them), #id_token=… from Cognito's hosted sign-in — or is pasted into the sign-in
// panel. It is kept in localStorage and taken out of the address bar at once. Its claims are read
// here only to show who is signed in and to pre-fill the page (the store, the regions): the server
// verifies the token on every call, so nothing here is trusted.
const session = (() => {
  const KEY = "vetrina.token";
  const REASON = "vetrina.signin-reason"; // a reason to show after a reload (a bad link)
  const FRAGMENT_NAMES = ["token", "id_token", "access_token", "expires_in", "token_type", "state"];
  const BROADEST_FIRST = ["hq", "merchandiser", "store"]; // as on the server: the broadest role wins

  function base64url(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
    return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  }

  // A claim that is a list: a JSON list, "a,b", or API Gateway's "[a b]".
  function list(value) {
    if (Array.isArray(value)) return value.map(String);
    if (value == null) return [];
    return String(value).replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean);
  }

  // The claims of a JWT, or null when the text is not one. No signature check: the server does it.
  function decode(text) {
    const parts = (text || "").split(".");
    if (parts.length !== 3) return null;
    let payload;
    try { payload = JSON.parse(base64url(parts[1])); } catch (_) { return null; }
    if (!payload || typeof payload !== "object") return null;
    const groups = list(payload["cognito:groups"]);
    return {
      username: String(payload["cognito:username"] || payload.email || payload.sub || "?"),
      role: BROADEST_FIRST.find((r) => groups.includes(r)) || null,
      stores: list(payload["custom:stores"]),
      regions: list(payload["custom:regions"]),
      exp: typeof payload.exp === "number" ? payload.exp : null,
    };
  }

  // A token pasted as is, or a whole sign-in link.
  function tokenIn(text) {
    const trimmed = (text || "").trim();
    const hash = trimmed.indexOf("#");
    if (hash >= 0) {
      const fragment = new URLSearchParams(trimmed.slice(hash + 1));
      return fragment.get("id_token") || fragment.get("token") || "";
    }
    return trimmed.replace(/^Bearer\s+/i, "");
  }

  const expired = (claims) => claims.exp !== null && claims.exp * 1000 <= Date.now();

  // Take the token out of the address bar (it must not stay in the history or be shared by copying
  // the URL); keep whatever else the fragment holds. True when the fragment held one.
  let reason = null; // why the sign-in panel is shown: {key, why}
  function takeFromFragment() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const found = fragment.get("id_token") || fragment.get("token");
    if (found === null) return false;
    FRAGMENT_NAMES.forEach((name) => fragment.delete(name));
    const rest = fragment.toString();
    history.replaceState(history.state, "", location.pathname + location.search + (rest ? "#" + rest : ""));
    if (decode(found)) {
      localStorage.setItem(KEY, found);
      sessionStorage.removeItem(REASON);
    } else {
      localStorage.removeItem(KEY);
      sessionStorage.setItem(REASON, JSON.stringify({ key: "signin.badLink" }));
    }
    return true;
  }
  takeFromFragment();
  // A sign-in link opened in a tab already on this page changes only the fragment: start again.
  window.addEventListener("hashchange", () => { if (takeFromFragment()) location.reload(); });
  try { reason = JSON.parse(sessionStorage.getItem(REASON)); } catch (_) { reason = null; }
  sessionStorage.removeItem(REASON);

  let token = localStorage.getItem(KEY);
  let user = token ? decode(token) : null;
  if (token && !user) { forget(); reason = reason || { key: "signin.badToken" }; }
  if (user && expired(user)) { forget(); reason = { key: "signin.expired" }; }

  function forget() {
    localStorage.removeItem(KEY);
    token = null;
    user = null;
  }

  // --- API calls ---------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(message, status, code) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function authorised(options = {}) {
    const headers = { ...(options.headers || {}) };
    if (token) headers.Authorization = "Bearer " + token;
    return { ...options, headers };
  }

  // fetch() with the Authorization header.
  function signedFetch(path, options) {
    return fetch(path, authorised(options));
  }

  // A JSON call. 401: the sign-in panel replaces the page. 403: an ApiError whose message says the
  // account may not do this (the page shows it). Other errors: the server's message.
  async function api(method, path, body) {
    const options = { method };
    if (body !== undefined) {
      options.headers = { "Content-Type": "application/json" };
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await signedFetch(path, options);
    } catch (_) {
      throw new ApiError(t("session.offline"), 0, "network");
    }
    const data = await response.json().catch(() => ({}));
    if (response.ok) return data;
    const problem = data.error || {};
    // Translated by its code where the pages have the words; else the server's message.
    const why = errorText(problem.code, problem.message || response.statusText || String(response.status));
    if (response.status === 401) {
      forget();
      showSignIn(problem.code === "token_expired" ? { key: "signin.expired" } : { key: "signin.refused", why });
      throw new ApiError(t("signin.refused", { why }), 401, problem.code);
    }
    if (response.status === 403) throw new ApiError(t("session.forbidden", { why }), 403, problem.code);
    throw new ApiError(why, response.status, problem.code);
  }

  // --- what the page shows -----------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  // One panel in place of the page's content (the sign-in form, or "this page is not for you").
  function showPanel(panel) {
    const main = document.querySelector("main");
    const old = $("session-panel");
    if (old) old.remove();
    for (const child of main.children) child.hidden = true;
    panel.id = "session-panel";
    main.prepend(panel);
    applyStrings(panel);
    renderAccount();
  }

  // The command that mints a token is for a developer at the machine that runs the local backend:
  // it is offered (folded) only to a page opened from that machine's loopback address. Store staff
  // reach a shop's server by its network address, or the AWS pages by theirs, and never see it.
  function onDevelopersMachine() {
    const host = location.hostname;
    return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
  }

  function showSignIn(why) {
    reason = why || reason;
    const input = el("textarea", { id: "token-input", rows: "3", autocomplete: "off", spellcheck: "false",
      "aria-describedby": "token-hint" });
    const form = el("form", { id: "sign-in-form", novalidate: "" },
      el("label", { for: "token-input", "data-i18n": "signin.paste" }),
      input,
      el("p", { id: "token-hint", class: "muted small", "data-i18n": "signin.pasteHint" }),
      el("button", { id: "sign-in", class: "button primary", type: "submit", "data-i18n": "signin.button" }),
      el("p", { id: "sign-in-error", class: "problem", role: "alert" }));
    const panel = el("section", { class: "card signin", "aria-labelledby": "sign-in-title" },
      el("h1", { id: "sign-in-title", "data-i18n": "signin.title" }),
      el("p", { id: "sign-in-reason", class: "problem" }),
      el("p", { "data-i18n": "signin.link" }),
      form);
    if (onDevelopersMachine()) {
      panel.append(el("details", { class: "devs muted small" },
        el("summary", { "data-i18n": "signin.devsTitle" }),
        el("p", { "data-i18n": "signin.devs" }),
        el("code", {}, "python -m chalicelib.devtools.cli token --role store --store S001")));
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const pasted = tokenIn(input.value);
      const claims = decode(pasted);
      const problem = !pasted ? "signin.empty" : !claims ? "signin.badToken" : expired(claims) ? "signin.expired"
        : !claims.role ? "signin.noRole" : null;
      if (problem) {
        $("sign-in-error").textContent = t(problem);
        input.focus();
        return;
      }
      localStorage.setItem(KEY, pasted);
      location.reload(); // the page starts again, signed in
    });
    showPanel(panel);
    renderReason();
  }

  function renderReason() {
    const node = $("sign-in-reason");
    if (!node) return;
    node.textContent = reason ? t(reason.key, { why: reason.why || "" }) : "";
    node.hidden = !reason;
  }

  // "This page is for …": a signed-in user of another role, with a link to its own page.
  function showWrongPage(messageKey, href, linkKey) {
    const panel = el("section", { class: "card signin", "aria-labelledby": "wrong-page-title" },
      el("h1", { id: "wrong-page-title", "data-i18n": "session.otherPage" }),
      el("p", { id: "wrong-page-text" }),
      el("a", { class: "button primary", href, "data-i18n": linkKey }));
    showPanel(panel);
    const render = () => { $("wrong-page-text").textContent = t(messageKey, describe()); };
    render();
    document.addEventListener("languagechange", render);
  }

  function describe() {
    return user ? { name: user.username, role: t("role." + user.role) } : {};
  }

  // The header: who is signed in, and the sign-out button.
  function renderAccount() {
    const who = $("who");
    const out = $("sign-out");
    if (!who || !out) return;
    // The name, then the role (which a phone's narrow header leaves out: the page says it anyway).
    who.replaceChildren();
    if (user) {
      who.title = t("session.who", describe());
      who.append(el("span", { class: "who-name" }, user.username), el("span", { class: "who-role" }, " · " + t("role." + user.role)));
    }
    who.hidden = !user;
    out.hidden = !user;
  }

  function signOut() {
    forget();
    reason = { key: "signin.signedOut" };
    showSignIn();
  }

  // The page's start: run it when someone is signed in, else show the sign-in panel.
  function start(run) {
    const out = $("sign-out");
    if (out) out.addEventListener("click", signOut);
    renderAccount();
    if (!user || !user.role) {
      if (user && !user.role) { forget(); reason = { key: "signin.noRole" }; }
      showSignIn();
      return;
    }
    run(user);
  }

  document.addEventListener("languagechange", () => { renderAccount(); renderReason(); });

  return {
    get token() { return token; },
    get user() { return user; },
    decode,
    api,
    fetch: signedFetch,
    start,
    signOut,
    showSignIn,
    showWrongPage,
    ApiError,
  };
})();
