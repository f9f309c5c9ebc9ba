package dev.pulse.gateway.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.cluster.EnvelopeSeal;
import dev.pulse.gateway.cluster.PostgresBus;
import dev.pulse.gateway.observability.DataSource;
import dev.pulse.gateway.observability.Endpoint;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.protocol.ErrorCode;
import dev.pulse.gateway.protocol.OutboundMessage;

/**
 * The docs cannot drift from the code, without Quarkus: the table of {@code pulse.*} properties in
 * {@code src/docs/configuration.md} is generated from {@code PulseConfig}'s source (names, defaults, Javadoc); the
 * metrics table in {@code src/docs/operations.md} names every meter the code registers, with its label keys; the
 * error-code and close-code tables of {@code src/docs/protocol.md} list exactly the codes the code can send.
 * {@code -Ddocs.update=true} rewrites the generated table instead of failing.
 */
class DocsTest {

    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path DOCS = ROOT.resolve("src/docs");
    private static final Path MAIN = ROOT.resolve("src/main/java/dev/pulse/gateway");
    private static final String START = "<!-- generated: pulse-properties -->";
    private static final String END = "<!-- end: pulse-properties -->";

    @Test
    void thePropertiesTableIsGeneratedFromPulseConfig() throws IOException {
        Path file = DOCS.resolve("configuration.md");
        String doc = Files.readString(file);
        int start = doc.indexOf(START);
        int end = doc.indexOf(END);
        assertThat(start).as("markers in " + file).isNotNegative();
        assertThat(end).isGreaterThan(start);
        String expected = START + "\n" + propertiesTable() + END;
        String actual = doc.substring(start, end + END.length());
        if (!expected.equals(actual) && Boolean.getBoolean("docs.update")) {
            Files.writeString(file, doc.substring(0, start) + expected + doc.substring(end + END.length()));
            return;
        }
        assertThat(actual).as("src/docs/configuration.md is out of date: run "
                + "./mvnw test -Dtest=DocsTest -Ddocs.update=true").isEqualTo(expected);
    }

    @Test
    void everyMeterTheCodeRegistersIsDocumentedWithItsLabelsAndNothingElse() throws IOException {
        Map<String, Set<String>> documented = new TreeMap<>();
        for (String row : tableRows(Files.readString(DOCS.resolve("operations.md")), "| metric | type")) {
            List<String> cells = cells(row);
            String name = cells.get(0).replace("`", "");
            documented.put(name, labelKeys(cells.get(2)));
        }
        assertThat(documented).isEqualTo(metersInCode());
    }

    @Test
    void theReadmeListsTheDashboardsPanelsAndTheAlertRulesAsTheyAre() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Map<String, List<String>> documented = new LinkedHashMap<>();
        for (String row : tableRows(readme, "| row | panels")) {
            List<String> cells = cells(row);
            documented.put(cells.get(0), List.of(cells.get(1).split(", ")));
        }
        Map<String, List<String>> dashboard = new LinkedHashMap<>();
        List<String> current = null;
        for (var panel : new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(ROOT.resolve("k8s/base/pulse-dashboard.json").toFile()).path("panels")) {
            if (panel.path("type").asText().equals("row")) {
                current = new ArrayList<>();
                dashboard.put(panel.path("title").asText(), current);
            } else {
                current.add(panel.path("title").asText());
            }
        }
        assertThat(documented).isEqualTo(dashboard);

