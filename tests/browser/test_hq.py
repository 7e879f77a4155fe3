"""HQ's pages in a real browser against the local server: the dashboard (counts, charts, the stores
linked to their photo, sorting and filters, reminders, the hardest rules, applying a suggested
threshold after a confirmation, exports), the store list (a CSV with errors by line and field,
then a good one, search) and the campaign set-up (targets from the store list, the YAML editor's
problems at their line, a pack upload with its preview, publishing, versions with a diff).
Screenshots go to docs/screenshots/hq-*.png (the README shows them)."""

from __future__ import annotations

import io
from pathlib import Path

import requests

from chalicelib.core.guideline import QUALITY_DEFAULTS
from tests.browser.test_browser import browser, check_page, desktop, phone, server, sign_in, submit_photo  # noqa: F401
from tests.support.helpers import http_session

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    page.screenshot(path=str(SCREENSHOTS / f"hq-{name}.png"), full_page=True)


LONGEST = "a-rule-id-far-too-long-for-any-chart-of-the-dashboard-to-hold-on-one-line"
# The per-rule chart drawn with long rule ids into a box as wide as one of the dashboard's charts.
LONG_LABELS = """(longest) => {
  const box = document.createElement("div");
  box.className = "chart";
  box.style.width = document.getElementById("chart-rules").getBoundingClientRect().width + "px";
  document.getElementById("chart-rules").after(box);
  charts.bars(box, [{ label: "dressed-mannequins", value: 0.8 }, { label: longest, value: 0.4 }], "By rule");
  const svg = box.querySelector("svg"), chart = svg.getBoundingClientRect();
  const names = [...svg.querySelectorAll("g")].map((g) => g.querySelector("text"));
  const out = { names: names.map((n) => n.textContent), lefts: names.map((n) => n.getBoundingClientRect().left),
    rights: names.map((n) => n.getBoundingClientRect().right), chart: chart.left, chartRight: chart.right,
    titles: [...svg.querySelectorAll("g > title")].map((n) => n.textContent), label: svg.getAttribute("aria-label") };
  box.remove();
  return out;
}"""


def seed_labels() -> None:
    """Reviewers' labels of the rule "sharp" as the counters hold them (25 labelled photos: the
    ones at 25 and 26 passed by reviewers), so the dashboard suggests min 25 instead of 27."""
    from chalicelib.storage import layout
    from chalicelib.wiring import services

    add = {
        "hist:sharp:22:fail": 5,
        "hist:sharp:25:pass": 10,
        "hist:sharp:26:pass": 5,
        "hist:sharp:30:pass": 5,
        "agree:sharp:fail:fail": 5,
        "agree:sharp:fail:pass": 15,
        "agree:sharp:pass:pass": 5,
        "override:sharp": 15,
    }
    services().records.update(
        layout.campaign_aggregates_partition("autumn"), layout.ALL, add=add, set={"threshold:sharp": {"min": 27.0}}, upsert=True
    )


