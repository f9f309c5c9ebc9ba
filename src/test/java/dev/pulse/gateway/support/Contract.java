package dev.pulse.gateway.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

/**
 * The protocol contract, {@code asyncapi.yaml}, as a validator: every message a test client receives is checked
 * against its {@code ServerMessage} schema ({@link WsClient} does it for each frame), so a message that drifts from the
 * document fails whichever test saw it.
 */
public final class Contract {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode DOCUMENT = read();
    private static final Schema SERVER_MESSAGE = schema("ServerMessage");

    private Contract() {
    }

    /** The AsyncAPI document as served ({@code META-INF/resources/asyncapi.yaml}). */
    public static JsonNode document() {
        return DOCUMENT;
    }

    /** What is wrong with {@code json} as a message from Pulse; empty when it matches the contract. */
    public static List<String> serverMessageViolations(String json) {
        try {
            JSON.readTree(json);
        } catch (IOException e) {
            return List.of("not JSON: " + json);
        }
        return SERVER_MESSAGE.validate(json, InputFormat.JSON).stream().map(Error::toString).toList();
    }

    /**
     * One schema of {@code components.schemas} as a standalone JSON Schema (2020-12): the document's schemas become
     * its {@code $defs}, so their references resolve.
     */
    public static Schema schema(String name) {
        return componentSchema(DOCUMENT, name);
    }

    /**
     * One schema of any document's {@code components.schemas} (AsyncAPI here, OpenAPI 3.1 in OpenApiIT) as a standalone
     * JSON Schema 2020-12, the other components becoming its {@code $defs} so that references resolve.
     */
    public static Schema componentSchema(JsonNode document, String name) {
        ObjectNode root = JSON.createObjectNode();
        root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        root.set("$defs", document.path("components").path("schemas"));
        root.put("$ref", "#/components/schemas/" + name);
        String text = root.toString().replace("#/components/schemas/", "#/$defs/");
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(text, InputFormat.JSON);
    }

    private static JsonNode read() {
        try (InputStream in = Contract.class.getClassLoader().getResourceAsStream("META-INF/resources/asyncapi.yaml")) {
            if (in == null) {
                throw new IllegalStateException("asyncapi.yaml is not on the class path");
            }
            return new ObjectMapper(new YAMLFactory()).readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
