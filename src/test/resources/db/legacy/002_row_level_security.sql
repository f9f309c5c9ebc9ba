-- Pulse reference schema, part 2: row-level security.
-- A session sees only the rows of the tenant it names with set_config('app.tenant_id', <tenant>, true) inside its
-- transaction; a session that names none sees nothing. FORCE applies the policy to the table owner as well
-- (superusers and BYPASSRLS roles still bypass it, which is why the gateway logs in as its own role: see part 3).
ALTER TABLE alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE alerts FORCE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS alerts_tenant_isolation ON alerts;
CREATE POLICY alerts_tenant_isolation ON alerts
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''));
