// The page of `eseal serve`: verify files and licence QR codes, and (with a token) issue and
// revoke licences. Plain JS, no build step; jsQR (vendor/jsQR.js) is loaded before this file.
"use strict";

const T = {
  zh: {
    idle: "请放入文件或扫描二维码", busy: "正在验证…", decoding: "正在识别二维码…", notVerified: "未能完成验证",
    verdict: { passed: "验证通过", indeterminate: "无法确认", failed: "验证失败" },
    nothingSigned: "未找到签名或印章", licencePassed: "证照有效，内容与签发时一致",
    allPassed: (n) => (n > 1 ? `${n} 个签名或印章均有效，签名后未被篡改` : "签名或印章有效，签名后未被篡改"),
    fileSubject: (name, size) => `文件：${name}（${size}）`, qrSubject: (qr) => `二维码：${qr}`,
    validationTime: "验证时间", sha256: "所验内容 SHA-256",
    seal: "印章名称", signer: "签名人", signingTime: "签名时间", revocation: "吊销检查", field: "签名域",
    coverage: "覆盖范围", modification: "签名后修改", changes: "签名后的改动", reasons: "原因", warnings: "提示",
    chain: (n) => `证书链（${n} 张）`, subjectDn: "主体", issuer: "颁发者", serial: "序列号", notAfter: "有效期至",
    source: { claimed: "签名人自述，未经时间戳证明", "signature timestamp": "签名时间戳",
      "document timestamp": "文档时间戳", timestamp: "时间戳" },
    cov: { ENTIRE_FILE: "覆盖整个文件", ENTIRE_REVISION: "覆盖签名时的文件版本，其后另有追加内容" },
    mod: { NONE: "无修改", LTA_UPDATES: "仅添加了长期验证数据（不影响签名）", FORM_FILLING: "填写了表单",
      ANNOTATIONS: "添加了批注", OTHER: "有其他修改" },
    kind: { certificate: "证书", licence: "电子证照", timestamp: "时间戳", seal: "电子印章",
      "seal-signature": "电子签章", "pdf-signature": "PDF 签名", "pdf-document-timestamp": "PDF 文档时间戳",
      "ofd-signature": "OFD 签名", "ofd-seal-signature": "OFD 电子签章" },
    unknown: "未知",
    network: "无法连接验证服务，请检查网络", tooLarge: "文件太大，服务器拒绝接收", httpError: (n) => `服务器错误（HTTP ${n}）`,
    qrEmpty: "请先扫入或粘贴二维码内容", qrNotFound: "未能识别二维码，请换一张更清晰、二维码完整的照片",
    notImage: "无法读取这张图片", cameraInsecure: "此浏览器无法使用摄像头（需要 HTTPS 或在本机访问）",
    cameraFailed: (m) => `无法打开摄像头：${m}`, cameraDenied: "未获准使用摄像头", badAt: "验证时间格式不正确",
    badToken: "令牌无效", checking: "正在核对令牌…",
    operator: (op, roles) => `操作员：${op}；权限：${roles}`, sep: "、",
    role: { verify: "验证", issue: "签发", revoke: "吊销", admin: "管理" },
    statusName: { "01": "有效", "02": "暂扣", "03": "撤销", "04": "注销", "05": "失效", "06": "转出", "07": "吊销",
      "99": "其他" },
    revoked: (id, st) => `证照 ${id} 的状态已改为：${st}`,
  },
  en: {
    idle: "Drop a file or scan a QR code", busy: "Verifying…", decoding: "Reading the QR code…", notVerified: "Could not verify",
    verdict: { passed: "Valid", indeterminate: "Cannot confirm", failed: "Invalid" },
    nothingSigned: "Nothing signed found", licencePassed: "The licence is valid and unchanged since issue",
    allPassed: (n) => (n > 1 ? `All ${n} signatures and seals are valid and unchanged since signing`
      : "The signature or seal is valid and unchanged since signing"),
    fileSubject: (name, size) => `File: ${name} (${size})`, qrSubject: (qr) => `QR code: ${qr}`,
    validationTime: "Validation time", sha256: "SHA-256 of the input",
    seal: "Seal name", signer: "Signer", signingTime: "Signing time", revocation: "Revocation check", field: "Signature field",
    coverage: "Coverage", modification: "Changes after signing", changes: "What changed after signing", reasons: "Reasons",
    warnings: "Notes", chain: (n) => `Certificate chain (${n})`, subjectDn: "Subject", issuer: "Issuer",
    serial: "Serial number", notAfter: "Valid until",
    source: { claimed: "claimed by the signer, not proven by a timestamp", "signature timestamp": "signature timestamp",
      "document timestamp": "document timestamp", timestamp: "timestamp" },
    cov: { ENTIRE_FILE: "the entire file", ENTIRE_REVISION: "the file as signed; content was appended later" },
    mod: { NONE: "none", LTA_UPDATES: "only long-term validation data added (harmless)", FORM_FILLING: "form fields filled in",
      ANNOTATIONS: "annotations added", OTHER: "other changes" },
    kind: { certificate: "Certificate", licence: "E-licence", timestamp: "Timestamp", seal: "E-seal",
      "seal-signature": "Seal signature", "pdf-signature": "PDF signature", "pdf-document-timestamp": "PDF document timestamp",
      "ofd-signature": "OFD signature", "ofd-seal-signature": "OFD seal signature" },
    unknown: "unknown",
    network: "Cannot reach the verification service; check the network", tooLarge: "The file is too large for the server",
    httpError: (n) => `Server error (HTTP ${n})`,
    qrEmpty: "Scan or paste the QR code content first",
    qrNotFound: "No QR code recognised; try a sharper photo showing the whole code",
    notImage: "This image cannot be read", cameraInsecure: "This browser cannot use the camera here (needs HTTPS or local access)",
    cameraFailed: (m) => `Cannot open the camera: ${m}`, cameraDenied: "camera permission was not given",
    badAt: "The time is not valid", badToken: "Invalid token", checking: "Checking the token…",
    operator: (op, roles) => `Operator: ${op}; roles: ${roles}`, sep: ", ",
    role: { verify: "verify", issue: "issue", revoke: "revoke", admin: "admin" },
    statusName: { "01": "valid", "02": "suspended", "03": "withdrawn", "04": "cancelled", "05": "lapsed",
      "06": "transferred out", "07": "revoked", "99": "other" },
    revoked: (id, st) => `Licence ${id} is now: ${st}`,
  },
};

