// Page strings in Italian and English; the browser's language picks, the header button switches.
const STRINGS = {
  en: {
    "store.title": "Your window photo",
    "store.storeId": "Store code",
    "store.campaign": "Campaign",
    "store.deadline": "Deadline: {date}",
    "store.photo": "Photo of the window",
    "store.takePhoto": "Take or choose a photo",
    "store.send": "Send photo",
    "store.noCampaigns": "No campaign is open for now.",
    "store.needStore": "Enter your store code first.",
    "store.uploading": "Uploading… {pct}%",
    "store.uploadFailed": "The upload failed: {why}. Your photo is still selected: try again.",
    "store.checking": "Photo received. Checking it…",
    "store.verdict": "Result",
    "verdict.pass": "Your window follows the guideline",
    "verdict.fail": "Some rules are not met",
    "verdict.review": "A merchandiser will check it",
    "verdict.retake": "Please take the photo again",
    "status.rejected": "This file cannot be used",
    "status.error": "We could not check this photo",
    "rule.pass": "OK",
    "rule.fail": "To fix",
    "rule.uncertain": "Needs review",
    "rule.error": "Not checked",
    "rule.skipped": "Not checked",
    "check.sharpness": "The photo is sharp",
    "check.exposure": "The photo is well lit",
    "check.clipping": "No glare or burnt-out areas",
    "check.resolution": "The photo is large enough",
    "check.tilt": "The photo is straight",
    "lang.switch": "Italiano",
  },
  it: {
    "store.title": "La foto della tua vetrina",
    "store.storeId": "Codice negozio",
    "store.campaign": "Campagna",
    "store.deadline": "Scadenza: {date}",
    "store.photo": "Foto della vetrina",
    "store.takePhoto": "Scatta o scegli una foto",
    "store.send": "Invia la foto",
    "store.noCampaigns": "Al momento non ci sono campagne aperte.",
    "store.needStore": "Inserisci prima il codice del negozio.",
    "store.uploading": "Caricamento… {pct}%",
    "store.uploadFailed": "Il caricamento non è riuscito: {why}. La foto è ancora selezionata: riprova.",
    "store.checking": "Foto ricevuta. La stiamo controllando…",
    "store.verdict": "Esito",
    "verdict.pass": "La vetrina rispetta le linee guida",
    "verdict.fail": "Alcune regole non sono rispettate",
    "verdict.review": "La controllerà un visual merchandiser",
    "verdict.retake": "Per favore scatta di nuovo la foto",
    "status.rejected": "Questo file non si può usare",
    "status.error": "Non siamo riusciti a controllare la foto",
    "rule.pass": "OK",
    "rule.fail": "Da sistemare",
    "rule.uncertain": "Da verificare",
    "rule.error": "Non controllata",
    "rule.skipped": "Non controllata",
    "check.sharpness": "La foto è nitida",
    "check.exposure": "La foto è ben illuminata",
    "check.clipping": "Nessun riflesso o zona bruciata",
    "check.resolution": "La foto è abbastanza grande",
    "check.tilt": "La foto è dritta",
    "lang.switch": "English",
  },
};

function pickLanguage() {
  const saved = localStorage.getItem("vetrina.lang");
  if (saved && STRINGS[saved]) return saved;
  return (navigator.languages || [navigator.language || "en"]).some((l) => l.toLowerCase().startsWith("it")) ? "it" : "en";
}

let LANG = pickLanguage();

function t(key, vars = {}) {
  const text = (STRINGS[LANG] && STRINGS[LANG][key]) || STRINGS.en[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? vars[name] : ""));
}

function applyStrings(root = document) {
  document.documentElement.lang = LANG;
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  const button = document.getElementById("lang");
  if (button) button.textContent = t("lang.switch");
}

function switchLanguage() {
  LANG = LANG === "it" ? "en" : "it";
  localStorage.setItem("vetrina.lang", LANG);
  applyStrings();
  document.dispatchEvent(new Event("languagechange"));
}
