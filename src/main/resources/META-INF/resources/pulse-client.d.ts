// Types of pulse-client.js. The message interfaces mirror the server messages of /asyncapi.yaml
// (ClientTypesTest checks every required property of each schema against them).

export type Timestamp = string;

export interface ConnectedMessage {
  type: "event";
  event_type: "connected";
  timestamp: Timestamp;
  source: "pulse";
  data: ConnectedData;
}

export interface ConnectedData {
  connection_id: string;
  tenant: string;
  server_time: Timestamp;
  protocol_version: "1";
  limits: {
    max_message_bytes: number;
    messages_per_minute: number;
    subscription_burst: number;
    devices_per_connection: number;
    rooms_per_connection: number;
    event_types_per_connection: number;
  };
}

export interface TelemetryMessage {
  type: "telemetry";
  device_id: string;
  data: { timestamp: Timestamp; metrics: Record<string, number | boolean | string> };
}

export interface Alert {
  id: number;
  device_id: string;
  alert_type: string;
  severity: string;
  status: "OPEN";
  summary: string;
  details: unknown;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AlertsMessage {
  type: "alerts";
  alerts: Alert[];
}

export interface EventMessage {
  type: "event";
  event_type: string;
  timestamp: Timestamp;
  data: Record<string, unknown>;
  source: string;
  room?: string;
}

export interface StatusMessage {
  type: "status";
  source: "influxdb" | "postgresql";
  status: "available" | "unavailable";
  timestamp: Timestamp;
}

export interface ReconnectMessage {
  type: "reconnect";
  code: 1001 | 1013;
  reason: string;
  retry_after_ms: number;
}

export type ErrorCode =
  | "malformed_json" | "invalid_message" | "missing_action" | "unknown_action" | "unknown_type"
  | "invalid_device_id" | "invalid_room" | "invalid_event_types" | "rate_limited" | "too_many_devices"
  | "too_many_rooms" | "too_many_event_types" | "invalid_token" | "client_actions_disabled"
  | "binary_not_supported" | "internal_error";

export interface ErrorMessage {
  type: "error";
  code: ErrorCode;
  message: string;
}

/** Errors of the client itself, reported on the same "error" event: the token provider threw, a refresh went unanswered. */
export interface ClientError {
  type: "error";
  code: "token_provider_failed" | "refresh_timeout";
  message: string;
}

/** Confirmations of requests (subscribed, unsubscribed, joined, left, info, refreshed): see asyncapi.yaml, Reply. */
export interface ReplyMessage {
  type: "subscribed" | "unsubscribed" | "joined" | "left" | "info" | "refreshed";
  [field: string]: unknown;
}

export interface Close {
  code: number;
  reason: string;
  /** True when the client will not reconnect: a do-not-reconnect close, reconnect off, or close() was called. */
  final: boolean;
}

export type ClientState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

export interface StateChange {
  state: ClientState;
  attempt?: number;
  delayMs?: number;
  code?: number;
  reason?: string;
  connectionId?: string;
  final?: boolean;
}

export interface PulseClientEvents {
  connected: ConnectedData;
  telemetry: TelemetryMessage;
  alerts: Alert[];
  event: EventMessage;
  status: StatusMessage;
  error: ErrorMessage | ClientError;
  reconnect: ReconnectMessage;
  reply: ReplyMessage;
  refreshed: { expires_at?: Timestamp };
  closed: Close;
  state: StateChange;
}

export interface PulseClientOptions {
  /** ws(s)://host/api/v2/ws (or /ws, or /ws/rooms/{room}). */
  url: string;
  /** The JWT; or leave it out and give tokenProvider. */
  token?: string;
  /** Called for a token at the first connect, before the token expires, and once after a 4001 close. */
  tokenProvider?: () => string | Promise<string>;
  /** "subprotocol" (default: ["pulse.v1", "bearer.<jwt>"], out of URLs and logs) or "query" (?token=). */
  carrier?: "subprotocol" | "query";
  /**
   * Reconnect after closes of the reconnect class (default true): exponential back-off with jitter, the server's
   * retry_after_ms when it sent one, at least a minute after 1008 (rate limit), 5 s after 4009, 30 s after 4011.
   */
  reconnect?: boolean;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Application-level ping interval (default 25000) and how long to wait for any answer (default 10000). */
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  /** Give up on a connection attempt that has not opened after this long (default 10000). */
  connectTimeoutMs?: number;
  /** Refresh the token this long before it expires (default 60000; needs tokenProvider). */
  refreshBeforeMs?: number;
  /** A WebSocket constructor, where there is no global one. */
  WebSocket?: unknown;
}

export declare function closeClass(code: number): "reconnect" | "do-not-reconnect";
export declare function tokenExpiry(token: string): number | undefined;

export declare class PulseClient {
  constructor(options: PulseClientOptions);
  readonly state: ClientState;
  readonly connectionId: string | undefined;
  connect(): Promise<ConnectedData>;
  close(code?: number, reason?: string): void;
  on<K extends keyof PulseClientEvents>(kind: K, handler: (value: PulseClientEvents[K]) => void): () => void;
  stream<K extends keyof PulseClientEvents>(kind: K): AsyncIterableIterator<PulseClientEvents[K]>;
  refresh(token?: string): Promise<{ expires_at?: Timestamp } | undefined>;
  subscribeDevices(ids: Iterable<string>): void;
  unsubscribeDevices(ids: Iterable<string>): void;
  subscribeAlerts(): void;
  unsubscribeAlerts(): void;
  join(room: string): void;
  leave(room: string): void;
  subscribeEventTypes(types: string[]): void;
  unsubscribeEventTypes(types: string[]): void;
}