def test_the_dashboard(browser, server):  # noqa: F811
    submit_photo(server, "S001")
    seed_labels()
    page = desktop(browser).new_page()
    sign_in(page, server, "/hq", "hq", username="Sara")
    page.wait_for_selector("#board:not([hidden])")
    assert page.input_value("#campaign") == "autumn"
    tiles = page.inner_text("#tiles")
    assert "Targeted\n2" in tiles and "Missing\n1" in tiles
    assert page.locator("#chart-regions svg[role=img]").count() == 1
    assert "north" in page.get_attribute("#chart-regions svg", "aria-label")
    assert page.locator("#chart-trend svg polyline").count() == 1
    # A long rule id is drawn whole from its first letter ("dressed-mannequins" lost its start beside
    # the bar); one longer than the chart is cut at its end, the full name on hover and read out.
    drawn = page.evaluate(LONG_LABELS, LONGEST)
    assert drawn["names"][0] == "dressed-mannequins" and drawn["lefts"][0] >= drawn["chart"], drawn
    assert drawn["names"][1].endswith("…") and "a-rule-id-far-too-long" in drawn["names"][1], drawn
    assert drawn["rights"][1] <= drawn["chartRight"] + 1, drawn
    assert drawn["titles"][1].startswith(LONGEST + ": 40%") and LONGEST in drawn["label"], drawn

    # The stores: names link to the latest photo; sorting and filters.
    link = page.get_by_role("link", name="Milano Duomo")
    assert link.get_attribute("href").startswith("/review?submission=sub_")
    page.locator("#stores th[data-sort=store_name] button").focus()
    page.keyboard.press("Enter")
    assert page.get_attribute("#stores th[data-sort=store_name]", "aria-sort") == "ascending"
    assert page.locator("#stores tbody tr").first.inner_text().startswith("Milano Duomo")
    page.keyboard.press("Enter")
    assert page.locator("#stores tbody tr").first.inner_text().startswith("Roma Corso")
    page.select_option("#f-state", "missing")
    assert page.locator("#stores tbody tr").count() == 1
    page.select_option("#f-state", "")
    page.fill("#f-search", "S001")
    assert page.locator("#stores tbody tr").count() == 1
    page.fill("#f-search", "")

    # The missing store: remind it (with the keyboard), and the time shows.
    row = page.locator("#missing tr[data-store=S002]")
    assert "Never" in row.inner_text()
    row.get_by_role("button", name="Remind Roma Corso").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#remind-state >> text=Reminders sent: 1.")
    assert "Never" not in row.inner_text()
    events = http_session("hq").get(f"{server.url}/notifications?store_id=S002", timeout=10).json()["notifications"]
    assert events[0]["type"] == "reminder.sent" and events[0]["payload"]["by"] == "Sara"
    store = phone(browser).new_page()  # the store reads it on its page
    sign_in(store, server, "/", "store", stores=("S002",))
    store.wait_for_selector("#news-list li >> text=Reminder from HQ: send your photo for Autumn 2026 by 8 November 2099")
    page.get_by_role("button", name="Remind selected stores").click()
    page.wait_for_selector("#remind-state >> text=Select at least one store first.")

    # The hardest rules, and the agreement with a suggestion.
    assert page.locator("#hardest tbody tr").count() == 3
    assert page.locator("#agreement tbody tr").count() == 1
    assert "min 27 → 25" in page.inner_text("#agreement")
    check_page(page)
    shot(page, "dashboard")

    page.get_by_role("button", name="Apply the suggested threshold of sharp").click()
    page.wait_for_selector("#confirm[open]")
    # The confirmation names the guideline's own bound (the default, written out) and the suggestion.
    default = QUALITY_DEFAULTS["sharpness"]["min"]
    assert f"sharp: min {default:g} → 25" in page.inner_text("#confirm-changes")
    assert "version 2" in page.inner_text("#confirm-text")
    page.screenshot(path=str(SCREENSHOTS / "hq-apply-threshold.png"))
    page.get_by_role("button", name="Save the new version").click()
    page.wait_for_selector("#agree-state >> text=guideline version 2")
    campaign = http_session("hq").get(f"{server.url}/campaigns/autumn", timeout=10).json()
    assert campaign["guideline_version"] == 2
    assert next(r for r in campaign["guideline"]["rules"] if r["id"] == "sharp")["parameters"]["min"] == 25

    # Exports: progress, then the CSV.
    page.get_by_role("button", name="Export results (CSV)").click()
    page.wait_for_selector("#export-link")
    assert "Download the results CSV (rows: 1)" in page.inner_text("#export-state")
    csv_text = requests.get(page.get_attribute("#export-link", "href"), timeout=10).text
    assert "S001" in csv_text
    page.get_by_role("button", name="Export labels (CSV)").click()
    page.wait_for_selector("#export-link >> text=labels CSV")
    shot(page, "dashboard-after")

    # A failure reads as words.
    page.route(
        "**/compliance/campaigns/autumn/rules",
        lambda route: route.fulfill(
            status=404, content_type="application/json", body='{"error": {"code": "campaign_not_found", "message": "gone"}}'
        ),
    )
    page.reload()
    # An error in words: the page's own for the error's code (the server's message otherwise).
    page.wait_for_selector("#state >> text=Could not load: This campaign does not exist")


