package dev.pulse.gateway.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Tags;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.registry.AlertFeed;
import dev.pulse.gateway.registry.DeviceWatch;
import dev.pulse.gateway.registry.Watchers;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * One poll per tenant per interval across all replicas. Without it, R replicas that serve a tenant read it R times.
 *
 * <p>
 * <b>Who is alive</b> is what PostgreSQL knows: each replica's LISTEN connection carries its id as
 * {@code application_name} ({@link ReplicaIdentity}), and each replica writes a heartbeat to {@code pulse_replicas} at
 * every refresh. A replica is live while both hold: its connection is in {@code pg_stat_activity} (a replica that dies
 * loses it at once: SIGKILL closes its sockets) and its heartbeat is younger than three refreshes (a replica that is
 * paused, cut off, or cannot refresh drops out then, even while PostgreSQL still holds its connection). Only
 * sessions of this database and this role count, so another role cannot pose as a replica; both clocks are
 * PostgreSQL's.
 *
 * <p>
 * <b>What is watched</b>: each replica keeps its rows in {@code pulse_poll_interest} (per tenant: the devices its
 * clients watch, whether they want alerts) up to date, writing only what changed.
 *
 * <p>
 * <b>Who polls</b>: a tenant is owned by one of the live replicas that watch it, chosen by rendezvous hashing
 * (highest hash of replica and tenant), which every replica computes alike in one query and which moves the fewest
 * tenants when replicas come and go. The owner reads the union of what every replica watches and relays the results
 * ({@link PollResultRelay}); the others read nothing for that tenant. Ownership is refreshed four times per poll
 * interval, and tenants a replica takes over are read at once ({@link #onTakeOver}), so a dead or paused owner's
 * tenants are read by another replica within two intervals.
 *
 * <p>
 * <b>When in doubt, poll locally</b>: while the relay is off, this replica is not listening, or PostgreSQL cannot be
 * asked, every replica reads its own tenants itself, as before; so does a replica for a tenant its clients have
 * only just subscribed to and the plan does not know yet. Reading twice costs a query; the watermarks that travel with
 * the results (a point's time, an alert list's newest change) keep clients from getting anything twice.
 */
@ApplicationScoped
public class PollOwnership {

    private static final Logger LOG = Logger.getLogger(PollOwnership.class);

    private static final String HEARTBEAT = """
            INSERT INTO pulse_replicas (replica, heartbeat_at) VALUES ($1, now())
            ON CONFLICT (replica) DO UPDATE SET heartbeat_at = now()""";
    /**
     * Live: its LISTEN connection is open (in this database, as this role) and its heartbeat is younger than the
     * lease. Both clocks are PostgreSQL's.
     */
    private static final String LIVE_REPLICAS = """
            SELECT r.replica
              FROM pulse_replicas r
             WHERE r.heartbeat_at > now() - make_interval(secs => $2)
               AND EXISTS (SELECT 1 FROM pg_stat_activity a
                            WHERE a.datname = current_database() AND a.usename = current_user
                              AND a.application_name = $1 || r.replica)""";
    private static final String UPSERT_INTEREST = """
            INSERT INTO pulse_poll_interest (replica, tenant, devices, alerts, synced_at)
            SELECT $1, u.tenant, string_to_array(u.devices, E'\\n'), u.alerts, now()
              FROM unnest($2::text[], $3::text[], $4::bool[]) AS u(tenant, devices, alerts)
            ON CONFLICT (replica, tenant) DO UPDATE
               SET devices = EXCLUDED.devices, alerts = EXCLUDED.alerts, synced_at = now()""";
    private static final String DELETE_INTEREST = "DELETE FROM pulse_poll_interest WHERE replica = $1 AND tenant = ANY($2::text[])";
    private static final String DELETE_ALL_INTEREST = "DELETE FROM pulse_poll_interest WHERE replica = $1";
    /**
     * Rows of replicas without a heartbeat for a minute (one that only missed its lease keeps its rows; one that
     * comes back after a minute rewrites them all, since it resyncs after any failure).
     */
    private static final String PURGE_DEPARTED = """
            WITH gone AS (DELETE FROM pulse_replicas WHERE heartbeat_at < now() - interval '1 minute')
            DELETE FROM pulse_poll_interest i
             WHERE i.synced_at < now() - interval '1 minute'
               AND NOT EXISTS (SELECT 1 FROM pulse_replicas r
                                WHERE r.replica = i.replica AND r.heartbeat_at > now() - interval '1 minute')""";
    /** Changes when any live replica's interest rows change (a row written, or one deleted). */
    private static final String INTEREST_FINGERPRINT = """
            SELECT count(*) || '/' || coalesce(max(synced_at)::text, '') AS fingerprint
              FROM pulse_poll_interest WHERE replica = ANY($1::text[])""";
    /**
     * For each tenant this replica owns: the union of what the live replicas watch, and whether any other replica
     * watches it (then the results are relayed). For each tenant this replica watches but another owns: just that.
     */
    private static final String PLAN = """
            WITH interest AS (
                SELECT tenant, replica, devices, alerts FROM pulse_poll_interest WHERE replica = ANY($2::text[])),
            owners AS (
                SELECT DISTINCT ON (tenant) tenant, replica AS owner
                  FROM interest
                 ORDER BY tenant, hashtextextended(replica || '/' || tenant, 0) DESC, replica),
            merged AS (
                SELECT tenant, string_agg(array_to_string(devices, E'\\n'), E'\\n') AS devices,
                       bool_or(alerts) AS alerts, bool_or(replica <> $1) AS shared, bool_or(replica = $1) AS mine
                  FROM interest
                 GROUP BY tenant)
            SELECT m.tenant, o.owner = $1 AS owned, CASE WHEN o.owner = $1 THEN m.devices END AS devices,
                   m.alerts, m.shared
              FROM merged m JOIN owners o USING (tenant)
             WHERE o.owner = $1 OR m.mine""";
    /** Interest is rewritten in full this often (in refreshes), healing rows that were purged or lost. */
    private static final int FULL_SYNC_EVERY = 40;

    /** What the replicas watch of one tenant. */
    public record Interest(Set<String> devices, boolean alerts) {
    }

    /** A tenant this replica reads for the cluster: the union of what is watched, and whether to relay. */
    public record Owned(Set<String> devices, boolean alerts, boolean shared) {
    }

    /**
     * Who reads what, as of the last refresh. {@code shared} false: this replica reads all its tenants itself and
     * relays nothing.
     */
    public record Plan(boolean shared, int replicas, Map<String, Owned> owned, Set<String> elsewhere) {

        static final Plan LOCAL = new Plan(false, 0, Map.of(), Set.of());

        /** Whether this replica reads {@code tenant} (a tenant it watches, or one it owns). */
        public boolean reads(String tenant) {
            return !elsewhere.contains(tenant);
        }

        /**
         * The tenants whose alert lists this replica reads: those with alert subscribers here ({@code subscribedHere})
         * that no other replica reads for it, and those it owns for the cluster that anyone wants alerts of.
         */
        public Set<String> alertTenantsToRead(Iterable<String> subscribedHere) {
            Set<String> tenants = new TreeSet<>();
            subscribedHere.forEach(tenant -> {
                if (reads(tenant)) {
                    tenants.add(tenant);
                }
            });
            owned.forEach((tenant, wanted) -> {
                if (wanted.alerts()) {
                    tenants.add(tenant);
                }
            });
            return tenants;
        }

        /** Whether results of {@code tenant} read here go to the other replicas too. */
        public boolean relays(String tenant) {
            Owned owned = this.owned.get(tenant);
            return shared && owned != null && owned.shared();
        }
    }

    private final Pool pool;
    private final PostgresBus bus;
    private final Watchers watchers;
    private final ReplicaIdentity identity;
    private final Vertx vertx;
    private final boolean enabled;
    private final long refreshMillis;
    /** A replica whose heartbeat is older than this is not live: three heartbeats missed (3/4 of an interval). */
    private final long leaseMillis;
    private final List<java.util.function.BiConsumer<Plan, Set<String>>> takeOverListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Plan plan = Plan.LOCAL;
    /** What the table holds for this replica, as far as this replica knows; null: rewrite it all. */
    private volatile Map<String, Interest> synced;
    private int refreshes;
    private volatile boolean refreshing;
    private volatile boolean beating;
    /** The live replicas and the interest fingerprint the current plan was computed for, and when. */
    private volatile List<String> plannedFor = List.of();
    private volatile String plannedFingerprint = "";
    /** When the last refresh that worked ended (System.nanoTime()). */
    private volatile long refreshedAt;
    /** The last plan that shared the reads out; null before the first. */
    private volatile Plan lastShared;
    private final java.util.concurrent.atomic.AtomicLong syncGeneration = new java.util.concurrent.atomic.AtomicLong();
    private volatile long plannedAt;
    private final long planEveryNanos;
    private long timer = -1;

    public PollOwnership(Pool pool, PostgresBus bus, Watchers watchers, ReplicaIdentity identity, Vertx vertx,
            GatewayMetrics metrics, PulseConfig config) {
        this.pool = pool;
        this.bus = bus;
        this.watchers = watchers;
        this.identity = identity;
        this.vertx = vertx;
        this.enabled = bus.enabled() && config.cluster().sharedPolling();
        Duration shortest = config.telemetry().pollInterval().compareTo(config.alerts().pollInterval()) < 0
                ? config.telemetry().pollInterval() : config.alerts().pollInterval();
        // Four refreshes per interval and a lease of three heartbeats: a paused owner is replaced within about one
        // interval (lease, then the next refresh, then the read), and a replica must miss three heartbeats in a row,
        // each a one-row write apart from the refresh, before its tenants move.
        this.refreshMillis = Math.max(100, shortest.toMillis() / 4);
        this.leaseMillis = 3 * refreshMillis;
        this.planEveryNanos = shortest.toNanos();
        metrics.gauge("pulse.cluster.shared.polling", "1 while the replicas share out the tenants' polls (one read per"
                + " tenant per interval cluster-wide), 0 while this replica reads all its tenants itself", Tags.empty(),
                () -> plan.shared() ? 1 : 0, null);
        metrics.gauge("pulse.cluster.replicas", "Live replicas this replica saw in PostgreSQL at its last ownership"
                + " refresh (0 while polls are not shared)", Tags.empty(), () -> plan.replicas(), null);
        metrics.gauge("pulse.cluster.owned.tenants", "Tenants this replica reads for the cluster", Tags.empty(),
                () -> plan.owned().size(), null);
        metrics.gauge("pulse.cluster.tenants.read.elsewhere", "Tenants watched here whose reads another replica owns",
                Tags.empty(), () -> plan.elsewhere().size(), null);
    }

    void start(@Observes StartupEvent started) {
        bus.onConnected(this::resync);
        if (enabled) {
            timer = vertx.setPeriodic(refreshMillis, id -> refresh());
        }
    }

    /** Whether shared polling is configured at all ({@code pulse.cluster.shared-polling} and the relay on). */
    public boolean enabled() {
        return enabled;
    }

    /** The plan as of the last refresh. */
    public Plan plan() {
        return plan;
    }

    /** After (re)connecting, nothing is assumed about the table: the next refresh rewrites this replica's rows. */
    private void resync() {
        syncGeneration.incrementAndGet();
        synced = null;
    }

    /**
     * Runs on the timer's event loop; refreshes never overlap, and one that takes longer than an interval fails (and
     * this replica reads its own tenants) rather than hold the plan still.
     *
     * <p>
     * The heartbeat is written at the end of a refresh that worked, so a replica that cannot refresh, and therefore
     * relays nothing, stops looking alive and loses its tenants to the others. While a slow refresh is still running,
     * the heartbeat is kept up on its own, for as long as the last one that worked is younger than the lease.
     */
    private void refresh() {
        if (!bus.listening()) {
            becomeLocal("this replica is not listening to PostgreSQL");
            return;
        }
        if (refreshing) {
            if (System.nanoTime() - refreshedAt < leaseMillis * 1_000_000L) {
                beat();
            }
            return;
        }
        refreshing = true;
        long generation = syncGeneration.get();
        Map<String, Interest> interest = localInterest();
        boolean full = synced == null || refreshes++ % FULL_SYNC_EVERY == 0;
        pool.preparedQuery(LIVE_REPLICAS).execute(Tuple.of(
                        ReplicaIdentity.APPLICATION_NAME_PREFIX, leaseMillis / 1000.0))
                .chain(rows -> {
                    // This replica's own connection is there (it is listening); its heartbeat follows this refresh.
                    Set<String> members = new TreeSet<>();
                    rows.forEach(row -> members.add(row.getString("replica")));
                    members.add(identity.id());
                    List<String> live = List.copyOf(members);
                    String[] liveArray = live.toArray(String[]::new);
                    return sync(interest, full, generation)
                            .call(() -> full ? pool.preparedQuery(PURGE_DEPARTED).execute()
                                    : Uni.createFrom().voidItem())
                            .chain(wrote -> pool.preparedQuery(INTEREST_FINGERPRINT).execute(Tuple.of((Object) liveArray))
                                    .map(fingerprintRows -> fingerprintRows.iterator().next().getString("fingerprint")))
                            .chain(fingerprint -> {
                                // The plan query is the one that grows with the tenants (49 ms for 5,000 tenants on
                                // 3 replicas): it runs when the members or anyone's interest changed, and at least
                                // once per interval.
                                boolean due = !plan.shared() || !live.equals(plannedFor)
                                        || !fingerprint.equals(plannedFingerprint)
                                        || System.nanoTime() - plannedAt >= planEveryNanos;
                                if (!due) {
                                    return Uni.createFrom().item(plan);
                                }
                                return pool.preparedQuery(PLAN).execute(Tuple.of(identity.id(), liveArray))
                                        .map(planRows -> {
                                            plannedFor = live;
                                            plannedFingerprint = fingerprint;
                                            plannedAt = System.nanoTime();
                                            return toPlan(planRows, live.size());
                                        });
                            })
                            .call(() -> pool.preparedQuery(HEARTBEAT).execute(Tuple.of(identity.id())));
                })
                .ifNoItem().after(Duration.ofNanos(planEveryNanos)).fail()
                .subscribe().with(next -> {
                    refreshing = false;
                    refreshedAt = System.nanoTime();
                    boolean wasLocal = !plan.shared();
                    if (wasLocal) {
                        LOG.infof("Polls shared out among %d replica(s): this one reads %d tenant(s)", next.replicas(),
                                next.owned().size());
                    }
                    plan = next;
                    Plan before = lastShared;
                    lastShared = next;
                    if (before != null) {
                        // Back from reading locally (PostgreSQL was away): what this replica read meanwhile reached
                        // no other replica, while theirs already counted on it again. Everything it owns is read and
                        // relayed at once, as if taken over.
                        takeOver(wasLocal ? Plan.LOCAL : before, next);
                    }
                }, failure -> {
                    refreshing = false;
                    resync();
                    becomeLocal("ownership could not be refreshed: " + failure.getMessage());
                });
    }

    /**
     * Tenants this replica owns now and did not read for the cluster at the last shared plan (a replica left), or
     * whose watched devices or alert lists grew (a subscribe on another replica), are read at once, not at the next
     * poll: a dead owner's tenants are read within one refresh, alert changes notified while nobody owned the
     * tenant are not left waiting for the poll, and a device newly watched elsewhere gets its updates without waiting
     * for an interval. The first shared plan of a process takes nothing over: the tenants were read by others until
     * then. A replica back from reading locally takes over all it owns: while it was local, it relayed nothing.
     */
    private void takeOver(Plan previous, Plan next) {
        Set<String> taken = new TreeSet<>();
        next.owned().forEach((tenant, owned) -> {
            Owned before = previous.owned().get(tenant);
            if (owned.shared() && (!previous.relays(tenant) || !before.devices().containsAll(owned.devices())
                    || (owned.alerts() && !before.alerts()))) {
                taken.add(tenant);
            }
        });
        if (!taken.isEmpty()) {
            LOG.debugf("Took over the reads of %d tenant(s)", taken.size());
            takeOverListeners.forEach(listener -> listener.accept(next, taken));
        }
    }

    /**
     * Calls {@code listener(plan, tenants)} with the tenants this replica has just taken over (shared with other
     * replicas), on an event loop; the pollers read them at once.
     */
    public void onTakeOver(java.util.function.BiConsumer<Plan, Set<String>> listener) {
        takeOverListeners.add(listener);
    }

    /** The heartbeat alone, while a slow refresh runs (see {@link #refresh()}). */
    private void beat() {
        if (beating) {
            return;
        }
        beating = true;
        pool.preparedQuery(HEARTBEAT).execute(Tuple.of(identity.id())).subscribe().with(
                done -> beating = false,
                failure -> beating = false);
    }

    private void becomeLocal(String why) {
        if (plan.shared()) {
            LOG.warnf("This replica reads all its tenants itself until polls can be shared again (%s)", why);
        }
        plan = Plan.LOCAL;
    }

    /**
     * Writes what changed in this replica's interest since the last sync (everything when {@code full}); true when
     * it wrote anything.
     */
    private Uni<Boolean> sync(Map<String, Interest> interest, boolean full, long generation) {
        Map<String, Interest> before = full || synced == null ? Map.of() : synced;
        List<String> tenants = new ArrayList<>();
        List<String> devices = new ArrayList<>();
        List<Boolean> alerts = new ArrayList<>();
        interest.forEach((tenant, wanted) -> {
            if (!wanted.equals(before.get(tenant))) {
                tenants.add(tenant);
                devices.add(String.join("\n", wanted.devices()));
                alerts.add(wanted.alerts());
            }
        });
        List<String> gone = new ArrayList<>();
        before.keySet().forEach(tenant -> {
            if (!interest.containsKey(tenant)) {
                gone.add(tenant);
            }
        });
        if (!full && tenants.isEmpty() && gone.isEmpty()) {
            return Uni.createFrom().item(false);
        }
        String me = identity.id();
        return pool.withTransaction(connection -> {
            Uni<?> cleared = full ? connection.preparedQuery(DELETE_ALL_INTEREST).execute(Tuple.of(me))
                    : gone.isEmpty() ? Uni.createFrom().voidItem()
                            : connection.preparedQuery(DELETE_INTEREST).execute(Tuple.of(me, gone.toArray(String[]::new)));
            return cleared.chain(() -> tenants.isEmpty() ? Uni.createFrom().voidItem()
                    : connection.preparedQuery(UPSERT_INTEREST).execute(Tuple.of(me, tenants.toArray(String[]::new),
                            devices.toArray(String[]::new), alerts.toArray(Boolean[]::new))).replaceWithVoid());
        }).invoke(() -> {
            // Unless a reconnect asked for a full rewrite meanwhile.
            if (syncGeneration.get() == generation) {
                synced = interest;
            }
        }).replaceWith(true);
    }

    private Map<String, Interest> localInterest() {
        Map<String, Set<String>> devices = new HashMap<>();
        for (Map.Entry<String, Collection<DeviceWatch>> tenant : watchers.deviceWatchesByTenant().entrySet()) {
            Set<String> ids = new TreeSet<>();
            tenant.getValue().forEach(watch -> ids.add(watch.deviceId()));
            devices.put(tenant.getKey(), ids);
        }
        Set<String> alerts = new HashSet<>();
        for (AlertFeed feed : watchers.alertFeeds()) {
            alerts.add(feed.tenant());
        }
        Map<String, Interest> interest = new HashMap<>();
        Set<String> tenants = new HashSet<>(devices.keySet());
        tenants.addAll(alerts);
        for (String tenant : tenants) {
            interest.put(tenant, new Interest(devices.getOrDefault(tenant, Set.of()), alerts.contains(tenant)));
        }
        return interest;
    }

    private static Plan toPlan(RowSet<Row> rows, int replicas) {
        Map<String, Owned> owned = new HashMap<>();
        Set<String> elsewhere = new HashSet<>();
        for (Row row : rows) {
            String tenant = row.getString("tenant");
            if (Boolean.TRUE.equals(row.getBoolean("owned"))) {
                String devices = row.getString("devices");
                Set<String> union = new HashSet<>();
                if (devices != null) {
                    // Joined from every replica's list: repeated and empty entries are expected.
                    for (String device : devices.split("\n")) {
                        if (!device.isEmpty()) {
                            union.add(device);
                        }
                    }
                }
                owned.put(tenant, new Owned(Set.copyOf(union),
                        Boolean.TRUE.equals(row.getBoolean("alerts")), Boolean.TRUE.equals(row.getBoolean("shared"))));
            } else {
                elsewhere.add(tenant);
            }
        }
        return new Plan(true, replicas, Map.copyOf(owned), Set.copyOf(elsewhere));
    }

    @PreDestroy
    void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }
}
