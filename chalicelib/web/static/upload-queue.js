// The store's upload queue, for a shop's weak Wi-Fi.
//
// A photo is made smaller on the phone first (a 12 MP camera JPEG of 4-6 MB becomes ~0.5-1 MB:
// the upload, not the analysis, is what takes time on 2 Mbit/s), then kept in IndexedDB until it
// is sent, so closing the tab or losing the network loses nothing. Sending is retried with
// back-off (1 s, 2 s, 4 s … up to a minute); offline, the queue waits for the `online` event.
// A refusal that a retry cannot mend (4xx: a closed campaign, a refused file) stops the photo
// with the reason and leaves it to the store to remove or retry.
//
// The page gives a sender: create(item) → {submission_id, upload}, upload(upload, blob, onProgress),
// sent(item, submissionId), changed(items).
const uploads = (() => {
  const DB = "vetrina-uploads";
  const TABLE = "photos";
  const LONG_SIDE = 2560; // within the 2048–3000 px the checks are calibrated for, ≥ 2 MP for any aspect
  const QUALITY = 0.85;
  const RESIZABLE = ["image/jpeg", "image/png", "image/webp"]; // HEIC: most browsers cannot decode it; sent as is
  const MAX_DELAY = 60000;
  const LINK_LIFE = 8 * 60000; // the upload link lasts 10 minutes: ask for a new one before
  let sender = null;
  let running = false;
  let timer = null;

  // --- IndexedDB -----------------------------------------------------------------------------

  let opened = null;
  function db() {
    opened = opened || new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(TABLE, { keyPath: "id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return opened;
  }

  async function run(mode, work) {
    const database = await db();
    return new Promise((resolve, reject) => {
      const tx = database.transaction(TABLE, mode);
      const request = work(tx.objectStore(TABLE));
      tx.oncomplete = () => resolve(request && request.result);
      tx.onerror = () => reject(tx.error);
    });
  }

  const all = async () => ((await run("readonly", (t) => t.getAll())) || []).sort((a, b) => a.added - b.added);
  const put = (item) => run("readwrite", (t) => t.put(item));
  const drop = (id) => run("readwrite", (t) => t.delete(id));

  async function changed() {
    if (sender) sender.changed(await all());
  }

  // --- smaller on the phone ------------------------------------------------------------------

  // createImageBitmap applies the EXIF orientation to the pixels ("from-image"), so the JPEG
  // drawn from it is upright without EXIF: the orientation is kept.
  async function shrink(file) {
    const type = file.type || "image/jpeg";
    if (!RESIZABLE.includes(type) || typeof createImageBitmap !== "function") return { blob: file, type };
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (_) {
      return { blob: file, type }; // not decodable here: the server decides
    }
    const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.round(bitmap.width * scale);
    const height = Math.round(bitmap.height * scale);
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    if (!blob || blob.size >= file.size) return { blob: file, type }; // already small: send the original
    return { blob, type: "image/jpeg" };
  }

  // --- the queue -----------------------------------------------------------------------------

  async function add(file, item) {
    const { blob, type } = await shrink(file);
    const id = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    await put({ ...item, id, blob, type, originalSize: file.size, added: Date.now(), state: "queued", attempts: 0, nextAt: 0 });
    await changed();
    pump();
    return id;
  }

  async function remove(id) {
    await drop(id);
    await changed();
  }

  async function retry(id) {
    const item = (await all()).find((i) => i.id === id);
    if (!item) return;
    await put({ ...item, state: "queued", nextAt: 0, why: null });
    await changed();
    pump();
  }

  // A network failure, a timeout or a server error is worth retrying; a refusal is not.
  const transient = (err) => !err.status || err.status === 408 || err.status === 429 || err.status >= 500;

  async function sendOne(item) {
    try {
      if (!item.created || Date.now() - item.created.at > LINK_LIFE) {
        const created = await sender.create(item);
        item.created = { submission_id: created.submission_id, upload: created.upload, at: Date.now() };
      }
      item.state = "uploading";
      item.pct = 0;
      await put(item);
      await changed();
      let shown = 0;
      await sender.upload(item.created.upload, item.blob, (pct) => {
        item.pct = pct;
        if (pct - shown >= 5 || pct === 100) { shown = pct; changed(); } // not on every progress event
      });
      await drop(item.id);
      await changed();
      sender.sent(item, item.created.submission_id);
    } catch (err) {
      item.attempts += 1;
      item.why = err.message;
      if (transient(err)) {
        item.state = navigator.onLine ? "retrying" : "waiting";
        item.nextAt = Date.now() + Math.min(MAX_DELAY, 1000 * 2 ** (item.attempts - 1));
      } else {
        item.state = "failed";
      }
      await put(item);
      await changed();
    }
  }

  // Send what is due, one photo at a time (a shop's uplink is better used by one upload).
  async function pump() {
    if (running || !sender) return;
    running = true;
    clearTimeout(timer);
    try {
      for (;;) {
        const due = (await all()).find((i) => i.state !== "failed" && i.nextAt <= Date.now());
        if (!due) break;
        if (!navigator.onLine) {
          if (due.state !== "waiting") { await put({ ...due, state: "waiting" }); await changed(); }
          break; // the online event starts the queue again
        }
        await sendOne(due);
      }
    } finally {
      running = false;
    }
    const next = (await all()).filter((i) => i.state !== "failed" && i.state !== "waiting").map((i) => i.nextAt);
    if (next.length) timer = setTimeout(pump, Math.max(0, Math.min(...next) - Date.now()));
  }

  // Start with what a closed tab left behind: an upload cut off half-way is sent again.
  async function start(pageSender) {
    sender = pageSender;
    for (const item of await all()) {
      if (item.state === "uploading") await put({ ...item, state: "queued", nextAt: 0 });
    }
    await changed();
    pump();
  }

  window.addEventListener("online", async () => {
    for (const item of await all()) {
      if (item.state === "waiting" || item.state === "retrying") await put({ ...item, state: "queued", nextAt: 0 });
    }
    await changed();
    pump();
  });

  return { add, remove, retry, start, all, pump, shrink };
})();
