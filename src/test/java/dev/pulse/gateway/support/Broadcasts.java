package dev.pulse.gateway.support;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

/** {@code POST /ws/broadcast} as a backend calls it. */
public final class Broadcasts {

    private Broadcasts() {
    }

    /** A token of the publishing role for {@code tenant}. */
    public static String serviceToken(String tenant) {
        return Tokens.sign(Tokens.claims(tenant, "service"));
    }

    public static ValidatableResponse post(String token, String body) {
        var request = given().contentType(ContentType.JSON).body(body);
        if (token != null) {
            request = request.header("Authorization", "Bearer " + token);
        }
        return request.when().post("/ws/broadcast").then();
    }

    /** Publishes and expects 202; returns the number of local recipients Pulse reported. */
    public static int publish(String tenant, String body) {
        return post(serviceToken(tenant), body).statusCode(202).extract().path("recipients");
    }
}
