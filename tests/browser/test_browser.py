"""The pages in a real browser (Debian's Chromium driven by Playwright), against the local server:
a store signs in from its link, uploads from a phone and sees its verdict; a merchandiser filters
its region's gallery, opens the photo, overrides a rule, rejects with a comment and features the
window; the store sees the decision and the showcase; without a token the pages ask to sign in.
Screenshots go to tests/artifacts/ (look at them)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import requests

from chalicelib.devtools.synthetic import to_jpeg, window_photo
from chalicelib.local.server import LocalService
from tests.support.chromium import CHROMIUM, launch
from tests.support.helpers import campaign_body, http_session, token

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

# Every control must have an accessible name: a <label>, aria-label, or its own text.
UNNAMED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim()
                  && !(el.closest('label') && el.closest('label').textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 80))"""


# WCAG 2 contrast of every visible piece of text against the background it sits on (the nearest
# ancestor with an opaque background); disabled controls are exempt, as WCAG allows.
LOW_CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('[hidden]') || el.disabled || !el.offsetParent) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const fg = rgb(getComputedStyle(el).color).slice(0, 3);
    const [a, b] = [lum(fg), lum(background(el))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) low.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return low;
}"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


STORES = [
    {"store_id": "S001", "name": "Milano Duomo", "region": "north", "timezone": "Europe/Rome"},
    {"store_id": "S002", "name": "Roma Corso", "region": "centre", "timezone": "Europe/Rome"},
]


@pytest.fixture
def server(local_env):
    """The local server with two stores in two regions and the campaign "autumn" published to both
    (as HQ, over HTTP); helpers.token() signs with this server's key (the same data folder)."""
    with LocalService("127.0.0.1", 0) as service:
        publish(service, "autumn", campaign_body(("S001", "S002")))
        yield service


def publish(server, campaign_id: str, body: dict) -> None:
    hq = http_session("hq")
    assert hq.put(f"{server.url}/stores", json=STORES, timeout=10).status_code == 200
    created = hq.put(f"{server.url}/campaigns/{campaign_id}", json=body, timeout=10)
    assert created.status_code in (200, 201), created.text
    published = hq.post(f"{server.url}/campaigns/{campaign_id}/publish", timeout=10)
    assert published.status_code == 200, published.text


def sign_in(page, server, path: str, role: str, **scope) -> None:
    """Open a page through a sign-in link, as `make run` prints them and HQ sends them."""
    page.goto(f"{server.url}{path}#token={token(role, **scope)}")


# The tests' own probes (wait_for_function with a string, injected markup) are what the pages' CSP
# forbids: their contexts bypass it; test_the_pages_work_under_their_csp runs the pages with it.
def phone(browser, locale: str = "en-GB", bypass_csp: bool = True):
    return browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        locale=locale,
        timezone_id="Europe/Rome",
        bypass_csp=bypass_csp,
    )


def desktop(browser, locale: str = "en-GB"):
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale, timezone_id="Europe/Rome", bypass_csp=True)


def submit_photo(server, store: str, seed: int = 5, campaign: str = "autumn") -> str:
    """A store's photo through the API and the signed upload link, analysed; its id."""
    created = http_session("store", stores=(store,)).post(
        f"{server.url}/campaigns/{campaign}/submissions", json={"store_id": store, "content_type": "image/jpeg"}, timeout=10
    )
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]
    photo = to_jpeg(window_photo(seed=seed, size=(1600, 1200)))
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("w.jpg", photo, "image/jpeg")}, timeout=30)
    assert sent.status_code in (200, 201, 204), sent.text
    wait_until_analysed(server, created.json()["submission_id"])
    return created.json()["submission_id"]


def wait_until_analysed(server, submission_id: str, timeout: float = 30) -> None:
    hq = http_session("hq")
    deadline = time.time() + timeout
    while hq.get(f"{server.url}/submissions/{submission_id}", timeout=10).json()["status"] not in ("done", "rejected", "error"):
        assert time.time() < deadline, "the analysis did not finish"
        time.sleep(0.2)


def gallery_cards(server) -> list[dict]:
    return http_session("hq").get(f"{server.url}/campaigns/autumn/submissions", timeout=10).json()["submissions"]


