package dev.pulse.gateway.events;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import dev.pulse.gateway.delivery.FanoutBudget;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.EventTypes;

/**
 * Typed helpers for the event catalogue, as the event-system design's broadcaster offers them. Each publishes to one
 * tenant through {@link EventPublisher}, in the catalogue's room: agent events to {@code agents}, task events to
 * {@code tasks}, elections and consensus to {@code coordination}, health, metrics and alerts to {@code system}.
 * Every helper but {@link #healthChanged} throws {@link FanoutOverloaded} instead of publishing while the replica's
 * (or the tenant's) fan-out is at its bound, as {@code POST /ws/broadcast} answers 429.
 */
@ApplicationScoped
public class EventBroadcaster {

    public static final String AGENTS = "agents";
    public static final String TASKS = "tasks";
    public static final String COORDINATION = "coordination";
    public static final String SYSTEM = "system";

    /** {@code source} of the events published through these helpers. */
    public static final String SOURCE = "pulse";

    private final EventPublisher publisher;
    private final FanoutBudget budget;
    private final GatewayMetrics metrics;

    public EventBroadcaster(EventPublisher publisher, FanoutBudget budget, GatewayMetrics metrics) {
        this.publisher = publisher;
        this.budget = budget;
        this.metrics = metrics;
    }

    /**
     * Publishes unless the replica's fan-out is at its bound ({@link FanoutBudget}: {@code pulse.events.max-queue-delay},
     * {@code max-in-flight}, per tenant {@code max-in-flight-per-tenant}).
     *
     * @throws FanoutOverloaded when it is: the event went to nobody; retry after the delay it names
     */
    private int publish(String tenant, String eventType, Map<String, ?> data, String source, String room) {
        budget.refusal(tenant).ifPresent(retryAfter -> {
            metrics.eventsThrottled("java");
            throw new FanoutOverloaded(tenant, retryAfter);
        });
        return publisher.publish(tenant, eventType, data, source, room);
    }

    public int agentCreated(String tenant, Map<String, ?> agent) {
        return publish(tenant, EventTypes.AGENT_CREATED, agent, SOURCE, AGENTS);
    }

    public int agentUpdated(String tenant, Map<String, ?> agent) {
        return publish(tenant, EventTypes.AGENT_UPDATED, agent, SOURCE, AGENTS);
    }

    public int agentDeleted(String tenant, String agentId) {
        return publish(tenant, EventTypes.AGENT_DELETED, Map.of("agent_id", agentId), SOURCE, AGENTS);
    }

    public int agentStatusChanged(String tenant, String agentId, String oldStatus, String newStatus) {
        return publish(tenant, EventTypes.AGENT_STATUS_CHANGED,
                map("agent_id", agentId, "old_status", oldStatus, "new_status", newStatus), SOURCE, AGENTS);
    }

    public int agentAction(String tenant, String agentId, String action, Map<String, ?> result) {
        return publish(tenant, EventTypes.AGENT_ACTION,
                map("agent_id", agentId, "action", action, "result", result), SOURCE, AGENTS);
    }

    public int taskCreated(String tenant, Map<String, ?> task) {
        return publish(tenant, EventTypes.TASK_CREATED, task, SOURCE, TASKS);
    }

    public int taskStatusChanged(String tenant, String taskId, String oldStatus, String newStatus) {
        return publish(tenant, taskStatusEvent(newStatus),
                map("task_id", taskId, "old_status", oldStatus, "new_status", newStatus), SOURCE, TASKS);
    }

    public int electionTriggered(String tenant) {
        return publish(tenant, EventTypes.ELECTION_TRIGGERED, Map.of(), SOURCE, COORDINATION);
    }

    public int leaderElected(String tenant, String leaderId, long term) {
        return publish(tenant, EventTypes.LEADER_ELECTED, map("leader_id", leaderId, "term", term), SOURCE,
                COORDINATION);
    }

    public int consensusProposed(String tenant, Map<String, ?> proposal) {
        return publish(tenant, EventTypes.CONSENSUS_PROPOSED, proposal, SOURCE, COORDINATION);
    }

    public int consensusDecided(String tenant, String proposalId, String decision, double approvalRate) {
        return publish(tenant, EventTypes.CONSENSUS_DECIDED,
                map("proposal_id", proposalId, "decision", decision, "approval_rate", approvalRate), SOURCE,
                COORDINATION);
    }

    public int healthChanged(String tenant, String status, Map<String, ?> details) {
        // Pulse's own source-health event is never refused: it is rare, and it tells clients why data stopped.
        return publisher.publish(tenant, EventTypes.HEALTH_CHANGED, map("status", status, "details", details), SOURCE,
                SYSTEM);
    }

    public int metricsUpdated(String tenant, Map<String, ?> metrics) {
        return publish(tenant, EventTypes.METRICS_UPDATED, metrics, SOURCE, SYSTEM);
    }

    public int alertTriggered(String tenant, String level, String message, Map<String, ?> details) {
        return publish(tenant, EventTypes.ALERT_TRIGGERED,
                map("level", level, "message", message, "details", details), SOURCE, SYSTEM);
    }

    /** Any event type (catalogued or matching the pattern), to a room or, with a null room, to the whole tenant. */
    public int customEvent(String tenant, String eventType, Map<String, ?> data, String room, String source) {
        return publish(tenant, eventType, data, source == null ? SOURCE : source, room);
    }

    /** The catalogue's task event for a new status; a status the catalogue has no event for: task_status_changed. */
    static String taskStatusEvent(String newStatus) {
        return switch (newStatus == null ? "" : newStatus.toLowerCase()) {
            case "assigned" -> EventTypes.TASK_ASSIGNED;
            case "started", "running", "in_progress" -> EventTypes.TASK_STARTED;
            case "completed", "done", "succeeded" -> EventTypes.TASK_COMPLETED;
            case "failed", "error" -> EventTypes.TASK_FAILED;
            case "cancelled", "canceled" -> EventTypes.TASK_CANCELLED;
            default -> "task_status_changed";
        };
    }

    /** A map that keeps its order and allows null values (Map.of does neither). */
    private static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