const INDICATIONS = ["TOTAL-PASSED", "INDETERMINATE", "TOTAL-FAILED"];
const VIEW = { "TOTAL-PASSED": "passed", INDETERMINATE: "indeterminate", "TOTAL-FAILED": "failed", NONE: "indeterminate" };
const ICON = { passed: "M5 12.5l4.5 4.5L19 7.5", indeterminate: "M12 6v8 M12 17.5v.5", failed: "M7 7l10 10 M17 7L7 17" };
const REPORT_FILE = "验证报告.pdf";

const state = {
  lang: localStorage.getItem("eseal-lang") === "en" ? "en" : "zh",
  input: null, // the last input sent to /v1/verify: {body, type, at, file?, qr?}
  report: null,
  seq: 0, // numbers verifications so that a late answer cannot overwrite a newer one
  camera: null, // {stream, timer}
  token: sessionStorage.getItem("eseal-token") || "",
  me: null, // the /v1/whoami answer
  types: [],
  issued: null,
  blobUrls: [],
};

const $ = (id) => document.getElementById(id);

/** The text for `key` in the page language; nested tables take a second key, functions take arguments. */
function t(key, ...args) {
  const v = T[state.lang][key];
  if (typeof v === "function") return v(...args);
  if (v && typeof v === "object") return v[args[0]] ?? args[0];
  return v ?? key;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = text;
  return e;
}

// ---- language ----

