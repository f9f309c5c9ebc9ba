package dev.pulse.gateway.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.security.GatewayPrincipal;
import dev.pulse.gateway.session.GatewaySession;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;

/**
 * The registry's limits and indexes as pure logic, without Quarkus or sockets: connections stand in as plain
 * interface implementations that know their id and carry user data, which is all the registry asks of them.
 */
class RegistryIndexesTest {

    private final TenantIndexes indexes = new TenantIndexes();
    private final Watchers watchers = new Watchers(indexes);
    private final ConnectionRegistry registry = new ConnectionRegistry(indexes);
    private final RegistryStatistics statistics = new RegistryStatistics(indexes);

    @Test
    void theTenantAndSubjectCapsAreTakenAtomicallyAndFreedOnUnregister() throws Exception {
        GatewaySession first = register("c1", "t", "alice", 2, 0);
        register("c2", "t", "bob", 2, 0);
        assertThatThrownBy(() -> register("c3", "t", "carol", 2, 0)).isInstanceOf(ConnectionRegistry.LimitReached.class)
                .satisfies(e -> assertThat(((ConnectionRegistry.LimitReached) e).refusal())
                        .isEqualTo(ConnectionRegistry.Refusal.TENANT_LIMIT));
        register("c4", "other", "alice", 2, 0);
        registry.unregister(first);
        register("c5", "t", "carol", 2, 0);

        register("s1", "u", "dave", 0, 1);
        assertThatThrownBy(() -> register("s2", "u", "dave", 0, 1))
                .satisfies(e -> assertThat(((ConnectionRegistry.LimitReached) e).refusal())
                        .isEqualTo(ConnectionRegistry.Refusal.SUBJECT_LIMIT));
        register("s3", "u", "erin", 0, 1);
    }

    @Test
    void aRequestedIdIsUsedOnlyWhenFree() throws Exception {
        WebSocketConnection a = connection("a");
        GatewaySession named = registry.register(a, principal("t", "x"), "ws", Optional.of("mine"), 0, 0);
        GatewaySession taken = registry.register(connection("b"), principal("t", "y"), "ws", Optional.of("mine"), 0, 0);
        assertThat(named.id()).isEqualTo("mine");
        assertThat(taken.id()).isEqualTo("b");
        assertThat(registry.session(a)).containsSame(named);
        assertThat(registry.hasSession("mine")).isTrue();
    }

    @Test
    void oneWatchPerDeviceHoweverManyWatchItAndNothingLeftAfterTheLastLeaves() throws Exception {
        GatewaySession one = register("c1", "t", "a", 0, 0);
        GatewaySession two = register("c2", "t", "b", 0, 0);
        DeviceWatch watch = watchers.subscribeDevice(one, "dev");
        assertThat(watchers.subscribeDevice(one, "dev")).isSameAs(watch);
        assertThat(watchers.subscribeDevice(two, "dev")).isSameAs(watch);
        assertThat(watch.subscriberCount()).isEqualTo(2);
        assertThat(statistics.deviceSubscriptionCount()).isEqualTo(2);
        assertThat(watchers.deviceWatchesByTenant()).containsOnlyKeys("t");

        assertThat(watchers.unsubscribeDevice(one, "dev")).isTrue();
        assertThat(watchers.unsubscribeDevice(one, "dev")).isFalse();
        registry.unregister(two);
        assertThat(watchers.deviceWatch("t", "dev")).isEmpty();
        registry.unregister(one);
        assertThat(registry.tenantCount()).isZero();
        assertThat(registry.connectionCount()).isZero();
        // Lifetime counters outlive the tenant's last connection.
        assertThat(statistics.stats("t").totalConnections()).isEqualTo(2);
        assertThat(statistics.stats("t").totalDisconnections()).isEqualTo(2);
    }

    @Test
    void roomsAndFeedsBelongToOneTenantAndGoWithTheirMembers() throws Exception {
        GatewaySession a = register("a", "t1", "x", 0, 0);
        GatewaySession b = register("b", "t1", "y", 0, 0);
        GatewaySession other = register("o", "t2", "z", 0, 0);
        assertThat(watchers.joinRoom(a, "ops")).isEqualTo(1);
        assertThat(watchers.joinRoom(b, "ops")).isEqualTo(2);
        assertThat(watchers.joinRoom(other, "ops")).isEqualTo(1);
        assertThat(watchers.roomMembers("t1", "ops")).containsExactlyInAnyOrder(a, b);
        assertThat(watchers.roomMembers("t2", "ops")).containsExactly(other);
        assertThat(statistics.roomCount()).isEqualTo(2);

        AlertFeed feed = watchers.subscribeAlerts(a);
        assertThat(watchers.subscribeAlerts(b)).isSameAs(feed);
        assertThat(watchers.alertFeed("t2")).isEmpty();
        watchers.presenceListener(b, true);
        assertThat(watchers.presenceListeners("t1")).containsExactly(b);

        registry.unregister(b);
        assertThat(watchers.roomMembers("t1", "ops")).containsExactly(a);
        assertThat(feed.subscribers()).containsExactly(a);
        assertThat(watchers.presenceListeners("t1")).isEmpty();
        assertThat(watchers.leaveRoom(a, "ops")).isTrue();
        assertThat(statistics.roomCount()).isEqualTo(1);
    }

    @Test
    void aClosedSessionCannotSubscribe() throws Exception {
        GatewaySession session = register("c", "t", "s", 0, 0);
        registry.unregister(session);
        assertThat(watchers.subscribeDevice(session, "dev")).isNull();
        assertThat(watchers.joinRoom(session, "r")).isZero();
        assertThat(watchers.subscribeAlerts(session)).isNull();
    }

    private GatewaySession register(String id, String tenant, String subject, int perTenant, int perSubject)
            throws ConnectionRegistry.LimitReached {
        return registry.register(connection(id), principal(tenant, subject), "ws", Optional.empty(), perTenant,
                perSubject);
    }

    private static GatewayPrincipal principal(String tenant, String subject) {
        return new GatewayPrincipal(tenant, subject, "customer_viewer", Instant.now().plusSeconds(600));
    }

    /** A connection that knows its id and carries user data; nothing else of it is used by the registry. */
    private static WebSocketConnection connection(String id) {
        Map<Object, Object> data = new HashMap<>();
        UserData userData = (UserData) Proxy.newProxyInstance(UserData.class.getClassLoader(),
                new Class<?>[] { UserData.class }, (proxy, method, args) -> switch (method.getName()) {
                    case "get" -> data.get(args[0]);
                    case "put" -> data.put(args[0], args[1]);
                    case "remove" -> data.remove(args[0]);
                    case "size" -> data.size();
                    case "clear" -> {
                        data.clear();
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (WebSocketConnection) Proxy.newProxyInstance(WebSocketConnection.class.getClassLoader(),
                new Class<?>[] { WebSocketConnection.class }, (proxy, method, args) -> switch (method.getName()) {
                    case "id" -> id;
                    case "userData" -> userData;
                    case "isClosed" -> false;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "connection " + id;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
