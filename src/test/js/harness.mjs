// Test harness for pulse-client: the packaged Pulse started as an operator starts it (the command comes from
// PulseClientIT in PULSE_COMMAND), tokens signed with the test key, telemetry written to the real InfluxDB and alerts
// to the real PostgreSQL of the test stack (src/scripts/stack.sh). No mocks.
import { spawn, execFileSync } from "node:child_process";
import { createSign, randomUUID } from "node:crypto";
import { appendFileSync, readFileSync, openSync } from "node:fs";
import { connect as tcpConnect, createServer } from "node:net";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");
const PRIVATE_KEY = readFileSync(resolve(ROOT, "src/test/resources/test-keys/private.pem"), "utf8");
export const ISSUER = "https://pulse.test/issuer";
export const AUDIENCE = "pulse-gateway";

/** The environment src/scripts/stack.sh prints for the test profile. */
export function stackEnvironment() {
  const out = execFileSync("bash", [resolve(ROOT, "src/scripts/stack.sh"), "env", "test"], { encoding: "utf8" });
  const env = {};
  for (const line of out.split("\n")) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match) env[match[1]] = match[2];
  }
  return env;
}

const STACK = stackEnvironment();

function base64url(value) {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

/** An RS256 JWT signed with the test key, as the test suite's Tokens class makes them. */
export function token({ tenant, role = "customer_viewer", subject = `user-${randomUUID()}`, ttlSeconds = 1800 }) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, aud: AUDIENCE, sub: subject, iat: now, exp: now + ttlSeconds, jti: randomUUID(),
    role };
  if (tenant) claims.tenant_id = tenant;
  const unsigned = `${base64url({ alg: "RS256", typ: "JWT" })}.${base64url(claims)}`;
  const signature = createSign("RSA-SHA256").update(unsigned).sign(PRIVATE_KEY).toString("base64url");
  return `${unsigned}.${signature}`;
}

export function newTenant() {
  return `tenant-${randomUUID()}`;
}

export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

export async function until(what, condition, timeoutMs = 20000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The packaged Pulse on the given ports, prod profile, environment only. */
export async function startPulse({ port, managementPort, name, extraEnv = {} }) {
  const command = JSON.parse(process.env.PULSE_COMMAND);
  const env = { ...process.env };
  for (const [key, value] of Object.entries(STACK)) if (!key.startsWith("PULSE_STACK_")) env[key] = value;
  Object.assign(env, {
    MP_JWT_VERIFY_PUBLICKEY_LOCATION: `file:${resolve(ROOT, "src/test/resources/test-keys/public.pem")}`,
    MP_JWT_VERIFY_ISSUER: ISSUER,
    MP_JWT_VERIFY_AUDIENCES: AUDIENCE,
    PULSE_CLUSTER_SECRET: "client-test-cluster-secret-0123456789abcdef",
    QUARKUS_HTTP_PORT: String(port),
    QUARKUS_MANAGEMENT_PORT: String(managementPort),
    PULSE_TELEMETRY_POLL_INTERVAL: "1s",
    PULSE_ALERTS_POLL_INTERVAL: "1s",
    ...extraEnv,
  });
  delete env.PULSE_COMMAND;
  const log = openSync(resolve(ROOT, `target/${name}.log`), "w");
  const child = spawn(command[0], command.slice(1), { env, stdio: ["ignore", log, log] });
  const exited = new Promise((done) => child.on("exit", (code) => done(code)));
  await until("Pulse ready", async () => {
    if (child.exitCode !== null) throw new Error(`Pulse exited during start-up; see target/${name}.log`);
    try {
      return (await fetch(`http://127.0.0.1:${managementPort}/q/health/ready`)).status === 200;
    } catch {
      return false;
    }
  }, 60000, 200);
  return {
    url: `ws://127.0.0.1:${port}`,
    http: `http://127.0.0.1:${port}`,
    terminate: () => child.kill("SIGTERM"),
    exited,
    kill: () => { if (child.exitCode === null) child.kill("SIGKILL"); },
  };
}

/** A telemetry point in the real InfluxDB, as the devices' ingestion would write it. */
export async function writePoint(tenant, device, temperature, time = new Date()) {
  const tag = (value) => value.replace(/([,= \\])/g, "\\$1");
  const line = `telemetry,tenant_id=${tag(tenant)},device_id=${tag(device)} temperature=${temperature} `
    + `${BigInt(time.getTime()) * 1000000n}`;
  const auth = Buffer.from(`${STACK.PULSE_STACK_INFLUX_ADMIN_USER}:${STACK.PULSE_STACK_INFLUX_ADMIN_PASSWORD}`)
    .toString("base64");
  const response = await fetch(`${STACK.PULSE_INFLUX_URL}/write?precision=ns&db=${STACK.PULSE_INFLUX_DATABASE}`, {
    method: "POST", headers: { Authorization: `Basic ${auth}` }, body: line,
  });
  if (response.status !== 204) throw new Error(`InfluxDB write failed: ${response.status} ${await response.text()}`);
}

/** An open alert in the real PostgreSQL, as the alerting service would insert it (superuser, psql). */
export function insertAlert(tenant, device, summary) {
  const url = new URL(STACK.PULSE_STACK_PG_SUPERUSER_URL.replace(/^jdbc:/, ""));
  const literal = (value) => `'${value.replace(/'/g, "''")}'`;
  execFileSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", url.hostname, "-p", url.port, "-U", "postgres",
    "-d", url.pathname.slice(1), "-c", `INSERT INTO alerts (tenant_id, device_id, alert_type, summary) VALUES `
      + `(${literal(tenant)}, ${literal(device)}, 'HIGH_TEMP', ${literal(summary)})`],
  { env: { ...process.env, PGPASSWORD: STACK.PULSE_STACK_PG_SUPERUSER_PASSWORD } });
}

