/* The till's camera fallback: read the member's QR code with the rear camera.
 *
 * An ES module, loaded after till.js. It decodes a few frames a second with the browser's own
 * BarcodeDetector when that one reads QR codes, else with the vendored barcode-detector
 * polyfill (zxing-wasm, served from /static/vendor — nothing is loaded from the internet).
 * A card number it reads goes in the way a USB scanner's does: the digits into #card, then
 * Enter, so till.js handles it exactly as a scan. No inline code (strict CSP; WebAssembly
 * needs 'wasm-unsafe-eval' in script-src). */

const PONYFILL = new URL("../vendor/barcode-detector/ponyfill.js", import.meta.url).href;
const WASM = new URL("../vendor/zxing-wasm/zxing_reader.wasm", import.meta.url).href;
const CARD = /^(\d{16}|\d{22})$/;  // a card number, or a 22-digit pay code (as till.js reads)
const EVERY_MS = 250;  // about four frames a second

const MESSAGES = {
  opening: "正在打开摄像头… / Opening the camera…",
  aim: "请将V卡会员码对准摄像头 / Hold the V-card code up to the camera",
  notCard: "这不是V卡会员码，请出示V卡会员码 / Not a V-card code: show the member's V-card code",
  noCamera: "此设备或浏览器无法使用摄像头（需 HTTPS），请使用扫码枪或手工输入 / " +
    "No camera available here (HTTPS is needed): use the scanner or type the number",
  notFound: "未找到摄像头，请使用扫码枪或手工输入 / No camera found: use the scanner or type " +
    "the number",
  denied: "摄像头权限被拒绝，请在浏览器设置中允许本站使用摄像头 / Camera permission denied: " +
    "allow this site to use the camera in the browser settings",
  busy: "摄像头被其他程序占用或无法启动 / The camera is in use by another app or could not start",
  decoder: "扫码组件加载失败，请使用扫码枪或手工输入 / The QR decoder could not load: use the " +
    "scanner or type the number",
};

const $ = (id) => document.getElementById(id);

let session = null;  // {stream, timer, closed} while the panel is open
let decoder = null;  // a promise of {detector, kind}, made once

/** The page's status line, as till.js writes it. */
function status(text, kind) {
  const line = $("status");
  line.textContent = text || "";
  line.className = "status no-print" + (kind ? " " + kind : "");
}

function panelMessage(text, kind) {
  const line = $("camera-message");
  if (line.textContent !== text) { line.textContent = text; }
  line.className = "camera-message" + (kind ? " " + kind : "");
}

/** The native BarcodeDetector when it reads QR codes, else the vendored polyfill. */
async function nativeDetector() {
  const Native = window.BarcodeDetector;
  if (typeof Native !== "function" || typeof Native.getSupportedFormats !== "function") {
    return null;
  }
  try {
    const formats = await Native.getSupportedFormats();
    return formats.includes("qr_code") ? new Native({ formats: ["qr_code"] }) : null;
  } catch {
    return null;
  }
}

async function polyfillDetector() {
  const module = await import(PONYFILL);
  // Fetch the .wasm from our own /static, never the package's default CDN, and load it now
  // so that a failure shows here rather than at the first frame.
  await module.prepareZXingModule({
    overrides: {
      locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM : prefix + path),
    },
    fireImmediately: true,
  });
  return new module.BarcodeDetector({ formats: ["qr_code"] });
}

function getDecoder() {
  if (!decoder) {
    decoder = nativeDetector().then(async (native) => (
      native ? { detector: native, kind: "native" }
        : { detector: await polyfillDetector(), kind: "zxing-wasm" }
    ));
    decoder.catch(() => { decoder = null; });  // try again on the next click
  }
  return decoder;
}

function cameraError(error) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
    return MESSAGES.denied;
  }
  if (name === "NotFoundError" || name === "OverconstrainedError" ||
      name === "DevicesNotFoundError") {
    return MESSAGES.notFound;
  }
  return MESSAGES.busy;
}

/** Stop the camera and close the panel; safe to call at any time. */
function close() {
  const current = session;
  session = null;
  if (current) {
    current.closed = true;
    if (current.timer) { clearTimeout(current.timer); }
    if (current.stream) { current.stream.getTracks().forEach((track) => track.stop()); }
  }
  const video = $("camera-video");
  video.pause();
  video.srcObject = null;
  $("camera").hidden = true;
  $("camera").removeAttribute("data-decoder");
  $("camera-button").disabled = false;
}

/** The card goes in as a USB scanner types it: the digits, then Enter (till.js does the rest). */
function accept(code) {
  close();
  const card = $("card");
  if (card.readOnly) { return; }  // a sale is being confirmed: leave it alone
  status("");
  card.value = code;
  card.dispatchEvent(new Event("input", { bubbles: true }));
  card.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", code: "Enter", bubbles: true,
                                                    cancelable: true }));
}

/** The panel is shown no more (a receipt, a change of terminal): the camera must stop too. */
function panelGone() {
  const panel = $("camera");
  return panel.hidden || panel.closest("[hidden]") !== null || document.hidden;
}

function scan(current, detector) {
  if (current.closed) { return; }
  if (panelGone()) { close(); return; }
  const video = $("camera-video");
  const next = () => {
    if (!current.closed) { current.timer = setTimeout(() => scan(current, detector), EVERY_MS); }
  };
  if (video.readyState < 2) { next(); return; }  // no frame yet
  detector.detect(video).then((codes) => {
    if (current.closed) { return; }
    const texts = codes.map((code) => String(code.rawValue || "").trim());
    const card = texts.find((text) => CARD.test(text));
    if (card) { accept(card); return; }
    if (texts.length) { panelMessage(MESSAGES.notCard, "error"); }
    next();
  }, next);
}

async function open() {
  if (session) { return; }
  const media = navigator.mediaDevices;
  if (!media || typeof media.getUserMedia !== "function") {
    status(MESSAGES.noCamera, "error");
    return;
  }
  const current = { stream: null, timer: null, closed: false };
  session = current;
  status("");
  $("camera-button").disabled = true;
  $("camera").hidden = false;
  panelMessage(MESSAGES.opening);
  $("camera").scrollIntoView({ block: "nearest" });

  const loading = getDecoder();
  loading.catch(() => {});  // reported below, after the camera's own errors
  let stream;
  try {
    stream = await media.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch (error) {
    if (!current.closed) { close(); status(cameraError(error), "error"); }
    return;
  }
  if (current.closed) { stream.getTracks().forEach((track) => track.stop()); return; }
  current.stream = stream;
  const video = $("camera-video");
  video.srcObject = stream;
  try {
    await video.play();
  } catch (error) {
    if (!current.closed) { close(); status(MESSAGES.busy, "error"); }
    return;
  }
  let found;
  try {
    found = await loading;
  } catch (error) {
    if (!current.closed) { close(); status(MESSAGES.decoder, "error"); }
    return;
  }
  if (current.closed) { return; }
  $("camera").setAttribute("data-decoder", found.kind);
  panelMessage(MESSAGES.aim);
  scan(current, found.detector);
}

$("camera-button").addEventListener("click", () => { open(); });
$("camera-stop").addEventListener("click", () => { close(); $("card").focus(); });
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && session) { close(); $("card").focus(); }
});
document.addEventListener("visibilitychange", () => { if (document.hidden && session) { close(); } });
window.addEventListener("pagehide", () => { if (session) { close(); } });
