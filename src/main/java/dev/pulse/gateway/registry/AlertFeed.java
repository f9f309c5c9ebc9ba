package dev.pulse.gateway.registry;

import java.time.Instant;

import dev.pulse.gateway.protocol.OutboundMessage;

/**
 * The open-alert list of one tenant and the connections that want it: a {@link Feed} of the last list read, where a
 * list is new for a subscriber when it differs from the last one that subscriber was sent. So a list goes out once on
 * subscribe and then only when it changed.
 */
public final class AlertFeed extends Feed<OutboundMessage> {

    private static final OutboundMessage NOTHING_SENT = OutboundMessage.of(OutboundMessage.Kind.ALERTS, "");

    /** The newest alert change seen in a list of this tenant; null before the first list. */
    private Instant newestChange;

    /** When the list last published was read (PostgreSQL's clock); null before the first. */
    private Instant readAt;

    AlertFeed(String tenant) {
        super(tenant, NOTHING_SENT);
    }

    /**
     * Records the newest change a list just read shows; true when it is newer than any list of this feed showed before,
     * i.e. the list carries an alert raised or updated since (its delay to the clients is worth measuring). False for
     * the first list and for lists that only lost alerts: a closed alert leaves the list with no time of its own.
     */
    public synchronized boolean advanceNewestChange(Instant change) {
        if (change == null) {
            return false;
        }
        boolean advanced = newestChange != null && change.isAfter(newestChange);
        if (newestChange == null || change.isAfter(newestChange)) {
            newestChange = change;
        }
        return advanced;
    }

    /**
     * Publishes a list read at {@code readAt} unless a list read later was published already: reads by two replicas
     * (when ownership moves), or by the poll and an alert notification at once, may finish in either order, and an
     * older list must not bring back an alert that a newer one showed closed. Lists without a read time (from
     * replicas of an earlier version) are published as they come. True when published.
     */
    public synchronized boolean publishRead(OutboundMessage list, Instant readAt,
            java.util.function.BiConsumer<dev.pulse.gateway.session.GatewaySession, OutboundMessage> send) {
        if (readAt != null && this.readAt != null && readAt.isBefore(this.readAt)) {
            return false;
        }
        if (readAt != null) {
            this.readAt = readAt;
        }
        publish(list, send);
        return true;
    }

    @Override
    protected boolean isNewFor(OutboundMessage lastSent, OutboundMessage offered) {
        return !lastSent.text().equals(offered.text());
    }

    /** The list just read replaces the one before: lists carry no time to order them by. */
    @Override
    protected OutboundMessage newest(OutboundMessage current, OutboundMessage offered) {
        return offered;
    }

    @Override
    protected OutboundMessage message(OutboundMessage list) {
        return list;
    }
}
