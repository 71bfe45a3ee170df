// Herald's console: the same REST API and notification socket any client uses, with the
// session cookie of a login; nothing here reaches what the session may not.
const $ = (id) => document.getElementById(id);
const MAX_ROWS = 500;

let version = "7.2";
let socket = null;
let lastSeq = null;
let paused = false;
let count = 0;

async function api(path, options = {}) {
  const headers = { "Accept": "application/json", ...(options.headers || {}) };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  const r = await fetch(path, { credentials: "same-origin", ...options, headers });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  return { status: r.status, json, etag: r.headers.get("ETag"), location: r.headers.get("Location") };
}

function base() {
  return `${location.origin}/${version}`;
}

async function discoverVersion() {
  const r = await api("/api");
  if (r.status === 200 && r.json && Array.isArray(r.json.version) && r.json.version.length) {
    version = r.json.version.map((v) => v.rel).sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).pop();
  }
}

function show(id, visible) {
  $(id).hidden = !visible;
}

async function start() {
  await discoverVersion();
  const me = await api(`/${version}/system/current_user`);
  if (me.status === 200) {
    await enter();
  } else {
    showLogin();
  }
}

function showLogin() {
  show("login", true);
  show("tabs", false);
  show("logout", false);
  show("changes", false);
  show("elements", false);
  show("status", false);
  show("ops", false);
  $("who").textContent = "";
}

async function login(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  const domain = $("domain").value.trim();
  let r;
  if ($("key").value) {
    r = await api(`/${version}/login`, { method: "POST",
      body: JSON.stringify({ authenticationkey: $("key").value, ...(domain ? { domain } : {}) }) });
  } else {
    const q = new URLSearchParams({ login: $("user").value, pwd: $("password").value });
    if (domain) {
      q.set("domain", domain);
    }
    r = await api(`/${version}/lms_login?${q}`, { method: "POST", body: "{}" });
  }
  if (r.status !== 200) {
    $("login-error").textContent = (r.json && r.json.message) || `Login failed (${r.status}).`;
    return;
  }
  $("key").value = "";
  $("password").value = "";
  await enter();
}

async function enter() {
  show("login", false);
  show("tabs", true);
  show("logout", true);
  const me = await api(`/${version}/system/current_user`);
  if (me.status === 200 && me.json) {
    const user = await api(me.json.value);
    $("who").textContent = user.json ? user.json.name : "";
  }
  selectTab("changes");
  connect();
  await loadTypes();
}

function selectTab(name) {
  for (const b of document.querySelectorAll("nav button")) {
    b.classList.toggle("active", b.dataset.tab === name);
  }
  show("changes", name === "changes");
  show("elements", name === "elements");
  show("status", name === "status");
  show("ops", name === "ops");
  if (name === "status") {
    openStatus();
  }
  if (name === "ops") {
    sampleOps();
  }
}

// ---- operations: this node's figures from GET /herald/ops (superusers), plotted live ----

const OPS_POINTS = 150; // 5 minutes at one sample every 2 s
const ops = { at: [], changes: [], frames: [], sockets: [], subscriptions: [] };
let opsLast = null;
let opsPlots = null;

async function sampleOps() {
  if ($("ops").hidden) {
    return;
  }
  const r = await api("/herald/ops");
  if (r.status !== 200) {
    $("ops-message").textContent = r.status === 403 ? "Operations are shown to superusers." : problem(r);
    return;
  }
  const o = r.json;
  $("ops-message").textContent = "";
  const state = $("ops-ready");
  state.textContent = o.ready ? "ready" : `not ready: database ${o.database}, feed ${o.change_feed}, memory ${o.memory}`;
  state.className = o.ready ? "state live" : "state error";
  $("ops-sockets").textContent = o.sockets;
  $("ops-subscriptions").textContent = o.subscriptions;
  $("ops-sessions").textContent = o.sessions;
  $("ops-head").textContent = o.head_seq;
  $("ops-slow").textContent = o.slow_consumers;
  const restarted = opsLast !== null && (o.changes_published < opsLast.changes_published
    || o.frames_written < opsLast.frames_written || o.at - opsLast.at > 10000);
  if (opsLast !== null && o.at > opsLast.at && !restarted) {
    const s = (o.at - opsLast.at) / 1000;
    ops.at.push(o.at / 1000);
    ops.changes.push((o.changes_published - opsLast.changes_published) / s);
    ops.frames.push((o.frames_written - opsLast.frames_written) / s);
    ops.sockets.push(o.sockets);
    ops.subscriptions.push(o.subscriptions);
    for (const k of Object.keys(ops)) {
      if (ops[k].length > OPS_POINTS) {
        ops[k].shift();
      }
    }
    drawOps();
  }
  opsLast = o;
  $("ops").dataset.samples = String(ops.at.length); // for a test: how many points are plotted
  $("ops").dataset.frames = String(o.frames_written);
}