def submission(server, submission_id: str) -> dict:
    return http_session("hq").get(f"{server.url}/submissions/{submission_id}", timeout=10).json()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    # From the top: a page scrolled to its verdict would draw the sticky header half-way down.
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def check_page(page) -> None:
    assert page.evaluate(UNNAMED_CONTROLS) == []
    assert page.evaluate(LOW_CONTRAST) == []


def wait_until_told(server, store: str, within: float = 15.0) -> None:
    """Until the store's outbox holds a review decision (it follows the server's review window)."""
    hq = http_session("hq")
    deadline = time.time() + within
    while time.time() < deadline:
        events = hq.get(f"{server.url}/notifications?store_id={store}", timeout=10).json()["notifications"]
        if any(e["type"] == "review.decided" for e in events):
            return
        time.sleep(0.25)
    raise AssertionError(f"no review decision reached store {store} within {within} s")


def test_store_uploads_merchandiser_reviews_store_sees_the_decision(browser, server, tmp_path):
    photo = tmp_path / "window.jpg"
    photo.write_bytes(to_jpeg(window_photo(seed=3, size=(2400, 1800))))

    # The store, on a phone, opens its sign-in link: the token leaves the address bar.
    store = phone(browser).new_page()
    sign_in(store, server, "/", "store", stores=("S001",))
    store.wait_for_selector("#campaign option", state="attached")
    assert "token" not in store.url
    assert store.text_content("#who") == "store-S001 · Store"
    assert store.inner_text("#store-one") == "Store S001"
    store.wait_for_selector("#campaign-info >> text=Deadline")  # filled after the campaign's own call
    assert "Deadline: 8 November 2099 at 23:59" in store.inner_text("#campaign-info")
    assert "No photo sent yet" in store.inner_text("#campaign-info")
    store.set_input_files("#photo", str(photo))
    check_page(store)
    store.get_by_role("button", name="Send photo").click()
    store.wait_for_selector("#verdict-badge:not([hidden])", timeout=60000)
    assert "follows the guideline" in store.inner_text("#verdict-badge")
    # Nothing to fix: the three rules that passed are folded, in the pages' words.
    assert store.locator("#verdict-rules li").count() == 0
    assert store.inner_text("#verdict-ok-summary") == "3 rules OK"
    assert store.locator("#verdict-ok-rules li").all_text_contents()[0].endswith("The photo is sharp")
    shot(store, "store-verdict")

    # The merchandiser of the north, on a desktop: its region's photos, open, override, reject.
    desk = desktop(browser)
    gallery = desk.new_page()
    sign_in(gallery, server, "/gallery?campaign=autumn", "merchandiser", regions=("north",), username="Giulia")
    gallery.wait_for_selector(".tile img")
    assert gallery.input_value("#f-region") == "north"
    assert gallery.locator(".tile").count() == 1
    assert gallery.inner_text("#who") == "Giulia · Merchandiser"
    check_page(gallery)
    shot(gallery, "gallery")
    gallery.locator(".tile a").first.click()
    gallery.wait_for_selector("#rules tr")
    assert gallery.inner_text("#signed-as") == "Your decisions are signed as Giulia."
    # The overlay carries numbers only; the table is its legend, and the picture says so.
    assert "marked by number" in gallery.get_attribute("#photo", "alt")
    assert gallery.locator("#rules .mark").all_inner_texts() == ["1", "2", "3"]
    gallery.get_by_label("Your verdict on level").select_option("fail")
    gallery.wait_for_function("document.getElementById('review-state').textContent.includes('saved')")
    # Featured, then rejected: a window sent back leaves the showcase (and a rejected one cannot be
    # featured: tests/browser/test_gallery_review.py).
    gallery.get_by_role("button", name="Feature in the showcase").click()
    gallery.wait_for_selector("text=Remove from the showcase")
    gallery.get_by_label("Comment for the store").fill("The poster is crooked: straighten it.")
    gallery.get_by_role("button", name="Reject").click()  # held a few seconds for an undo, then sent
    gallery.wait_for_selector("#history >> text=decision: Not decided yet → Rejected", timeout=15000)
    assert "Giulia" in gallery.inner_text("#history")
    check_page(gallery)
    shot(gallery, "review")

    # The store sees the decision and the showcase (still signed in: the token is kept), once the
    # server's review window (VETRINA_REVIEW_NOTICE_DELAY, 1 s in the tests) has let its message go.
    wait_until_told(server, "S001")
    store.reload()
    store.wait_for_selector("#news-list li >> text=Rejected by the merchandiser")
    assert "straighten it" in store.inner_text("#news-list")
    # The card: the decision replaces the model's verdict, and the overridden rule is to fix.
    store.wait_for_selector("#verdict-badge >> text=Rejected by the merchandiser")
    assert store.inner_text("#verdict-state") == "Comment: The poster is crooked: straighten it."
    assert store.locator("#verdict-rules li").all_inner_texts() == ["3\nTo fix\nHold the phone straight."]
    assert store.evaluate(LOW_CONTRAST) == []
    status = submission(server, gallery_cards(server)[0]["submission_id"])
    assert status["review"]["state"] == "rejected" and status["review"]["by"] == "Giulia"
    assert status["featured"] is False
    # Another store's window that passes is featured: every store sees it.
    other = submit_photo(server, "S002", seed=3)
    assert http_session("hq").post(f"{server.url}/submissions/{other}/feature", json={}, timeout=10).status_code == 200
    store.reload()
    store.wait_for_selector("#showcase-list img")
    shot(store, "store-decision")

    assert status["overrides"]["level"] == {**status["overrides"]["level"], "model": "pass", "reviewer": "fail"}