def test_the_dashboard_on_a_phone_in_italian_and_for_other_roles(browser, server):  # noqa: F811
    page = phone(browser, locale="it-IT").new_page()
    sign_in(page, server, "/hq", "hq")
    page.wait_for_selector("#board:not([hidden])")
    assert page.inner_text("h1") == "Conformità"
    assert "Mai" in page.inner_text("#missing")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 391 && !(e.parentElement && e.parentElement.closest('.scroll'))).map((e) => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide  # the tables scroll, not the page
    check_page(page)
    shot(page, "dashboard-phone-it")
    page.get_by_role("button", name="English").click()
    assert page.inner_text("h1") == "Compliance"
    # Empty states: no campaign yet, no store yet.
    empty = desktop(browser).new_page()
    empty.route(
        "**/campaigns?limit=100",
        lambda route: route.fulfill(status=200, content_type="application/json", body='{"campaigns": [], "cursor": null}'),
    )
    empty.route(
        "**/stores?limit=500",
        lambda route: route.fulfill(status=200, content_type="application/json", body='{"stores": [], "cursor": null}'),
    )
    sign_in(empty, server, "/hq", "hq")
    empty.wait_for_selector("#state >> text=No campaigns yet")
    assert empty.locator("#board").is_hidden()
    empty.goto(f"{server.url}/hq/stores")
    empty.wait_for_selector("#list-state >> text=No stores yet")
    # HQ's other pages are HQ's: a merchandiser is sent to the gallery (the dashboard is its too).
    other = desktop(browser).new_page()
    sign_in(other, server, "/hq/stores", "merchandiser", regions=("north",))
    other.wait_for_selector("#session-panel")
    assert "This page is for HQ" in other.inner_text("#session-panel")
    other.get_by_role("link", name="Open the gallery").click()
    other.wait_for_url("**/gallery")


def test_a_merchandiser_sees_the_dashboard_of_its_regions(browser, server):  # noqa: F811
    submit_photo(server, "S001")
    page = desktop(browser).new_page()
    sign_in(page, server, "/hq", "merchandiser", regions=("north",), username="Giulia")
    page.wait_for_selector("#board:not([hidden])")
    assert page.inner_text("#scope-note") == "Your regions only: north. Every figure counts their stores only."
    tiles = page.inner_text("#tiles")
    assert "Targeted\n1" in tiles and "Missing\n0" in tiles  # HQ's board says 2 and 1: centre's Roma Corso
    assert page.get_attribute("#chart-regions svg", "aria-label").count("centre") == 0
    page.wait_for_selector("#stores-state >> text=Showing 1 of 1")
    assert page.locator("#stores tbody tr").all_inner_texts()[0].startswith("Milano Duomo")
    assert "Roma Corso" not in page.inner_text("main")
    assert page.get_by_role("link", name="Milano Duomo").get_attribute("href").startswith("/review?submission=sub_")
    assert page.locator("#missing-empty").is_visible()
    # HQ's actions on the network are not offered: set-up, reminders, agreement and thresholds, exports.
    for hidden in ("#edit-campaign", "#new-campaign", "#remind", "#agree-title", "#export-results"):
        assert page.locator(hidden).is_hidden(), hidden
    assert page.get_by_role("link", name="Stores").count() == 0
    check_page(page)
    shot(page, "dashboard-merchandiser")
    # A region it does not have, asked of the API the page reads: refused in words, no number shown.
    refused = http_session("merchandiser", regions=("north",)).get(
        f"{server.url}/compliance/campaigns/autumn/stores?region=centre", timeout=10
    )
    assert refused.status_code == 403 and "its own regions" in refused.json()["error"]["message"]
    # Two regions: both regions' stores (the lists come a region at a time) and their summed figures.
    both = desktop(browser).new_page()
    sign_in(both, server, "/hq", "merchandiser", regions=("north", "centre"))
    both.wait_for_selector("#stores-state >> text=Showing 2 of 2")
    assert "Targeted\n2" in both.inner_text("#tiles") and "Missing\n1" in both.inner_text("#tiles")
    assert "Your regions only: centre, north." in both.inner_text("#scope-note")
    assert both.locator("#chart-trend svg circle").count() >= 1  # the week, from both regions' counts
    assert both.locator("#missing tr[data-store=S002]").count() == 1


BAD_CSV = "store_id,name,region,cluster,timezone\nS010,Napoli Toledo,south,street,Europe/Rome\nS011,,south,,Mars/Olympus\n"
GOOD_CSV = (
    "store_id,name,region,cluster,timezone\nS010,Napoli Toledo,south,street,Europe/Rome\n"
    "S011,Bari Sparano,south,,Europe/Rome\nS012,Torino Roma,north,flagship,Europe/Rome\n"
)


def test_the_store_list(browser, server, tmp_path):  # noqa: F811
    page = desktop(browser).new_page()
    sign_in(page, server, "/hq/stores", "hq")
    page.wait_for_selector("#list-state >> text=Showing 2 of 2 stores.")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("#import-state >> text=Choose a CSV file first.")
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CSV)
    page.set_input_files("#csv", str(bad))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("#errors:not([hidden])")
    rows = page.locator("#errors tbody tr").all_inner_texts()
    assert any(r.startswith("3\tname") for r in rows), rows
    assert any(r.startswith("3\ttimezone\tMars/Olympus") for r in rows), rows
    assert "Nothing was imported" in page.inner_text("#import-state")
    check_page(page)
    shot(page, "stores-errors")
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV)
    page.set_input_files("#csv", str(good))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("#import-state >> text=Stores imported: 3.")
    assert page.locator("#errors").is_hidden()
    page.wait_for_selector("#list-state >> text=Showing 5 of 5 stores.")
    page.fill("#search", "napoli")
    assert page.locator("#stores tbody tr").all_inner_texts() == ["S010\tNapoli Toledo\tsouth\tstreet\tEurope/Rome"]
    page.fill("#search", "")
    page.select_option("#region", "north")
    assert page.locator("#stores tbody tr").count() == 2
    page.fill("#search", "nowhere")
    page.wait_for_selector("#list-state >> text=No store matches the search.")
    page.fill("#search", "")
    page.select_option("#region", "")
    check_page(page)
    shot(page, "stores")