function drawOps() {
  if (typeof uPlot === "undefined") {
    return;
  }
  const width = Math.max(300, $("ops-rates").clientWidth || 600);
  if (opsPlots === null) {
    const timePlot = (box, a, b, data) => new uPlot({ width, height: 160, scales: { x: { time: true } },
      series: [{}, { label: a, stroke: "#3b6ea5" }, { label: b, stroke: "#a5543b" }] }, data, box);
    opsPlots = [
      timePlot($("ops-rates"), "changes/s", "deliveries/s", [ops.at, ops.changes, ops.frames]),
      timePlot($("ops-sockets-plot"), "sockets", "subscriptions", [ops.at, ops.sockets, ops.subscriptions]),
    ];
  } else {
    opsPlots[0].setData([ops.at, ops.changes, ops.frames]);
    opsPlots[1].setData([ops.at, ops.sockets, ops.subscriptions]);
  }
}

// ---- status: engines and their nodes, live from the status socket ----

let statusSocket = null;
let canSimulate = null; // whether the admin API answers (a superuser on a server with --admin-api)

async function monitoring(href) {
  const r = await api(`/${version}/monitoring_status`, { method: "POST", body: JSON.stringify({ value: href }) });
  return r.status === 200 ? r.json : null;
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (cls) {
    td.className = cls;
  }
  tr.appendChild(td);
  return td;
}

/** A row of the board: an engine or a node, its name, status and state, then {@code more} cells. */
function statusRow(kind, href, name, s, more) {
  const tr = document.createElement("tr");
  tr.className = kind;
  tr.dataset.href = href;
  cell(tr, name);
  cell(tr, s && s.monitoring_status, s && s.monitoring_status);
  cell(tr, s && s.monitoring_state);
  for (const text of more) {
    cell(tr, text);
  }
  return tr;
}

function button(parent, label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.simulate = label;
  b.addEventListener("click", onClick);
  parent.appendChild(b);
  return b;
}

async function engineRows(meta) {
  const s = await monitoring(meta.href);
  const rows = [statusRow("engine", meta.href, meta.name, s, ["", "", "", ""])];
  for (const child of (s && s.result) || []) {
    const n = await monitoring(child.href);
    const nr = statusRow("node", child.href, child.name, n,
      [n && n.engine_node_status, n && n.configuration_status, n && n.installed_policy]);
    const actions = cell(nr, "");
    button(actions, "Health", () => watchHealth(child.href, child.name)).dataset.simulate = "";
    if (canSimulate) {
      for (const [label, node, health] of [["Offline", "Offline", "WARNING"], ["Online", "Online", "OK"], ["Fail", "Unknown", "ERROR"]]) {
        button(actions, label, () => simulate({ element: child.href, engine_node_status: node, monitoring_status: health }));
      }
    }
    rows.push(nr);
  }
  return rows;
}

function figures(s) {
  return s ? [s.health_in_percent, s.latency_in_ms, s.jitter_in_ms, s.packet_loss_in_permyriad] : ["", "", "", ""];
}

/** A VPN's row and its tunnels' rows, with their figures; a superuser can degrade a tunnel and restore it. */
async function vpnRows(meta) {
  const s = await monitoring(meta.href);
  const rows = [statusRow("vpn", meta.href, meta.name, s, [...figures(s), ""])];
  for (const child of (s && s.result) || []) {
    const t = await monitoring(child.href);
    const tr = statusRow("tunnel", child.href, child.name, t, figures(t));
    const actions = cell(tr, "");
    if (canSimulate) {
      button(actions, "Degrade", () => simulate({ element: child.href, monitoring_status: "WARNING", health_in_percent: 40,
        latency_in_ms: 450, jitter_in_ms: 60, packet_loss_in_permyriad: 700 }));
      button(actions, "Restore", () => simulate({ element: child.href, clear: true }));
    }
    rows.push(tr);
  }
  return rows;
}

