package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Tokens never reach a log line: neither the application log nor the access log (both written to files in the test
 * captured as they are logged; the access log written to a file in the test profile), for accepted and rejected
 * connections, from the query string or the Authorization header.
 */
@QuarkusTest
class LogHygieneTest {

    /** Every application log record while the test runs, as it would be printed (message, exception, stack). */
    private static final StringBuffer APP_LOG = new StringBuffer();
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            String message = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
            APP_LOG.append(record.getLoggerName()).append(' ').append(message).append('\n');
            for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
                APP_LOG.append(t).append('\n');
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** The access log appends across runs; only what this test run adds is looked at. */
    private static long accessLogStart;

    @BeforeAll
    static void capture() throws IOException {
        accessLogStart = Files.exists(ACCESS_LOG) ? Files.size(ACCESS_LOG) : 0;
        CAPTURE.setLevel(Level.ALL);
        Logger.getLogger("").addHandler(CAPTURE);
    }

    @AfterAll
    static void release() {
        Logger.getLogger("").removeHandler(CAPTURE);
    }
    private static final Path ACCESS_LOG = Path.of("target/pulse-test-access.log");

    @Test
    void noTokenInAnyLog() {
        String tenant = Tokens.newTenant();
        String accepted = Tokens.valid(tenant);
        String viaHeader = Tokens.valid(tenant);
        String expired = Tokens.claims(tenant, "customer_admin").expiresAt(java.time.Instant.now().minusSeconds(600))
                .sign();
        String forbidden = Tokens.claims(tenant, "nobody").sign();

        try (WsClient ok = WsClient.connect(Endpoints.apiV2(accepted));
                WsClient header = WsClient.connect(Endpoints.ws(null), Map.of("Authorization", "Bearer " + viaHeader))) {
            ok.send("{\"action\":\"ping\"}").awaitType("pong");
            header.send("{\"action\":\"ping\"}").awaitType("pong");
        }
        for (String rejected : List.of(expired, forbidden)) {
            try (WsClient client = WsClient.connect(Endpoints.apiV2(rejected))) {
                client.awaitClose();
            }
        }

        // A plain HTTP request with a token in its query string, as a misconfigured client might send: the access log
        // records the path, never the query string.
        io.restassured.RestAssured.given().queryParam("token", accepted).get("/q/health/live").then().statusCode(200);

        // Wait until the log lines of these connections have been written, then look for the tokens.
        await().atMost(Duration.ofSeconds(10)).until(() -> APP_LOG.toString().contains("tenant=" + tenant)
                && APP_LOG.toString().contains("close 4003") && read(ACCESS_LOG).contains("/q/health/live"));
        Map<String, String> logs = Map.of("application log", APP_LOG.toString(), "access log", read(ACCESS_LOG));
        logs.forEach((name, text) -> {
            for (String token : List.of(accepted, viaHeader, expired, forbidden)) {
                assertThat(text).as(name).doesNotContain(token);
                // Not even the signature part on its own.
                assertThat(text).as(name).doesNotContain(token.substring(token.lastIndexOf('.') + 1));
            }
            assertThat(text).as(name).doesNotContain("token=");
        });
    }

    private static String read(Path path) {
        try {
            if (!Files.exists(path)) {
                return "";
            }
            byte[] bytes = Files.readAllBytes(path);
            int from = (int) Math.min(accessLogStart, bytes.length);
            return new String(bytes, from, bytes.length - from, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
