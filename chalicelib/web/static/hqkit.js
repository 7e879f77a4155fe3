// What HQ's pages share (the dashboard, the store list, the campaign set-up): small DOM helpers,
// number and date formats in the page's language, every page of a listing, the confirmation dialog.
const hq = (() => {
  const $ = (id) => document.getElementById(id);

  // An element with attributes and children; text children are text nodes (never parsed as HTML).
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  const pct = (share) => (share === null || share === undefined ? "–" : `${Math.round(share * 1000) / 10}%`);
  const num = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString(dateLocale()));

  function when(iso) {
    if (!iso) return "–";
    return new Date(iso).toLocaleString(dateLocale(), { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  function day(iso) {
    if (!iso) return "–";
    return new Date(iso).toLocaleDateString(dateLocale(), { day: "numeric", month: "short", year: "numeric" });
  }

  // Every page of a listing (`key` names the list in the answer); HQ's lists stay in the thousands.
  // `onPage` sees the rows so far after each page, so a long list shows while the rest comes.
  async function all(path, key, limit = 500, onPage = null) {
    let cursor = null;
    const out = [];
    do {
      const query = new URLSearchParams({ limit: String(limit) });
      if (cursor) query.set("cursor", cursor);
      const page = await session.api("GET", path + (path.includes("?") ? "&" : "?") + query);
      out.push(...page[key]);
      cursor = page.cursor;
      if (onPage) onPage(out, Boolean(cursor));
    } while (cursor);
    return out;
  }

  // A yes/no question in the page's <dialog id="confirm">: resolves true when confirmed.
  function confirm(text, changes = []) {
    const dialog = $("confirm");
    $("confirm-text").textContent = text;
    $("confirm-changes").replaceChildren(...changes.map((c) => el("li", { text: c })));
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
      dialog.returnValue = "";
      dialog.showModal();
      $("confirm-no").focus(); // the safe answer first
    });
  }

  // The page's start, for the roles it serves: HQ's pages are HQ's, the dashboard also a
  // merchandiser's (its regions: the server scopes every number). Others are sent to their page.
  function start(run, roles = ["hq"]) {
    document.addEventListener("DOMContentLoaded", () => {
      applyStrings();
      $("lang").addEventListener("click", switchLanguage);
      session.start((user) => {
        if (user.role === "store") { session.showWrongPage("hq.forHq", "/", "gallery.toStore"); return; }
        if (!roles.includes(user.role)) { session.showWrongPage("hq.forHq", "/gallery", "hq.toGallery"); return; }
        run(user);
      });
    });
  }

  return { $, el, pct, num, when, day, all, confirm, start };
})();