def test_without_a_token_the_pages_ask_to_sign_in_and_a_pasted_token_signs_in(browser, server):
    page = phone(browser).new_page()
    page.goto(server.url + "/")
    page.wait_for_selector("#session-panel")
    assert page.inner_text("#session-panel h1") == "Sign in"
    assert "sign-in link" in page.inner_text("#session-panel")
    assert page.locator("#pick").is_hidden() and page.locator("#sign-out").is_hidden()
    check_page(page)
    shot(page, "sign-in")

    page.get_by_label("Or paste your sign-in token").fill("not a token")
    page.get_by_role("button", name="Sign in").click()
    assert "not a sign-in token" in page.inner_text("#sign-in-error")
    page.get_by_label("Or paste your sign-in token").fill(token("store", stores=("S001",)))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#campaign option", state="attached")
    assert page.inner_text("#campaign") == "Autumn 2026"
    assert page.locator("#session-panel").count() == 0

    # Signing out brings the panel back; so does an expired token, or one the server refuses.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("#session-panel")
    assert "signed out" in page.inner_text("#sign-in-reason")
    page.reload()
    page.wait_for_selector("#session-panel")
    # (a link opened in a tab already on the page changes only the fragment: the page starts again)
    page.goto(f"{server.url}/#token={token('store', stores=('S001',), hours=-1)}")
    page.wait_for_selector("#sign-in-reason >> text=Your sign-in has expired")
    assert "token" not in page.url
    forged = token("store", stores=("S002",))[:-4] + "AAAA"
    page.goto(f"{server.url}/#token={forged}")
    page.wait_for_selector("#sign-in-reason >> text=did not accept your sign-in")
    assert "not valid here" in page.inner_text("#sign-in-reason")

    # The desktop pages too: the gallery asks to sign in, and a pasted link works as well.
    desk = desktop(browser).new_page()
    desk.goto(server.url + "/gallery?campaign=autumn")
    desk.wait_for_selector("#session-panel")
    check_page(desk)
    shot(desk, "sign-in-desktop")
    desk.get_by_label("Or paste your sign-in token").fill(f"{server.url}/gallery#token={token('hq')}")
    desk.get_by_role("button", name="Sign in").click()
    desk.wait_for_selector("#gallery-state >> text=2 stores")  # one tile per store, no photo yet
    assert desk.input_value("#f-campaign") == "autumn"


