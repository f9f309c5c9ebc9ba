package dev.pulse.gateway.websocket;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.lifecycle.Admission;

/**
 * Holds the frames a client sends while its token is still being verified. {@code @OnOpen} runs on a worker thread
 * while the connection's frames arrive on its event loop (the endpoints' inbound processing is {@code CONCURRENT}), so
 * a client that subscribes right after connecting can have its frame handled before the connection is registered.
 * Those frames, text or binary, wait here and are replayed, in order, once the connection is registered; nothing a
 * client sends is dropped for arriving early.
 */
@ApplicationScoped
public class OpeningConnections {

    /**
     * Characters the frames of one connection may hold together before authentication completes: a page load of
     * single subscribes fits (about 70 characters each), a pile of full-size messages does not. Without a bound in
     * size an unauthenticated client could make the server hold megabytes while its token is checked.
     */
    static final int MAX_EARLY_CHARS = 128 * 1024;

    /**
     * Frames one connection may send before authentication completes: the subscription burst (a page that subscribes
     * to every device it may watch as soon as the socket opens); past that the connection is abusive.
     */
    private final int maxEarlyFrames;

    @Inject
    public OpeningConnections(PulseConfig config) {
        this(Admission.subscriptionBurst(config));
    }

    OpeningConnections(int maxEarlyFrames) {
        this.maxEarlyFrames = maxEarlyFrames;
    }

    /** Frames held at most per opening connection. */
    int maxEarlyFrames() {
        return maxEarlyFrames;
    }

    /** A frame held while its connection opens: a text frame, or a binary one (whose content is never read). */
    record EarlyFrame(String text) {

        static final EarlyFrame BINARY = new EarlyFrame(null);

        boolean binary() {
            return text == null;
        }

        int chars() {
            return text == null ? 0 : text.length();
        }
    }

    private static final class Pending {
        final List<EarlyFrame> frames = new ArrayList<>();
        long chars;
        boolean settled;
        boolean overflowed;
        /** The clean-up of a connection that closed before it settled, run once it has. */
        Runnable deferredClose;

        /** Settles the connection (caller holds the lock); returns its deferred clean-up, if any, to run unlocked. */
        Runnable settleLocked() {
            settled = true;
            frames.clear();
            Runnable cleanUp = deferredClose;
            deferredClose = null;
            return cleanUp;
        }
    }

    /** What happened to a frame offered while the connection may still be opening. */
    enum Offer {
        /** Held; it will be replayed after registration. */
        HELD,
        /** The connection is settled (or was never opening): handle the frame now. */
        HANDLE_NOW,
        /** Too many early frames: the connection must be closed. */
        OVERFLOW
    }

    private final Map<String, Pending> opening = new ConcurrentHashMap<>();

    /** Marks a connection as opening. Called first thing in {@code @OnOpen}. */
    void begin(String connectionId) {
        opening.computeIfAbsent(connectionId, id -> new Pending());
    }

    /**
     * Offers a frame of a connection that has no session yet or is still replaying. Creates the opening state when the
     * frame beat {@code @OnOpen} itself.
     *
     * @param registered whether the connection has its session now: a frame whose caller looked for the session just
     *        before the connection registered and settled finds no opening state left; the state it would create
     *        would never be replayed, so the frame is handled now instead (after everything the replay handled)
     */
    Offer offer(String connectionId, EarlyFrame frame, BooleanSupplier registered) {
        boolean[] created = new boolean[1];
        Pending pending = opening.computeIfAbsent(connectionId, id -> {
            created[0] = true;
            return new Pending();
        });
        if (created[0] && registered.getAsBoolean()) {
            opening.remove(connectionId, pending);
            return Offer.HANDLE_NOW;
        }
        synchronized (pending) {
            if (pending.settled) {
                return Offer.HANDLE_NOW;
            }
            if (pending.frames.size() >= maxEarlyFrames || pending.chars + frame.chars() > MAX_EARLY_CHARS) {
                pending.overflowed = true;
                return Offer.OVERFLOW;
            }
            pending.frames.add(frame);
            pending.chars += frame.chars();
            return Offer.HELD;
        }
    }

    /** Whether a frame of this connection must go through {@link #offer} to keep its order. */
    boolean isOpening(String connectionId) {
        return opening.containsKey(connectionId);
    }

    /**
     * Replays the held frames in order, then settles the connection so later frames are handled directly. Frames that
     * arrive during the replay are replayed too. Returns false when the client overflowed the early-frame bound.
     */
    boolean settle(String connectionId, Consumer<EarlyFrame> handler) {
        Pending pending = opening.get(connectionId);
        if (pending == null) {
            return true;
        }
        Runnable deferredClose;
        boolean overflowed;
        while (true) {
            List<EarlyFrame> batch;
            synchronized (pending) {
                overflowed = pending.overflowed;
                if (overflowed || pending.frames.isEmpty()) {
                    // Settled under the same lock that found nothing left, so no frame slips in between.
                    deferredClose = pending.settleLocked();
                    if (!overflowed) {
                        // An overflowed one stays until the connection's close forgets it.
                        opening.remove(connectionId, pending);
                    }
                    break;
                }
                batch = new ArrayList<>(pending.frames);
                pending.frames.clear();
                pending.chars = 0;
            }
            batch.forEach(handler);
        }
        runIfAny(deferredClose);
        return !overflowed;
    }

    /**
     * Defers the clean-up of a connection that closed while its {@code @OnOpen} still runs (verifying the token,
     * replaying its early frames, joining its initial room): it runs when the connection settles or is forgotten, so
     * it never overlaps the opening. Returns false, and defers nothing, when the connection is not opening.
     */
    boolean deferClose(String connectionId, Runnable cleanUp) {
        Pending pending = opening.get(connectionId);
        if (pending == null) {
            return false;
        }
        synchronized (pending) {
            if (pending.settled) {
                return false;
            }
            pending.deferredClose = cleanUp;
            return true;
        }
    }

    /** Forgets a connection that ended or was rejected, running its deferred clean-up if it closed meanwhile. */
    void forget(String connectionId) {
        Pending pending = opening.remove(connectionId);
        if (pending == null) {
            return;
        }
        Runnable deferredClose;
        synchronized (pending) {
            deferredClose = pending.settleLocked();
        }
        runIfAny(deferredClose);
    }

    private static void runIfAny(Runnable action) {
        if (action != null) {
            action.run();
        }
    }

    /** Connections whose opening state is held; zero when nothing leaks. */
    public int size() {
        return opening.size();
    }
}