/** The Management Server and Log Server: this Herald answers for them. */
async function serverRows(meta) {
  const s = await monitoring(meta.href);
  return [statusRow("server", meta.href, meta.name, s, [s && s.memory_info])];
}

/** Reads one monitored element (an engine, a VPN) and its parts again, in place. */
async function refresh(bodyId, rowsOf, href) {
  const body = $(bodyId);
  const old = [...body.children].filter((tr) => tr.dataset.owner === href);
  const meta = { href, name: old.length ? old[0].firstChild.textContent : href };
  const rows = await rowsOf(meta);
  rows.forEach((r) => { r.dataset.owner = href; });
  if (old.length) {
    old[0].replaceWith(...rows);
    old.slice(1).forEach((r) => r.remove());
  } else {
    rows.forEach((r) => body.appendChild(r));
  }
}

async function fill(bodyId, countId, path, rowsOf) {
  const r = await api(path);
  const items = (r.json && r.json.result) || [];
  $(countId).textContent = items.length;
  $(bodyId).textContent = "";
  for (const e of items) {
    const rows = await rowsOf(e);
    rows.forEach((row) => { row.dataset.owner = e.href; $(bodyId).appendChild(row); });
  }
}

async function openStatus() {
  if (canSimulate === null) {
    canSimulate = (await api("/herald/admin/faults")).status === 200;
  }
  await fill("engines", "engine-count", `/${version}/elements?filter_context=engine_clusters`, engineRows);
  await fill("vpns", "vpn-count", `/${version}/elements/vpn`, vpnRows);
  await fill("servers", "server-count", `/${version}/elements?filter_context=mgt_server,log_server`, serverRows);
  if (!statusSocket) {
    watchStatus();
  }
}

