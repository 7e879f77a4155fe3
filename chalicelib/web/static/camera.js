// The store page's camera: the phone's back camera in the page with the campaign's reference
// photo laid over it as a faint frame, so the window is shot as HQ framed it. The shutter takes
// the camera's full-resolution photo (ImageCapture where the browser has it, else the video's
// frame); the page puts it in the same upload queue as a chosen file.
//
// The camera needs getUserMedia in a secure context (https, or localhost) and the person's
// permission; without any of them the page says why, in words, and the file input stays the way in.
// The camera is released when it is closed, after the shutter, and when the page is hidden or left.
const camera = (() => {
  const $ = (id) => document.getElementById(id);
  let stream = null;
  let onCapture = null;
  let guideUrl = null;

  // Why the camera cannot be offered here (a string key), or null when it can be tried.
  function unavailable() {
    if (!window.isSecureContext) return "camera.insecure";
    if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") return "camera.unsupported";
    return null;
  }

  // A refusal of getUserMedia in words: no permission, no camera, or a camera busy elsewhere.
  function refusal(err) {
    const name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") return "camera.denied";
    if (name === "NotFoundError" || name === "OverconstrainedError") return "camera.none";
    if (name === "NotReadableError" || name === "AbortError") return "camera.busy";
    return "camera.failed";
  }

  let noteKey = null;
  function note(key) {
    noteKey = key;
    $("camera-note").textContent = key ? t(key) : "";
  }

  function showGuide() {
    const guide = $("camera-guide");
    const on = Boolean(guideUrl) && $("camera-guide-on").checked;
    $("camera-guide-controls").hidden = !guideUrl;
    guide.hidden = !on;
    guide.style.opacity = String(Number($("camera-opacity").value) / 100);
    $("camera-opacity").disabled = !$("camera-guide-on").checked;
    $("camera-opacity").setAttribute("aria-valuetext", `${$("camera-opacity").value}%`);
  }

  // The reference photo of the picked campaign (null: none, the camera works without a frame).
  function setGuide(url) {
    guideUrl = url || null;
    if (guideUrl) $("camera-guide").src = guideUrl;
    else $("camera-guide").removeAttribute("src");
    showGuide();
  }

  let opening = false;
  async function open() {
    const why = unavailable();
    if (why) { note(why); return; }
    if (stream || opening) return; // a second tap while the permission prompt is up
    opening = true;
    note("camera.starting");
    try {
      // The back camera at the largest size it offers (the checks want ≥ 2 MP; the queue makes a
      // larger photo smaller before the upload).
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 4096 }, height: { ideal: 3072 } },
      });
    } catch (err) {
      stream = null;
      note(refusal(err));
      fallBack();
      return;
    } finally {
      opening = false;
    }
    const video = $("camera-video");
    video.setAttribute("aria-label", t("camera.view"));
    video.srcObject = stream;
    await video.play().catch(() => {});
    const settings = stream.getVideoTracks()[0].getSettings();
    const width = settings.width || video.videoWidth;
    const height = settings.height || video.videoHeight;
    if (width && height) $("camera-frame").style.aspectRatio = `${width} / ${height}`;
    $("camera").hidden = false;
    $("camera-open").hidden = true;
    showGuide();
    note(guideUrl ? "camera.readyGuide" : "camera.readyNoGuide");
    $("camera-shutter").focus();
  }

  // Stop every track: the camera's light goes off and another app may use it.
  function close() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    $("camera-video").srcObject = null;
    $("camera").hidden = true;
    $("camera-open").hidden = Boolean(unavailable());
  }

  // No camera in the page: the file input (the phone's own camera app, or a file) is the main button.
  function fileFirst() {
    $("camera-open").classList.remove("primary");
    $("photo-label").classList.add("primary");
  }

  // The camera could not start: closed, the file input first, the camera button left to try again.
  function fallBack() {
    close();
    fileFirst();
  }

  // The camera's own photo at its full resolution where the browser can (ImageCapture), else the
  // current video frame at the stream's size.
  async function grab() {
    const track = stream.getVideoTracks()[0];
    if (typeof ImageCapture === "function") {
      try {
        const blob = await new ImageCapture(track).takePhoto();
        if (blob && blob.size) return blob;
      } catch (_) { /* some cameras take no photos: the video frame is the photo */ }
    }
    const video = $("camera-video");
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
  }

  async function shoot() {
    if (!stream) return;
    $("camera-shutter").disabled = true;
    try {
      const blob = await grab();
      const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "");
      const file = new File([blob], `camera-${stamp}.jpg`, { type: blob.type || "image/jpeg" });
      close();
      note("camera.taken");
      if (onCapture) onCapture(file);
    } catch (_) {
      note("camera.failed");
    } finally {
      $("camera-shutter").disabled = false;
    }
  }

  // The page's start: offer the camera where it may work, or say why not.
  function start(captured) {
    onCapture = captured;
    const why = unavailable();
    if (why) { note(why); fileFirst(); return; }
    $("camera-open").hidden = false;
    $("camera-open").addEventListener("click", open);
    $("camera-close").addEventListener("click", () => { close(); note(null); $("camera-open").focus(); });
    $("camera-shutter").addEventListener("click", shoot);
    $("camera-guide-on").addEventListener("change", showGuide);
    $("camera-opacity").addEventListener("input", showGuide);
    $("camera").addEventListener("keydown", (event) => {
      if (event.key === "Escape") { close(); note(null); $("camera-open").focus(); }
    });
    // A hidden tab or a page left must not keep the camera on.
    document.addEventListener("visibilitychange", () => { if (document.hidden && stream) { close(); note("camera.paused"); } });
    window.addEventListener("pagehide", close);
    document.addEventListener("languagechange", () => note(noteKey));
  }

  return { start, setGuide, close, get active() { return Boolean(stream); } };
})();
