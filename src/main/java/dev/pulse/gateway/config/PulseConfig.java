package dev.pulse.gateway.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import dev.pulse.gateway.delivery.Delivery;

/**
 * Every setting of Pulse itself. Each property can be set as an environment variable: {@code pulse.influx.url}
 * becomes {@code PULSE_INFLUX_URL}. The datasource ({@code quarkus.datasource.*}) and JWT verification
 * ({@code mp.jwt.verify.*}) use the standard Quarkus and MicroProfile properties.
 */
@ConfigMapping(prefix = "pulse")
public interface PulseConfig {

    /** Where live telemetry is read from. */
    Influx influx();

    /** Telemetry polling. */
    Telemetry telemetry();

    /** Alert polling. */
    Alerts alerts();

    /** Who may connect. */
    Auth auth();

    /** Events published to rooms and tenants. */
    Events events();

    /** {@code GET /ws/stats}. */
    Stats stats();

    /** Pulse's own meters. */
    Metrics metrics();

    /** Bounds on what one client, tenant or subject may do. */
    Limits limits();

    /** Pings, pong and idle timeouts. */
    Keepalive keepalive();

    /** Writing to clients that read slowly. */
    Delivery delivery();

    /** Polling a source that does not answer. */
    Sources sources();

    /** Graceful shutdown. */
    Shutdown shutdown();

    /** {@code pulse.cluster.*}: relaying events and alert changes between replicas through PostgreSQL. */
    Cluster cluster();

    /** {@code pulse.demo.*}: the device simulator of demo mode (on in dev mode). */
    Demo demo();

    /** {@code pulse.http.*}: the REST side ({@code POST /ws/broadcast}, {@code GET /ws/stats}). */
    Http http();

    /** {@code pulse.warm-up.*}: the connections a starting replica makes to itself before it reports ready. */
    WarmUp warmUp();

    interface Influx {
        /** Base URL of the InfluxDB 1.x HTTP API (InfluxQL, {@code POST /query}). */
        @WithDefault("http://localhost:8086")
        String url();

        /** InfluxDB database that holds the telemetry measurement. */
        @WithDefault("pulse")
        String database();

        /**
         * Retention policy to read from; empty means the database's default policy.
         */
        Optional<String> retentionPolicy();

        /**
         * API token, sent as {@code Authorization: Token <token>} (InfluxDB 1.8+ compatibility API, 2.x). Ignored
         * when {@code username} is set. InfluxDB 1.x with authentication on needs username and password instead.
         */
        Optional<String> token();

        /** User for HTTP Basic authentication (InfluxDB 1.x). Give it READ on the database and nothing more. */
        Optional<String> username();

        /** Password for {@link #username()}. */
        Optional<String> password();

        /** Measurement that holds the telemetry points; every field of it is a metric. */
        @WithDefault("telemetry")
        String measurement();

        /** Tag that carries the tenant id of a point. */
        @WithDefault("tenant_id")
        String tenantTag();

        /** Tag that carries the device id of a point. */
        @WithDefault("device_id")
        String deviceTag();

        /** Time limit for one InfluxDB request (connect, write and read each). */
        @WithDefault("10s")
        Duration timeout();
    }

    interface Telemetry {
        /** How often the latest points of all watched devices are read. Cycles never overlap. */
        @WithDefault("5s")
        Duration pollInterval();

        /**
         * InfluxDB queries in flight at once: tenants (and batches) are read in parallel, so a cycle lasts about the
         * slowest read rather than the sum of them all, and one slow tenant does not delay the others.
         */
        @WithDefault("8")
        int pollConcurrency();

        /** Most devices named in one InfluxQL query; a tenant watching more is read in several batches. */
        @WithDefault("200")
        int maxDevicesPerQuery();

        /**
         * How far back a device's latest point is looked for. Bounds the work InfluxDB does for devices that have
         * gone quiet; a device with no point in this window has no latest point.
         */
        @WithDefault("30d")
        Duration lookback();
    }

    interface Alerts {
        /** How often each tenant's open alerts are read. Cycles never overlap. */
        @WithDefault("5s")
        Duration pollInterval();

        /** Most open alerts in one {@code alerts} message (newest first). */
        @WithDefault("100")
        int limit();
    }