function watchStatus() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/${version}/status/socket`;
  const ws = new WebSocket(url);
  statusSocket = ws;
  ws.onopen = () => ws.send(JSON.stringify({ context: "*" }));
  ws.onmessage = async (m) => {
    const f = JSON.parse(m.data);
    if (f.success !== undefined) {
      $("status-state").textContent = "live";
      $("status-state").className = "state live";
    } else if (f.status && f.status.status) {
      // an engine's or a VPN's status changed: read it and its parts again
      const s = f.status.status;
      const named = (bodyId, cls) => [...$(bodyId).children].find((tr) => tr.className === cls && tr.firstChild.textContent === s.name);
      const engine = named("engines", "engine");
      const vpn = named("vpns", "vpn");
      if (engine) {
        await refresh("engines", engineRows, engine.dataset.owner);
      } else if (vpn) {
        await refresh("vpns", vpnRows, vpn.dataset.owner);
      } else if (!$("status").hidden) {
        await openStatus();
      }
    }
  };
  ws.onclose = () => {
    if (statusSocket === ws) {
      statusSocket = null;
      $("status-state").textContent = "disconnected";
      $("status-state").className = "state";
    }
  };
}

async function simulate(spec) {
  const r = await api("/herald/admin/simulate", { method: "POST", body: JSON.stringify(spec) });
  $("status-message").textContent = r.status === 200 ? "" : problem(r);
}

// ---- a node's health over time: its appliance_status figures, sampled every 2 s ----

const health = { node: null, at: [], cpu: [], memory: [], disk: [] };
let healthPlot = null;

function watchHealth(href, name) {
  health.node = href;
  for (const k of ["at", "cpu", "memory", "disk"]) {
    health[k] = [];
  }
  $("health-title").textContent = `Node health: ${name}`;
  sampleHealth();
}

/** The usage value of a hardware label ("CPU", "Memory", "File Systems") of an appliance status. */
function usage(appliance, label) {
  const l = ((appliance.hardware_statuses || {}).hardware_statuses || []).find((x) => x.name === label);
  const item = l && l.items && l.items[0];
  const st = item && (item.statuses || []).find((x) => x.param === "Usage");
  return st ? parseFloat(st.value) : null;
}

async function sampleHealth() {
  if ($("status").hidden || health.node === null) {
    return;
  }
  const r = await api(`${health.node}/appliance_status`);
  if (r.status !== 200) {
    return;
  }
  health.at.push(Date.now() / 1000);
  health.cpu.push(usage(r.json, "CPU"));
  health.memory.push(usage(r.json, "Memory"));
  health.disk.push(usage(r.json, "File Systems"));
  for (const k of ["at", "cpu", "memory", "disk"]) {
    if (health[k].length > OPS_POINTS) {
      health[k].shift();
    }
  }
  $("health-plot").dataset.samples = String(health.at.length); // for a test: how many points are plotted
  $("health-plot").dataset.cpu = String(health.cpu[health.cpu.length - 1]);
  if (typeof uPlot === "undefined") {
    return;
  }
  const data = [health.at, health.cpu, health.memory, health.disk];
  if (healthPlot === null) {
    healthPlot = new uPlot({ width: Math.max(300, $("health-plot").clientWidth || 600), height: 160,
      scales: { x: { time: true }, y: { range: [0, 100] } },
      series: [{}, { label: "CPU %", stroke: "#3b6ea5" }, { label: "memory %", stroke: "#a5543b" },
        { label: "disk %", stroke: "#5a9a4a" }] }, data, $("health-plot"));
  } else {
    healthPlot.setData(data);
  }
}

// ---- live changes ----

function setState(text, cls) {
  const s = $("feed-state");
  s.textContent = text;
  s.className = `state ${cls || ""}`;
}

function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/${version}/notification/socket`;
  socket = new WebSocket(url);
  const ws = socket;
  ws.onopen = () => {
    const cmd = { context: "*", seq: true };
    if (lastSeq !== null) {
      cmd.since = lastSeq; // resume where it stopped: nothing missed while paused
    }
    ws.send(JSON.stringify(cmd));
  };
  ws.onmessage = (m) => {
    const f = JSON.parse(m.data);
    if (f.success !== undefined && f.seq !== undefined && lastSeq === null) {
      lastSeq = f.seq;
      $("last-seq").textContent = lastSeq;
      setState("live", "live");
    } else if (f.success !== undefined) {
      setState("live", "live");
    } else if (f.event) {
      addRow(f);
    } else if (f.history_expired) {
      setState("history expired: some changes are gone", "");
      lastSeq = null;
    } else if (f.failure) {
      setState(`refused: ${f.failure}`, "");
    }
  };
  ws.onclose = () => {
    if (socket === ws && !paused) {
      setState("disconnected; reconnecting", "");
      setTimeout(() => { if (socket === ws && !paused) connect(); }, 1000);
    }
  };
}

function typeOf(href) {
  const parts = href.split("/elements/")[1] || "";
  const segs = parts.split("/");
  return segs.length >= 2 ? segs[segs.length - 2] : "";
}

// Events per second over the last minute, plotted with uPlot (a WebJar served by Herald).
const RATE_SECONDS = 60;
const perSecond = new Map(); // epoch second -> events received in it
let ratePlot = null;

function countEvent() {
  const s = Math.floor(Date.now() / 1000);
  perSecond.set(s, (perSecond.get(s) || 0) + 1);
}

function drawRate() {
  const now = Math.floor(Date.now() / 1000);
  const xs = [];
  const ys = [];
  for (let s = now - RATE_SECONDS + 1; s <= now; s++) {
    xs.push(s);
    ys.push(perSecond.get(s) || 0);
  }
  for (const s of perSecond.keys()) {
    if (s <= now - RATE_SECONDS) {
      perSecond.delete(s);
    }
  }
  const box = $("rate");
  box.dataset.total = String(ys.reduce((a, b) => a + b, 0)); // what the plot shows, for a test
  if (typeof uPlot === "undefined" || box.offsetParent === null) {
    return; // not loaded, or the tab is hidden (uPlot measures its box)
  }
  if (ratePlot === null) {
    ratePlot = new uPlot({
      width: Math.max(300, box.clientWidth || 600), height: 120,
      scales: { x: { time: true } },
      series: [{}, { label: "events/s", stroke: "#3b6ea5", fill: "rgba(59,110,165,.15)" }],
      axes: [{}, { size: 40 }],
      legend: { show: false },
    }, [xs, ys], box);
  } else {
    ratePlot.setData([xs, ys]);
  }
}

