// pulse-client: the JavaScript client of Pulse (browsers, and Node 22+ or Node 20 with --experimental-websocket).
// An ES module with no dependency, served by Pulse at /pulse-client.js; types in pulse-client.d.ts. The protocol it
// speaks is /asyncapi.yaml. It keeps subscriptions as state, reconnects with back-off and jitter (honouring the
// server's reconnect hint), stops on closes that reconnecting cannot fix, refreshes the token before it expires, and
// pings so that a half-open socket is noticed.

/** Close codes after which reconnecting cannot help (asyncapi.yaml, x-pulse-close-codes, class do-not-reconnect). */
const FINAL = new Set([4001, 4003, 4029, 1002, 1007]);
/** Device ids per list-form subscribe: well inside the 64 KiB message limit. */
const DEVICES_PER_MESSAGE = 200;
/** The least wait before reconnecting after these closes (protocol.md): a rate-limit close asks for a minute. */
const MIN_DELAY_MS = { 1008: 60000, 4009: 5000, 4011: 30000 };
/** A connection that stayed open this long resets the back-off; shorter ones keep growing it. */
const STABLE_MS = 30000;
/** The longest setTimeout delay (2^31 - 1 ms): longer ones fire at once. */
const MAX_TIMER_MS = 2147483647;

/** "reconnect" or "do-not-reconnect": what a close code asks of a client. */
export function closeClass(code) {
  return FINAL.has(code) ? "do-not-reconnect" : "reconnect";
}

/** Seconds since the epoch at which a JWT expires, or undefined when it cannot be read. */
export function tokenExpiry(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = typeof atob === "function" ? atob(payload) : Buffer.from(payload, "base64").toString("utf8");
    const exp = JSON.parse(json).exp;
    return typeof exp === "number" ? exp : undefined;
  } catch {
    return undefined;
  }
}

export class PulseClient {
  /**
   * @param {import("./pulse-client").PulseClientOptions} options
   */
  constructor(options) {
    if (!options || !options.url) throw new TypeError("PulseClient needs a url, e.g. wss://pulse.example.com/api/v2/ws");
    this.options = {
      carrier: "subprotocol",
      reconnect: true,
      initialBackoffMs: 500,
      maxBackoffMs: 30000,
      heartbeatMs: 25000,
      heartbeatTimeoutMs: 10000,
      connectTimeoutMs: 10000,
      refreshBeforeMs: 60000,
      ...options,
    };
    this.WebSocketImpl = this.options.WebSocket || globalThis.WebSocket;
    if (!this.WebSocketImpl) throw new TypeError("No WebSocket: pass options.WebSocket, or use Node 22+");
    this.token = this.options.token;
    this.devices = new Set();
    this.alerts = false;
    this.rooms = new Set();
    this.eventTypes = new Set();
    this.listeners = new Map();
    this.state = "idle";
    this.connectionId = undefined;
    this.attempt = 0;
    this.socket = null;
    this.timers = { connect: null, reconnect: null, heartbeat: null, heartbeatDeadline: null, refresh: null };
    this.hint = undefined;
  }

  // --- events ----------------------------------------------------------------------------------------------------

  /** Calls handler for every event of this kind; returns a function that stops it. */
  on(kind, handler) {
    if (!this.listeners.has(kind)) this.listeners.set(kind, new Set());
    this.listeners.get(kind).add(handler);
    return () => this.listeners.get(kind).delete(handler);
  }

  /** The events of one kind as an async iterator (for await ... of client.stream("telemetry")). */
  stream(kind) {
    const queue = [];
    const waiting = [];
    const stop = this.on(kind, (value) => (waiting.length ? waiting.shift()({ value, done: false }) : queue.push(value)));
    return {
      [Symbol.asyncIterator]() { return this; },
      next: () => (queue.length ? Promise.resolve({ value: queue.shift(), done: false })
        : new Promise((resolve) => waiting.push(resolve))),
      return: () => { stop(); waiting.forEach((resolve) => resolve({ value: undefined, done: true }));
        return Promise.resolve({ value: undefined, done: true }); },
    };
  }

