// pulse-client end to end, in Node, against the packaged Pulse and the real databases (run by PulseClientIT).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PulseClient, closeClass, tokenExpiry } from "../../main/resources/META-INF/resources/pulse-client.js";
import { RecordingWebSocket, freePort, insertAlert, newTenant, next, relay, startPulse, token, until, writePoint }
  from "./harness.mjs";

describe("pulse-client against a real Pulse", () => {
  let pulse;
  let ports;

  before(async () => {
    ports = { port: await freePort(), managementPort: await freePort() };
    // A short reconnect jitter so the restart test does not wait up to ten seconds.
    pulse = await startPulse({ ...ports, name: "pulse-client-1", extraEnv: { PULSE_SHUTDOWN_RECONNECT_JITTER: "1s" } });
  });

  after(() => pulse?.kill());

  test("connects, restores its subscriptions on open and receives telemetry, alerts and events", async () => {
    const tenant = newTenant();
    await writePoint(tenant, "dev-1", 20.5, new Date(Date.now() - 60000));
    const client = new PulseClient({ WebSocket: RecordingWebSocket, url: `${pulse.url}/api/v2/ws`, token: token({ tenant }) });
    // Subscriptions made before the connection exists are sent once it is open.
    client.subscribeDevices(["dev-1"]);
    client.subscribeAlerts();
    client.join("ops");
    const snapshot = next(client, "telemetry");
    const firstList = next(client, "alerts");
    const connected = await client.connect();
    assert.equal(connected.tenant, tenant);
    assert.equal(connected.protocol_version, "1");
    assert.equal(client.state, "open");
    assert.equal((await snapshot).data.metrics.temperature, 20.5);
    assert.deepEqual(await firstList, []);

    const point = next(client, "telemetry", (m) => m.data.metrics.temperature === 21.5);
    await writePoint(tenant, "dev-1", 21.5);
    await point;
    const alerts = next(client, "alerts", (list) => list.length === 1);
    insertAlert(tenant, "dev-1", "too hot");
    assert.equal((await alerts)[0].summary, "too hot");
    const event = next(client, "event", (e) => e.event_type === "deployed");
    const published = await fetch(`${pulse.http}/ws/broadcast`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token({ tenant, role: "service" })}`, "Content-Type": "application/json" },
      body: JSON.stringify({ event_type: "deployed", data: { version: 2 }, room: "ops" }),
    });
    assert.equal(published.status, 202);
    assert.equal((await event).room, "ops");
    client.close();
    assert.equal(client.state, "closed");
  });

  test("refreshes its token before it expires and stays connected past the first token's expiry", async () => {
    const tenant = newTenant();
    const subject = "user-refresh";
    const first = token({ tenant, subject, ttlSeconds: 6 });
    let provided = 0;
    const client = new PulseClient({ WebSocket: RecordingWebSocket,
      url: `${pulse.url}/api/v2/ws`, token: first, refreshBeforeMs: 4000,
      tokenProvider: () => { provided++; return token({ tenant, subject, ttlSeconds: 600 }); },
    });
    client.subscribeAlerts();
    const refreshed = next(client, "refreshed");
    await client.connect();
    assert.ok((await refreshed).expires_at > new Date(tokenExpiry(first) * 1000).toISOString());
    assert.equal(provided, 1);
    const closes = [];
    client.on("closed", (close) => closes.push(close));
    // Past the first token's expiry (Pulse would close with 4001 "Token expired" without the refresh).
    await until("the first token's expiry", () => Date.now() > tokenExpiry(first) * 1000 + 1500);
    const pong = next(client, "reply", (m) => m.type === "info");
    client.send({ action: "info" });
    await pong;
    assert.deepEqual(closes, []);
    assert.equal(client.state, "open");
    client.close();
  });

  test("renews a refused token once through its token provider", async () => {
    const tenant = newTenant();
    let provided = 0;
    const client = new PulseClient({ WebSocket: RecordingWebSocket,
      url: `${pulse.url}/api/v2/ws`, token: `${token({ tenant })}x`, // a broken signature: 4001
      tokenProvider: () => { provided++; return token({ tenant }); },
    });
    const closes = [];
    client.on("closed", (close) => closes.push(close));
    const connected = await client.connect();
    assert.equal(connected.tenant, tenant);
    assert.equal(provided, 1);
    assert.deepEqual(closes.map((c) => [c.code, c.final]), [[4001, false]]);
    client.close();
    assert.deepEqual(closes.at(-1), { code: 1000, reason: "bye", final: true });
  });

  test("notices a half-open connection by its heartbeat and reconnects", async () => {
    const network = await relay(Number(new URL(pulse.url).port));
    const client = new PulseClient({ WebSocket: RecordingWebSocket, url: `${network.url}/api/v2/ws`, token: token({ tenant: newTenant() }),
      heartbeatMs: 500, heartbeatTimeoutMs: 1000, initialBackoffMs: 100 });
    try {
      const first = await client.connect();
      const lost = next(client, "closed");
      const back = next(client, "connected");
      network.freeze(); // no FIN, no RST: only the missing pong tells
      assert.deepEqual(await lost, { code: 4000, reason: "No answer to ping (half-open connection)", final: false });
      assert.notEqual((await back).connection_id, first.connection_id);
    } finally {
      client.close();
      network.close();
    }
  });

  test("stops on 4003 and says why, without retrying", async () => {
    const client = new PulseClient({ WebSocket: RecordingWebSocket, url: `${pulse.url}/api/v2/ws`, token: token({ tenant: newTenant(), role: "nobody" }) });
    const states = [];
    client.on("state", (s) => states.push(s.state));
    await assert.rejects(client.connect(), (error) => error.code === 4003 && error.final === true);
    assert.equal(client.state, "closed");
    assert.equal(closeClass(4003), "do-not-reconnect");
    assert.deepEqual(states, ["connecting", "closed"]);
    assert.equal(client.timers.reconnect, null);
  });

  test("survives a server restart: reconnects after the hinted delay, resubscribes, data flows again", async () => {
    const tenant = newTenant();
    const client = new PulseClient({ WebSocket: RecordingWebSocket, url: `${pulse.url}/api/v2/ws`, token: token({ tenant }) });
    client.subscribeDevices(["dev-9"]);
    client.subscribeAlerts();
    client.join("ops");
    client.subscribeEventTypes(["deployed"]);
    const before = await client.connect();

    const hint = next(client, "reconnect");
    const closed = next(client, "closed");
    const reconnecting = next(client, "state", (s) => s.state === "reconnecting");
    pulse.terminate();
    const reconnect = await hint;
    assert.equal(reconnect.code, 1001);
    assert.deepEqual(await closed, { code: 1001, reason: reconnect.reason, final: false });
    assert.equal((await reconnecting).delayMs, reconnect.retry_after_ms);
    await pulse.exited;

    const reopened = next(client, "connected", () => true, 60000);
    const alertsAgain = next(client, "alerts", () => true, 60000);
    pulse = await startPulse({ ...ports, name: "pulse-client-2" });
    const after = await reopened;
    assert.notEqual(after.connection_id, before.connection_id);
    await alertsAgain; // the alerts subscription was re-established
    const point = next(client, "telemetry", (m) => m.device_id === "dev-9" && m.data.metrics.temperature === 30);
    await writePoint(tenant, "dev-9", 30);
    await point;
    // The room and the event-type filter were re-established too: the event reaches the client through both.
    const event = next(client, "event", (e) => e.event_type === "deployed" && e.room === "ops");
    await until("the room joined again", async () => {
      const answer = await fetch(`${pulse.http}/ws/broadcast`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token({ tenant, role: "service" })}`, "Content-Type": "application/json" },
        body: JSON.stringify({ event_type: "deployed", data: {}, room: "ops" }),
      });
      return (await answer.json()).recipients === 1;
    });
    await event;
    client.close();
  });
});