    interface Auth {
        /** Claim that carries the tenant id (a non-empty string). */
        @WithDefault("tenant_id")
        String tenantClaim();

        /** Claim that carries the role (a string). The one place roles are read from, unless {@link #rolesFromGroups()}. */
        @WithDefault("role")
        String roleClaim();

        /**
         * Also accept a role found in the MicroProfile JWT {@code groups} array (the first allowed one). Off by
         * default: an identity provider often puts directory groups there, which were never meant as Pulse roles.
         */
        @WithDefault("false")
        boolean rolesFromGroups();

        /** Roles that may open a WebSocket connection. */
        @WithDefault("customer_admin,customer_viewer")
        List<String> roles();

        /**
         * How long a token whose signature was verified is remembered, so that the same token presented again (a
         * dashboard's tabs, a publisher's every {@code POST}, a fleet reconnecting after a deploy) is not verified
         * again: a signature check costs tens of microseconds of CPU. Expiry is checked on every use. A key removed
         * from the JWKS stops verifying new tokens at once, and remembered ones within this time. 0: every use is
         * verified.
         */
        @WithDefault("60s")
        Duration verifiedTokenTtl();

        /** Most tokens remembered as verified ({@link #verifiedTokenTtl()}); past it the memory is emptied. */
        @WithDefault("10000")
        int verifiedTokens();

        /**
         * Origins (scheme://host[:port]) allowed to open a WebSocket; a request with another {@code Origin} is refused at
         * the upgrade with 403. Empty: every origin. Requests without an {@code Origin} (non-browser clients) pass.
         */
        Optional<List<String>> allowedOrigins();

        /**
         * Check RSA token signatures (RS256, RS384, RS512) with the system's NSS library, through the JDK's SunPKCS11,
         * instead of the JDK's Java code: about 50 µs a signature instead of 300 on the JVM image's C1-only JVM, where
         * every connecting client's token is one check. Falls back to the JDK's code, and logs why, where NSS is
         * missing or fails its self-test, where another provider than the JDK's comes first (FIPS), and in the
         * native executable.
         */
        @WithDefault("true")
        boolean nativeRsa();

        /**
         * The folder with NSS's {@code libnss3.so}, for {@code pulse.auth.native-rsa}. Absent: the first of {@code /usr/lib64}
         * (Red Hat, the JVM image), {@code /usr/lib/x86_64-linux-gnu}, {@code /usr/lib/aarch64-linux-gnu} (Debian,
         * Ubuntu) and {@code /usr/lib} that has it.
         */
        Optional<String> nssLibraryDirectory();
    }

    interface Events {
        /** Roles whose tokens may publish with {@code POST /ws/broadcast}. The token's tenant is the target. */
        @WithDefault("service")
        List<String> publisherRoles();

        /** Largest {@code POST /ws/broadcast} body, in bytes. */
        @WithDefault("65536")
        int maxPayloadBytes();

        /** {@code source} of a broadcast event whose request names none. */
        @WithDefault("api_server")
        String defaultSource();

        /**
         * Messages written to this replica's connections and not yet flushed to their sockets, past which new events
         * are refused (429 with Retry-After for {@code POST /ws/broadcast}, {@code FanoutOverloaded} for
         * {@code EventBroadcaster}) until the backlog drains: delivery latency stays bounded instead of queueing for
         * seconds. 0: no bound.
         */
        @WithDefault("50000")
        int maxInFlight();

        /** The same bound for one tenant's connections, so that one tenant's burst cannot take the whole replica. */
        @WithDefault("20000")
        int maxInFlightPerTenant();

        /**
         * How late the oldest write queued on an event loop may be before new events are refused (as past
         * {@link #maxInFlight()}): the bound on the delay Pulse itself adds when more is offered than the event
         * loops can write. Lateness counts from the end of the loop's flush interval, so the chosen wait for
         * coalescing ({@code pulse.delivery.flush-interval}) comes on top. 0: no bound.
         */
        @WithDefault("100ms")
        Duration maxQueueDelay();
    }

    interface Stats {
        /** Roles that may read their own tenant's statistics. */
        @WithDefault("customer_admin")
        List<String> tenantAdminRoles();

