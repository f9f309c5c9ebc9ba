package dev.pulse.gateway.support;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

import org.eclipse.microprofile.config.ConfigProvider;

/** Addresses of the application under test. */
public final class Endpoints {

    private Endpoints() {
    }

    public static int port() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.http.test-port", Integer.class).orElse(8081);
    }

    public static URI apiV2(String token) {
        return uri("/api/v2/ws", token);
    }

    public static URI ws(String token) {
        return uri("/ws", token);
    }

    public static URI uri(String path, String token) {
        String query = token == null ? "" : "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        return URI.create("ws://localhost:" + port() + path + query);
    }
}
