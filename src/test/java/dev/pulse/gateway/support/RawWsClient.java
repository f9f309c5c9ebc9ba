package dev.pulse.gateway.support;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * A WebSocket client on a plain socket, for what a well-behaved client library will not do: never read (a slow
 * consumer), never answer pings (a vanished peer), send invalid UTF-8, or send any Origin header.
 */
public final class RawWsClient implements AutoCloseable {

    /** A frame from the server. For a close frame, {@code code} is its status code. */
    public record Frame(int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        public int code() {
            return opcode == 8 && payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final int status;
    private boolean connectedSeen;

    private RawWsClient(Socket socket, int status) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.status = status;
    }

    /** Opens {@code pathAndQuery} on the test port; {@code receiveBuffer} > 0 shrinks the socket's receive buffer. */
    public static RawWsClient open(String pathAndQuery, Map<String, String> headers, int receiveBuffer) {
        return open(Endpoints.port(), pathAndQuery, headers, receiveBuffer);
    }

    /** Opens {@code pathAndQuery} on {@code port} (a packaged application's). */
    public static RawWsClient open(int port, String pathAndQuery, Map<String, String> headers, int receiveBuffer) {
        try {
            Socket socket = new Socket();
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer);
            }
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(10_000);
            StringBuilder request = new StringBuilder("GET ").append(pathAndQuery).append(" HTTP/1.1\r\n")
                    .append("Host: localhost:").append(port).append("\r\n")
                    .append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
                    .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(bytes(16))).append("\r\n");
            headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
            request.append("\r\n");
            socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
            String response = readHeaders(socket.getInputStream());
            int status = Integer.parseInt(response.split(" ", 3)[1]);
            return new RawWsClient(socket, status);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static RawWsClient open(String pathAndQuery) {
        return open(pathAndQuery, Map.of(), 0);
    }

    /** The HTTP status of the upgrade: 101 when the WebSocket is open. */
    public int status() {
        return status;
    }

    public void sendText(String text) {
        sendFrame(1, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends one masked frame with any opcode and payload, valid or not. */
    public void sendFrame(int opcode, byte[] payload) {
        sendFrameRaw(true, opcode, payload);
    }

    /** Sends one masked frame; {@code fin=false} starts or continues a fragmented message. */
    public void sendFrameRaw(boolean fin, int opcode, byte[] payload) {
        try {
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            frame.write((fin ? 0x80 : 0) | opcode);
            if (payload.length < 126) {
                frame.write(0x80 | payload.length);
            } else if (payload.length < 65536) {
                frame.write(0x80 | 126);
                frame.write(payload.length >>> 8);
                frame.write(payload.length & 0xff);
            } else {
                frame.write(0x80 | 127);
                for (int shift = 56; shift >= 0; shift -= 8) {
                    frame.write((int) ((long) payload.length >>> shift) & 0xff);
                }
            }
            byte[] mask = bytes(4);
            frame.write(mask);
            for (int i = 0; i < payload.length; i++) {
                frame.write(payload[i] ^ mask[i % 4]);
            }
            out.write(frame.toByteArray());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sends only the start of a masked frame that declares {@code declaredLength} payload bytes, and {@code sent} of
     * them: what a client does that makes the server wait for (and buffer) the rest.
     */
    public void sendFrameStart(int opcode, long declaredLength, int sent) {
        try {
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            frame.write(0x80 | opcode);
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) (declaredLength >>> shift) & 0xff);
            }
            frame.write(bytes(4));
            frame.write(new byte[sent]);
            out.write(frame.toByteArray());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends a close frame with this code (any code, defined or not) and no reason. */
    public void sendClose(int code) {
        sendFrame(8, new byte[] { (byte) (code >>> 8), (byte) code });
    }

    /**
     * The next frame, or null when the server closed the TCP connection. Fails after {@code timeout}. The
     * {@code connected} event every connection opens with is passed over, as {@link WsClient} does.
     */
    public Frame readFrame(Duration timeout) {
        Frame frame = readAnyFrame(timeout);
        // Every text message from Pulse must match the protocol contract (asyncapi.yaml), here as in WsClient.
        if (frame != null && frame.opcode() == 1) {
            java.util.List<String> violations = Contract.serverMessageViolations(frame.text());
            if (!violations.isEmpty()) {
                throw new AssertionError("A message that does not match asyncapi.yaml: " + frame.text() + " -> "
                        + violations);
            }
        }
        if (!connectedSeen && frame != null && frame.opcode() == 1
                && frame.text().contains("\"event_type\":\"connected\"")) {
            connectedSeen = true;
            return readAnyFrame(timeout);
        }
        return frame;
    }

    private Frame readAnyFrame(Duration timeout) {
        try {
            socket.setSoTimeout((int) timeout.toMillis());
            int first = in.read();
            if (first < 0) {
                return null;
            }
            int second = readByte();
            long length = second & 0x7f;
            if (length == 126) {
                length = (readByte() << 8) | readByte();
            } else if (length == 127) {
                length = 0;
                for (int i = 0; i < 8; i++) {
                    length = (length << 8) | readByte();
                }
            }
            byte[] payload = in.readNBytes((int) length);
            if (payload.length != length) {
                return null;
            }
            return new Frame(first & 0x0f, payload);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("No frame within " + timeout);
        } catch (EOFException e) {
            return null;
        } catch (IOException e) {
            return null; // reset by the server: the connection is gone
        }
    }

    /** Reads until a close frame (returns its code) or the end of the connection (returns -1). */
    public int awaitClose(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("Not closed within " + timeout);
            }
            Frame frame = readFrame(Duration.ofNanos(left));
            if (frame == null) {
                return -1;
            }
            if (frame.opcode() == 8) {
                return frame.code();
            }
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a test socket
        }
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException();
        }
        return b;
    }

    private static String readHeaders(InputStream in) throws IOException {
        ByteArrayOutputStream headers = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            headers.write(b);
            matched = (b == '\r' || b == '\n') && (matched % 2 == 0) == (b == '\r') ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return headers.toString(StandardCharsets.US_ASCII);
    }

    private static byte[] bytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
