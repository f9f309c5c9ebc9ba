package dev.pulse.gateway.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * Pulse's alert rules, with a real {@code promtool} (Debian's prometheus package, installed by the test stack):
 * they parse, each alert fires on the series that should trigger it and not on a healthy replica
 * ({@code pulse-rules.test.yml}), the Operator's PrometheusRule carries exactly the same groups, and every metric an
 * expression reads is one Pulse exports (documented in src/docs/operations.md, which DocsTest keeps true to the code).
 */
class PrometheusRulesTest {

    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path RULES = ROOT.resolve("src/main/prometheus");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void theRulesParseAndEveryAlertFiresWhenItShouldAndOnlyThen() throws Exception {
        assertThat(promtool("check", "rules", "pulse-rules.yml")).contains("SUCCESS: 11 rules found");
        assertThat(promtool("test", "rules", "pulse-rules.test.yml")).contains("SUCCESS");
    }

    @Test
    void theOperatorsPrometheusRuleHasTheSameGroups() throws IOException {
        JsonNode plain = YAML.readTree(RULES.resolve("pulse-rules.yml").toFile()).path("groups");
        JsonNode operator = YAML.readTree(ROOT.resolve("k8s/base/prometheusrule.yaml").toFile()).path("spec")
                .path("groups");
        assertThat(operator).isEqualTo(plain);
    }

    @Test
    void everyAlertHasASeverityASummaryAndARunbookAndTestsOfItsOwn() throws IOException {
        JsonNode rules = YAML.readTree(RULES.resolve("pulse-rules.yml").toFile()).path("groups").get(0).path("rules");
        String tests = Files.readString(RULES.resolve("pulse-rules.test.yml"));
        for (JsonNode rule : rules) {
            String alert = rule.path("alert").asText();
            assertThat(rule.path("labels").path("severity").asText()).as(alert).isIn("warning", "critical");
            assertThat(rule.path("annotations").path("summary").asText()).as(alert).isNotBlank();
            assertThat(rule.path("annotations").path("runbook").asText()).as(alert).isNotBlank();
            // Firing in the first test group, silent in the healthy one.
            assertThat(tests).as(alert).contains("alertname: " + alert + "\n", "alertname: " + alert + ", exp_alerts: []");
        }
    }

    @Test
    void everyMetricTheRulesReadIsOnePulseExports() throws IOException {
        String documented = Files.readString(ROOT.resolve("src/docs/operations.md"));
        Set<String> read = new TreeSet<>();
        for (JsonNode rule : YAML.readTree(RULES.resolve("pulse-rules.yml").toFile()).path("groups").get(0)
                .path("rules")) {
            Matcher metric = Pattern.compile("\\b(pulse_[a-z_]+)").matcher(rule.path("expr").asText());
            while (metric.find()) {
                read.add(metric.group(1));
            }
        }
        assertThat(read).isNotEmpty().allSatisfy(metric -> assertThat(documented).contains("| `" + metric + "` |"));
    }

    private static String promtool(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(RULES.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }
}
