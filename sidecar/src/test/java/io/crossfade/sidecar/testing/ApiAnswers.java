package io.crossfade.sidecar.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;

/** Reading and checking the sidecar's JSON answers in tests. */
public final class ApiAnswers {

    /** Keeps decimals exact, as the sidecar writes them. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private ApiAnswers() {
    }

    /** The body parsed as JSON. */
    public static JsonNode json(String body) {
        try {
            return MAPPER.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }

    /** The response's body parsed as JSON, after checking it says it is JSON. */
    public static JsonNode json(HttpResponse<String> response) {
        assertThat(response.headers().firstValue("content-type")).as("content type of %s", response.uri())
                .hasValue("application/json; charset=utf-8");
        return json(response.body());
    }

    /**
     * Asserts the contract's error answer: {@code status}, JSON {@code {"error": code, "message": ...}}
     * with nothing else and a non-blank message; returns the message.
     */
    public static String assertError(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).as("status of %s, body %s", response.uri(), response.body()).isEqualTo(status);
        JsonNode body = json(response);
        assertThat(body.properties()).extracting(java.util.Map.Entry::getKey).containsExactlyInAnyOrder("error", "message");
        assertThat(body.path("error").asText()).isEqualTo(code);
        assertThat(body.path("message").asText()).isNotBlank();
        return body.path("message").asText();
    }
}
