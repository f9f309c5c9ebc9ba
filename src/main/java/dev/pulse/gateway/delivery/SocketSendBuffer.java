package dev.pulse.gateway.delivery;

import jakarta.enterprise.context.ApplicationScoped;

import dev.pulse.gateway.config.PulseConfig;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;

/**
 * Caps the kernel's send buffer of every client socket at {@code pulse.delivery.socket-send-buffer}.
 *
 * <p>Why: left alone, Linux grows a socket's send buffer up to {@code net.ipv4.tcp_wmem}'s maximum (4 MiB here), and
 * what sits there is out of Pulse's sight: for a client that reads more slowly than it is sent to, seconds of events
 * queue in the kernel before a single write backs up into Pulse, where the slow-consumer bound and the fan-out budget
 * can act on it. A fixed buffer makes that backlog, and so the delay a reader can fall behind by, small and known.
 */
@ApplicationScoped
public class SocketSendBuffer implements HttpServerOptionsCustomizer {

    private final int bytes;

    public SocketSendBuffer(PulseConfig config) {
        this.bytes = config.delivery().socketSendBuffer();
    }

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        if (bytes > 0) {
            options.setSendBufferSize(bytes);
        }
    }
}