function addRow(f) {
  lastSeq = f.seq !== undefined ? f.seq : lastSeq;
  count++;
  countEvent();
  $("count").textContent = count;
  $("last-seq").textContent = lastSeq === null ? "–" : lastSeq;
  const href = f.event.element;
  const type = typeOf(href);
  const tr = document.createElement("tr");
  tr.dataset.type = type;
  tr.dataset.event = f.event.type;
  const when = f.at ? new Date(f.at).toLocaleTimeString() : new Date().toLocaleTimeString();
  for (const text of [when, f.seq === undefined ? "" : String(f.seq), f.event.type, type]) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
  }
  const td = document.createElement("td");
  td.className = "href";
  const a = document.createElement("a");
  a.href = "#";
  a.textContent = href;
  a.addEventListener("click", (e) => { e.preventDefault(); openElement(href); });
  td.appendChild(a);
  if (f.seq !== undefined) {
    // the element as this event left it (GET /herald/changes/{seq})
    const was = document.createElement("a");
    was.href = "#";
    was.className = "was";
    was.textContent = "as it was";
    was.addEventListener("click", (e) => { e.preventDefault(); openChange(f.seq); });
    td.append(" ", was);
  }
  tr.appendChild(td);
  applyFilter(tr);
  const rows = $("rows");
  rows.insertBefore(tr, rows.firstChild);
  while (rows.children.length > MAX_ROWS) {
    rows.removeChild(rows.lastChild);
  }
}

function applyFilter(tr) {
  const t = $("filter-type").value.trim();
  const e = $("filter-event").value;
  tr.hidden = (t && !tr.dataset.type.includes(t)) || (e && tr.dataset.event !== e);
}

function refilter() {
  for (const tr of $("rows").children) {
    applyFilter(tr);
  }
}

function togglePause() {
  paused = !paused;
  $("pause").textContent = paused ? "Resume" : "Pause";
  if (paused) {
    const ws = socket;
    socket = null;
    ws.close();
    setState(`paused at seq ${lastSeq}`, "paused");
  } else {
    connect();
  }
}

// ---- elements ----

async function loadTypes() {
  const r = await api(`/${version}/api`);
  const select = $("type");
  select.textContent = "";
  const names = ((r.json && r.json.entry_point) || []).map((e) => e.rel)
    .filter((rel) => !["login", "lms_login", "logout", "system", "monitoring_status", "ha"].includes(rel)).sort();
  for (const n of names) {
    const o = document.createElement("option");
    o.value = n;
    o.textContent = n;
    select.appendChild(o);
  }
  if (names.includes("host")) {
    select.value = "host";
  }
}

let listing = 0; // the latest list asked for: an older answer that comes late is dropped

async function listElements() {
  const type = $("type").value;
  const filter = $("search").value.trim();
  const q = filter ? `?filter=${encodeURIComponent(filter)}` : "";
  const asked = ++listing;
  const r = await api(`/${version}/elements/${type}${q}`);
  if (asked !== listing) {
    return; // a newer list (another type or filter) was asked for meanwhile
  }
  const list = $("list");
  list.textContent = "";
  const items = (r.json && r.json.result) || [];
  $("found").textContent = `${items.length} found`;
  for (const item of items) {
    const li = document.createElement("li");
    li.textContent = item.name;
    li.dataset.href = item.href;
    li.addEventListener("click", () => openElement(item.href));
    list.appendChild(li);
  }
}

// the element shown: its href, ETag and JSON (null while creating a new one)
let current = null;

function message(text, ok) {
  const m = $("message");
  m.textContent = text;
  m.className = ok ? "ok" : "error";
}

/** SMC's error: its message and details. */
function problem(r) {
  if (!r.json) {
    return `HTTP ${r.status}`;
  }
  return [r.json.message, ...(r.json.details || [])].filter(Boolean).join(" ");
}

function editing(on) {
  show("editor", on);
  show("element", !on);
  show("related", !on);
  show("save", on);
  show("cancel", on);
  show("edit", !on && current !== null);
  show("delete", !on && current !== null);
  // the element's own links say which applies: trash, or untrash once trashed
  const rels = new Set(((current && current.json && current.json.link) || []).map((l) => l.rel));
  show("trash", !on && current !== null && rels.has("trash"));
  show("untrash", !on && current !== null && rels.has("untrash"));
}