/** Static text: Chinese is written in the page, English in the data-en attribute beside it. */
function applyLang() {
  const zh = state.lang === "zh";
  for (const e of document.querySelectorAll("[data-en]")) {
    e.dataset.zh ??= e.textContent;
    e.textContent = zh ? e.dataset.zh : e.dataset.en;
  }
  $("camera").setAttribute("aria-label", zh ? "摄像头画面" : "Camera view");
  $("issued-qr").alt = zh ? "证照二维码" : "Licence QR code";
  document.documentElement.lang = zh ? "zh-CN" : "en";
  document.title = document.querySelector("h1").textContent;
  const toggle = $("lang-toggle");
  toggle.textContent = zh ? "English" : "中文";
  toggle.lang = zh ? "en" : "zh-CN";
  toggle.setAttribute("aria-label", zh ? "Switch to English" : "切换到中文");
}

function toggleLang() {
  state.lang = state.lang === "zh" ? "en" : "zh";
  localStorage.setItem("eseal-lang", state.lang);
  applyLang();
  if (state.me) showWhoami();
  if (state.issued) $("issued-status").textContent = statusText(state.issued.status);
  // The server writes the reasons in the asked language: ask again rather than mix languages.
  if (state.input) verify(state.input);
  else showIdle();
}

// ---- formatting ----

function fmtTime(s) {
  const d = new Date(s);
  if (!s || s.startsWith("@") || Number.isNaN(d.getTime())) return s || t("unknown");
  return new Intl.DateTimeFormat(state.lang === "zh" ? "zh-CN" : "en-GB", { dateStyle: "long", timeStyle: "medium" }).format(d);
}

function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function colon() {
  return state.lang === "zh" ? "：" : ": ";
}

function paren(s) {
  return state.lang === "zh" ? `（${s}）` : ` (${s})`;
}

