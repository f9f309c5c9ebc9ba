package dev.pulse.gateway.observability;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import dev.pulse.gateway.registry.ConnectionRegistry;
import io.quarkus.runtime.Startup;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Pulse's own meters, all under {@code pulse_}. Labels are bounded: sources, endpoints, close codes and failure
 * reasons, never devices, tenants or connections. The README's metrics table documents each one. Created at start-up
 * so the gauges are scraped from the first request, before any client connects.
 */
@Startup
@ApplicationScoped
public class GatewayMetrics {

    public static final String INFLUXDB = "influxdb";
    public static final String POSTGRESQL = "postgresql";

    private final MeterRegistry registry;
    private final Counter messagesSent;
    private final Counter sendFailures;

    public GatewayMetrics(MeterRegistry registry, ConnectionRegistry connections) {
        this.registry = registry;
        this.messagesSent = Counter.builder("pulse.messages.sent")
                .description("Messages sent to clients").register(registry);
        this.sendFailures = Counter.builder("pulse.send.failures")
                .description("Messages that could not be written to a connection").register(registry);
        Gauge.builder("pulse.connections.active", connections, ConnectionRegistry::connectionCount)
                .description("Authenticated connections open now").register(registry);
        Gauge.builder("pulse.subscriptions.active", connections, ConnectionRegistry::deviceSubscriptionCount)
                .tag("kind", "device").description("Subscriptions held now, by kind").register(registry);
        Gauge.builder("pulse.subscriptions.active", connections, ConnectionRegistry::alertSubscriptionCount)
                .tag("kind", "alerts").description("Subscriptions held now, by kind").register(registry);
    }

    public void connectionOpened(String endpoint) {
        Counter.builder("pulse.connections.opened").tag("endpoint", endpoint)
                .description("Connections authenticated and registered").register(registry).increment();
    }

    public void connectionClosed(int closeCode) {
        Counter.builder("pulse.connections.closed").tag("code", Integer.toString(closeCode))
                .description("Registered connections that ended, by close code").register(registry).increment();
    }

    public void authFailure(String reason) {
        Counter.builder("pulse.auth.failures").tag("reason", reason)
                .description("Connections rejected at authentication, by reason").register(registry).increment();
    }

    public void messageSent() {
        messagesSent.increment();
    }

    public void sendFailure() {
        sendFailures.increment();
    }

    /** One query sent to a source (one InfluxQL request, one PostgreSQL transaction). */
    public void sourceQuery(String source) {
        Counter.builder("pulse.source.queries").tag("source", source)
                .description("Queries sent to a data source").register(registry).increment();
    }

    /** One completed poll cycle of a source, successful or not. */
    public void pollCycle(String source, Duration duration) {
        Counter.builder("pulse.poll.cycles").tag("source", source)
                .description("Completed poll cycles").register(registry).increment();
        Timer.builder("pulse.poll.duration").tag("source", source)
                .description("Time one poll cycle took").register(registry).record(duration);
    }

    public void pollFailure(String source) {
        Counter.builder("pulse.poll.failures").tag("source", source)
                .description("Source reads that failed").register(registry).increment();
    }
}
