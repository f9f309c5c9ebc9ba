-- V6, one poll per tenant across the Pulse replicas (cluster.PollOwnership). Each replica keeps here what its
-- clients watch: per tenant, the devices and whether alert lists are wanted. The live replicas (their LISTEN
-- connections in pg_stat_activity) share the tenants out among the replicas that watch each; the owner reads the
-- union and relays the results. Unlogged: after a crash the replicas write their rows again within a minute. Rows of
-- replicas gone for a minute are deleted by the others. Idempotent.
CREATE UNLOGGED TABLE IF NOT EXISTS pulse_poll_interest (
  replica   text NOT NULL,
  tenant    text NOT NULL,
  devices   text[] NOT NULL,
  alerts    boolean NOT NULL,
  synced_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (replica, tenant)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON pulse_poll_interest TO ${gateway_role};

-- A replica's heartbeat, written at every ownership refresh: a replica counts as live while its LISTEN connection is
-- open AND its heartbeat is recent, so one that is paused, cut off or unable to refresh loses its tenants even while
-- PostgreSQL still holds its connection.
CREATE UNLOGGED TABLE IF NOT EXISTS pulse_replicas (
  replica      text PRIMARY KEY,
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE, DELETE ON pulse_replicas TO ${gateway_role};
