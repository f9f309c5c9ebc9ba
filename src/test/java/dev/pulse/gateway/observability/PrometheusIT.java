package dev.pulse.gateway.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * A real Prometheus (Debian's package, installed by the test stack) scrapes the packaged application while a few
 * clients use it, with Pulse's alert rules loaded. Through Prometheus's HTTP API: every series the Grafana dashboard
 * and the rules read exists and has values, every dashboard expression evaluates without error (the latency panels
 * with data), and every rule evaluates without error.
 */
class PrometheusIT {

    private static final Path ROOT = LocalStack.projectRoot();
    private static final Path DASHBOARD = ROOT.resolve("k8s/base/pulse-dashboard.json");
    private static final Path RULES = ROOT.resolve("src/main/prometheus/pulse-rules.yml");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** What Grafana puts in for the dashboard's variables: the scrape job, every replica, a rate window. */
    private static final Map<String, String> GRAFANA_VARIABLES = Map.of("$job", "pulse", "$instance", ".*",
            "$__rate_interval", "1m");
    /** Metric names in PromQL: Pulse's, and the JVM and process meters the dashboard shows. */
    private static final Pattern METRIC = Pattern.compile("\\b((?:pulse|jvm|process)_[a-z_]+)\\b");

    @Test
    void prometheusScrapesPulseAndEveryDashboardAndRuleExpressionEvaluates() throws Exception {
        try (PackagedPulse pulse = PackagedPulse.startPackaged("prometheus-it-pulse", Map.of());
                Prometheus prometheus = Prometheus.start(pulse.managementPort())) {
            prometheus.awaitTargetUp();
            drive(pulse, prometheus);

            List<String> panelExpressions = dashboardExpressions();
            List<String> ruleExpressions = ruleExpressions();
            Set<String> series = new TreeSet<>();
            for (String expression : concat(panelExpressions, ruleExpressions)) {
                Matcher metric = METRIC.matcher(expression);
                while (metric.find()) {
                    series.add(metric.group(1));
                }
            }
            assertThat(series).hasSizeGreaterThan(25);
            for (String name : series) {
                JsonNode result = prometheus.query("count(" + name + "{job=\"pulse\"})");
                assertThat(result).as("series %s scraped from Pulse", name).isNotEmpty();
            }

            // The series this load drives have moved, not only exist (every bounded series exists from start at 0).
            for (String driven : List.of("pulse_messages_sent_total", "pulse_messages_received_total",
                    "pulse_sent_bytes_total", "pulse_broadcast_recipients_count", "pulse_broadcast_requests_total",
                    "pulse_source_queries_total", "pulse_poll_cycles_total", "pulse_connections_opened_total",
                    "pulse_auth_failures_total", "pulse_delivery_delay_seconds_count",
                    "pulse_telemetry_point_age_seconds_count", "pulse_cluster_events_total")) {
                assertThat(prometheus.query("sum(increase(" + driven + "{job=\"pulse\"}[5m])) > 0"))
                        .as("%s increased under load", driven).isNotEmpty();
            }
            for (String expression : panelExpressions) {
                prometheus.query(grafana(expression)); // fails on any PromQL error
            }
            // Under this load the latency panels have data: p99 of events, alerts and telemetry.
            assertThat(prometheus.query(grafana("histogram_quantile(0.99, sum by (le, type) "
                    + "(rate(pulse_delivery_delay_seconds_bucket{job=\"$job\"}[$__rate_interval])))")))
                    .extracting(sample -> sample.path("metric").path("type").asText())
                    .contains("event", "alerts");
            assertThat(prometheus.query("sum(pulse_telemetry_point_age_seconds_count{job=\"pulse\"}) > 0"))
                    .isNotEmpty();
            assertThat(prometheus.query("sum(pulse_connections_active{job=\"pulse\"}) > 0")).isNotEmpty();
            assertThat(prometheus.query("sum(pulse_auth_failures_total{job=\"pulse\"}) > 0")).isNotEmpty();
            // The dashboard's variable query.
            assertThat(prometheus.get("/api/v1/label/job/values?match[]=pulse_connections_active")
                    .path("data")).extracting(JsonNode::asText).contains("pulse");

            // Every rule has been evaluated at least once against the scraped series, without an error.
            Awaitility.await("every rule evaluated").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                        List<JsonNode> rules = new ArrayList<>();
                        prometheus.get("/api/v1/rules").path("data").path("groups")
                                .forEach(group -> group.path("rules").forEach(rules::add));
                        assertThat(rules).hasSize(ruleExpressions.size());
                        assertThat(rules).allSatisfy(rule -> {
                            assertThat(rule.path("health").asText()).as(rule.path("name").asText()).isEqualTo("ok");
                            assertThat(rule.path("lastError").asText("")).isEmpty();
                        });
                    });
        }
    }

    /** A few clients doing what clients do, until Prometheus has scraped the results. */
    private static void drive(PackagedPulse pulse, Prometheus prometheus) throws Exception {
        String tenant = Tokens.newTenant();
        Stack.insertAlert(tenant, "dev-1", "HIGH_TEMP", "OPEN", "before the subscribe");
        Stack.writeInflux(point(tenant, Instant.now().minusSeconds(30)));
        try (WsClient dashboard = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant)));
                WsClient member = WsClient.connect(pulse.ws("/ws", Tokens.valid(tenant)))) {
            dashboard.send(Frames.subscribeDevice("dev-1")).awaitType("telemetry");
            dashboard.send(Frames.subscribeAlerts()).awaitType("alerts");
            member.send(Frames.join("ops")).awaitType("joined");
            try (WsClient forged = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant) + "x"))) {
                forged.awaitClose();
            }
            String publisher = Broadcasts.serviceToken(tenant);
            for (int round = 0; round < 3; round++) {
                Stack.writeInflux(point(tenant, Instant.now()));
                dashboard.awaitType("telemetry");
                Stack.insertAlert(tenant, "dev-" + (round + 2), "HIGH_TEMP", "OPEN", "raised while watched");
                dashboard.awaitType("alerts");
                assertThat(pulse.post("/ws/broadcast", publisher,
                        "{\"event_type\":\"deployed\",\"data\":{\"round\":" + round + "},\"room\":\"ops\"}"))
                        .isEqualTo(202);
                member.awaitType("event");
            }
            // Two scrapes after the last push, so every rate window holds the load.
            double scrapes = prometheus.scrapes();
            Awaitility.await("two more scrapes").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250))
                    .until(() -> prometheus.scrapes() >= scrapes + 2);
        }
    }

    private static String point(String tenant, Instant time) {
        return "telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=dev-1 temperature=21.5 " + Stack.nanos(time);
    }

    private static List<String> dashboardExpressions() throws IOException {
        List<String> expressions = new ArrayList<>();
        for (JsonNode panel : JSON.readTree(DASHBOARD.toFile()).path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                expressions.add(target.path("expr").asText());
            }
        }
        assertThat(expressions).hasSizeGreaterThan(30).allSatisfy(expression -> assertThat(expression).isNotBlank());
        return expressions;
    }

    private static List<String> ruleExpressions() throws IOException {
        List<String> expressions = new ArrayList<>();
        new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile()).path("groups")
                .forEach(group -> group.path("rules").forEach(rule -> expressions.add(rule.path("expr").asText())));
        return expressions;
    }

    private static String grafana(String expression) {
        String resolved = expression;
        for (Map.Entry<String, String> variable : GRAFANA_VARIABLES.entrySet()) {
            resolved = resolved.replace(variable.getKey(), variable.getValue());
        }
        return resolved;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** Debian's Prometheus, on a free loopback port, scraping one Pulse every second with Pulse's rules loaded. */
    private static final class Prometheus implements AutoCloseable {

        private final Process process;
        private final int port;
        private final Path log;

        private Prometheus(Process process, int port, Path log) {
            this.process = process;
            this.port = port;
            this.log = log;
        }

        static Prometheus start(int managementPort) throws IOException {
            Path dir = ROOT.resolve("target/prometheus-it");
            if (Files.exists(dir)) {
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
                }
            }
            Files.createDirectories(dir);
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    rule_files:
                      - %s
                    scrape_configs:
                      - job_name: pulse
                        metrics_path: /q/metrics
                        static_configs:
                          - targets: ['127.0.0.1:%d']
                    """.formatted(RULES, managementPort));
            int port = PackagedPulse.freePort();
            Path log = dir.resolve("prometheus.log");
            Process process = new ProcessBuilder("prometheus", "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                    "--log.level=warn").redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Prometheus prometheus = new Prometheus(process, port, log);
            Awaitility.await("Prometheus ready (log: " + log + ")").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> !process.isAlive() || prometheus.status("/-/ready") == 200);
            assertThat(process.isAlive()).as("Prometheus running; log:%n%s", Files.readString(log)).isTrue();
            return prometheus;
        }

        void awaitTargetUp() {
            Awaitility.await("Pulse scraped").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                    .until(() -> !query("up{job=\"pulse\"} == 1").isEmpty());
        }

        /** Scrapes so far: the samples of {@code up} in the last minute. */
        double scrapes() {
            JsonNode result = query("count_over_time(up{job=\"pulse\"}[1m])");
            return result.isEmpty() ? 0 : result.get(0).path("value").get(1).asDouble();
        }

        /** An instant query; its result vector. Fails the test on any error Prometheus reports. */
        JsonNode query(String promql) {
            JsonNode answer = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
            assertThat(answer.path("status").asText()).as("%s: %s", promql, answer).isEqualTo("success");
            return answer.path("data").path("result");
        }

        JsonNode get(String path) {
            try {
                HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                return JSON.readTree(response.body());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        int status(String path) {
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(java.util.concurrent.TimeUnit.SECONDS.toMillis(10),
                        java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