GUIDELINE_WITH_POSTER = """version: 1
name: Winter window
rules:
  - id: photo-sharp
    type: photo_quality
    message: The photo is blurry.
    parameters: {check: sharpness, min: -3}
  - id: poster
    type: artwork_present
    message: The poster is missing.
    parameters: {artwork: poster.png, mode: required}
"""


def test_the_campaign_set_up(browser, server, tmp_path):  # noqa: F811
    page = desktop(browser).new_page()
    sign_in(page, server, "/hq/campaigns/winter", "hq")
    page.wait_for_selector("#state >> text=A new campaign")
    assert page.inner_text("#status") == "New"
    page.fill("#name", "Winter 2026")
    page.fill("#start", "2026-12-01")
    page.fill("#deadline", "2099-12-08")
    page.get_by_label("north").check()
    page.wait_for_selector("#target-count >> text=these targets reach: 1.")
    # The store picker searches on the server (the list is never loaded whole): by a word of the name.
    page.fill("#store-pick", "roma")
    page.wait_for_selector("#pick-state >> text=Matching stores: 1.")
    assert page.locator("#store-options option").first.get_attribute("value") == "S002 · Roma Corso"
    page.fill("#store-pick", "S002 · Roma Corso")  # as picking the suggestion writes it
    page.keyboard.press("Enter")
    page.wait_for_selector("#target-count >> text=these targets reach: 2.")
    page.fill("#store-pick", "zzz")
    page.wait_for_selector("#pick-state >> text=No store's id or name starts with")
    page.fill("#store-pick", "")
    assert "S002 · Roma Corso" in page.inner_text("#store-chips")

    # The YAML editor: a schema problem is shown at its line, and a click goes there.
    page.fill("#yaml", GUIDELINE_WITH_POSTER)
    page.get_by_role("button", name="Save campaign").click()
    page.wait_for_selector("#problems li")
    problem = page.locator("#problems li").first.inner_text()
    assert problem.startswith("Line 7 · rules[0].parameters.min:"), problem
    assert page.locator("#gutter .bad").inner_text() == "7"
    page.locator("#problems button").first.click()
    assert page.evaluate("document.activeElement.id") == "yaml"
    assert (
        page.evaluate(
            "(() => { const a = document.getElementById('yaml'); return a.value.slice(a.selectionStart, a.selectionEnd); })()"
        )
        == "    parameters: {check: sharpness, min: -3}"
    )
    check_page(page)
    shot(page, "campaign-errors")
    page.fill("#yaml", GUIDELINE_WITH_POSTER.replace("min: -3", "min: 27"))
    page.get_by_role("button", name="Save campaign").click()
    page.wait_for_selector("#state >> text=Saved (guideline version 1).")
    assert page.inner_text("#status") == "Draft"

    # The pack: the poster the rules name, uploaded with a preview.
    item = page.locator("#pack li", has_text="poster.png")
    assert "Not uploaded yet" in item.inner_text()
    from PIL import Image

    from chalicelib.devtools.synthetic import to_jpeg, window_photo  # noqa: F401 (the image stack: tests only)

    poster = tmp_path / "poster.png"
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (18, 52, 110)).save(buffer, format="PNG")
    poster.write_bytes(buffer.getvalue())
    page.get_by_label("Choose the file for poster.png").set_input_files(str(poster))
    page.wait_for_selector("#pack li >> text=Uploaded")
    assert page.locator("#pack img").first.is_visible()

    # Publish, with the number of stores shown first and confirmed.
    page.get_by_role("button", name="Publish (stores: 2)").click()
    page.wait_for_selector("#confirm[open]")
    assert "Winter 2026 opens to its stores (2)" in page.inner_text("#confirm-text")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_selector("#publish-state >> text=Published. Stores: 2 (2 new)")
    assert page.inner_text("#status") == "Published"
    assert page.locator("#start").is_disabled()

    # A new version, and what changed.
    page.fill("#yaml", GUIDELINE_WITH_POSTER.replace("min: -3", "min: 30"))
    page.get_by_role("button", name="Save campaign").click()
    page.wait_for_selector("#state >> text=Saved (guideline version 2).")
    page.wait_for_selector("#diff li")
    assert "~ photo-sharp · parameters.min: 27 → 30" in page.inner_text("#diff")
    assert page.locator("#versions li").count() == 2
    check_page(page)
    shot(page, "campaign")
    assert http_session("hq").get(f"{server.url}/campaigns/winter", timeout=10).json()["target_count"] == 2

    # An existing campaign opens with its guideline as YAML (and checks valid as it is).
    page.goto(f"{server.url}/hq/campaigns/autumn")
    page.wait_for_selector("#status >> text=Published")
    page.get_by_role("button", name="Check").click()
    page.wait_for_selector("#state >> text=The rules are valid (3 rules).")