def test_a_store_sees_only_its_own_stores_campaigns(browser, server):
    publish(server, "spring", {**campaign_body(("S002",)), "name": "Spring 2027"})
    page = phone(browser).new_page()
    sign_in(page, server, "/", "store", stores=("S001",))
    page.wait_for_selector("#campaign option", state="attached")
    assert page.locator("#campaign option").all_inner_texts() == ["Autumn 2026"]
    other = phone(browser).new_page()
    sign_in(other, server, "/", "store", stores=("S002",))
    other.wait_for_function("document.querySelectorAll('#campaign option').length === 2")
    assert sorted(other.locator("#campaign option").all_inner_texts()) == ["Autumn 2026", "Spring 2027"]
    # A store on the gallery is sent to its own page, not shown an error.
    other.goto(server.url + "/gallery")
    other.wait_for_selector("#session-panel")
    assert "for merchandisers and HQ" in other.inner_text("#session-panel")
    other.get_by_role("link", name="Open the store page").click()
    other.wait_for_selector("#campaign option", state="attached")


def test_the_contrast_check_finds_low_contrast(browser, server):
    page = browser.new_page(bypass_csp=True)
    page.goto(server.url + "/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:#bbb;background:#fff\">faint</p>')")
    assert any('"faint"' in found for found in page.evaluate(LOW_CONTRAST))


def test_the_pages_work_under_their_csp(browser, server):
    """No probe that needs eval here: the pages load, sign in and render with the CSP enforced,
    and the browser reports no violation."""
    submit_photo(server, "S001")
    page = phone(browser, bypass_csp=False).new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    sign_in(page, server, "/", "store", stores=("S001",))
    page.wait_for_selector("#campaign option", state="attached")
    sign_in(page, server, "/gallery?campaign=autumn", "hq")
    page.wait_for_selector(".tile img")
    page.locator(".tile a").first.click()
    page.wait_for_selector("#rules tr")
    assert violations == []


def test_the_pages_speak_italian_to_an_italian_browser(browser, server):
    context = phone(browser, locale="it-IT")
    panel = context.new_page()
    panel.goto(server.url + "/")
    panel.wait_for_selector("#session-panel")
    assert panel.inner_text("#session-panel h1") == "Accedi"
    assert "link di accesso" in panel.inner_text("#session-panel")
    page = context.new_page()
    sign_in(page, server, "/", "store", stores=("S001",))
    page.wait_for_selector("#campaign option", state="attached")
    assert page.inner_text("h1") == "La foto della tua vetrina"
    assert page.text_content("#who") == "store-S001 · Negozio"
    assert "Scadenza: 8 novembre 2099" in page.inner_text("#campaign-info")
    page.get_by_role("button", name="English").click()
    assert page.inner_text("h1") == "Your window photo"
    assert page.inner_text("#sign-out") == "Sign out"


def test_a_store_retakes_a_blurry_photo_and_the_retake_is_linked(browser, server, tmp_path):
    blurry, sharp = tmp_path / "blurry.jpg", tmp_path / "sharp.jpg"
    blurry.write_bytes(to_jpeg(window_photo(seed=4, size=(2400, 1800), blur_sigma=6.0)))
    sharp.write_bytes(to_jpeg(window_photo(seed=4, size=(2400, 1800))))
    page = phone(browser).new_page()
    sign_in(page, server, "/", "store", stores=("S002",))
    page.wait_for_selector("#campaign option", state="attached")
    assert page.inner_text("#store-one") == "Store S002"
    page.set_input_files("#photo", str(blurry))
    page.get_by_role("button", name="Send photo").click()
    page.wait_for_selector("#verdict-badge:not([hidden])", timeout=60000)
    shot(page, "store-retake")
    assert page.inner_text("#verdict-badge") == "Please take the photo again"
    assert page.locator("#verdict-score").is_hidden()  # no score on a photo that could not be judged
    assert page.inner_text("#verdict-rules li").endswith("The photo is blurry: hold the phone still.")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Take a new photo").click()
    chooser.value.set_files(str(sharp))
    page.get_by_role("button", name="Send photo").click()
    page.wait_for_selector("#verdict-badge >> text=follows the guideline", timeout=60000)
    [new, old] = gallery_cards(server)
    assert submission(server, new["submission_id"])["previous_submission_id"] == old["submission_id"]


