package dev.pulse.gateway.registry;

import dev.pulse.gateway.protocol.OutboundMessage;

/**
 * The open-alert list of one tenant and the connections that want it: a {@link Feed} of the last list read, where a
 * list is new for a subscriber when it differs from the last one that subscriber was sent. So a list goes out once on
 * subscribe and then only when it changed.
 */
public final class AlertFeed extends Feed<OutboundMessage> {

    private static final OutboundMessage NOTHING_SENT = OutboundMessage.of(OutboundMessage.Kind.ALERTS, "");

    AlertFeed(String tenant) {
        super(tenant, NOTHING_SENT);
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