def test_a_test_photo_against_the_draft(browser, server, tmp_path):  # noqa: F811
    from chalicelib.devtools.synthetic import to_jpeg, window_photo
    from tests.support.helpers import campaign_body

    hq_http = http_session("hq")
    assert hq_http.put(f"{server.url}/campaigns/spring", json=campaign_body(("S001",)), timeout=10).status_code == 201
    page = desktop(browser).new_page()
    sign_in(page, server, "/hq/campaigns/spring", "hq")
    page.wait_for_selector("#status >> text=Draft")
    page.get_by_role("button", name="Try it").click()
    page.wait_for_selector("#trial-state >> text=Choose a photo of a window first.")
    assert page.evaluate("document.activeElement.id") == "trial-photo"

    # A file that is no photo: the analyzer's intake says so, in words.
    fake = tmp_path / "window.jpg"
    fake.write_text("this is a note, not a photo")
    page.set_input_files("#trial-photo", str(fake))
    page.get_by_role("button", name="Try it").click()
    page.wait_for_selector("#trial-state >> text=The test photo could not be judged", timeout=60000)
    assert "not a photo" in page.inner_text("#trial-state")

    # The draft as edited, not saved: a sharpness bound no photo reaches fails that rule only.
    default = f"min: {QUALITY_DEFAULTS['sharpness']['min']:g}"
    assert default in page.input_value("#yaml")
    page.fill("#yaml", page.input_value("#yaml").replace(default, "min: 100000", 1))
    photo = tmp_path / "real.jpg"
    photo.write_bytes(to_jpeg(window_photo(seed=3, size=(1600, 1200))))
    page.set_input_files("#trial-photo", str(photo))
    page.get_by_role("button", name="Try it").click()
    page.wait_for_selector("#trial-result:not([hidden])", timeout=90000)
    rows = page.locator("#trial-rules tr").all_inner_texts()
    assert rows[0].startswith("1\tsharp") and "\tTo fix\t" in rows[0] and "≥ 100000" in rows[0], rows
    assert all("\tOK\t" in r for r in rows[1:]), rows
    assert page.inner_text("#trial-verdict").startswith("Verdict: Retake")  # a photo-quality rule failed
    page.wait_for_function("document.getElementById('trial-overlay').naturalWidth > 0")
    check_page(page)
    page.locator("#trial-title").scroll_into_view_if_needed()
    shot(page, "campaign-trial")
    # Nothing was stored as the campaign's: its guideline is still the saved one, and no photo is counted.
    stored = hq_http.get(f"{server.url}/campaigns/spring", timeout=10).json()
    assert stored["guideline_version"] == 1 and "min: 100000" not in str(stored["guideline"])
    gallery = hq_http.get(f"{server.url}/campaigns/spring/submissions", timeout=10)
    assert gallery.status_code == 200 and gallery.json()["submissions"] == [], gallery.text