# --- issue 15: a real shop day ----------------------------------------------------------------------

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot(page, name: str) -> None:
    """A screenshot for the README (docs/screenshots/), also kept with the others."""
    shot(page, name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(ARTIFACTS / f"{name}.png", SCREENSHOTS / f"{name}.png")


def publish_with_pack(server, campaign_id: str = "warm", stores=("S001", "S002")) -> dict:
    """The demo's guideline (every rule type, messages in Italian and English) and pack (poster,
    reference photo), the poster rule with an instruction of its own; returns the pack."""
    import copy

    from chalicelib.devtools import demo

    guideline = copy.deepcopy(demo.GUIDELINE)
    poster = next(r for r in guideline["rules"] if r["id"] == "poster")
    poster["instruction"] = {
        "it": "Esponi il poster Warm Layers in alto, ben visibile.",
        "en": "Put up the Warm Layers poster high in the window, fully visible.",
    }
    # the mannequins rule without an instruction: the pages' own words for it
    next(r for r in guideline["rules"] if r["id"] == "dressed-mannequins").pop("instruction", None)
    hq = http_session("hq")
    assert hq.put(f"{server.url}/stores", json=STORES, timeout=10).status_code == 200
    body = {**campaign_body(stores), "name": "Warm Layers", "guideline": guideline}
    assert hq.put(f"{server.url}/campaigns/{campaign_id}", json=body, timeout=10).status_code in (200, 201)
    pack = demo.pack_files()
    for name, data in pack.items():
        kind = "image/png" if name.endswith(".png") else "image/jpeg"
        created = hq.post(f"{server.url}/campaigns/{campaign_id}/pack", json={"name": name, "content_type": kind}, timeout=10)
        assert created.status_code == 201, created.text
        upload = created.json()["upload"]
        sent = requests.post(upload["url"], data=upload["fields"], files={"file": (name, data, kind)}, timeout=30)
        assert sent.status_code in (200, 201, 204), sent.text
    assert hq.post(f"{server.url}/campaigns/{campaign_id}/publish", timeout=10).status_code == 200
    return pack


def test_store_reads_a_checklist_and_keeps_its_latest_photo_in_italian(browser, local_env, tmp_path):
    from chalicelib.devtools import demo

    with LocalService("127.0.0.1", 0) as server:
        pack = publish_with_pack(server)
        photo = tmp_path / "no-poster.jpg"
        photo.write_bytes(demo._scene({demo.POSTER: pack[demo.POSTER]}, [], (), (), (2400, 1800)).jpeg)

        page = phone(browser, locale="it-IT").new_page()
        sign_in(page, server, "/", "store", stores=("S001",))
        page.wait_for_function(f"document.querySelectorAll('#rules li').length === {len(demo.GUIDELINE['rules'])}")
        checklist = page.inner_text("#rules")
        # HQ's instruction in Italian, the pages' own words for the rules without one; no failure messages.
        assert "Esponi il poster Warm Layers in alto" in checklist
        assert "Tieni fermo il telefono" in checklist and "Accendi le luci della vetrina." in checklist
        assert "Persone o manichini: almeno 2 in vetrina." in checklist  # a label in words, not person_or_mannequin
        assert "missing" not in checklist and "Manca" not in checklist
        page.wait_for_function("[...document.querySelectorAll('#reference img')].every((i) => i.complete && i.naturalWidth > 0)")
        assert page.locator("#reference img.poster").count() == 1 and page.locator("#reference img.reference").count() == 1
        assert page.locator("#verdict").is_hidden()  # no photo yet: no card
        check_page(page)
        screenshot(page, "store-checklist")

        page.set_input_files("#photo", str(photo))
        page.get_by_role("button", name="Invia la foto").click()
        assert page.locator("#send").is_disabled()  # until a new photo is chosen: no duplicate
        page.wait_for_selector("#verdict-badge:not([hidden])", timeout=60000)
        assert page.inner_text("#verdict-badge") == "Alcune regole non sono rispettate"
        first = page.locator("#verdict-rules li").first
        assert "Manca il poster Warm Layers" in first.inner_text() and "Da sistemare" in first.inner_text()
        assert "Warm Layers poster is missing" not in page.inner_text("#verdict")  # no English on an Italian page
        assert page.locator("#verdict-ok").get_attribute("open") is None and "regole OK" in page.inner_text("#verdict-ok-summary")
        assert page.inner_text("#verdict-score").startswith("Punteggio ")
        # The legend: each line carries the number drawn on the photo; the photo says so in words.
        numbers = page.locator("#verdict-rules .mark").all_inner_texts()
        assert numbers[0] == "6"  # the poster rule is the guideline's sixth
        alt = page.get_attribute("#verdict-image", "alt")
        assert "6: Manca il poster" in alt and "segni numerati" in alt
        check_page(page)
        screenshot(page, "store-latest")

        # The card lasts: after a reload it shows the same verdict, and the news links the photo.
        page.reload()
        page.wait_for_selector("#verdict-badge:not([hidden])", timeout=20000)
        assert page.inner_text("#verdict-badge") == "Alcune regole non sono rispettate"
        page.wait_for_selector("#news-list li time")
        news = page.inner_text("#news-list li")
        assert "—" not in news and "Foto controllata" in news
        assert page.locator("#news-list .link-button").first.inner_text() == "Apri la foto"
        # Also from the server, on another phone (no local memory of the upload).
        other = phone(browser, locale="it-IT").new_page()
        sign_in(other, server, "/", "store", stores=("S001",))
        other.wait_for_selector("#verdict-badge:not([hidden])", timeout=20000)
        assert other.inner_text("#verdict-badge") == "Alcune regole non sono rispettate"
        # A newer photo sent from elsewhere: the first phone shows it, not the one it remembers.
        newer = submit_photo(server, "S001", campaign="warm")
        page.reload()
        page.wait_for_function(f"document.getElementById('verdict-image').src.includes('{newer}')", timeout=20000)


def test_messages_have_time_a_photo_link_no_dangling_dash_and_pages(browser, server):
    first = submit_photo(server, "S001")
    merchandiser = http_session("merchandiser", regions=("north",))
    asked = merchandiser.post(f"{server.url}/submissions/{first}/review", json={"decision": "retake", "comment": ""}, timeout=10)
    assert asked.status_code == 200, asked.text
    wait_until_told(server, "S001")  # the store's message follows after the review window
    page = phone(browser).new_page()
    older = {
        "notifications": [
            {
                "type": "review.decided",
                "at": "2026-11-02T09:30:00+00:00",
                "payload": {"submission_id": first, "decision": "approve", "comment": "Bella vetrina"},
            }
        ],
        "cursor": None,
    }

    # The second page comes from the server's cursor; here it is made up, to hold the test to one page of 50.
    def second_page(route):
        if "cursor=" in route.request.url:
            route.fulfill(status=200, content_type="application/json", body=json.dumps(older))
        else:
            response = route.fetch()
            body = response.json()
            body["cursor"] = "next-page"
            route.fulfill(response=response, body=json.dumps(body))

    page.route("**/notifications?*", second_page)
    sign_in(page, server, "/", "store", stores=("S001",))
    page.wait_for_selector("#news-list li time")
    lines = page.locator("#news-list li").all_inner_texts()
    assert "The merchandiser asks for a new photo" in lines[0] and "—" not in lines[0] and "Comment" not in lines[0]
    assert page.locator("#news-list li").first.locator("time").get_attribute("datetime")
    page.get_by_role("button", name="Older messages").click()
    page.wait_for_selector("#news-list li >> text=Comment: Bella vetrina")
    assert page.locator("#news-more").is_hidden()
    # The link opens the photo in the card.
    page.locator("#news-list .link-button").first.click()
    page.wait_for_selector("#verdict-badge:not([hidden])")
    assert page.locator("#verdict-image").is_visible()
    # The model passed it, the merchandiser asked for a new photo: the card says so.
    assert page.inner_text("#verdict-badge") == "The merchandiser asks for a new photo"
    assert page.locator("#retake-button").is_visible()
    check_page(page)
    screenshot(page, "store-messages")
