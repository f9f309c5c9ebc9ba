package dev.pulse.gateway.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.pulse.gateway.support.Contract;
import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.PackagedPulse;

/**
 * Runs the JavaScript client's own tests (src/test/js, node:test) in Node against the packaged application: connect,
 * subscribe, receive, a server restart, token refresh, a 4003 that stops retrying. Node 22+ has a global WebSocket;
 * Node 20 gets it with --experimental-websocket.
 */
class PulseClientIT {

    @Test
    void theClientLibraryPassesItsEndToEndTestsInNode() throws IOException, InterruptedException {
        LocalStack.ensureUp();
        Path root = LocalStack.projectRoot();
        List<String> command = new ArrayList<>(List.of("node"));
        // Node 20.10 is the first with a WebSocket (behind a flag); Debian 12's own nodejs (18) has none.
        assertThat(nodeMajorVersion()).as("Node.js 20.10 or later is needed for the client tests").isGreaterThanOrEqualTo(20);
        if (nodeMajorVersion() < 22) {
            command.add("--experimental-websocket");
        }
        command.addAll(List.of("--test", "--test-concurrency=1", "src/test/js/pulse-client.test.mjs"));
        Path output = root.resolve("target/pulse-client-tests.log");
        Path received = root.resolve("target/pulse-client-messages.jsonl");
        Files.deleteIfExists(received);
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().put("PULSE_COMMAND",
                new ObjectMapper().writeValueAsString(PackagedPulse.commandLine()));
        Process node = builder.start();
        boolean finished = node.waitFor(4, TimeUnit.MINUTES);
        if (!finished) {
            node.destroyForcibly();
        }
        String log = Files.readString(output);
        assertThat(finished).as("node finished; output:%n%s", log).isTrue();
        assertThat(node.exitValue()).as("node --test output:%n%s", log).isZero();
        assertThat(log).contains("# pass 6").contains("# fail 0");
        // Every message the client library received matches the protocol contract, as in the Java suites.
        List<String> messages = Files.readAllLines(received);
        assertThat(messages).hasSizeGreaterThan(20);
        ObjectMapper json = new ObjectMapper();
        for (String line : messages) {
            String message = json.readValue(line, String.class);
            assertThat(Contract.serverMessageViolations(message)).as(message).isEmpty();
        }
    }

    private static int nodeMajorVersion() throws IOException, InterruptedException {
        Process version = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
        String text = new String(version.getInputStream().readAllBytes()).trim();
        version.waitFor(30, TimeUnit.SECONDS);
        return Integer.parseInt(text.replaceFirst("^v(\\d+).*", "$1"));
    }
}