  emit(kind, value) {
    for (const handler of this.listeners.get(kind) || []) {
      try { handler(value); } catch (error) { queueMicrotask(() => { throw error; }); }
    }
  }

  setState(state, detail) {
    this.state = state;
    this.emit("state", { state, ...detail });
  }

  // --- connection --------------------------------------------------------------------------------------------------

  /**
   * Opens the connection; resolves with the connected event's data once the token is verified, rejects with the close
   * (code, reason, final) when the client gives up before that (a do-not-reconnect close, reconnect off, close()).
   */
  connect() {
    if (this.socket || this.timers.reconnect) this.close(1000, "reconnecting");
    this.wanted = true;
    return new Promise((resolve, reject) => {
      const offConnected = this.on("connected", (data) => { offConnected(); offClosed(); resolve(data); });
      const offClosed = this.on("closed", (close) => {
        if (close.final) { offConnected(); offClosed(); reject(Object.assign(new Error(close.reason), close)); }
      });
      this.open();
    });
  }

  async open() {
    clearTimeout(this.timers.reconnect);
    this.timers.reconnect = null;
    if (!this.token && this.options.tokenProvider) {
      try {
        this.token = await this.options.tokenProvider();
      } catch (error) {
        // No token now: report it and try again later, as after a lost connection.
        this.emit("error", { type: "error", code: "token_provider_failed", message: String(error?.message ?? error) });
        if (this.wanted) this.retry(1006, "token provider failed");
        return;
      }
    }
    if (!this.wanted) return;
    const { url, carrier } = this.options;
    const socket = carrier === "query"
      ? new this.WebSocketImpl(`${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(this.token)}`)
      : new this.WebSocketImpl(url, ["pulse.v1", `bearer.${this.token}`]);
    this.socket = socket;
    this.hint = undefined;
    this.setState(this.attempt ? "reconnecting" : "connecting", { attempt: this.attempt });
    socket.onmessage = (e) => this.receive(socket, e.data);
    socket.onclose = (e) => this.closed(socket, e.code, e.reason);
    // Browsers follow an error with a close; some runtimes (Node 20's undici) do not when the connection itself
    // failed, and a network that swallows packets may never answer: both count as a close without a frame.
    socket.onerror = () => { if (socket.readyState !== 1) this.failed(socket, "connection failed"); };
    this.timers.connect = setTimeout(() => this.failed(socket, "connect timeout"), this.options.connectTimeoutMs);
    socket.onopen = () => clearTimeout(this.timers.connect);
  }

  failed(socket, reason) {
    if (this.socket !== socket) return;
    this.closed(socket, 1006, reason);
    socket.onerror = socket.onclose = socket.onmessage = null;
    try { socket.close(); } catch { /* not open yet */ }
  }

