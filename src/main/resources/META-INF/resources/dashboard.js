// Pulse dashboard: one connection to /api/v2/ws through pulse-client (the library Pulse serves for every page),
// everything rendered from what Pulse pushes. Plain ES module, no build step. All data is inserted with textContent,
// never as HTML.
import { PulseClient } from "./pulse-client.js";

const $ = (id) => document.getElementById(id);
const DEMO_DEVICES = Array.from({ length: 20 }, (_, i) => `dev-${String(i + 1).padStart(2, "0")}`);
const HISTORY = 60;
const saved = JSON.parse(localStorage.getItem("pulse.dashboard") || "{}");

const state = {
  token: "",
  client: null,           // the PulseClient while the user wants to be connected
  devices: new Map(),     // id -> { el, history: [] }
  rooms: new Set(saved.rooms || ["fleet", "devices"]),
  filter: saved.filter || [],
  statsTimer: null,
};

function persist() {
  localStorage.setItem("pulse.dashboard", JSON.stringify({
    devices: [...state.devices.keys()], rooms: [...state.rooms], filter: state.filter,
  }));
}

function setState(name, detail = "") {
  const el = $("state");
  el.dataset.state = name;
  el.textContent = detail ? `${name} · ${detail}` : name;
  $("connect").hidden = name === "connected" || name === "connecting" || name === "reconnecting";
  $("disconnect").hidden = !$("connect").hidden;
}

// --- connection ------------------------------------------------------------------------------------------------

function connect() {
  if (state.client) state.client.close();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // The client carries the token in the subprotocol header, not the URL, so it stays out of proxy logs. What the
  // page watches is client state: it is subscribed again after every reconnect.
  const client = new PulseClient({ url: `${scheme}://${location.host}/api/v2/ws`, token: state.token });
  state.client = client;
  client.subscribeDevices(state.devices.keys());
  client.subscribeAlerts();
  if (state.filter.length) client.subscribeEventTypes(state.filter);
  state.rooms.forEach((room) => client.join(room));

  client.on("state", ({ state: now, code, reason, delayMs, final }) => {
    if (client !== state.client) return;
    if (now === "connecting") setState("connecting");
    if (now === "reconnecting" && delayMs !== undefined) {
      setState("reconnecting", `${code || "network"}, retry in ${(delayMs / 1000).toFixed(1)} s`);
    }
    if (now === "closed" && final && code !== 1000) setState("failed", `${code} ${reason || ""}`.trim());
  });
  client.on("connected", (data) => {
    setState("connected", `id ${String(data.connection_id).slice(0, 8)}`);
    refreshStats();
  });
  client.on("telemetry", showTelemetry);
  client.on("alerts", showAlerts);
  client.on("event", showEvent);
  client.on("status", (message) => setState("connected", `${message.source} ${message.status}`));
  client.on("reply", (message) => { if (message.type === "joined" || message.type === "left") showRooms(); });
  client.on("error", (message) => showEvent({ event_type: `error: ${message.code}`,
    timestamp: new Date().toISOString(), data: { message: message.message } }));
  client.connect().catch(() => {}); // a refusal is shown by the state handler
}

function disconnect() {
  const client = state.client;
  state.client = null;
  if (client) client.close();
  setState("disconnected");
}

// --- messages --------------------------------------------------------------------------------------------------

function deviceCard(id) {
  let device = state.devices.get(id);
  if (device) return device;
  const li = document.createElement("li");
  li.className = "device";
  li.dataset.device = id;
  li.innerHTML = `<header><span class="id"></span><span class="pill status">waiting</span>
    <button class="unwatch" type="button" title="Stop watching">✕</button></header>
    <div class="temp">–</div><div class="meta"><span class="humidity"></span><span class="battery"></span>
    <span class="time"></span></div><svg viewBox="0 0 ${HISTORY} 34" preserveAspectRatio="none"><polyline/></svg>`;
  li.querySelector(".id").textContent = id;
  li.querySelector(".unwatch").onclick = () => unwatch(id);
  $("devices").append(li);
  device = { el: li, history: [] };
  state.devices.set(id, device);
  $("devices-empty").hidden = true;
  return device;
}

function watch(id) {
  if (!id || state.devices.has(id)) return;
  deviceCard(id);
  state.client?.subscribeDevices([id]);
  persist();
}

function unwatch(id) {
  const device = state.devices.get(id);
  if (!device) return;
  device.el.remove();
  state.devices.delete(id);
  state.client?.unsubscribeDevices([id]);
  $("devices-empty").hidden = state.devices.size > 0;
  persist();
}

function showTelemetry({ device_id: id, data }) {
  const device = state.devices.get(id);
  if (!device) return;
  const m = data.metrics || {};
  const el = device.el;
  const status = m.online === false ? "offline" : (m.status || "ok");
  el.dataset.status = status;
  el.querySelector(".status").textContent = status;
  el.querySelector(".status").className = `pill status ${status}`;
  if (typeof m.temperature === "number") {
    el.querySelector(".temp").textContent = `${m.temperature.toFixed(1)} °C`;
    device.history.push(m.temperature);
    if (device.history.length > HISTORY) device.history.shift();
    drawSparkline(el.querySelector("polyline"), device.history);
  } else if (Object.keys(m).length && !("temperature" in m)) {
    const first = Object.entries(m).find(([, v]) => typeof v === "number");
    if (first) el.querySelector(".temp").textContent = `${first[0]} ${first[1]}`;
  }
  if (typeof m.humidity === "number") el.querySelector(".humidity").textContent = `humidity ${m.humidity.toFixed(0)} %`;
  if (typeof m.battery === "number") el.querySelector(".battery").textContent = `battery ${m.battery} %`;
  el.querySelector(".time").textContent = new Date(data.timestamp).toLocaleTimeString();
}