        /** Role that may read every tenant's statistics; its token needs no tenant. */
        @WithDefault("platform_admin")
        String platformAdminRole();
    }

    interface Metrics {
        /**
         * Adds a {@code tenant} label to the per-connection and per-message counters. Off by default: with many
         * tenants it multiplies the series Prometheus stores.
         */
        @WithDefault("false")
        boolean tenantLabels();
    }

    interface Limits {
        /** Frames one connection may send per minute (a burst of this many, then one per 60/n seconds); 0: no limit. */
        @WithDefault("60")
        int messagesPerMinute();

        /** Rate-limited frames after which the connection is closed with 1008. */
        @WithDefault("10")
        int rateViolationsBeforeClose();

        /** Device subscriptions one connection may hold. */
        @WithDefault("1000")
        int devicesPerConnection();

        /** Rooms one connection may be in. */
        @WithDefault("100")
        int roomsPerConnection();

        /** Event types one connection's filter may hold; more are refused with {@code too_many_event_types}. */
        @WithDefault("100")
        int eventTypesPerConnection();

        /** Open connections one tenant may have on this replica; 0: no limit. */
        @WithDefault("0")
        int connectionsPerTenant();

        /**
         * Open connections one subject (token {@code sub}) may have on this replica; 0: no limit. The prod profile
         * sets 100.
         */
        @WithDefault("0")
        int connectionsPerSubject();

        /**
         * New connections accepted per second (a burst of this many); more are closed with 1013 and a retry hint, so a
         * restarting replica is not flattened by every client reconnecting at once. 0: no limit.
         */
        @WithDefault("500")
        int connectsPerSecond();

        /**
         * Handshakes per second that fail authentication (no token, invalid token, no tenant or role) that are logged
         * one by one (a burst of this many). They never take from {@link #connectsPerSecond()}, so a flood of bad
         * handshakes cannot lock authenticated clients out; past this budget they are still refused with their close
         * code, and counted, but not logged. 0: log every one.
         */
        @WithDefault("20")
        int failedConnectsPerSecond();
    }

    interface Keepalive {
        /** How often the server pings every connection (and checks pong and idle timeouts). */
        @WithDefault("30s")
        Duration pingInterval();

        /** A connection that has answered no ping for this long is closed (4010) and cleaned up. */
        @WithDefault("75s")
        Duration pongTimeout();

        /** A connection with no subscription and no room that has sent nothing for this long is closed (4011). */
        @WithDefault("300s")
        Duration idleTimeout();

        /**
         * After Pulse closes a connection, how long the client has to complete the close handshake before its TCP
         * connection is dropped. A client that stopped reading never sees the close frame; without this its socket
         * and buffers would stay forever.
         */
        @WithDefault("5s")
        Duration closeTimeout();
    }

    interface Delivery {
        /**
         * Messages written to one connection and not yet flushed to its socket. At this bound telemetry is conflated to
         * the newest point per device; any other message closes the connection with 4009. Above what a page load
         * produces at once (a confirmation and a latest point per device, at the device cap).
         */
        @WithDefault("4096")
        int maxPendingMessages();

        /**
         * Bytes written to one connection and not yet flushed to its socket. Past it, as past
         * {@link #maxPendingMessages()}: telemetry is conflated, anything else closes the connection with 4009. A single
         * message larger than this still goes out to a connection with nothing pending.
         */
        @WithDefault("1048576")
        long maxPendingBytes();

        /**
         * Least time between two write runs of an event loop. Messages that arrive within it reach each connection in
         * one socket write: the cost of a stream of events per connection falls with the number of events per write,
         * for at most this much added delay. A message after a quiet spell goes out at once. 0: every message is
         * written as soon as its loop gets to it.
         */
        @WithDefault("50ms")
        Duration flushInterval();

        /**
         * Kernel send buffer of each client socket, in bytes (the kernel doubles it for its bookkeeping). Bounds what a
         * slow reader can have queued outside Pulse's sight, so that it meets {@link #maxPendingBytes()} soon. It also
         * bounds one connection's throughput to about this much per round trip. 0: the kernel's own, growing up to
         * {@code net.ipv4.tcp_wmem}'s maximum.
         */
        @WithDefault("0")
        int socketSendBuffer();
    }