/** The next value of one kind of client event that passes the test, within a deadline. */
export function next(client, kind, test = () => true, timeoutMs = 20000) {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => { stop(); fail(new Error(`no ${kind} within ${timeoutMs} ms`)); }, timeoutMs);
    const stop = client.on(kind, (value) => {
      if (!test(value)) return;
      clearTimeout(timer);
      stop();
      done(value);
    });
  });
}

/**
 * A TCP relay in front of Pulse that can go silent: while frozen it forwards nothing in either direction and closes
 * nothing, as a network that lost the route does (a half-open connection). Connections made after thaw() flow again.
 */
export async function relay(targetPort) {
  const port = await freePort();
  const pairs = new Set();
  let frozen = false;
  const server = createServer((client) => {
    const upstream = tcpConnect(targetPort, "127.0.0.1");
    const pair = { client, upstream, frozen: false };
    pairs.add(pair);
    client.on("data", (chunk) => { if (!pair.frozen) upstream.write(chunk); });
    upstream.on("data", (chunk) => { if (!pair.frozen) client.write(chunk); });
    const end = () => { pairs.delete(pair); client.destroy(); upstream.destroy(); };
    client.on("error", end); upstream.on("error", end); client.on("close", end); upstream.on("close", end);
    if (frozen) pair.frozen = true;
  });
  await new Promise((done) => server.listen(port, "127.0.0.1", done));
  return {
    url: `ws://127.0.0.1:${port}`,
    /** Silences every connection open now. */
    freeze: () => { for (const pair of pairs) pair.frozen = true; },
    close: () => { for (const pair of pairs) { pair.client.destroy(); pair.upstream.destroy(); } server.close(); },
  };
}

/**
 * The runtime's WebSocket, recording every message it receives in target/pulse-client-messages.jsonl, which
 * PulseClientIT validates against asyncapi.yaml as the Java clients validate theirs.
 */
export class RecordingWebSocket extends globalThis.WebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", (e) => appendFileSync(RECORDED, `${JSON.stringify(String(e.data))}\n`));
  }
}
const RECORDED = resolve(ROOT, "target/pulse-client-messages.jsonl");
