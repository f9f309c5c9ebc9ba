package dev.pulse.gateway.protocol;

import static io.restassured.RestAssured.get;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Contract;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The JavaScript client's TypeScript declarations agree with the AsyncAPI document: every server message interface
 * has each property of its schema, optional exactly when the schema does not require it, with the schema's constant
 * type; the error-code union is the schema's enum. Both files are served by Pulse.
 */
@QuarkusTest
class ClientTypesTest {

    private static final Path RESOURCES = Path.of("src/main/resources/META-INF/resources");
    private static final Map<String, String> INTERFACES = Map.of(
            "Connected", "ConnectedMessage", "Telemetry", "TelemetryMessage", "Alerts", "AlertsMessage",
            "Alert", "Alert", "Event", "EventMessage", "Status", "StatusMessage", "Reconnect", "ReconnectMessage",
            "Error", "ErrorMessage");

    @Test
    void everyServerMessageInterfaceMatchesItsSchema() throws IOException {
        String declarations = Files.readString(RESOURCES.resolve("pulse-client.d.ts"));
        JsonNode schemas = Contract.document().path("components").path("schemas");
        INTERFACES.forEach((schema, name) -> assertMatches(block(declarations, name), schemas.path(schema), name));
        assertMatches(block(declarations, "ConnectedData"), schemas.path("Connected").path("properties").path("data"),
                "ConnectedData");
    }

    @Test
    void theErrorCodeUnionIsTheSchemasEnum() throws IOException {
        String declarations = Files.readString(RESOURCES.resolve("pulse-client.d.ts"));
        String union = declarations.substring(declarations.indexOf("export type ErrorCode ="),
                declarations.indexOf(";", declarations.indexOf("export type ErrorCode =")));
        Set<String> declared = new TreeSet<>();
        Matcher literal = Pattern.compile("\"([a-z_]+)\"").matcher(union);
        while (literal.find()) {
            declared.add(literal.group(1));
        }
        Set<String> documented = new TreeSet<>();
        Contract.document().path("components").path("schemas").path("ErrorCode").path("enum")
                .forEach(code -> documented.add(code.asText()));
        assertThat(declared).isEqualTo(documented);
    }

    @Test
    void theClientAndItsTypesAreServed() {
        assertThat(get("/pulse-client.js").then().statusCode(200).extract().asString())
                .contains("export class PulseClient");
        assertThat(get("/pulse-client.d.ts").then().statusCode(200).extract().asString())
                .contains("export declare class PulseClient");
    }

    private static void assertMatches(String block, JsonNode schema, String name) {
        Set<String> required = new TreeSet<>();
        schema.path("required").forEach(field -> required.add(field.asText()));
        schema.path("properties").fields().forEachRemaining(property -> {
            String field = property.getKey();
            Matcher declared = Pattern.compile("\\n\\s+" + field + "(\\??):\\s*([^;]+);").matcher(block);
            assertThat(declared.find()).as("%s.%s declared", name, field).isTrue();
            assertThat(declared.group(1).isEmpty()).as("%s.%s optional exactly when not required", name, field)
                    .isEqualTo(required.contains(field));
            JsonNode constant = property.getValue().path("const");
            if (constant.isTextual()) {
                assertThat(declared.group(2).trim()).as("%s.%s", name, field)
                        .isEqualTo("\"" + constant.asText() + "\"");
            }
        });
    }

    private static String block(String declarations, String name) {
        Matcher block = Pattern.compile("export interface " + name + " \\{(.*?)\\n}", Pattern.DOTALL)
                .matcher(declarations);
        assertThat(block.find()).as("interface %s", name).isTrue();
        return block.group(1);
    }
}
