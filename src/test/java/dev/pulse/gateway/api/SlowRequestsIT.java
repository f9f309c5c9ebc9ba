package dev.pulse.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * Slow and oversized request bodies against the packaged application: more never-finishing {@code POST /ws/broadcast}
 * bodies than the worker pool has threads, half without a token and half with a valid publisher token, while a client
 * connects, subscribes and receives telemetry and a service's broadcast is accepted, each within 2 s. The anonymous
 * requests are answered 401 before their bodies arrive; the authenticated ones are cut off with 408 at the body
 * deadline; declared or streamed bodies over 64 KiB get 413.
 */
class SlowRequestsIT {

    private static final int WORKER_THREADS = 8;
    private static final int SLOW_REQUESTS_EACH = 12;
    private static final Duration BODY_TIMEOUT = Duration.ofSeconds(6);
    private static final Duration SERVED_WITHIN = Duration.ofSeconds(2);

    @Test
    void slowBodiesHoldNoWorkerThreadsAndAreCutOffAtTheDeadline() throws Exception {
        try (PackagedPulse pulse = PackagedPulse.startPackaged("slow-requests-it", Map.of(
                "QUARKUS_THREAD_POOL_MAX_THREADS", Integer.toString(WORKER_THREADS),
                "PULSE_HTTP_BODY_TIMEOUT", BODY_TIMEOUT.toSeconds() + "s",
                "PULSE_TELEMETRY_POLL_INTERVAL", "1s"))) {
            String tenant = Tokens.newTenant();
            String publisher = Tokens.sign(Tokens.claims(tenant, "service"));
            Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=pump-1 temperature=21.5 "
                    + Stack.nanos(Instant.now()));

            List<Socket> anonymous = new ArrayList<>();
            List<Socket> authenticated = new ArrayList<>();
            try {
                for (int i = 0; i < SLOW_REQUESTS_EACH; i++) {
                    anonymous.add(slowPost(pulse.port(), null, 60_000));
                    authenticated.add(slowPost(pulse.port(), publisher, 60_000));
                }
                // Refused before a byte of the body was read; path variants the REST layer would route too.
                for (String variant : new String[] { "/ws/broadcast;x=1", "/ws/broadcast/" }) {
                    anonymous.add(slowPost(pulse.port(), variant, null, 60_000));
                }
                for (Socket socket : anonymous) {
                    assertThat(statusLine(socket, SERVED_WITHIN)).startsWith("HTTP/1.1 401");
                }

                long started = System.nanoTime();
                try (WsClient client = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant)))) {
                    client.send(Frames.subscribeDevice("pump-1"));
                    client.await(m -> "telemetry".equals(m.path("type").asText()), SERVED_WITHIN);
                    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(SERVED_WITHIN);
                }
                started = System.nanoTime();
                assertThat(pulse.post("/ws/broadcast", publisher, "{\"event_type\":\"ping_all\"}")).isEqualTo(202);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(SERVED_WITHIN);

                // The authenticated bodies never complete: cut off at the deadline, not kept forever.
                for (Socket socket : authenticated) {
                    assertThat(statusLine(socket, BODY_TIMEOUT.plusSeconds(5))).startsWith("HTTP/1.1 408");
                }
            } finally {
                for (Socket socket : anonymous) {
                    socket.close();
                }
                for (Socket socket : authenticated) {
                    socket.close();
                }
            }

            // Too large: a declared length over the limit is refused before the body is read, a streamed one when it
            // crosses the limit.
            try (Socket declared = slowPost(pulse.port(), publisher, 70_000)) {
                assertThat(statusLine(declared, SERVED_WITHIN)).startsWith("HTTP/1.1 413");
            }
            try (Socket chunked = new Socket("127.0.0.1", pulse.port())) {
                OutputStream out = chunked.getOutputStream();
                out.write(("POST /ws/broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Authorization: Bearer " + publisher + "\r\nTransfer-Encoding: chunked\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = "x".repeat(8192).getBytes(StandardCharsets.US_ASCII);
                try {
                    for (int i = 0; i < 10; i++) {
                        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(chunk);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException closedByServer) {
                    // The server may close as soon as the limit is crossed; its answer is still to be read.
                }
                assertThat(statusLine(chunked, SERVED_WITHIN)).startsWith("HTTP/1.1 413");
            }
            // Small requests still work on the same replica.
            assertThat(pulse.post("/ws/broadcast", publisher, "{\"event_type\":\"after\"}")).isEqualTo(202);
        }
    }

    /** Sends the headers of a POST that declares {@code length} body bytes, then one byte of it, then nothing. */
    private static Socket slowPost(int port, String token, int length) throws IOException {
        return slowPost(port, "/ws/broadcast", token, length);
    }

    private static Socket slowPost(int port, String path, String token, int length) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        StringBuilder request = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .append("Content-Type: application/json\r\nContent-Length: ").append(length).append("\r\n");
        if (token != null) {
            request.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        request.append("\r\n{");
        socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    /** The status line of the response on {@code socket}, waiting at most {@code timeout}. */
    private static String statusLine(Socket socket, Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                line.write(b);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer within " + timeout);
        }
        return line.toString(StandardCharsets.US_ASCII).trim();
    }
}
