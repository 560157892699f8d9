// Reference frontend for Car Pulse Tracker: the documented flow, in plain JavaScript.
// 1. Connect: POST initiate with credentials (or a plain link), consent at Tesla.
// 2. The callback sends the browser back here with #code=… (or #error=…).
// 3. Trade the one-time code for a session token: POST /api/v1/session {"code": …}.
// 4. List vehicles, request a report, poll its status, show download links.
"use strict";

const API = window.CARPULSE_API_BASE;
const SESSION_KEY = "carpulse.session";
const $ = (id) => document.getElementById(id);

// Every error enum the API can answer, in words an owner understands.
const ERROR_WORDS = {
  access_denied: ["You declined access at Tesla", "Nothing was stored. Connect again whenever you are ready."],
  invalid_state: ["This sign-in could not be completed", "It expired, was already used, or was started in another browser. Please connect again from this page."],
  invalid_grant: ["This sign-in has expired", "Please connect again."],
  invalid_request: ["Some details are not right", ""],
  unauthorized: ["You are signed out", "Please connect your Tesla again."],
  not_found: ["Not found", ""],
  forbidden: ["Not allowed", ""],
  method_not_allowed: ["Not supported", ""],
  payload_too_large: ["The request is too large", ""],
  reconnect_required: ["Tesla asks you to sign in again", "Tesla ended our access to your account. Connect again to continue."],
  retry_later: ["Tesla is busy right now", "Please try again in a moment."],
  upstream_error: ["Tesla could not answer", ""],
  service_unavailable: ["The service is starting", "Please try again in a moment."],
  server_error: ["Something went wrong on our side", "Please try again."],
  internal_error: ["Something went wrong on our side", "Please try again."],
  configuration_error: ["The service is not set up correctly", "We have been told."],
  network: ["The service cannot be reached", "Check your connection and try again."],
};

const STAGE_PERCENT = { queued: 5, fetching: 35, waiting_for_vehicle: 50, rendering: 80, done: 100, failed: 100 };
const STAGE_WORDS = {
  queued: "Waiting to start", fetching: "Reading data from Tesla", waiting_for_vehicle: "Waiting for the car to answer",
  rendering: "Writing the PDF", done: "Ready", failed: "Could not be created",
};

class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && body.error_description) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error) || "server_error";
    this.messages = (body && body.messages) || {};
    this.retryAfter = retryAfter;
  }
}

