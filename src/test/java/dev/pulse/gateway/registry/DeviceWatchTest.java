package dev.pulse.gateway.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.security.GatewayPrincipal;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.session.TenantCounters;

/** The per-subscriber watermark: each point reaches each subscriber once, older points never. */
class DeviceWatchTest {

    private final List<String> sent = new ArrayList<>();
    private final BiConsumer<GatewaySession, OutboundMessage> record = (s, m) -> sent.add(s.id() + ":" + m.text());
    private final GatewaySession first = session("first");
    private final GatewaySession second = session("second");

    @Test
    void sendsEachPointOncePerSubscriberAndNeverAnOlderOne() {
        DeviceWatch watch = new DeviceWatch("t", "d");
        watch.add(first);
        DeviceWatch.LatestPoint p1 = point(Instant.ofEpochSecond(10), "p1");
        watch.publish(p1, record);
        watch.publish(p1, record);
        watch.add(second);
        watch.catchUp(second, record);
        watch.catchUp(second, record);
        watch.publish(point(Instant.ofEpochSecond(5), "old"), record);
        watch.publish(point(Instant.ofEpochSecond(20), "p2"), record);

        assertThat(sent).containsExactlyInAnyOrder("first:p1", "second:p1", "first:p2", "second:p2");
        assertThat(watch.latest().message().text()).isEqualTo("p2");
        assertThat(watch.isNewer(Instant.ofEpochSecond(20))).isFalse();
    }

    @Test
    void initialReadIsClaimedOnce() {
        DeviceWatch watch = new DeviceWatch("t", "d");
        assertThat(watch.claimInitialRead()).isTrue();
        assertThat(watch.claimInitialRead()).isFalse();
    }

    private static DeviceWatch.LatestPoint point(Instant time, String text) {
        return new DeviceWatch.LatestPoint(time, OutboundMessage.of(OutboundMessage.Kind.TELEMETRY, text));
    }

    private static GatewaySession session(String id) {
        return new GatewaySession(id, null, new GatewayPrincipal("t", id, "customer_viewer", null), "api_v2",
                Instant.EPOCH, new TenantCounters());
    }
}