async function openElement(href) {
  selectTab("elements");
  const r = await api(href);
  const pre = $("element");
  pre.textContent = "";
  message("", true);
  if (r.status !== 200) {
    current = null;
    editing(false);
    pre.textContent = `${r.status}: ${(r.json && r.json.message) || "not found"}`;
    return;
  }
  current = { href, etag: r.etag, json: r.json };
  editing(false);
  renderJson(pre, r.json);
  related(r.json);
}

// What an element holds, from its own links: a policy's rule collections in their order, an
// engine's nodes and interfaces. Each entry opens by a click.
const HOLDS = /(_rules|^nodes|^interfaces|^physical_interface|^tunnel_interface|^virtual_physical_interface)$/;

let relatedGeneration = 0;

async function related(json) {
  const generation = ++relatedGeneration;
  const box = $("related");
  box.textContent = "";
  const links = (json.link || []).filter((l) => HOLDS.test(l.rel));
  for (const l of links) {
    const r = await api(l.href);
    if (generation !== relatedGeneration) {
      return; // another element was opened meanwhile: its lists are drawn by its own call
    }
    const items = (r.json && (r.json.result || (Array.isArray(r.json) ? r.json : null))) || [];
    if (r.status !== 200 || items.length === 0) {
      continue;
    }
    const h = document.createElement("h3");
    h.textContent = `${l.rel} (${items.length})`;
    const ol = document.createElement("ol");
    ol.dataset.rel = l.rel;
    for (const item of items) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = "#";
      a.textContent = item.name || item.comment || (item.href || "").split("/").slice(-2).join(" ");
      a.addEventListener("click", (e) => { e.preventDefault(); openElement(item.href); });
      li.appendChild(a);
      ol.appendChild(li);
    }
    box.append(h, ol);
  }
}

/** Moves the element to the trash, or takes it out: SMC's trash and untrash links. */
async function trash(rel) {
  const r = await api(`${current.href}/${rel}`, { method: "POST" });
  if (r.status !== 200) {
    message(problem(r), false);
    return;
  }
  await openElement(current.href);
  message(rel === "trash" ? "Trashed." : "Untrashed.", true);
}

/** The element as the change {@code seq} left it, read-only. */
async function openChange(seq) {
  selectTab("elements");
  const r = await api(`/herald/changes/${seq}`);
  const pre = $("element");
  pre.textContent = "";
  $("related").textContent = "";
  current = null;
  editing(false);
  if (r.status !== 200) {
    message(problem(r), false);
    return;
  }
  const c = r.json;
  const from = c.element_from_seq ? ` (deleted: as its change at seq ${c.element_from_seq} left it)` : "";
  message(`${c.type} ${c.name} as it was at seq ${c.seq}, ${c.event} by ${c.actor}${from}`, true);
  if (c.element) {
    renderJson(pre, c.element);
  } else {
    pre.textContent = "(no body: a status change)";
  }
}

function edit() {
  $("editor").value = JSON.stringify(current.json, null, 2);
  editing(true);
}

// The OpenAPI description, read once: each type's schema carries SMC's defaults and the fields
// of which one at least is required (generated from the element catalogue).
let openApi = null;

/** A new element of {@code type} as SMC would start it: its defaults, its required fields empty. */
async function template(type) {
  let described = openApi;
  if (described === null) {
    const r = await api("/openapi.json");
    described = r.json || {};
    if (r.status === 200) {
      openApi = described; // kept only when it came
    }
  }
  const schema = ((described.components || {}).schemas || {})[type] || {};
  const body = { name: "" };
  for (const [field, spec] of Object.entries(schema.properties || {})) {
    if (spec.default !== undefined && !spec.readOnly) {
      body[field] = spec.default;
    }
  }
  for (const group of schema["x-herald-one-of-required"] || []) {
    if (!group.some((f) => f in body)) {
      const spec = (schema.properties || {})[group[0]] || {};
      body[group[0]] = spec.type === "array" ? [] : spec.type === "integer" || spec.type === "number" ? 0 : "";
    }
  }
  return body;
}