function session() {
  try { return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null"); } catch { return null; }
}

async function api(method, path, { body, auth = true, credentials = "omit" } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const current = session();
  if (auth && current) headers.Authorization = `Bearer ${current.session_token}`;
  let response;
  try {
    response = await fetch(API + path, { method, headers, credentials, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, { error: "network", error_description: String(err) });
  }
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  if (!response.ok) throw new ApiError(response.status, parsed, response.headers.get("Retry-After"));
  return parsed ? parsed.response : null;
}

function showError(code, description, messages) {
  const [title, advice] = ERROR_WORDS[code] || ERROR_WORDS.server_error;
  $("error-title").textContent = title;
  const details = Object.entries(messages || {}).map(([field, problems]) => `${field}: ${problems.join(", ")}`);
  $("error-text").textContent = [advice, description, ...details].filter(Boolean).join(" — ");
  $("error").dataset.code = code;
  $("error").hidden = false;
}

function handle(err) {
  if (err instanceof ApiError) {
    showError(err.code, err.code === "retry_later" && err.retryAfter ? `Retry in ${err.retryAfter} s.` : err.message, err.messages);
    if (err.code === "unauthorized" || err.code === "reconnect_required") signedOut();
  } else {
    showError("server_error", String(err));
  }
}

function info(text) {
  $("info").textContent = text;
  $("info").hidden = !text;
}

function signedOut() {
  sessionStorage.removeItem(SESSION_KEY);
  $("app-panel").hidden = true;
  $("connect-panel").hidden = false;
}

async function connectWithFetch() {
  $("error").hidden = true;
  try {
    // credentials: "include" lets the browser keep the login cookie that binds this login to it.
    // Outside China the call is exactly the documented one: no body, so no CORS preflight either.
    const region = $("region").value;
    const body = region === "global" ? undefined : { region };
    const start = await api("POST", "/api/v1/tesla/oauth/initiate", { auth: false, credentials: "include", body });
    window.location.assign(start.authorize_url);
  } catch (err) { handle(err); }
}

async function landedFromCallback() {
  if (!location.hash || location.hash.length < 2) return;
  const params = new URLSearchParams(location.hash.slice(1));
  history.replaceState(null, "", location.pathname + location.search);  // the code is single use: drop it
  if (params.get("error")) {
    showError(params.get("error"), params.get("error_description") || "");
    return;
  }
  const code = params.get("code");
  if (!code) return;
  try {
    const opened = await api("POST", "/api/v1/session", { auth: false, body: { code } });
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(opened));
    info("Connected to Tesla.");
  } catch (err) { handle(err); }
}

async function loadVehicles() {
  const list = $("vehicles");
  list.textContent = "";
  let vehicles;
  try { vehicles = await api("GET", "/api/v1/vehicles"); } catch (err) { handle(err); return; }
  $("vehicles-empty").hidden = vehicles.length > 0;
  for (const v of vehicles) {
    const li = document.createElement("li");
    li.className = "vehicle";
    li.dataset.vin = v.vin;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = v.vin;
    box.checked = true;
    box.setAttribute("aria-label", `include ${v.display_name || v.vin}`);
    box.addEventListener("change", updateRequestButton);
    const text = document.createElement("div");
    const name = document.createElement("div");
    name.className = "name";
    name.textContent = v.display_name || "Unnamed vehicle";
    const vin = document.createElement("div");
    vin.className = "vin";
    vin.textContent = v.vin;
    const state = document.createElement("span");
    state.className = `badge ${v.state || "unknown"}`;
    state.textContent = v.state || "unknown";
    text.append(name, vin, state);
    li.append(box, text);
    list.append(li);
  }
  updateRequestButton();
}

function selectedVins() {
  return [...document.querySelectorAll("#vehicles input:checked")].map((box) => box.value);
}

function updateRequestButton() {
  $("request").disabled = selectedVins().length === 0;
}

async function requestReport(event) {
  event.preventDefault();
  $("error").hidden = true;
  $("request").disabled = true;
  try {
    const view = await api("POST", "/api/v1/reports", {
      body: { vins: selectedVins(), allow_wake: $("allow-wake").checked, language: $("language").value },
    });
    await follow(view.report_id, view);
  } catch (err) { handle(err); }
  updateRequestButton();
}

async function follow(reportId, first) {
  $("report").hidden = false;
  $("report-id").textContent = reportId.slice(0, 8);
  let view = first;
  for (;;) {
    drawProgress(view);
    if (["complete", "partial", "failed"].includes(view.status)) break;
    await new Promise((done) => setTimeout(done, 1000));
    view = await api("GET", `/api/v1/reports/${reportId}`);
  }
}

function drawProgress(view) {
  $("report-status").textContent = view.status;
  $("report-status").className = `badge ${view.status}`;
  $("report").dataset.status = view.status;
  const names = Object.fromEntries([...document.querySelectorAll("#vehicles .vehicle")].map((li) => [li.dataset.vin, li.querySelector(".name").textContent]));
  const list = $("progress");
  list.textContent = "";
  const downloads = [];
  for (const v of view.vehicles) {
    const li = document.createElement("li");
    li.dataset.vin = v.vin;
    li.dataset.status = v.status;
    const percent = v.percent ?? STAGE_PERCENT[v.status] ?? 0;
    const title = document.createElement("div");
    title.textContent = `${names[v.vin] || v.vin} — ${STAGE_WORDS[v.status] || v.status}`;
    const bar = document.createElement("div");
    bar.className = `bar ${v.status}`;
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuenow", String(percent));
    const fill = document.createElement("span");
    fill.style.width = `${percent}%`;
    bar.append(fill);
    const step = document.createElement("div");
    step.className = "step";
    step.textContent = v.error || v.step || "";
    li.append(title, bar, step);
    list.append(li);
    if (v.download_url) downloads.push([`PDF report — ${names[v.vin] || v.vin}`, v.download_url, "pdf"]);
  }
  const files = view.files || {};
  if (files.sessions_csv) downloads.push(["Charging sessions (CSV)", files.sessions_csv, "csv"]);
  if (files.invoices_zip) downloads.push(["Charging invoices (ZIP)", files.invoices_zip, "zip"]);
  const ul = $("downloads");
  ul.textContent = "";
  for (const [label, href, kind] of downloads) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = label;
    a.className = `download ${kind}`;
    a.rel = "noopener";
    const li = document.createElement("li");
    li.append(a);
    ul.append(li);
  }
  $("files").hidden = downloads.length === 0;
  $("links-expire").textContent = view.links_expire_in ? `Links work for ${Math.round(view.links_expire_in / 60)} minutes; reload the status for fresh ones.` : "";
}

async function logout() {
  try { await api("DELETE", "/api/v1/session"); } catch (err) { if (!(err instanceof ApiError && err.code === "unauthorized")) handle(err); }
  signedOut();
  info("Signed out.");
}

async function disconnect() {
  if (!window.confirm("Disconnect your Tesla and delete every report and stored data?")) return;
  try { await api("DELETE", "/api/v1/account"); signedOut(); info("Disconnected; your data was deleted."); } catch (err) { handle(err); }
}

async function main() {
  $("api-base").textContent = API;
  $("connect-link").href = `${API}/api/v1/tesla/oauth/initiate`;
  $("region").addEventListener("change", () => {
    $("connect-link").href = `${API}/api/v1/tesla/oauth/initiate?region=${encodeURIComponent($("region").value)}`;
  });
  $("connect").addEventListener("click", connectWithFetch);
  $("error-dismiss").addEventListener("click", () => { $("error").hidden = true; });
  $("reload").addEventListener("click", loadVehicles);
  $("logout").addEventListener("click", logout);
  $("disconnect").addEventListener("click", disconnect);
  $("request-form").addEventListener("submit", requestReport);
  await landedFromCallback();
  if (session()) {
    $("connect-panel").hidden = true;
    $("app-panel").hidden = false;
    await loadVehicles();
  } else {
    signedOut();
  }
  document.body.dataset.ready = "true";
}

main();
