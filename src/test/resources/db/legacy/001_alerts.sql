-- Pulse reference schema, part 1: the alerts table.
-- Alerts are written by other services; Pulse only reads them. Idempotent: safe to apply again.
CREATE TABLE IF NOT EXISTS alerts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   TEXT        NOT NULL,
    device_id   TEXT        NOT NULL,
    alert_type  TEXT        NOT NULL,
    severity    TEXT        NOT NULL DEFAULT 'WARNING',
    status      TEXT        NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'ACKNOWLEDGED', 'CLOSED')),
    summary     TEXT        NOT NULL DEFAULT '',
    details     JSONB       NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The gateway's only query: one tenant's OPEN alerts, newest first.
CREATE INDEX IF NOT EXISTS alerts_open_by_tenant
    ON alerts (tenant_id, created_at DESC, id DESC)
    WHERE status = 'OPEN';
