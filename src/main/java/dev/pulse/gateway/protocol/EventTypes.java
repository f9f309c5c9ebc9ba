package dev.pulse.gateway.protocol;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Event types. The catalogue of the event-system design (21 types: connection, agent, task, coordination and system
 * events) is known by name; any other type is accepted when it matches {@link #PATTERN}: 1 to 64 characters, a
 * lowercase letter first, then lowercase letters, digits and {@code _ . -}.
 */
public final class EventTypes {

    public static final String CONNECTED = "connected";
    public static final String DISCONNECTED = "disconnected";
    public static final String ERROR = "error";
    public static final String AGENT_CREATED = "agent_created";
    public static final String AGENT_UPDATED = "agent_updated";
    public static final String AGENT_DELETED = "agent_deleted";
    public static final String AGENT_STATUS_CHANGED = "agent_status_changed";
    public static final String AGENT_ACTION = "agent_action";
    public static final String TASK_CREATED = "task_created";
    public static final String TASK_ASSIGNED = "task_assigned";
    public static final String TASK_STARTED = "task_started";
    public static final String TASK_COMPLETED = "task_completed";
    public static final String TASK_FAILED = "task_failed";
    public static final String TASK_CANCELLED = "task_cancelled";
    public static final String ELECTION_TRIGGERED = "election_triggered";
    public static final String LEADER_ELECTED = "leader_elected";
    public static final String CONSENSUS_PROPOSED = "consensus_proposed";
    public static final String CONSENSUS_DECIDED = "consensus_decided";
    public static final String HEALTH_CHANGED = "health_changed";
    public static final String METRICS_UPDATED = "metrics_updated";
    public static final String ALERT_TRIGGERED = "alert_triggered";

    /** Presence: a connection joined or left a room. Sent only to members whose filter names the type. */
    public static final String MEMBER_JOINED = "member_joined";
    public static final String MEMBER_LEFT = "member_left";
    public static final Set<String> PRESENCE = Set.of(MEMBER_JOINED, MEMBER_LEFT);

    /** The catalogue, in the order the design lists it. */
    public static final List<String> CATALOGUE = List.of(CONNECTED, DISCONNECTED, ERROR, AGENT_CREATED, AGENT_UPDATED,
            AGENT_DELETED, AGENT_STATUS_CHANGED, AGENT_ACTION, TASK_CREATED, TASK_ASSIGNED, TASK_STARTED,
            TASK_COMPLETED, TASK_FAILED, TASK_CANCELLED, ELECTION_TRIGGERED, LEADER_ELECTED, CONSENSUS_PROPOSED,
            CONSENSUS_DECIDED, HEALTH_CHANGED, METRICS_UPDATED, ALERT_TRIGGERED);

    private static final Set<String> KNOWN = Set.copyOf(CATALOGUE);

    /** What any event type, known or not, must look like. */
    public static final Pattern PATTERN = Pattern.compile("[a-z][a-z0-9_.-]{0,63}");

    /** Most event types one subscribe or unsubscribe may name. */
    public static final int MAX_PER_REQUEST = 100;

    private EventTypes() {
    }

    public static boolean isValid(String type) {
        return type != null && (KNOWN.contains(type) || PATTERN.matcher(type).matches());
    }

    public static boolean isCatalogued(String type) {
        return KNOWN.contains(type);
    }
}
