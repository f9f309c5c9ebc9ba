-- V5, events too large for a NOTIFY payload (8000 bytes) travel between Pulse replicas through this table: the
-- publishing replica inserts the signed event and notifies its id; the others read it. Rows are deleted after five
-- minutes by the replicas. Idempotent.
CREATE TABLE IF NOT EXISTS pulse_relay_events (
  id         bigserial PRIMARY KEY,
  payload    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS pulse_relay_events_created_at ON pulse_relay_events (created_at);

GRANT SELECT, INSERT, DELETE ON pulse_relay_events TO ${gateway_role};
GRANT USAGE ON SEQUENCE pulse_relay_events_id_seq TO ${gateway_role};
