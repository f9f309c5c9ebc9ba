package dev.pulse.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Pulse from the packaged jar, in the prod profile, with a fixed heap: the process the figures are about. */
final class PulseProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final int port;
    /** Health and metrics are on the management interface, not on the public port. */
    final int managementPort;
    final String heap;
    private final Process process;

    PulseProcess(Path root, int port, String heap, Map<String, String> environment) throws Exception {
        this.port = port;
        this.managementPort = port + 1;
        this.heap = heap;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xms" + heap, "-Xmx" + heap, "-jar",
                root.resolve("target/quarkus-app/quarkus-run.jar").toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(root.resolve("target/bench/pulse.log").toFile());
        builder.environment().putAll(environment);
        builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        builder.environment().put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
        process = builder.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (status("/q/health/ready") != 200) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("Pulse did not become ready; see target/bench/pulse.log");
            }
            pause(100);
        }
    }

    private URI address(String path) {
        return URI.create("http://127.0.0.1:" + (path.startsWith("/q/") ? managementPort : port) + path);
    }

    long pid() {
        return process.pid();
    }

    int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(address(path)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    String get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(address(path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The sum of a Prometheus metric's samples whose line contains {@code filter}. */
    double metric(String name, String filter) throws Exception {
        double sum = 0;
        for (String line : get("/q/metrics").split("\n")) {
            if ((line.startsWith(name + "{") || line.startsWith(name + " ")) && line.contains(filter)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    /** CPU seconds used so far (user + system). */
    double cpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid() + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    }

    /** Heap in use after a full collection (jcmd GC.run), from the server's own metrics. */
    double heapAfterGc() throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        new ProcessBuilder(jcmd, Long.toString(pid()), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        return metric("jvm_memory_used_bytes", "area=\"heap\"");
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