function shorten(s, n = 60) {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

// ---- talking to the server ----

function headers(extra = {}, withToken = true) {
  const h = { "Accept-Language": state.lang === "zh" ? "zh-CN" : "en", ...extra };
  if (state.token && withToken) h.Authorization = `Bearer ${state.token}`;
  return h;
}

/**
 * Whether verification calls carry the token. The service refuses them (403) from an operator
 * without the verify role, but answers callers without a token when it allows anonymous ones:
 * an operator who may only issue or revoke verifies as anyone may.
 */
function verifyWithToken() {
  return !state.me || can("verify");
}

/** An Error carrying the HTTP status and the server's `{"error": {"message"}}`, if any. */
async function httpError(res) {
  let message = "";
  try {
    message = (await res.json())?.error?.message || "";
  } catch {
    // not JSON: fall back to the status line
  }
  const err = new Error(message || t("httpError", res.status));
  err.status = res.status;
  return err;
}

async function request(method, path, { body, type, json, extra, withToken } = {}) {
  const h = headers(extra, withToken);
  if (json !== undefined) {
    body = JSON.stringify(json);
    type = "application/json";
  }
  if (type) h["Content-Type"] = type;
  let res;
  try {
    res = await fetch(path, { method, body, headers: h });
  } catch {
    throw new Error(t("network"));
  }
  if (!res.ok) throw await httpError(res);
  return res;
}

function errorText(err) {
  return err.status === 413 ? `${t("tooLarge")}${colon()}${err.message}` : err.message;
}

function withAt(path, at) {
  return at ? `${path}?at=${encodeURIComponent(at)}` : path;
}

/** The #at field as RFC 3339 UTC without fractions, or "" when empty. */
function atParam() {
  const v = $("at").value;
  if (!v) return "";
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new Error(t("badAt"));
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

// ---- verdict and report ----

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

function setVerdict(view, indication, text, reason) {
  const v = $("verdict");
  v.className = `verdict ${view}`;
  if (indication) v.dataset.indication = indication;
  else v.removeAttribute("data-indication");
  $("verdict-icon-path").setAttribute("d", ICON[view] || "");
  $("verdict-text").textContent = text;
  $("reason").textContent = reason || "";
  const input = state.input;
  $("subject").textContent = !input ? "" : input.file
    ? t("fileSubject", input.file.name, fmtSize(input.file.size)) : t("qrSubject", shorten(input.qr));
}

function showIdle() {
  setVerdict("idle", null, state.input ? t("notVerified") : t("idle"), "");
}

function overallIndication(signatures) {
  if (!signatures.length) return "NONE";
  const worst = Math.max(...signatures.map((s) => INDICATIONS.indexOf(s.indication)).map((i) => (i < 0 ? 1 : i)));
  return INDICATIONS[worst];
}

function renderReport() {
  const report = state.report;
  const sigs = report.signatures || [];
  const indication = overallIndication(sigs);
  const worst = sigs.find((s) => s.indication === indication);
  let reason = t("nothingSigned");
  if (worst?.reasons?.length) reason = worst.reasons[0].message;
  else if (sigs.length === 1 && sigs[0].kind === "licence") reason = t("licencePassed");
  else if (sigs.length) reason = t("allPassed", sigs.length);
  setVerdict(VIEW[indication], indication, t("verdict", VIEW[indication]), reason);

  const meta = [`${t("validationTime")}${colon()}${fmtTime(report.validation_time)}`];
  if (report.sha256) meta.push(`${t("sha256")}${colon()}${report.sha256}`);
  $("meta").textContent = meta.join("　");
  renderFields(report.fields || []);
  $("signers").replaceChildren(...sigs.map((s, i) => signatureItem(s, i, report)));
  $("report-json").textContent = JSON.stringify(report, null, 2);
  $("report").hidden = false;
}

function renderFields(fields) {
  const rows = fields.map((f) => {
    const tr = el("tr");
    const th = el("th", null, f.label);
    th.scope = "row";
    tr.append(th, el("td", null, f.value));
    return tr;
  });
  $("fields").tBodies[0].replaceChildren(...rows);
  $("fields").hidden = !rows.length;
}

/** Adds a dt/dd pair; `value` is text or a node; the dd gets `key` as class for tests and styling. */
function addItem(dl, key, label, value) {
  const dd = el("dd", key);
  dd.append(value ?? "—");
  dl.append(el("dt", null, label), dd);
}

function list(items) {
  const ul = el("ul");
  ul.append(...items.map((x) => el("li", null, x)));
  return ul;
}

function signatureItem(s, i, report) {
  const view = VIEW[s.indication] || "indeterminate";
  const li = el("li", `sig ${view}`);
  li.dataset.indication = s.indication;
  const h = el("h4", null, `${i + 1}. ${t("kind", s.kind)} `);
  h.append(el("span", "badge", t("verdict", view)));
  const dl = el("dl");
  addItem(dl, "seal", t("seal"), s.seal);
  addItem(dl, "signer", t("signer"), s.signer);
  const time = s.signing_time && `${fmtTime(s.signing_time)}${s.signing_time_source ? paren(t("source", s.signing_time_source)) : ""}`;
  addItem(dl, "signing-time", t("signingTime"), time);
  addItem(dl, "validation-time", t("validationTime"), fmtTime(report.validation_time));
  addItem(dl, "revocation", t("revocation"), s.revocation);
  if (s.field) addItem(dl, "field", t("field"), s.field);
  if (s.coverage) addItem(dl, "coverage", t("coverage"), t("cov", s.coverage));
  if (s.modification) addItem(dl, "modification", t("modification"), t("mod", s.modification));
  if (s.changes?.length) addItem(dl, "changes", t("changes"), list(s.changes));
  if (s.reasons?.length) addItem(dl, "reasons", t("reasons"), list(s.reasons.map((r) => r.message)));
  if (s.warnings?.length) addItem(dl, "warnings", t("warnings"), list(s.warnings));
  li.append(h, dl);
  if (s.chain?.length) li.append(chainDetails(s.chain));
  return li;
}

function chainDetails(chain) {
  const details = el("details", "chain");
  details.append(el("summary", null, t("chain", chain.length)));
  for (const c of chain) {
    const dl = el("dl");
    addItem(dl, "cert-subject", t("subjectDn"), c.subject);
    addItem(dl, "cert-issuer", t("issuer"), c.issuer);
    addItem(dl, "cert-serial", t("serial"), c.serial);
    addItem(dl, "cert-not-after", t("notAfter"), fmtTime(c.not_after));
    details.append(dl);
  }
  return details;
}

function revealVerdict() {
  const r = $("verdict").getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) $("verdict").scrollIntoView({ block: "start" });
}

/** Forgets the shown result and any verification still running. */
function resetResult() {
  state.seq += 1;
  state.input = null;
  state.report = null;
  showError("");
  $("report").hidden = true;
}

async function verify(input) {
  resetResult();
  const seq = state.seq;
  state.input = input;
  setVerdict("busy", null, t("busy"), "");
  revealVerdict();
  try {
    const res = await request("POST", withAt("/v1/verify", input.at), {
      body: input.body, type: input.type, withToken: verifyWithToken(),
    });
    const report = await res.json();
    if (seq !== state.seq) return;
    state.report = report;
    renderReport();
  } catch (err) {
    if (seq !== state.seq) return;
    showIdle();
    showError(errorText(err));
  }
}

/** Verifies with the #at time; a bad time is reported instead. */
function verifyNow(input) {
  try {
    verify({ ...input, at: atParam() });
  } catch (err) {
    resetResult();
    showIdle();
    showError(err.message);
  }
}

function verifyFile(file) {
  stopCamera();
  verifyNow({ body: file, type: "application/octet-stream", file });
}

function verifyQr() {
  const qr = $("qr-text").value.trim();
  if (!qr) {
    showError(t("qrEmpty"));
    $("qr-text").focus();
    return;
  }
  verifyNow({ body: qr, type: "text/plain", qr });
}

function verifyDecoded(text) {
  $("qr-text").value = text;
  verifyQr();
}

async function downloadReport() {
  const input = state.input;
  const button = $("download-report");
  button.disabled = true;
  try {
    const res = await request("POST", withAt("/v1/verify/report.pdf", input.at), {
      body: input.body, type: input.type, extra: { Accept: "application/pdf" }, withToken: verifyWithToken(),
    });
    saveBlob(await res.blob(), REPORT_FILE);
  } catch (err) {
    showError(errorText(err));
  } finally {
    button.disabled = false;
  }
}

function saveBlob(blob, name) {
  const a = el("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

// ---- QR codes from photos and the camera ----

const canvas = document.createElement("canvas");

/** Decodes a QR code from an image or video frame drawn at most `max` pixels on its long side. */
function decodeQr(source, width, height, max, inversionAttempts) {
  const scale = Math.min(1, max / Math.max(width, height));
  const w = Math.round(width * scale);
  const h = Math.round(height * scale);
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, w, h);
  const code = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts });
  return code?.data || null;
}

