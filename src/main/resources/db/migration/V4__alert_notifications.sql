-- V4, instant alert pushes: every change to an alert notifies the Pulse replicas, on the channel pulse_alerts, with the
-- tenant id. Each replica with alert subscribers of that tenant re-reads the tenant's list (under row-level security)
-- and pushes it. The scheduled poll stays as the safety net. Idempotent.
--
-- PostgreSQL delivers notifications at commit and folds identical ones of one transaction, so a bulk update of one
-- tenant's alerts costs one re-read. A tenant id too long for a NOTIFY payload (8000 bytes) is skipped rather than
-- failing the write: the poll still picks the change up.
CREATE OR REPLACE FUNCTION pulse_notify_alert_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND octet_length(OLD.tenant_id) < 7000 THEN
    PERFORM pg_notify('pulse_alerts', OLD.tenant_id);
  END IF;
  IF TG_OP <> 'DELETE' AND octet_length(NEW.tenant_id) < 7000 THEN
    PERFORM pg_notify('pulse_alerts', NEW.tenant_id);
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS alerts_notify_pulse ON alerts;
CREATE TRIGGER alerts_notify_pulse
  AFTER INSERT OR UPDATE OR DELETE ON alerts
  FOR EACH ROW EXECUTE FUNCTION pulse_notify_alert_change();