async function newElement() {
  const type = $("type").value;
  const before = current;
  const body = await template(type);
  if (current !== before) {
    return; // an element was opened meanwhile: leave it be
  }
  current = null;
  $("related").textContent = "";
  $("editor").value = JSON.stringify(body, null, 2);
  editing(true);
  message(`New ${type}, with SMC's defaults: give its fields, then Save.`, true);
}

async function save() {
  let body;
  try {
    body = JSON.parse($("editor").value);
  } catch (e) {
    message(`Not JSON: ${e.message}`, false);
    return;
  }
  if (current === null) {
    const r = await api(`/${version}/elements/${$("type").value}`, { method: "POST", body: JSON.stringify(body) });
    if (r.status !== 201) {
      message(problem(r), false);
      return;
    }
    await openElement(r.location);
    message("Created.", true);
  } else {
    // with the ETag of what was shown: a change made meanwhile is a conflict, not overwritten
    const r = await api(current.href, { method: "PUT", body: JSON.stringify(body), headers: { "If-Match": current.etag } });
    if (r.status !== 200) {
      message(problem(r), false);
      return;
    }
    await openElement(current.href);
    message("Saved.", true);
  }
  listElements();
}

async function remove() {
  const r = await api(current.href, { method: "DELETE", headers: { "If-Match": current.etag } });
  if (r.status !== 204 && r.status !== 200) {
    message(problem(r), false); // e.g. the elements that still refer to it
    return;
  }
  current = null;
  $("element").textContent = "";
  $("related").textContent = "";
  editing(false);
  message("Deleted.", true);
  listElements();
}

// The element's JSON, its hrefs (to this server) clickable: follow the links by a click.
function renderJson(pre, json) {
  const text = JSON.stringify(json, null, 2);
  const pattern = /"(https?:\/\/[^"]+\/elements\/[^"]+)"/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    pre.appendChild(document.createTextNode(text.slice(last, m.index + 1)));
    const a = document.createElement("a");
    a.href = "#";
    a.textContent = m[1];
    a.addEventListener("click", (e) => { e.preventDefault(); openElement(m[1]); });
    pre.appendChild(a);
    last = m.index + 1 + m[1].length;
  }
  pre.appendChild(document.createTextNode(text.slice(last)));
}

async function logout() {
  paused = true;
  if (statusSocket) {
    const ss = statusSocket;
    statusSocket = null;
    ss.close();
  }
  canSimulate = null;
  if (socket) {
    const ws = socket;
    socket = null;
    ws.close();
  }
  await api(`/${version}/logout`, { method: "PUT" });
  paused = false;
  lastSeq = null;
  count = 0;
  perSecond.clear();
  // the next user starts with empty plots and figures
  for (const k of Object.keys(ops)) {
    ops[k] = [];
  }
  opsLast = null;
  for (const p of opsPlots || []) {
    p.destroy();
  }
  opsPlots = null;
  for (const id of ["ops-sockets", "ops-subscriptions", "ops-sessions", "ops-head", "ops-slow", "ops-ready"]) {
    $(id).textContent = "–";
  }
  $("rows").textContent = "";
  $("related").textContent = "";
  current = null;
  health.node = null;
  showLogin();
}

document.addEventListener("DOMContentLoaded", () => {
  setInterval(drawRate, 1000);
  setInterval(sampleOps, 2000);
  setInterval(sampleHealth, 2000);
  $("login").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("pause").addEventListener("click", togglePause);
  $("filter-type").addEventListener("input", refilter);
  $("filter-event").addEventListener("change", refilter);
  $("type").addEventListener("change", listElements);
  $("edit").addEventListener("click", edit);
  $("save").addEventListener("click", save);
  $("cancel").addEventListener("click", () => (current ? openElement(current.href) : editing(false)));
  $("delete").addEventListener("click", remove);
  $("trash").addEventListener("click", () => trash("trash"));
  $("untrash").addEventListener("click", () => trash("untrash"));
  $("new").addEventListener("click", newElement);
  $("search").addEventListener("input", listElements);
  for (const b of document.querySelectorAll("nav button")) {
    b.addEventListener("click", () => {
      selectTab(b.dataset.tab);
      if (b.dataset.tab === "elements") {
        listElements();
      }
    });
  }
  start();
});