function loadImage(file) {
  const url = URL.createObjectURL(file);
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(t("notImage")));
    img.src = url;
  }).finally(() => URL.revokeObjectURL(url));
}

/** Tries the photo at most 1600 px on its long side, then (for large photos) at 800 px, which helps with blur. */
function decodePhoto(img) {
  const long = Math.max(img.naturalWidth, img.naturalHeight);
  for (const max of long > 800 ? [1600, 800] : [long]) {
    const text = decodeQr(img, img.naturalWidth, img.naturalHeight, max, "attemptBoth");
    if (text) return text;
  }
  return null;
}

async function onPhoto() {
  const file = $("qr-photo").files[0];
  $("qr-photo").value = "";
  if (!file) return;
  stopCamera();
  resetResult();
  setVerdict("busy", null, t("decoding"), "");
  try {
    const text = decodePhoto(await loadImage(file));
    if (!text) throw new Error(t("qrNotFound"));
    verifyDecoded(text);
  } catch (err) {
    showIdle();
    showError(err.message);
  }
}

async function startCamera() {
  showError("");
  if (!navigator.mediaDevices?.getUserMedia) {
    showError(t("cameraInsecure"));
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    stopCamera();
    state.camera = { stream, timer: 0 };
    $("camera").srcObject = stream;
    $("camera-box").hidden = false;
    await $("camera").play();
  } catch (err) {
    if (stream && state.camera?.stream !== stream) return; // stopped while starting
    stopCamera();
    showError(t("cameraFailed", err.name === "NotAllowedError" ? t("cameraDenied") : err.message));
    return;
  }
  if (state.camera?.stream !== stream) return;
  state.camera.timer = setTimeout(scanFrame, 150);
  $("stop-camera").focus();
}

