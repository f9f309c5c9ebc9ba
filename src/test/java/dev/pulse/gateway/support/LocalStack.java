package dev.pulse.gateway.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Makes sure the real PostgreSQL and InfluxDB servers of the test profile are up (src/scripts/stack.sh up test), so the
 * tests also run from an IDE or a bare {@code ./mvnw test}. Idempotent and quick when they already run.
 */
public class LocalStack implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        ensureUp();
        return Map.of();
    }

    @Override
    public void stop() {
        // The servers outlive the test run on purpose: the next run, and the developer's dev mode, reuse them.
    }

    public static synchronized void ensureUp() {
        stack("up", "test");
    }

    /** Runs {@code src/scripts/stack.sh} with these arguments (e.g. stop-influx), failing the test if it fails. */
    public static synchronized void stack(String... arguments) {
        Path script = projectRoot().resolve("src/scripts/stack.sh");
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command).inheritIO().start();
            if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IllegalStateException("src/scripts/stack.sh " + String.join(" ", arguments)
                        + " failed; see its output above");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The environment a packaged Pulse needs to use the stack of {@code profile} ({@code stack.sh env}). */
    public static Map<String, String> environment(String profile) {
        Path script = projectRoot().resolve("src/scripts/stack.sh");
        try {
            Process process = new ProcessBuilder("bash", script.toString(), "env", profile).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(1, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IllegalStateException("src/scripts/stack.sh env " + profile + " failed");
            }
            Map<String, String> environment = new LinkedHashMap<>();
            for (String line : output.split("\n")) {
                if (line.startsWith("export ") && line.contains("=")) {
                    String assignment = line.substring("export ".length());
                    int equals = assignment.indexOf('=');
                    environment.put(assignment.substring(0, equals), assignment.substring(equals + 1));
                }
            }
            return environment;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static Path projectRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("src/scripts/stack.sh"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("src/scripts/stack.sh not found above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }
}
