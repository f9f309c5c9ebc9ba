package dev.pulse.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class OpeningConnectionsTest {

    private final OpeningConnections opening = new OpeningConnections(32);

    @Test
    void framesThatBeatRegistrationAreReplayedInOrderThenHandledDirectly() {
        assertThat(opening.offer("c1", "a")).isEqualTo(OpeningConnections.Offer.HELD);
        opening.begin("c1");
        assertThat(opening.offer("c1", "b")).isEqualTo(OpeningConnections.Offer.HELD);
        List<String> handled = new ArrayList<>();
        assertThat(opening.settle("c1", frame -> {
            handled.add(frame);
            if (frame.equals("a")) {
                // A frame arriving during the replay is replayed after the ones before it.
                assertThat(opening.offer("c1", "c")).isEqualTo(OpeningConnections.Offer.HELD);
            }
        })).isTrue();
        assertThat(handled).containsExactly("a", "b", "c");
        assertThat(opening.isOpening("c1")).isFalse();
        assertThat(opening.size()).isZero();
    }

    @Test
    void tooManyEarlyFramesOverflow() {
        opening.begin("c2");
        for (int i = 0; i < opening.maxEarlyFrames(); i++) {
            assertThat(opening.offer("c2", "f" + i)).isEqualTo(OpeningConnections.Offer.HELD);
        }
        assertThat(opening.offer("c2", "one too many")).isEqualTo(OpeningConnections.Offer.OVERFLOW);
        assertThat(opening.settle("c2", frame -> { })).isFalse();
        opening.forget("c2");
        assertThat(opening.size()).isZero();
    }

    @Test
    void earlyFramesAreBoundedInSizeToo() {
        opening.begin("c3");
        String big = "x".repeat(OpeningConnections.MAX_EARLY_CHARS / 2);
        assertThat(opening.offer("c3", big)).isEqualTo(OpeningConnections.Offer.HELD);
        assertThat(opening.offer("c3", big)).isEqualTo(OpeningConnections.Offer.HELD);
        assertThat(opening.offer("c3", "x")).isEqualTo(OpeningConnections.Offer.OVERFLOW);
        opening.forget("c3");
    }
}