function scanFrame() {
  const video = $("camera");
  if (!state.camera) return;
  const text = video.videoWidth ? decodeQr(video, video.videoWidth, video.videoHeight, 800, "dontInvert") : null;
  if (text) {
    stopCamera();
    verifyDecoded(text);
    return;
  }
  state.camera.timer = setTimeout(scanFrame, 150);
}

function stopCamera() {
  if (!state.camera) return;
  clearTimeout(state.camera.timer);
  for (const track of state.camera.stream.getTracks()) track.stop();
  state.camera = null;
  $("camera").srcObject = null;
  $("camera-box").hidden = true;
}

// ---- office: sign-in, issuing, revoking ----

function setMessage(node, text, isError = false) {
  node.textContent = text;
  node.classList.toggle("err", isError);
}

function can(role) {
  const roles = state.me?.roles || [];
  return roles.includes(role) || roles.includes("admin");
}

function showWhoami() {
  const roles = (state.me.roles || []).map((r) => t("role", r)).join(t("sep"));
  setMessage($("whoami"), t("operator", state.me.operator, roles || "—"));
}

async function signIn(event) {
  event?.preventDefault();
  state.token = $("token").value.trim();
  if (!state.token) {
    signOut();
    return;
  }
  sessionStorage.setItem("eseal-token", state.token);
  $("office").hidden = false;
  $("token-clear").hidden = false;
  $("issue-form").hidden = true;
  $("revoke-form").hidden = true;
  setMessage($("whoami"), t("checking"));
  try {
    state.me = await (await request("GET", "/v1/whoami")).json();
  } catch (err) {
    state.me = null;
    setMessage($("whoami"), err.status === 401 ? t("badToken") : err.message, true);
    return;
  }
  showWhoami();
  if (event) $("office").scrollIntoView({ block: "start" });
  $("revoke-form").hidden = !can("revoke");
  if (!can("issue")) return;
  try {
    await loadTypes();
  } catch (err) {
    setMessage($("whoami"), `${$("whoami").textContent}${paren(err.message)}`, true);
  }
}

function signOut() {
  state.token = "";
  state.me = null;
  sessionStorage.removeItem("eseal-token");
  $("token").value = "";
  $("office").hidden = true;
  $("token-clear").hidden = true;
}

async function loadTypes() {
  state.types = await (await request("GET", "/v1/licence-types")).json();
  const select = $("licence-type");
  select.replaceChildren(...state.types.map((x) => new Option(`${x.name}${paren(x.type_code)}`, x.type_code)));
  buildSurface();
  if (!$("case-id").value) $("case-id").value = newCaseId();
  $("issue-form").hidden = false;
}