def test_a_rule_from_the_form(browser, server):  # noqa: F811
    page = desktop(browser).new_page()
    sign_in(page, server, "/hq/campaigns/summer", "hq")
    page.wait_for_selector("#state >> text=A new campaign")
    page.locator("#rule-form summary").focus()
    page.keyboard.press("Enter")  # opens with the keyboard
    page.wait_for_selector("#rf-fields select#rf-p-check")  # photo quality first: its check is a choice
    page.select_option("#rf-type", "artwork_present")
    page.wait_for_selector("#rf-p-artwork")
    assert page.get_attribute("#rf-p-min_share", "placeholder") == "0.02"  # the schema's default, shown
    page.fill("#rf-message", "")
    page.get_by_role("button", name="Add to the rules").click()
    page.wait_for_selector("#rf-state >> text=Fill in: Artwork file, Message for the store when the rule is not met.")
    page.fill("#rf-id", "poster")
    page.select_option("#rf-zone", "upper_half")
    page.fill("#rf-message", "The poster is missing: hang it in the upper half.")
    page.fill("#rf-p-artwork", "poster.png")
    page.fill("#rf-p-min_share", "0.05")
    page.get_by_role("button", name="Add to the rules").click()
    page.wait_for_selector("#rf-state >> text=Rule poster added at the end of the rules; they are valid.")
    text = page.input_value("#yaml")
    assert (
        "  - id: poster\n    type: artwork_present\n    zone: upper_half\n"
        '    message: "The poster is missing: hang it in the upper half."\n'
        "    parameters:\n      artwork: poster.png\n      min_share: 0.05\n"
    ) in text, text
    # A list of words, and a value the schema refuses: the problem is shown at its line.
    page.select_option("#rf-type", "text")
    page.wait_for_selector("#rf-p-phrases")
    page.fill("#rf-id", "promo")
    page.fill("#rf-message", "Show the promotion.")
    page.fill("#rf-p-phrases", "-30%, Saldi")
    page.fill("#rf-p-min_similarity", "3")
    page.get_by_role("button", name="Add to the rules").click()
    page.wait_for_selector("#rf-state >> text=see the problems below")
    assert 'phrases:\n        - "-30%"\n        - Saldi' in page.input_value("#yaml")
    assert "parameters.min_similarity" in page.inner_text("#problems")
    check_page(page)
    page.locator("#rule-form").scroll_into_view_if_needed()
    shot(page, "campaign-rule-form")


