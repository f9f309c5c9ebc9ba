package dev.pulse.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.websocket.OpeningConnections.EarlyFrame;

class OpeningConnectionsTest {

    private static final BooleanSupplier NOT_REGISTERED = () -> false;

    private final OpeningConnections opening = new OpeningConnections(32);

    @Test
    void framesThatBeatRegistrationAreReplayedInOrderThenHandledDirectly() {
        assertThat(opening.offer("c1", new EarlyFrame("a"), NOT_REGISTERED)).isEqualTo(OpeningConnections.Offer.HELD);
        opening.begin("c1");
        assertThat(opening.offer("c1", new EarlyFrame("b"), NOT_REGISTERED)).isEqualTo(OpeningConnections.Offer.HELD);
        assertThat(opening.offer("c1", EarlyFrame.BINARY, NOT_REGISTERED)).isEqualTo(OpeningConnections.Offer.HELD);
        List<String> handled = new ArrayList<>();
        assertThat(opening.settle("c1", frame -> {
            handled.add(frame.binary() ? "(binary)" : frame.text());
            if ("a".equals(frame.text())) {
                // A frame arriving during the replay is replayed after the ones before it.
                assertThat(opening.offer("c1", new EarlyFrame("c"), () -> true))
                        .isEqualTo(OpeningConnections.Offer.HELD);
            }
        })).isTrue();
        assertThat(handled).containsExactly("a", "b", "(binary)", "c");
        assertThat(opening.isOpening("c1")).isFalse();
        assertThat(opening.size()).isZero();
    }

    @Test
    void aFrameOfferedAfterTheConnectionSettledIsHandledNowNotHeldForever() {
        // The frame's caller looked for the session just before registration; by the time it offers the frame, the
        // connection has registered and its (empty) replay has finished.
        opening.begin("c4");
        assertThat(opening.settle("c4", frame -> { })).isTrue();
        assertThat(opening.offer("c4", new EarlyFrame("late"), () -> true))
                .isEqualTo(OpeningConnections.Offer.HANDLE_NOW);
        assertThat(opening.isOpening("c4")).isFalse();
        assertThat(opening.size()).isZero();
    }

    @Test
    void aCloseDuringTheOpeningIsCleanedUpAfterTheReplayNeverDuringIt() {
        List<String> events = new ArrayList<>();
        opening.begin("c5");
        assertThat(opening.offer("c5", new EarlyFrame("subscribe"), NOT_REGISTERED))
                .isEqualTo(OpeningConnections.Offer.HELD);
        assertThat(opening.deferClose("c5", () -> events.add("clean-up"))).isTrue();
        assertThat(events).isEmpty();
        assertThat(opening.settle("c5", frame -> events.add(frame.text()))).isTrue();
        assertThat(events).containsExactly("subscribe", "clean-up");
        assertThat(opening.size()).isZero();
        // Once settled, a close is cleaned up at once by its caller.
        assertThat(opening.deferClose("c5", () -> events.add("again"))).isFalse();
    }

    @Test
    void aCloseDuringAnOpeningThatFailsIsCleanedUpWhenTheConnectionIsForgotten() {
        List<String> events = new ArrayList<>();
        opening.begin("c6");
        assertThat(opening.deferClose("c6", () -> events.add("clean-up"))).isTrue();
        opening.forget("c6");
        assertThat(events).containsExactly("clean-up");
        assertThat(opening.deferClose("c7", () -> events.add("never opening"))).isFalse();
        assertThat(events).containsExactly("clean-up");
    }

    @Test
    void tooManyEarlyFramesOverflow() {
        opening.begin("c2");
        for (int i = 0; i < opening.maxEarlyFrames(); i++) {
            assertThat(opening.offer("c2", new EarlyFrame("f" + i), NOT_REGISTERED))
                    .isEqualTo(OpeningConnections.Offer.HELD);
        }
        assertThat(opening.offer("c2", new EarlyFrame("one too many"), NOT_REGISTERED))
                .isEqualTo(OpeningConnections.Offer.OVERFLOW);
        assertThat(opening.settle("c2", frame -> { })).isFalse();
        opening.forget("c2");
        assertThat(opening.size()).isZero();
    }

    @Test
    void earlyFramesAreBoundedInSizeToo() {
        opening.begin("c3");
        String big = "x".repeat(OpeningConnections.MAX_EARLY_CHARS / 2);
        assertThat(opening.offer("c3", new EarlyFrame(big), NOT_REGISTERED)).isEqualTo(OpeningConnections.Offer.HELD);
        assertThat(opening.offer("c3", new EarlyFrame(big), NOT_REGISTERED)).isEqualTo(OpeningConnections.Offer.HELD);
        assertThat(opening.offer("c3", new EarlyFrame("x"), NOT_REGISTERED))
                .isEqualTo(OpeningConnections.Offer.OVERFLOW);
        opening.forget("c3");
    }
}
