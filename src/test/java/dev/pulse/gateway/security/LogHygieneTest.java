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

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.LogCapture;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Tokens never reach a log line: neither the application log (captured as it is logged) nor the access log (written
 * to a file in the test profile), for accepted and rejected connections, from the query string or the Authorization
 * header.
 */
@QuarkusTest
class LogHygieneTest {

    /** Every application log record while the test runs, as it would be printed (message, exception chain). */
    private static LogCapture appLog;

    /** The access log appends across runs; only what this test run adds is looked at. */
    private static long accessLogStart;

    @BeforeAll
    static void capture() throws IOException {
        accessLogStart = Files.exists(ACCESS_LOG) ? Files.size(ACCESS_LOG) : 0;
        appLog = LogCapture.start();
    }

    @AfterAll
    static void release() {
        appLog.close();
    }

    private static final Path ACCESS_LOG = Path.of("target/pulse-test-access.log");

    @Test
    void noTokenAndNoPersonalDataInAnyLog() {
        String tenant = Tokens.newTenant();
        String subject = "user-" + java.util.UUID.randomUUID();
        String email = subject + "@example.com";
        String accepted = Tokens.sign(Tokens.claims(tenant, "customer_viewer").subject(subject).claim("email", email)
                .claim("name", "Ada " + subject));
        String viaHeader = Tokens.valid(tenant);
        String expired = Tokens.claims(tenant, "customer_admin").expiresAt(java.time.Instant.now().minusSeconds(600))
                .sign();
        String forbidden = Tokens.claims(tenant, "nobody").sign();

        try (WsClient ok = WsClient.connect(Endpoints.apiV2(accepted));
                WsClient header = WsClient.connect(Endpoints.ws(null), Map.of("Authorization", "Bearer " + viaHeader))) {
            ok.send(Frames.ping()).awaitType("pong");
            header.send(Frames.ping()).awaitType("pong");
        }
        for (String rejected : List.of(expired, forbidden)) {
            try (WsClient client = WsClient.connect(Endpoints.apiV2(rejected))) {
                client.awaitClose();
            }
        }

        // A plain HTTP request with a token in its query string, as a misconfigured client might send: the access log
        // records the path, never the query string.
        io.restassured.RestAssured.given().queryParam("token", accepted).get("/index.html").then().statusCode(200);

        // Wait until the log lines of these connections have been written, then look for the tokens.
        await().atMost(Duration.ofSeconds(10)).until(() -> appLog.text().contains("tenant=" + tenant)
                && appLog.text().contains("close 4003") && read(ACCESS_LOG).contains("/index.html"));
        Map<String, String> logs = Map.of("application log", appLog.text(), "access log", read(ACCESS_LOG));
        logs.forEach((name, text) -> {
            for (String token : List.of(accepted, viaHeader, expired, forbidden)) {
                assertThat(text).as(name).doesNotContain(token);
                // Not even the signature part on its own.
                assertThat(text).as(name).doesNotContain(token.substring(token.lastIndexOf('.') + 1));
            }
            assertThat(text).as(name).doesNotContain("token=").doesNotContain(subject).doesNotContain(email);
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