function newCaseId() {
  const d = new Date();
  const day = `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, "0")}${String(d.getDate()).padStart(2, "0")}`;
  const rand = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${day}-${rand}`;
}

/** One input per template field of the selected licence type (attachments are not issued from here). */
function buildSurface() {
  const type = state.types.find((x) => x.type_code === $("licence-type").value);
  const nodes = [];
  for (const f of type?.template?.fields || []) {
    if (f.kind === "attachment") continue;
    const input = el("input");
    input.id = `f-${f.key}`;
    input.dataset.key = f.key;
    input.dataset.kind = f.kind;
    input.type = f.kind === "date" ? "date" : "text";
    if (f.kind === "number") {
      input.inputMode = "decimal";
      input.pattern = "-?[0-9]+(\\.[0-9]+)?";
    }
    input.required = Boolean(f.required);
    input.autocomplete = "off";
    const label = el("label", null, f.label);
    label.htmlFor = input.id;
    if (f.required) label.insertAdjacentHTML("beforeend", ' <span class="req" aria-hidden="true">*</span>');
    nodes.push(label, input);
  }
  $("surface").replaceChildren(...nodes);
  $("surface-box").hidden = !nodes.length;
}

async function issue(event) {
  event.preventDefault();
  const surface = {};
  for (const input of $("surface").querySelectorAll("input")) {
    const v = input.value.trim();
    if (v) surface[input.dataset.key] = input.dataset.kind === "date" ? v.replaceAll("-", "") : v;
  }
  const json = {
    holder_name: $("holder-name").value.trim(),
    holder_type: $("holder-type").value,
    holder_code: $("holder-code").value.trim(),
    surface,
  };
  $("issue-error").hidden = true;
  $("issue").disabled = true;
  try {
    const path = `/v1/licences?type=${encodeURIComponent($("licence-type").value)}`;
    const res = await request("POST", path, { json, extra: { "Idempotency-Key": $("case-id").value.trim() } });
    state.issued = await res.json();
    $("case-id").value = newCaseId();
    $("revoke-id").value = state.issued.identifier;
    await showIssued(state.issued);
  } catch (err) {
    $("issue-error").textContent = errorText(err);
    $("issue-error").hidden = false;
  } finally {
    $("issue").disabled = false;
  }
}

/** Fetches `path` with the token and gives a blob: URL for it. */
async function blobUrl(path) {
  const url = URL.createObjectURL(await (await request("GET", path)).blob());
  state.blobUrls.push(url);
  return url;
}

/** A registry status code (LICENCE.md §1: `01` valid … `07`; `99/N` is other, list value N) in words. */
function statusText(code) {
  return t("statusName", String(code).split("/")[0]);
}

async function showIssued(issued) {
  for (const url of state.blobUrls.splice(0)) URL.revokeObjectURL(url);
  $("issued-id").textContent = issued.identifier;
  $("issued-status").textContent = statusText(issued.status);
  $("issued-qr").removeAttribute("src");
  $("issued-pdf").removeAttribute("href");
  $("issue-result").hidden = false;
  $("issued-qr").src = await blobUrl(issued.links.qr_png);
  $("issued-pdf").href = await blobUrl(issued.links.pdf);
}

function verifyIssued() {
  $("qr-text").value = state.issued.qr;
  verifyQr();
  $("result").focus();
}

async function revoke(event) {
  event.preventDefault();
  const id = $("revoke-id").value.trim();
  const json = { reason: $("revoke-reason").value.trim(), status: $("revoke-status").value };
  $("revoke").disabled = true;
  try {
    const res = await request("POST", `/v1/licences/${encodeURIComponent(id)}/revoke`, { json });
    const answer = await res.json();
    setMessage($("revoke-result"), t("revoked", answer.identifier, statusText(answer.status)));
    if (state.issued?.identifier === answer.identifier) {
      state.issued.status = answer.status;
      $("issued-status").textContent = statusText(answer.status);
    }
  } catch (err) {
    setMessage($("revoke-result"), errorText(err), true);
  } finally {
    $("revoke").disabled = false;
  }
}

// ---- wiring ----

function wireDrop() {
  const zone = $("drop-zone");
  const hasFiles = (e) => e.dataTransfer?.types.includes("Files");
  window.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    zone.classList.add("over");
  });
  window.addEventListener("dragleave", (e) => {
    if (!e.relatedTarget) zone.classList.remove("over");
  });
  // Files dropped anywhere are verified, so a near miss does not open the file in the browser.
  window.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer.files[0]) verifyFile(e.dataTransfer.files[0]);
  });
}

function init() {
  applyLang();
  showIdle();
  wireDrop();
  $("lang-toggle").addEventListener("click", toggleLang);
  $("file-input").addEventListener("change", (e) => {
    if (e.target.files[0]) verifyFile(e.target.files[0]);
    e.target.value = "";
  });
  $("verify-qr").addEventListener("click", verifyQr);
  // QR scanner guns type the content followed by Enter.
  $("qr-text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      verifyQr();
    }
  });
  $("qr-photo").addEventListener("change", onPhoto);
  $("scan-camera").addEventListener("click", startCamera);
  $("stop-camera").addEventListener("click", () => {
    stopCamera();
    $("scan-camera").focus();
  });
  $("download-report").addEventListener("click", downloadReport);
  $("token-form").addEventListener("submit", signIn);
  $("token-clear").addEventListener("click", signOut);
  $("licence-type").addEventListener("change", buildSurface);
  $("issue-form").addEventListener("submit", issue);
  $("verify-issued").addEventListener("click", verifyIssued);
  $("revoke-form").addEventListener("submit", revoke);
  if (state.token) {
    $("token").value = state.token;
    signIn();
  }
}

init();
