package dev.pulse.gateway.support;

import org.eclipse.microprofile.config.ConfigProvider;

import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/**
 * The management interface of the application under test (health and metrics), which is not on the public HTTP port:
 * {@code quarkus.management.test-port} (9001) in @QuarkusTest, the same port given to the packaged application by
 * {@link PackagedStack}.
 */
public final class Management {

    public static final int DEFAULT_TEST_PORT = 9001;

    private Management() {
    }

    public static int port() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.management.test-port", Integer.class)
                .orElse(DEFAULT_TEST_PORT);
    }

    public static RequestSpecification given() {
        return RestAssured.given().port(port());
    }

    /** A GET on the management interface, e.g. {@code /q/health/ready}. */
    public static Response get(String path) {
        return given().get(path);
    }
}