def test_hq_pages_in_italian_on_a_phone(browser, server, tmp_path):  # noqa: F811
    """Monday morning on a phone, in Italian: the dashboard opens on the published campaign (not a
    newer draft), a draft says its stores count once it is published; the set-up page is titled by the campaign's
    name, fits the screen, its new rules and versions speak Italian and a test photo's verdict reads
    as the store would read it."""
    from chalicelib.devtools.synthetic import to_jpeg, window_photo
    from tests.support.helpers import campaign_body

    hq_http = http_session("hq")
    draft = {**campaign_body(("S001",)), "name": "Primavera 2027"}
    assert hq_http.put(f"{server.url}/campaigns/spring", json=draft, timeout=10).status_code == 201
    page = phone(browser, locale="it-IT").new_page()
    sign_in(page, server, "/hq", "hq")
    page.wait_for_selector("#board:not([hidden])")
    assert page.input_value("#campaign") == "autumn"  # the published one
    assert "Primavera 2027 (spring) · bozza" in page.inner_text("#campaign")
    page.select_option("#campaign", "spring")
    page.wait_for_selector("#stores-state >> text=Una bozza raggiunge i suoi negozi quando viene pubblicata")
    assert "quando viene pubblicata" in page.inner_text("#missing-empty")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"{server.url}/hq/campaigns/spring")
    page.wait_for_selector("#status >> text=Bozza")
    assert page.inner_text("h1") == "Campagna Primavera 2027 spring"
    assert page.title() == "Vetrina · Primavera 2027"
    page.select_option("#template", "lighting")
    page.get_by_role("button", name="Inserisci regola").click()
    assert 'message: "Accendi le luci della vetrina."' in page.input_value("#yaml")
    page.locator("#rule-form summary").click()
    page.wait_for_selector("#rf-fields select#rf-p-check")
    assert page.inner_text("label[for=rf-p-check]") == "Cosa controllare check *"
    assert "Metà superiore" in page.inner_text("#rf-zone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the buttons wrap, nothing is cut
    photo = tmp_path / "real.jpg"
    photo.write_bytes(to_jpeg(window_photo(seed=3, size=(1600, 1200))))
    page.fill("#yaml", page.input_value("#yaml").split("  - id: window-lit")[0])
    page.set_input_files("#trial-photo", str(photo))
    page.get_by_role("button", name="Prova", exact=True).click()
    page.wait_for_selector("#trial-result:not([hidden])", timeout=90000)
    rows = page.locator("#trial-rules tr").all_inner_texts()
    assert any(r.endswith("La foto è nitida") for r in rows), rows  # the store's words, not the analysis' English
    assert page.locator('#trial-rules td[title^="L\'analisi ha visto:"]').count() == len(rows)
    check_page(page)

    fresh = phone(browser, locale="it-IT").new_page()
    sign_in(fresh, server, "/hq/campaigns/brand-new", "hq")
    fresh.wait_for_selector("#status >> text=Nuova")
    assert 'name: "Nuova vetrina"' in fresh.input_value("#yaml")
    assert fresh.inner_text("#versions") == "Ancora nessuna versione: salvando la campagna si crea la versione 1."
