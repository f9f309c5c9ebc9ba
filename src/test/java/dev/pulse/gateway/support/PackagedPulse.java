package dev.pulse.gateway.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;


/**
 * The packaged application ({@code java -jar target/quarkus-app/quarkus-run.jar}, or the native executable) as its own
 * process, in the prod profile, wired to the test stack and the test keys: what an operator runs, for tests that need a real process
 * (signals, exit, start-up checks).
 */
public final class PackagedPulse implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The cluster secret every packaged replica of a test shares (the prod profile requires one of 32+ bytes). */
    public static final String CLUSTER_SECRET = "packaged-test-cluster-secret-0123456789abcdef";

    private final Process process;
    private final int port;
    private final int managementPort;
    private final Path log;
    private Duration startup;

    private PackagedPulse(Process process, int port, int managementPort, Path log) {
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
    }

    /**
     * Starts the packaged application and waits until it reports ready: the native executable when the build made one
     * ({@code -Pnative} sets {@code pulse.it.native}), the JVM jar otherwise.
     */
    public static PackagedPulse startPackaged(String name, Map<String, String> extraEnvironment) {
        return start(name, command(List.of()), extraEnvironment);
    }

    /**
     * {@link #startPackaged(String, Map)} with JVM options for the jar (a fixed heap for the benchmark, say); the native
     * executable takes none.
     */
    public static PackagedPulse startPackaged(String name, Map<String, String> extraEnvironment,
            List<String> jvmOptions) {
        return start(name, command(jvmOptions), extraEnvironment);
    }

    /** The command that starts the packaged application (the native executable or {@code java -jar}). */
    public static List<String> commandLine() {
        return command(List.of());
    }

    private static List<String> command(List<String> jvmOptions) {
        Path root = LocalStack.projectRoot();
        if (Boolean.getBoolean("pulse.it.native")) {
            Path executable = Path.of(System.getProperty("native.image.path"));
            if (!Files.isExecutable(executable)) {
                throw new IllegalStateException(executable + " is missing: build with -Pnative first");
            }
            return List.of(executable.toString());
        }
        // The benchmark measures an older build this way (its --jar), for before-and-after figures.
        Path jar = Path.of(System.getProperty("pulse.packaged.jar",
                root.resolve("target/quarkus-app/quarkus-run.jar").toString()));
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run the package phase first");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString()));
        return command;
    }

    private static PackagedPulse start(String name, List<String> command, Map<String, String> extraEnvironment) {
        PackagedPulse pulse = launch(name, command, extraEnvironment);
        Awaitility.await("packaged Pulse ready (log: " + pulse.log + ")").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !pulse.process.isAlive() || pulse.status("/q/health/ready") == 200);
        if (!pulse.process.isAlive()) {
            throw new IllegalStateException("Pulse exited during start-up; see " + pulse.log);
        }
        return pulse;
    }

    /**
     * Starts the packaged application with the environment an operator would give it, less the variables named in
     * {@code removed}, and returns once it answers or has exited (for start-up checks that must refuse to start).
     */
    public static PackagedPulse launchWithout(String name, Map<String, String> extraEnvironment, String... removed) {
        Map<String, String> environment = new java.util.HashMap<>(extraEnvironment);
        for (String variable : removed) {
            environment.put(variable, null);
        }
        return launch(name, command(List.of()), environment);
    }

    private static PackagedPulse launch(String name, List<String> command, Map<String, String> extraEnvironment) {
        LocalStack.ensureUp();
        Path root = LocalStack.projectRoot();
        int port = freePort();
        int managementPort = freePort();
        Path log = root.resolve("target/" + name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        environment.putAll(LocalStack.environment("test"));
        environment.put("MP_JWT_VERIFY_PUBLICKEY_LOCATION",
                "file:" + root.resolve("src/test/resources/test-keys/public.pem"));
        environment.put("MP_JWT_VERIFY_ISSUER", Tokens.ISSUER);
        environment.put("MP_JWT_VERIFY_AUDIENCES", Tokens.AUDIENCE);
        environment.put("PULSE_CLUSTER_SECRET", CLUSTER_SECRET);
        environment.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        environment.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
        // Tests start at once; the warm-up has its own test (WarmUpIT), and the benchmark turns it back on.
        environment.put("PULSE_WARM_UP_CONNECTIONS", "0");
        extraEnvironment.forEach((variable, value) -> {
            if (value == null) {
                environment.remove(variable);
            } else {
                environment.put(variable, value);
            }
        });
        try {
            // Warm this JVM's HTTP client first (nothing listens yet), so the start-up figure is the server's.
            new PackagedPulse(null, port, managementPort, log).status("/q/health/live");
            long launched = System.nanoTime();
            PackagedPulse pulse = new PackagedPulse(builder.start(), port, managementPort, log);
            Awaitility.await("packaged Pulse answering (log: " + log + ")").atMost(Duration.ofSeconds(60))
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                    .until(() -> !pulse.process.isAlive() || pulse.status("/q/health/live") == 200);
            pulse.startup = Duration.ofNanos(System.nanoTime() - launched);
            return pulse;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + command, e);
        }
    }

    /** What a migration run printed and how it ended. */
    public record MigrationRun(int exitCode, String log) {
    }

    /**
     * Runs the schema migrations the way the Kubernetes migration Job does: the packaged application with
     * {@code QUARKUS_INIT_AND_EXIT=true}, the migrations datasource's owner credentials and nothing else of the
     * gateway's configuration (no other variable of this process is passed on), and waits for it to exit.
     */
    public static MigrationRun migrate(String name, String jdbcUrl, String username, String password) {
        Path log = LocalStack.projectRoot().resolve("target/" + name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command(List.of())).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        environment.keySet().retainAll(List.of("PATH", "HOME", "LANG", "TMPDIR"));
        environment.put("QUARKUS_INIT_AND_EXIT", "true");
        environment.put("QUARKUS_FLYWAY_MIGRATIONS_MIGRATE_AT_START", "true");
        environment.put("QUARKUS_DATASOURCE_MIGRATIONS_JDBC_URL", jdbcUrl);
        environment.put("QUARKUS_DATASOURCE_MIGRATIONS_USERNAME", username);
        environment.put("QUARKUS_DATASOURCE_MIGRATIONS_PASSWORD", password);
        try {
            Process process = builder.start();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("the migration run did not exit within 2 minutes; see " + log);
            }
            return new MigrationRun(process.exitValue(), Files.readString(log));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A WebSocket address on this process, with the token in the query. */
    public URI ws(String path, String token) {
        return URI.create("ws://127.0.0.1:" + port + path + "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
    }

    /** The public HTTP port (WebSockets and REST). */
    public int port() {
        return port;
    }

    /** The management port (health and metrics). */
    public int managementPort() {
        return managementPort;
    }

    /** Where a path is served: {@code /q/...} on the management interface, everything else on the public port. */
    private URI address(String path) {
        return URI.create("http://127.0.0.1:" + (path.startsWith("/q/") ? managementPort : port) + path);
    }

    /** The process id (for {@code jcmd}). */
    public long pid() {
        return process.pid();
    }

    /** Whether this is the native executable rather than the JVM jar. */
    public static boolean isNative() {
        return Boolean.getBoolean("pulse.it.native");
    }

    /** Whether the process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** The body of a GET (e.g. {@code /q/metrics}). */
    public String body(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(address(path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** POSTs a JSON body with a bearer token; the status code. */
    public int post(String path, String token, String json) {
        try {
            return HTTP.send(HttpRequest.newBuilder(address(path))
                    .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** HTTP status of a GET on the public port whatever the path (to prove {@code /q/*} is not there), or -1. */
    public int publicStatus(String path) {
        return status(URI.create("http://127.0.0.1:" + port + path));
    }

    /** HTTP status of a GET, or -1 when nothing answers. */
    public int status(String path) {
        return status(address(path));
    }

    private static int status(URI address) {
        try {
            return HTTP.send(HttpRequest.newBuilder(address)
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** From launching the process to its first served request ({@code /q/health/live} answering 200). */
    public Duration startup() {
        return startup;
    }

    /** The process's resident set size now, in KiB (Linux {@code /proc}). */
    public long residentKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            throw new IllegalStateException("no VmRSS for " + process.pid());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** CPU seconds the process has used so far, user and system (Linux {@code /proc}). */
    public double cpuSeconds() {
        return cpuSeconds(process.pid());
    }

    /** User and system CPU seconds a process has used so far (Linux, from {@code /proc}). */
    public static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Heap in use after full collections ({@code jcmd GC.run}), from the process's own metrics. JVM only. */
    public double heapAfterGc() {
        try {
            String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            new ProcessBuilder(jcmd, Long.toString(process.pid()), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Scrape.of(this).value("jvm_memory_used_bytes", "area=\"heap\"");
    }

    /** Sends SIGTERM, as Kubernetes does when it stops a pod. */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the process to exit; its exit code, or empty if it is still running after {@code timeout}. */
    public OptionalInt awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    ? OptionalInt.of(process.exitValue())
                    : OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        }
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }

    /** A TCP port nothing listens on right now. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