  /** Closes for good (no reconnect). */
  close(code = 1000, reason = "bye") {
    this.wanted = false;
    this.stopTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onerror = socket.onclose = socket.onmessage = null;
      try { socket.close(code, reason); } catch { /* not open yet */ }
    }
    this.emit("closed", { code, reason, final: true });
    this.setState("closed", { code, reason, final: true });
  }

  closed(socket, code, reason) {
    if (this.socket !== socket) return;
    this.socket = null;
    this.stopTimers();
    // An expired or refused token can be replaced once, when there is someone to ask for a new one.
    const renewable = code === 4001 && this.options.tokenProvider && !this.renewedAfter4001;
    const final = (closeClass(code) === "do-not-reconnect" && !renewable) || !this.options.reconnect || !this.wanted;
    this.emit("closed", { code, reason, final });
    if (final) {
      this.wanted = false;
      this.setState("closed", { code, reason, final: true });
      return;
    }
    if (renewable) {
      this.renewedAfter4001 = true;
      this.token = undefined;
    }
    // A connection that did not stay up keeps the back-off growing, so a server that accepts and drops at once is
    // not hammered.
    if (this.openedAt && Date.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
    this.openedAt = undefined;
    this.retry(code, reason);
  }

  retry(code, reason) {
    const backoff = Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** this.attempt);
    const jittered = backoff / 2 + Math.random() * backoff / 2;
    const hinted = this.hint ?? retryAfterFromReason(reason);
    const delay = Math.max(hinted !== undefined ? hinted : jittered, MIN_DELAY_MS[code] ?? 0);
    this.attempt++;
    this.setState("reconnecting", { code, reason, delayMs: delay, attempt: this.attempt });
    this.timers.reconnect = setTimeout(() => this.open(), delay);
  }

  receive(socket, data) {
    if (this.socket !== socket) return;
    let message;
    try { message = JSON.parse(data); } catch { return; }
    this.alive();
    switch (message.type) {
      case "event":
        if (message.event_type === "connected" && message.source === "pulse") return this.opened(socket, message);
        return this.emit("event", message);
      case "telemetry": return this.emit("telemetry", message);
      case "alerts": return this.emit("alerts", message.alerts);
      case "status": return this.emit("status", message);
      case "error": return this.emit("error", message);
      case "reconnect": this.hint = message.retry_after_ms; return this.emit("reconnect", message);
      case "pong": return undefined;
      default: return this.emit("reply", message);
    }
  }

  /** The token is verified: re-establish every subscription, start the heartbeat and the refresh timer. */
  opened(socket, message) {
    clearTimeout(this.timers.connect);
    this.openedAt = Date.now();
    this.renewedAfter4001 = false;
    this.connectionId = message.data.connection_id;
    this.limits = message.data.limits;
    const write = (request) => socket.send(JSON.stringify(request));
    const devices = [...this.devices];
    for (let i = 0; i < devices.length; i += DEVICES_PER_MESSAGE) {
      write({ action: "subscribe", type: "device", device_ids: devices.slice(i, i + DEVICES_PER_MESSAGE) });
    }
    if (this.alerts) write({ action: "subscribe", type: "alerts" });
    if (this.eventTypes.size) write({ action: "subscribe", data: { event_types: [...this.eventTypes] } });
    for (const room of this.rooms) write({ action: "join", room });
    this.setState("open", { connectionId: this.connectionId });
    this.heartbeat();
    this.scheduleRefresh();
    this.emit("connected", message.data);
  }

  /** Sends a request on the open connection; false when there is none (state is kept and sent on the next open). */
  send(message) {
    if (this.state === "open" && this.socket && this.socket.readyState === 1) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  // --- heartbeat and token refresh -----------------------------------------------------------------------------------

  /** An application-level ping every heartbeatMs; no answer within heartbeatTimeoutMs means a dead socket. */
  heartbeat() {
    clearTimeout(this.timers.heartbeat);
    this.timers.heartbeat = setTimeout(() => {
      if (!this.send({ action: "ping" })) return;
      // The deadline runs from the oldest unanswered ping: later pings do not push it back.
      if (this.timers.heartbeatDeadline) {
        this.heartbeat();
        return;
      }
      this.timers.heartbeatDeadline = setTimeout(() => {
        const socket = this.socket;
        if (!socket) return;
        // Reported as a close of its own: the socket's close event may never come on a half-open connection.
        this.closed(socket, 4000, "No answer to ping (half-open connection)");
        socket.onerror = socket.onclose = socket.onmessage = null;
        try { socket.close(4000, "heartbeat timeout"); } catch { /* already closing */ }
      }, this.options.heartbeatTimeoutMs);
      this.heartbeat();
    }, this.options.heartbeatMs);
  }

  alive() {
    clearTimeout(this.timers.heartbeatDeadline);
    this.timers.heartbeatDeadline = null;
  }

  scheduleRefresh() {
    clearTimeout(this.timers.refresh);
    const exp = this.token && tokenExpiry(this.token);
    if (!exp || !this.options.tokenProvider) return;
    // At least a second between refreshes (a provider handing back the same token must not spin), at most what a
    // timer can hold.
    const wait = Math.min(MAX_TIMER_MS, Math.max(1000, exp * 1000 - Date.now() - this.options.refreshBeforeMs));
    this.timers.refresh = setTimeout(() => this.refresh().catch((error) => {
      this.emit("error", { type: "error", code: error.code ?? "token_provider_failed", message: error.message });
      this.timers.refresh = setTimeout(() => this.scheduleRefresh(), Math.min(30000, wait));
    }), wait);
  }

  /** Sends a new token in-band (from the token provider when none is given); resolves with the new expiry. */
  async refresh(token) {
    const fresh = token || (await this.options.tokenProvider());
    return new Promise((resolve, reject) => {
      const settle = () => { offReply(); offError(); offClosed(); clearTimeout(timeout); };
      const offReply = this.on("reply", (reply) => {
        if (reply.type !== "refreshed") return;
        settle();
        this.token = fresh;
        this.scheduleRefresh();
        this.emit("refreshed", reply.data);
        resolve(reply.data);
      });
      const offError = this.on("error", (error) => {
        if (error.code !== "invalid_token") return;
        settle();
        reject(Object.assign(new Error(error.message), { code: error.code }));
      });
      // The connection ended first: the next one starts with the new token.
      const offClosed = this.on("closed", () => { settle(); this.token = fresh; resolve(undefined); });
      const timeout = setTimeout(() => {
        settle();
        reject(Object.assign(new Error("No answer to the token refresh"), { code: "refresh_timeout" }));
      }, this.options.heartbeatTimeoutMs);
      if (!this.send({ action: "refresh", token: fresh })) {
        settle();
        this.token = fresh;
        resolve(undefined);
      }
    });
  }

  stopTimers() {
    for (const name of Object.keys(this.timers)) {
      clearTimeout(this.timers[name]);
      this.timers[name] = null;
    }
  }

  // --- subscriptions (kept across reconnects) -------------------------------------------------------------------------

  subscribeDevices(ids) {
    const added = [...ids].filter((id) => !this.devices.has(id));
    added.forEach((id) => this.devices.add(id));
    for (let i = 0; i < added.length; i += DEVICES_PER_MESSAGE) {
      this.send({ action: "subscribe", type: "device", device_ids: added.slice(i, i + DEVICES_PER_MESSAGE) });
    }
  }

  unsubscribeDevices(ids) {
    const removed = [...ids].filter((id) => this.devices.delete(id));
    for (let i = 0; i < removed.length; i += DEVICES_PER_MESSAGE) {
      this.send({ action: "unsubscribe", type: "device", device_ids: removed.slice(i, i + DEVICES_PER_MESSAGE) });
    }
  }

  subscribeAlerts() {
    this.alerts = true;
    this.send({ action: "subscribe", type: "alerts" });
  }

  unsubscribeAlerts() {
    this.alerts = false;
    this.send({ action: "unsubscribe", type: "alerts" });
  }

  join(room) {
    this.rooms.add(room);
    this.send({ action: "join", room });
  }

  leave(room) {
    this.rooms.delete(room);
    this.send({ action: "leave", room });
  }

  subscribeEventTypes(types) {
    types.forEach((type) => this.eventTypes.add(type));
    this.send({ action: "subscribe", data: { event_types: [...types] } });
  }

  unsubscribeEventTypes(types) {
    types.forEach((type) => this.eventTypes.delete(type));
    this.send({ action: "unsubscribe", data: { event_types: [...types] } });
  }
}

/** The delay a close reason names ("...; reconnect in 4210 ms"), for servers that sent no reconnect message. */
function retryAfterFromReason(reason) {
  const match = /reconnect in (\d+) ms/.exec(reason || "");
  return match ? Number(match[1]) : undefined;
}
