package dev.pulse.gateway.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** Fixed-shape server messages. Registered for reflection so the native image can serialize them. */
public final class ServerMessage {

    private ServerMessage() {
    }

    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Subscription(String type, String channel, @JsonProperty("device_id") String deviceId) {
    }

    @RegisterForReflection
    public record Pong(String type, String timestamp) {
    }

    @RegisterForReflection
    public record Error(String type, String code, String message) {
    }
}
