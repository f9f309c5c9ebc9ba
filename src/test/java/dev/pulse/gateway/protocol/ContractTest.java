package dev.pulse.gateway.protocol;

import static io.restassured.RestAssured.get;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import dev.pulse.gateway.support.Contract;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The protocol contract, {@code asyncapi.yaml}: served by Pulse, its error and close codes the ones the code and
 * src/docs/protocol.md use (both ways), its schemas able to reject a wrong message, and the subprotocol version
 * negotiated. (Every message the other test classes receive is validated against it by {@link WsClient}.)
 */
@QuarkusTest
class ContractTest {

    @Test
    void theDocumentIsServedAtASimplePath() {
        String served = get("/asyncapi.yaml").then().statusCode(200).extract().asString();
        assertThat(served).startsWith("asyncapi: 3.0.0");
        assertThat(Contract.document().path("channels").path("apiV2").path("address").asText())
                .isEqualTo("/api/v2/ws");
    }

    @Test
    void itIsAValidAsyncApi300Document() throws IOException {
        String specification = Files.readString(Path.of("src/test/resources/asyncapi/asyncapi-3.0.0.schema.json"));
        Schema meta = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7)
                .getSchema(specification, InputFormat.JSON);
        assertThat(meta.validate(Contract.document().toString(), InputFormat.JSON)).isEmpty();
        // The check can fail: a document without its info object is not AsyncAPI.
        ObjectNode broken = Contract.document().deepCopy();
        broken.remove("info");
        assertThat(meta.validate(broken.toString(), InputFormat.JSON)).isNotEmpty();
    }

    @Test
    void itsErrorCodesAreExactlyTheOnesInTheCode() {
        Set<String> documented = new TreeSet<>();
        Contract.document().path("components").path("schemas").path("ErrorCode").path("enum")
                .forEach(code -> documented.add(code.asText()));
        assertThat(documented).isEqualTo(Arrays.stream(ErrorCode.values()).map(ErrorCode::wire)
                .collect(Collectors.toCollection(TreeSet::new)));
    }

    @Test
    void itsCloseCodesAreExactlyTheOnesOfTheProtocolDocumentWithTheSameClasses() throws IOException {
        Set<String> documented = new TreeSet<>();
        for (JsonNode close : Contract.document().path("info").path("x-pulse-close-codes")) {
            documented.add(close.path("code").asInt() + " " + close.path("reason").asText() + " "
                    + close.path("class").asText());
        }
        // protocol.md's table is checked against the code by DocsTest: code, reason (an example for 1002) and class.
        Set<String> inProtocolDoc = new TreeSet<>();
        String doc = Files.readString(Path.of("src/docs/protocol.md"));
        for (String line : doc.substring(doc.indexOf("| code | reason")).split("\n")) {
            if (!line.startsWith("| 1") && !line.startsWith("| 4")) {
                if (inProtocolDoc.isEmpty()) {
                    continue;
                }
                break;
            }
            List<String> cells = Arrays.stream(line.split("\\|")).map(String::trim).toList();
            String reason = cells.get(2).startsWith("`") ? cells.get(2).replace("`", "")
                    : cells.get(2).startsWith("what was wrong") ? "data frame using reserved opcode 3" : "";
            String kind = cells.get(4).startsWith("do not reconnect") ? "do-not-reconnect" : "reconnect";
            inProtocolDoc.add(cells.get(1) + " " + reason + " " + kind);
        }
        assertThat(documented).isEqualTo(inProtocolDoc);
    }

    @Test
    void theSchemasRejectMessagesThatDoNotMatch() {
        assertThat(Contract.serverMessageViolations("{\"type\":\"pong\"}")).isNotEmpty();
        assertThat(Contract.serverMessageViolations("{\"type\":\"error\",\"code\":\"no_such_code\",\"message\":\"x\"}"))
                .isNotEmpty();
        assertThat(Contract.serverMessageViolations("{\"type\":\"telemetry\",\"device_id\":\"d\",\"data\":"
                + "{\"timestamp\":\"2025-01-31T12:00:00Z\",\"metrics\":{}},\"extra\":1}")).isNotEmpty();
        assertThat(Contract.serverMessageViolations("{\"type\":\"telemetry\",\"device_id\":\"d\",\"data\":"
                + "{\"timestamp\":\"2025-01-31T12:00:00Z\",\"metrics\":{\"t\":1.5,\"ok\":true}}}")).isEmpty();
    }

    @Test
    void theVersionedSubprotocolIsNegotiatedAndThePlainOneStillWorks() {
        String tenant = Tokens.newTenant();
        try (WsClient versioned = WsClient.connectOffering(Endpoints.apiV2(null), "pulse.v1",
                "bearer." + Tokens.valid(tenant));
                WsClient plain = WsClient.connectOffering(Endpoints.apiV2(null), "pulse",
                        "bearer." + Tokens.valid(tenant))) {
            assertThat(versioned.subprotocol()).isEqualTo("pulse.v1");
            assertThat(plain.subprotocol()).isEqualTo("pulse");
            assertThat(versioned.connectedEvent().path("data").path("protocol_version").asText()).isEqualTo("1");
            versioned.send(Frames.ping()).awaitType("pong");
            plain.send(Frames.ping()).awaitType("pong");
        }
    }
}
