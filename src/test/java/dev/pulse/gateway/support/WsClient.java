package dev.pulse.gateway.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A real WebSocket client (the JDK's), independent of the server's stack. Records every text message and the close
 * frame the server sends. Waiting is always bounded by a deadline.
 */
public final class WsClient implements AutoCloseable {

    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** The close frame received from the server. */
    public record Close(int code, String reason) {
    }

    private final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    /** Received messages a wait passed over; only the test thread touches it. */
    private final List<JsonNode> backlog = new ArrayList<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    /**
     * The {@code connected} event every connection opens with. Kept apart from the other messages so that tests
     * reading "the next message" after a request get the reply, as before the event existed.
     */
    private final CompletableFuture<JsonNode> connected = new CompletableFuture<>();
    /** Received messages that do not match the protocol contract (asyncapi.yaml); any one fails the test. */
    private final java.util.Queue<String> contractViolations = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final WebSocket socket;

    private WsClient(URI uri, Map<String, String> headers, List<String> subprotocols) {
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(TIMEOUT);
        headers.forEach(builder::header);
        if (!subprotocols.isEmpty()) {
            builder.subprotocols(subprotocols.get(0),
                    subprotocols.subList(1, subprotocols.size()).toArray(String[]::new));
        }
        this.socket = builder.buildAsync(uri, new Listener()).orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
    }

    public static WsClient connect(URI uri) {
        return new WsClient(uri, Map.of(), List.of());
    }

    public static WsClient connect(URI uri, Map<String, String> headers) {
        return new WsClient(uri, headers, List.of());
    }

    /** Connects offering these subprotocols in {@code Sec-WebSocket-Protocol}, in order of preference. */
    public static WsClient connectOffering(URI uri, String... subprotocols) {
        return new WsClient(uri, Map.of(), List.of(subprotocols));
    }

    /** The {@code connected} event the server opened the connection with. */
    public JsonNode connectedEvent() {
        return connected.orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
    }

    /** The subprotocol the server chose, empty if none. */
    public String subprotocol() {
        return socket.getSubprotocol();
    }

    /** Sends a text frame. */
    public WsClient send(String text) {
        socket.sendText(text, true).orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
        return this;
    }

    public WsClient sendBinary(byte[] data) {
        socket.sendBinary(java.nio.ByteBuffer.wrap(data), true).orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
        return this;
    }

    /** The next message, whatever it is. */
    public JsonNode next() {
        return await(message -> true);
    }

    /**
     * Waits for the first message matching {@code condition}. Messages that do not match stay queued, in order, for
     * later waits: pushes of different kinds may arrive in any order.
     */
    public JsonNode await(Predicate<JsonNode> condition) {
        return await(condition, TIMEOUT);
    }

    /** {@link #await(Predicate)} with its own deadline, for pushes that follow something slow (a server restart). */
    public JsonNode await(Predicate<JsonNode> condition, Duration timeout) {
        assertContract();
        for (Iterator<JsonNode> it = backlog.iterator(); it.hasNext();) {
            JsonNode message = it.next();
            if (condition.test(message)) {
                it.remove();
                return message;
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                JsonNode message = left > 0 ? messages.poll(left, TimeUnit.NANOSECONDS) : null;
                if (message == null) {
                    throw new AssertionError("No matching message within " + timeout + "; received instead: "
                            + backlog + (closed.isDone() ? "; closed " + closed.join() : ""));
                }
                if (condition.test(message)) {
                    return message;
                }
                backlog.add(message);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Waits for a message of the given {@code type}. */
    public JsonNode awaitType(String type) {
        return await(message -> type.equals(message.path("type").asText()));
    }

    /**
     * Sends a ping and returns every message that arrived before its pong. A connection's frames are ordered, so
     * anything the server queued for this client before the ping is in the list: the way to prove a push did NOT
     * happen without sleeping.
     */
    public List<JsonNode> everythingBeforePong() {
        send("{\"action\":\"ping\"}");
        List<JsonNode> before = new ArrayList<>();
        await(message -> {
            if ("pong".equals(message.path("type").asText())) {
                return true;
            }
            before.add(message);
            return false;
        });
        return before;
    }

    /** Messages received and not consumed yet, without waiting. */
    public List<JsonNode> drain() {
        List<JsonNode> pending = new ArrayList<>(backlog);
        backlog.clear();
        messages.drainTo(pending);
        return pending;
    }

    /**
     * Sends frames (frame {@code i} from {@code frame}) until the server closes the connection or {@code max} were
     * sent, then waits for the close; returns how many {@code rate_limited} errors arrived before it.
     */
    public int floodUntilClosed(int max, java.util.function.IntConsumer frame) {
        for (int i = 0; i < max && !isClosedByServer(); i++) {
            try {
                frame.accept(i);
            } catch (RuntimeException closed) {
                break;
            }
        }
        awaitClose();
        return (int) drain().stream().filter(m -> "rate_limited".equals(m.path("code").asText())).count();
    }

    /** Waits for the server's close frame. */
    public Close awaitClose() {
        return closed.orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
    }

    public boolean isClosedByServer() {
        return closed.isDone();
    }

    /** Drops the TCP connection without a close handshake, like a phone losing its network. */
    public void abort() {
        socket.abort();
    }

    /** Fails when any message received so far broke the protocol contract. */
    public void assertContract() {
        if (!contractViolations.isEmpty()) {
            throw new AssertionError("Messages that do not match asyncapi.yaml: " + contractViolations);
        }
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                    .exceptionally(failure -> null).join();
        }
        socket.abort();
        assertContract();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    List<String> violations = Contract.serverMessageViolations(partial.toString());
                    if (!violations.isEmpty()) {
                        contractViolations.add(partial + " -> " + violations);
                    }
                } catch (RuntimeException | LinkageError e) {
                    contractViolations.add("the contract could not be read: " + e);
                }
                try {
                    JsonNode message = JSON.readTree(partial.toString());
                    if (!connected.isDone() && "connected".equals(message.path("event_type").asText())
                            && "event".equals(message.path("type").asText())) {
                        connected.complete(message);
                    } else {
                        messages.add(message);
                    }
                } catch (Exception e) {
                    messages.add(JSON.getNodeFactory().textNode("unparseable: " + partial));
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(new Close(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(new Close(-1, String.valueOf(error)));
        }
    }
}
