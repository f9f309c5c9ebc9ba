package dev.pulse.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

/**
 * Non-blocking WebSocket clients (Vert.x), thousands from one process. Connections are spread over several loopback
 * source addresses (127.0.0.1, 127.0.0.2, ...), each good for about 28,000 ephemeral ports.
 */
final class Clients {

    /** Receives every text message: the client's index and the text. */
    interface Listener {
        void onText(int client, String text);
    }

    private static final int PER_SOURCE_ADDRESS = 25_000;
    private static final int IN_FLIGHT = 256;

    private final List<WebSocketClient> byAddress = new ArrayList<>();
    private final List<WebSocket> sockets = new ArrayList<>();
    private final java.util.Map<Integer, WebSocket> byIndex = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Listener listener = (client, text) -> { };
    final AtomicInteger closed = new AtomicInteger();

    Clients(Vertx vertx, int count) {
        for (int i = 0; i * PER_SOURCE_ADDRESS < Math.max(1, count); i++) {
            byAddress.add(vertx.createWebSocketClient(new WebSocketClientOptions()
                    .setLocalAddress("127.0.0." + (i + 1)).setMaxFrameSize(1 << 20).setMaxMessageSize(4 << 20)
                    .setConnectTimeout(30_000).setMaxConnections(Integer.MAX_VALUE)));
        }
    }

    void listen(Listener listener) {
        this.listener = listener;
    }

    /** Opens {@code count} connections, at most {@value #IN_FLIGHT} handshakes at a time; {@code path} per client. */
    void connect(int port, int count, IntFunction<String> path, IntFunction<List<String>> firstFrames)
            throws Exception {
        Semaphore permits = new Semaphore(IN_FLIGHT);
        List<CompletableFuture<Void>> all = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            permits.acquire();
            int index = i;
            CompletableFuture<Void> done = new CompletableFuture<>();
            all.add(done);
            byAddress.get(i / PER_SOURCE_ADDRESS).connect(new WebSocketConnectOptions().setHost("127.0.0.1")
                    .setPort(port).setURI(path.apply(i))).onComplete(result -> {
                        permits.release();
                        if (result.failed()) {
                            done.completeExceptionally(result.cause());
                            return;
                        }
                        WebSocket socket = result.result();
                        socket.textMessageHandler(text -> listener.onText(index, text));
                        socket.closeHandler(ignored -> closed.incrementAndGet());
                        synchronized (sockets) {
                            sockets.add(socket);
                        }
                        byIndex.put(index, socket);
                        firstFrames.apply(index).forEach(socket::writeTextMessage);
                        done.complete(null);
                    });
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get();
    }

    /** Closes the clients from index {@code first} on; returns how many it closed. */
    int closeFrom(int first) {
        int closing = 0;
        for (var entry : byIndex.entrySet()) {
            if (entry.getKey() >= first) {
                WebSocket socket = entry.getValue();
                synchronized (sockets) {
                    sockets.remove(socket);
                }
                socket.close();
                closing++;
            }
        }
        byIndex.keySet().removeIf(index -> index >= first);
        return closing;
    }

    void closeAll() {
        byIndex.clear();
        synchronized (sockets) {
            sockets.forEach(socket -> socket.close());
            sockets.clear();
        }
    }
}