    interface Sources {
        /** Longest wait between retries of a source that does not answer (doubling from the poll interval). */
        @WithDefault("30s")
        Duration maxBackoff();

        /**
         * A poller that has not finished a run (a cycle, or a run skipped for back-off) for this long is stuck:
         * readiness reports DOWN. Keep it well above the poll intervals and the InfluxDB request timeout.
         */
        @WithDefault("60s")
        Duration staleAfter();
    }

    interface Shutdown {
        /** Longest reconnect delay hinted to clients at shutdown; each client gets a random delay up to this. */
        @WithDefault("10s")
        Duration reconnectJitter();

        /** Longest wait for clients to answer the 1001 close frames before the server stops anyway. */
        @WithDefault("5s")
        Duration closeTimeout();
    }

    interface Cluster {
        /**
         * Relay broadcast events to the other replicas and push alert changes at once, both through PostgreSQL
         * LISTEN/NOTIFY. Off: each replica serves only the events published to it, and alerts wait for the poll.
         */
        @WithDefault("true")
        boolean enabled();

        /**
         * Key for the HMAC that signs what replicas relay to each other (events, poll results, references to stored
         * ones: any database role can NOTIFY and LISTEN), and from which the key that encrypts poll results is
         * derived. The same on every replica, at least 32 bytes. Required in the prod profile while the relay is
         * enabled; the dev and test profiles set a fixed one.
         */
        Optional<String> secret();

        /**
         * Relayed events older than this (by the sender's clock) are rejected, and so are those dated further than
         * this in the future. Keep the replicas' clocks in sync (NTP) well within it.
         */
        @WithDefault("30s")
        Duration maxAge();

        /**
         * Ids of relayed events remembered to reject replays. Ids are kept for {@link #maxAge()} (older events are
         * rejected as stale anyway); at this many the oldest are forgotten first.
         */
        @WithDefault("100000")
        int replayCacheSize();

        /**
         * One telemetry and one alert read per tenant per interval across all replicas: the live replicas (as
         * PostgreSQL lists them) share the tenants out, and each tenant's owner relays what it read to the others.
         * Off, or while PostgreSQL cannot be asked: every replica reads the tenants its own clients watch. Needs
         * {@code pulse.cluster.enabled}.
         */
        @WithDefault("true")
        boolean sharedPolling();
    }

    interface Http {
        /**
         * Longest time a client may take to send a whole request body. A request whose body has not arrived by then
         * is answered 408 and its connection closed, so slow senders cannot hold connections or buffers.
         */
        @WithDefault("10s")
        Duration bodyTimeout();
    }

    interface WarmUp {
        /**
         * Connections a starting replica opens to itself over loopback before it reports ready, each subscribing to a
         * device and to the alerts, plus as many token checks. A fresh JVM runs the connect path
         * interpreted and compiles it as it goes, so the first thousand clients cost about three times what later ones
         * do; warmed up, the replica meets a reconnect storm at full speed. 0: no warm-up (readiness does not wait).
         */
        @WithDefault("1000")
        int connections();

        /** Longest the warm-up may delay readiness; past it the replica reports ready, warmed up or not. */
        @WithDefault("30s")
        Duration timeout();
    }

    interface Demo {
        /** Simulate a fleet: telemetry to InfluxDB every second, alerts in PostgreSQL, a few events. */
        @WithDefault("false")
        boolean enabled();

        /** The tenant the simulated devices belong to. */
        @WithDefault("demo")
        String tenant();

        /** How many devices ({@code dev-01}, {@code dev-02}, ...). */
        @WithDefault("20")
        int devices();

        /** An InfluxDB user that may write (Pulse's own user only reads). Unset: {@code pulse.influx.username}. */
        Optional<String> influxUsername();

        /** Password for {@link #influxUsername()}. */
        Optional<String> influxPassword();

        /** A PostgreSQL role that may write alerts (Pulse's own role only reads). Unset: the datasource's. */
        Optional<String> databaseUsername();

        /** Password for {@link #databaseUsername()}. */
        Optional<String> databasePassword();
    }
}
