package dev.pulse.gateway.support;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.ConfigProvider;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;

/**
 * Test profiles that set {@code pulse-test.send-buffer-size} get a server socket send buffer that small, so a client
 * that stops reading backs writes up after kilobytes instead of the megabytes the kernel would otherwise absorb.
 */
@ApplicationScoped
public class TestSendBuffer implements HttpServerOptionsCustomizer {

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        ConfigProvider.getConfig().getOptionalValue("pulse-test.send-buffer-size", Integer.class)
                .ifPresent(options::setSendBufferSize);
    }
}