function drawSparkline(polyline, values) {
  const min = Math.min(...values), max = Math.max(...values);
  const span = max - min || 1;
  const offset = HISTORY - values.length;
  polyline.setAttribute("points", values.map((v, i) => `${offset + i},${32 - ((v - min) / span) * 30}`).join(" "));
}

function showAlerts(alerts) {
  const list = $("alerts");
  list.replaceChildren(...alerts.map((alert) => {
    const li = document.createElement("li");
    li.className = alert.severity;
    const what = document.createElement("div");
    what.className = "what";
    what.textContent = `${alert.device_id} · ${alert.alert_type}`;
    const summary = document.createElement("div");
    summary.textContent = alert.summary || "";
    const when = document.createElement("div");
    when.className = "when";
    when.textContent = `${alert.severity} · since ${new Date(alert.created_at).toLocaleTimeString()}`;
    li.append(what, summary, when);
    return li;
  }));
  $("alert-count").textContent = String(alerts.length);
  $("alerts-empty").hidden = alerts.length > 0;
}

function showEvent(event) {
  const li = document.createElement("li");
  const time = document.createElement("span");
  time.className = "time";
  time.textContent = new Date(event.timestamp).toLocaleTimeString();
  const type = document.createElement("span");
  type.className = "type";
  type.textContent = event.room ? `${event.event_type} · ${event.room}` : event.event_type;
  const data = document.createElement("span");
  data.className = "data";
  data.textContent = JSON.stringify(event.data);
  li.append(time, type, data);
  const list = $("events");
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
}

function showRooms() {
  $("rooms").textContent = state.rooms.size ? `In rooms: ${[...state.rooms].join(", ")}` +
    (state.filter.length ? ` · only ${state.filter.join(", ")}` : " · all event types") : "In no room.";
}

// --- statistics ------------------------------------------------------------------------------------------------

const STAT_LABELS = {
  active_connections: "Active", total_connections: "Opened", total_disconnections: "Closed",
  total_rooms: "Rooms", messages_sent: "Sent", messages_received: "Received",
};

async function refreshStats() {
  clearTimeout(state.statsTimer);
  if (!state.token) return;
  try {
    const response = await fetch("/ws/stats", { headers: { Authorization: `Bearer ${state.token}` } });
    if (response.ok) {
      const stats = await response.json();
      $("stats").replaceChildren(...Object.entries(STAT_LABELS).map(([key, label]) => {
        const div = document.createElement("div");
        const dt = document.createElement("dt");
        dt.textContent = label;
        const dd = document.createElement("dd");
        dd.textContent = String(stats[key] ?? "–");
        dd.dataset.stat = key;
        div.append(dt, dd);
        return div;
      }));
      $("stats-note").textContent = `Tenant ${stats.tenant}`;
    } else {
      $("stats-note").textContent = response.status === 403
        ? "Statistics need a tenant admin token (role customer_admin)." : `Statistics: HTTP ${response.status}`;
    }
  } catch (e) {
    $("stats-note").textContent = "Statistics unavailable.";
  }
  state.statsTimer = setTimeout(refreshStats, 5000);
}

// --- wiring ----------------------------------------------------------------------------------------------------

$("connect-form").onsubmit = (e) => {
  e.preventDefault();
  state.token = $("token").value.trim();
  if (state.token) connect();
};
$("disconnect").onclick = disconnect;
$("device-form").onsubmit = (e) => {
  e.preventDefault();
  watch($("device-id").value.trim());
  $("device-id").value = "";
};
$("watch-demo").onclick = () => DEMO_DEVICES.forEach(watch);
$("room-form").onsubmit = (e) => {
  e.preventDefault();
  const room = $("room").value.trim();
  if (!room) return;
  state.rooms.add(room);
  state.client?.join(room);
  persist();
  showRooms();
};
$("apply-filter").onclick = () => {
  const types = $("event-filter").value.split(",").map((t) => t.trim()).filter(Boolean);
  if (state.filter.length) state.client?.unsubscribeEventTypes(state.filter);
  if (types.length) state.client?.subscribeEventTypes(types);
  state.filter = types;
  persist();
  showRooms();
};

(saved.devices || []).forEach((id) => deviceCard(id));
$("event-filter").value = state.filter.join(", ");
showRooms();
setState("disconnected");

// Dev mode mints a demo token (the endpoint does not exist in production builds): fill it in and go.
fetch("/dev/token?tenant=demo&role=customer_admin&ttl_minutes=720").then(async (response) => {
  if (!response.ok) return;
  $("token").value = (await response.text()).trim();
  $("watch-demo").hidden = false;
  if (state.devices.size === 0) DEMO_DEVICES.forEach((id) => deviceCard(id));
  state.token = $("token").value;
  connect();
}).catch(() => {});