        Set<String> alerts = literals(Files.readString(ROOT.resolve("src/main/prometheus/pulse-rules.yml")),
                "- alert: (\\w+)");
        Set<String> listed = literals(readme.substring(readme.indexOf("**Alert rules**"),
                readme.indexOf("## The manual")), "`(Pulse\\w+)`");
        assertThat(listed).isEqualTo(alerts);
    }

    @Test
    void theLabelValuesOfTheMetricsTableAreTheOnesTheCodeEmits() throws IOException {
        Map<String, Set<String>> documented = new TreeMap<>();
        for (String row : tableRows(Files.readString(DOCS.resolve("operations.md")), "| metric | type")) {
            List<String> cells = cells(row);
            Matcher values = Pattern.compile("\\(([^)]*)\\)").matcher(cells.get(2));
            if (values.find()) {
                Set<String> listed = new TreeSet<>();
                Matcher value = Pattern.compile("`([\\w.]+)`").matcher(values.group(1));
                while (value.find()) {
                    listed.add(value.group(1));
                }
                documented.put(cells.get(0).replace("`", ""), listed);
            }
        }
        String code = sources();
        Set<String> sources = labels(Arrays.stream(DataSource.values()).map(DataSource::label));
        Map<String, Set<String>> emitted = new TreeMap<>();
        emitted.put("pulse_connections_active", labels(Arrays.stream(Endpoint.values()).map(Endpoint::label)));
        emitted.put("pulse_connections_closed_total", CloseCodes.metricLabels());
        emitted.put("pulse_auth_failures_total", literals(code, "new AuthenticationFailure\\(CloseCodes\\.\\w+, \"([a-z_]+)\""));
        Set<String> received = literals(code, "metrics\\.messageReceived\\(\"([a-z_]+)\"");
        String dispatcher = Files.readString(MAIN.resolve("websocket/CommandDispatcher.java"));
        received.addAll(literals(dispatcher.substring(dispatcher.indexOf("static String label(")), "\"([a-z_]+)\""));
        emitted.put("pulse_messages_received_total", received);
        emitted.put("pulse_messages_sent_total",
                labels(Arrays.stream(OutboundMessage.Kind.values()).map(OutboundMessage.Kind::label)));
        emitted.put("pulse_subscriptions_active", literals(code, "subscriptions\\(metrics, \"([a-z_]+)\""));
        Set<String> broadcast = literals(code, "metrics\\.broadcastRequest\\(\"([a-z_]+)\"");
        broadcast.addAll(literals(code, "refusals\\(\\)\\.accept\\(\"([a-z_]+)\""));
        emitted.put("pulse_broadcast_requests_total", broadcast);
        emitted.put("pulse_source_queries_total", sources);
        emitted.put("pulse_source_up", sources);
        Set<String> refused = literals(code, "metrics\\.connectionRefused\\(\"([a-z_]+)\"");
        refused.addAll(literals(code, "Refusal\\.TENANT_LIMIT \\? \"([a-z_]+)\""));
        refused.addAll(literals(code, "Refusal\\.TENANT_LIMIT \\? \"[a-z_]+\" : \"([a-z_]+)\""));
        emitted.put("pulse_connections_refused_total", refused);
        emitted.put("pulse_frames_rejected_total", Set.of("1002", "1007", "1009"));
        emitted.put("pulse_keepalive_closed_total", literals(code, "close\\(session, CloseCodes\\.\\w+, \"([a-z_]+)\""));
        Set<String> relayedItems = literals(code, "outcomes\\.items\\(\"([a-z_]+)\"");
        Set<String> relayedEvents = literals(code, "metrics\\.relayed\\(\"([a-z_]+)\"");
        relayedEvents.addAll(relayedItems);
        emitted.put("pulse_cluster_events_total", relayedEvents);
        Set<String> relayedResults = literals(code, "metrics\\.pollResultsRelayed\\(\"([a-z_]+)\"");
        relayedResults.addAll(relayedItems);
        emitted.put("pulse_cluster_poll_results_total", relayedResults);
        emitted.put("pulse_cluster_notifications_total",
                new TreeSet<>(Set.of(PostgresBus.EVENTS_CHANNEL, PostgresBus.POLLS_CHANNEL)));
        emitted.put("pulse_cluster_rejected_total", labels(Arrays.stream(EnvelopeSeal.Verdict.values())
                .filter(verdict -> verdict != EnvelopeSeal.Verdict.ACCEPTED).map(EnvelopeSeal.Verdict::label)));
        emitted.put("pulse_events_throttled_total", literals(code, "metrics\\.eventsThrottled\\(\"([a-z]+)\""));
        emitted.put("pulse_delivery_delay_seconds", literals(code, "deliveryDelay\\.series\\(\"([a-z]+)\"\\)"));
        emitted.put("pulse_cluster_alert_notifications_total",
                literals(code, "metrics\\.alertNotification\\(\"([a-z_]+)\""));
        assertThat(documented).isEqualTo(emitted);
    }

    private static Set<String> labels(Stream<String> values) {
        return values.collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> literals(String code, String regex) {
        Set<String> found = new TreeSet<>();
        Matcher literal = Pattern.compile(regex).matcher(code);
        while (literal.find()) {
            found.add(literal.group(1));
        }
        return found;
    }

    @Test
    void theErrorCodeTableListsExactlyTheCodesPulseSends() throws IOException {
        Set<String> documented = tableRows(Files.readString(DOCS.resolve("protocol.md")), "| error code").stream()
                .map(row -> cells(row).get(0).replace("`", "")).collect(Collectors.toCollection(TreeSet::new));
        Set<String> inCode = Arrays.stream(ErrorCode.values()).map(ErrorCode::wire)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(documented).isEqualTo(inCode);
    }

    @Test
    void theCloseCodeTableListsExactlyTheCodesPulseSendsOrTheWebSocketLayerProduces() throws IOException {
        Set<Integer> documented = tableRows(Files.readString(DOCS.resolve("protocol.md")), "| code | reason").stream()
                .map(row -> Integer.parseInt(cells(row).get(0).trim())).collect(Collectors.toCollection(TreeSet::new));
        Set<Integer> inCode = new TreeSet<>();
        Matcher codes = Pattern.compile("new CloseReason\\((\\d{4})").matcher(sources());
        while (codes.find()) {
            inCode.add(Integer.parseInt(codes.group(1)));
        }
        // Not written by Pulse: 1002 and 1007 come from Netty's frame decoder (FrameViolations passes them on), 1006
        // is what a client sees when the connection drops without a close frame.
        inCode.addAll(Set.of(1002, 1006, 1007));
        assertThat(documented).isEqualTo(inCode);
    }

    // --- properties ------------------------------------------------------------------------------------------------

    /** One row per pulse.* property: name, default and the first sentence of its Javadoc. */
    static String propertiesTable() throws IOException {
        String source = Files.readString(MAIN.resolve("config/PulseConfig.java"));
        Map<String, String> groups = new LinkedHashMap<>();
        Matcher group = Pattern.compile("\\n    (\\w+) (\\w+)\\(\\);").matcher(source);
        while (group.find()) {
            groups.put(group.group(1), group.group(2));
        }
        StringBuilder table = new StringBuilder("| property | default | meaning |\n|---|---|---|\n");
        for (Map.Entry<String, String> entry : groups.entrySet()) {
            int body = source.indexOf("\n    interface " + entry.getKey() + " {");
            if (body < 0) {
                continue;
            }
            int bodyEnd = source.indexOf("\n    }", body);
            String members = source.substring(body, bodyEnd);
            long declared = Pattern.compile("\\w+\\(\\);").matcher(members).results().count();
            long documented = Pattern.compile("\\*/\\s*(?:@\\w+(?:\\(\"[^\"]*\"\\))?\\s*)*[\\w<>, ]+ \\w+\\(\\);")
                    .matcher(members).results().count();
            assertThat(documented).as("every property of PulseConfig." + entry.getKey() + " has Javadoc")
                    .isEqualTo(declared);
            Matcher member = Pattern.compile("/\\*\\*(.*?)\\*/\\s*((?:@\\w+(?:\\(\"[^\"]*\"\\))?\\s*)*)[\\w<>, ]+ (\\w+)\\(\\);",
                    Pattern.DOTALL).matcher(source.substring(body, bodyEnd));
            while (member.find()) {
                Matcher fallback = Pattern.compile("@WithDefault\\(\"([^\"]*)\"\\)").matcher(member.group(2));
                String defaultValue = fallback.find() ? "`" + fallback.group(1) + "`" : "";
                table.append("| `pulse.").append(kebab(entry.getValue())).append('.').append(kebab(member.group(3)))
                        .append("` | ").append(defaultValue).append(" | ").append(firstSentence(member.group(1)))
                        .append(" |\n");
            }
        }
        return table.toString();
    }

    private static String kebab(String name) {
        return name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }

    private static String firstSentence(String javadoc) {
        String text = javadoc.replaceAll("\\n\\s*\\*", " ").replaceAll("<p>", " ").replaceAll("\\s+", " ").trim();
        text = text.replaceAll("\\{@code ([^}]*)}", "`$1`").replaceAll("\\{@link #(\\w+)\\(\\)}", "`$1`")
                .replaceAll("\\{@link ([^}]*)}", "`$1`").replace("|", "\\|");
        int end = text.indexOf(". ");
        return end < 0 ? text : text.substring(0, end + 1);
    }

    // --- meters ----------------------------------------------------------------------------------------------------

    /** Every meter family the code registers, with its label keys (the optional {@code tenant} label left out). */
    private static Map<String, Set<String>> metersInCode() throws IOException {
        Map<String, Set<String>> meters = new TreeMap<>();
        String code = sources();
        Matcher builder = Pattern.compile("(Counter|Timer|DistributionSummary|Gauge)\\.builder\\(\"(pulse\\.[a-z.]+)\"(.*?);",
                Pattern.DOTALL).matcher(code);
        while (builder.find()) {
            String statement = builder.group(3);
            Matcher unit = Pattern.compile("\\.baseUnit\\(\"(\\w+)\"\\)").matcher(statement);
            String name = builder.group(2).replace('.', '_') + (unit.find() ? "_" + unit.group(1) : "");
            if (builder.group(1).equals("Timer")) {
                name += "_seconds";
            }
            if (builder.group(1).equals("Counter")) {
                name += "_total";
            }
            meters.merge(name, tagKeys(statement), (a, b) -> a.isEmpty() ? b : a);
        }
        Matcher histogram = Pattern.compile("BatchedHistogram\\.seconds\\(\"(pulse\\.[a-z.]+)\", \"(\\w*)\"")
                .matcher(code);
        while (histogram.find()) {
            Set<String> keys = new TreeSet<>();
            if (!histogram.group(2).isEmpty()) {
                keys.add(histogram.group(2));
            }
            meters.put(histogram.group(1).replace('.', '_') + "_seconds", keys);
        }
        Matcher gauge = Pattern.compile("gauge\\(\"(pulse\\.[a-z.]+)\",(.*?);", Pattern.DOTALL).matcher(code);
        while (gauge.find()) {
            Matcher unit = Pattern.compile(",\\s*\"(\\w+)\"\\)$").matcher(gauge.group(2).trim());
            String name = gauge.group(1).replace('.', '_') + (unit.find() ? "_" + unit.group(1) : "");
            meters.merge(name, tagKeys(gauge.group(2)), (a, b) -> a.isEmpty() ? b : a);
        }
        return meters;
    }

    private static Set<String> tagKeys(String statement) {
        Set<String> keys = new TreeSet<>();
        Matcher tag = Pattern.compile("(?:\\.tag|Tags\\.of)\\(\"(\\w+)\"").matcher(statement);
        while (tag.find()) {
            keys.add(tag.group(1));
        }
        keys.remove("tenant");
        return keys;
    }

    /** The label keys of a labels cell: backticked names outside the parentheses that list their values. */
    private static Set<String> labelKeys(String cell) {
        String keysOnly = cell.replaceAll("\\([^)]*\\)", "");
        Set<String> keys = new TreeSet<>();
        Matcher key = Pattern.compile("`(\\w+)`").matcher(keysOnly);
        while (key.find()) {
            keys.add(key.group(1));
        }
        return keys;
    }

    // --- helpers -----------------------------------------------------------------------------------------------------

    private static String sources() throws IOException {
        try (Stream<Path> files = Files.walk(MAIN)) {
            StringBuilder all = new StringBuilder();
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                all.append(Files.readString(file)).append('\n');
            }
            return all.toString();
        }
    }

    /** The body rows of the first table whose header starts with {@code header}. */
    private static List<String> tableRows(String doc, String header) {
        List<String> rows = new ArrayList<>();
        String[] lines = doc.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith(header)) {
                for (int j = i + 2; j < lines.length && lines[j].startsWith("|"); j++) {
                    rows.add(lines[j]);
                }
                return rows;
            }
        }
        throw new AssertionError("no table headed " + header);
    }

    private static List<String> cells(String row) {
        List<String> cells = new ArrayList<>();
        for (String cell : row.substring(1, row.length() - 1).split("(?<!\\\\)\\|")) {
            cells.add(cell.trim());
        }
        return cells;
    }
}
