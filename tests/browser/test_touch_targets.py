"""Every page's touch targets on a 390×844 phone are at least 44×44 CSS px (WCAG 2.5.5): buttons,
links in bars, form fields, a checkbox's label, the language toggle, a details' summary. The test
measures each interactive element the page shows, with data on it, and lists the offenders.

What counts as the target: a checkbox's or radio's label when it has one (the label is what a
thumb taps), a file input's label (the input itself is visually hidden), the element's own box
otherwise. A link inside a sentence is exempt, as WCAG exempts inline targets."""

from __future__ import annotations

import pytest

from chalicelib.local.server import LocalService
from tests.browser.test_browser import browser, phone, publish, shot, sign_in, submit_photo  # noqa: F401  (browser: a fixture)
from tests.support.helpers import campaign_body

pytestmark = pytest.mark.browser

MIN = 44

SMALL_TARGETS = f"""() => {{
  const MIN = {MIN};
  const visible = (el) => {{
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && !el.closest("[hidden]");
  }};
  // A link in running text: its parent holds other words beside it (not in a bar: a bar's links
  // are targets, whatever separates them).
  const inline = (el) => el.tagName === "A" && !el.classList.contains("button") && !el.closest("header, nav")
    && [...el.parentElement.childNodes].some((n) => n !== el && n.nodeType === 3 && n.textContent.trim());
  const target = (el) => {{
    const hiddenFile = el.type === "file" && getComputedStyle(el).opacity === "0"; // a styled label stands in
    if (el.tagName === "INPUT" && (["checkbox", "radio"].includes(el.type) || hiddenFile)) {{
      const label = el.closest("label") || (el.labels && el.labels[0]);
      if (label && visible(label)) return label;
    }}
    return el;
  }};
  const seen = new Set();
  const small = [];
  const candidates = document.querySelectorAll(
    'a[href], button, select, textarea, input:not([type="hidden"]), summary, [role="button"], [tabindex]:not([tabindex="-1"])');
  for (const el of candidates) {{
    const box = target(el);
    if (seen.has(box) || !visible(box) || inline(el)) continue;
    if (box !== el && !visible(box)) continue;
    seen.add(box);
    const r = box.getBoundingClientRect();
    if (r.width < MIN - 0.5 || r.height < MIN - 0.5) {{
      const name = (box.getAttribute("aria-label") || box.textContent || box.value || "").trim().replace(/\\s+/g, " ").slice(0, 30);
      const id = box.id ? "#" + box.id : "";
      const cls = typeof box.className === "string" && box.className ? "." + box.className.trim().split(/\\s+/).join(".") : "";
      small.push(`${{box.tagName.toLowerCase()}}${{id}}${{cls}} "${{name}}" ${{Math.round(r.width)}}×${{Math.round(r.height)}}`);
    }}
  }}
  return small;
}}"""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A local server with the campaign "autumn" for S001 and S002 and one analysed photo of S001."""
    from tests.support.helpers import local_environment

    env = local_environment(tmp_path_factory.mktemp("data"))
    env.pop("VETRINA_PUBLIC_URL", None)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("VETRINA_PUBLIC_URL", raising=False)
        for key, value in env.items():
            patch.setenv(key, value)
        with LocalService("127.0.0.1", 0) as service:
            publish(service, "autumn", campaign_body(("S001", "S002")))
            submission_id = submit_photo(service, "S001")
            yield service, submission_id


# Each page as its user opens it, and what shows that the page has drawn its data.
PAGES = [
    ("sign-in", "/", None, {}, "#session-panel"),
    ("store", "/", "store", {"stores": ("S001",)}, "#verdict-badge:not([hidden])"),
    ("gallery", "/gallery?campaign=autumn", "merchandiser", {"regions": ("north",)}, ".tile a"),
    ("review", "/review?submission={submission}", "hq", {}, "#rules tr"),
    ("hq", "/hq", "hq", {}, "main"),
    ("hq-stores", "/hq/stores", "hq", {}, "main"),
    ("hq-campaign", "/hq/campaigns/autumn", "hq", {}, "main"),
]


def small_targets(
    chromium, server, submission_id: str, name: str, path: str, role: str | None, scope: dict, ready: str
) -> list[str]:
    page = phone(chromium).new_page()
    path = path.format(submission=submission_id)
    if role is None:
        page.goto(server.url + path)
    else:
        sign_in(page, server, path, role, **scope)
    page.wait_for_selector(ready, timeout=30000)
    page.wait_for_load_state("networkidle")
    # Whatever is folded is opened: a folded control is a target too once shown.
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    found = page.evaluate(SMALL_TARGETS)
    shot(page, f"touch-{name}")  # tests/artifacts/: look at the pages with their larger targets
    page.context.close()
    return found


# Offenders the shared style.css cannot mend, in another page's own markup or CSS: reported to
# its owner, listed here so that every other target stays measured. A listed one that is mended
# fails the test until it is taken off the list.
KNOWN = {
    "hq": {'input "Select ': "hq.js: a row's checkbox has no label to tap (18×18); wrap it in a label"},
}


@pytest.mark.parametrize(("name", "path", "role", "scope", "ready"), PAGES, ids=[p[0] for p in PAGES])
def test_every_touch_target_is_at_least_44_px(browser, seeded, name, path, role, scope, ready):  # noqa: F811
    server, submission_id = seeded
    found = small_targets(browser, server, submission_id, name, path, role, scope, ready)
    known = KNOWN.get(name, {})
    offenders = [f for f in found if not any(f.startswith(k) for k in known)]
    assert offenders == [], f"{name}: touch targets under {MIN}×{MIN} px:\n" + "\n".join(offenders)
    mended = [k for k in known if not any(f.startswith(k) for f in found)]
    assert mended == [], f"{name}: mended, take them off KNOWN: {mended}"


def test_the_measure_finds_a_small_target(browser, seeded):  # noqa: F811
    server, _ = seeded
    page = browser.new_page(bypass_csp=True, viewport={"width": 390, "height": 844})
    page.goto(server.url + "/")
    page.wait_for_selector("#session-panel")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<nav><a href=\"/x\" id=\"tiny\" style=\"font-size:10px\">x</a></nav>')"
    )
    assert any(found.startswith('a#tiny "x"') for found in page.evaluate(SMALL_TARGETS))
