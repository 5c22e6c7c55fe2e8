package io.crossfade.sidecar.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.sidecar.json.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The admin API as {@code crossfade ctl} talks to it (JDK HttpClient). Every failure — the sidecar
 * away, the token refused, a change refused — becomes a {@link Refused} whose message says why and,
 * where it can, what to do.
 */
final class AdminClient {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

    /** Why a call did not succeed, as a sentence for the operator. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * A successful answer.
     *
     * @param body the parsed JSON
     * @param raw the body as sent, for {@code --json}
     */
    record Answer(JsonNode body, String raw) {

        /** The body as the view record the admin API serialised it from. */
        <T> T as(Class<T> view) throws Refused {
            try {
                return Json.MAPPER.treeToValue(body, view);
            } catch (IOException | IllegalArgumentException e) {
                throw new Refused("the sidecar's answer is not a " + view.getSimpleName() + ": " + describe(e));
            }
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    private final URI base;
    private final String token;
    private final Path tokenFile;

    /**
     * @param base the ops listener, e.g. {@code http://127.0.0.1:7071}
     * @param token the bearer token
     * @param tokenFile where the token came from, for messages
     */
    AdminClient(URI base, String token, Path tokenFile) {
        this.base = base;
        this.token = token;
        this.tokenFile = tokenFile;
    }

    /** GET {@code pathAndQuery}. */
    Answer get(String pathAndQuery) throws Refused {
        return send(request(pathAndQuery).GET().build());
    }

    /** POST {@code body} to {@code path}, conditional on {@code ifMatch} when not null. */
    Answer post(String path, JsonNode body, Long ifMatch) throws Refused {
        HttpRequest.Builder b = request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        if (ifMatch != null) {
            b.header("If-Match", "\"" + ifMatch + "\"");
        }
        return send(b.build());
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(ANSWER_TIMEOUT)
                .header("Authorization", "Bearer " + token).header("Accept", "application/json");
    }

    private Answer send(HttpRequest request) throws Refused {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpConnectTimeoutException e) {
            throw new Refused("cannot reach the sidecar at " + base + ": the connection timed out after "
                    + CONNECT_TIMEOUT.toSeconds() + " s — is the address right (--ops or CROSSFADE_OPS)?");
        } catch (HttpTimeoutException e) {
            throw new Refused("the sidecar at " + base + " did not answer within " + ANSWER_TIMEOUT.toSeconds()
                    + " s; the change may still be applied: check with `crossfade ctl status`");
        } catch (ConnectException e) {
            throw new Refused("cannot reach the sidecar at " + base + ": connection refused — is `crossfade serve`"
                    + " running? (set the address with --ops or CROSSFADE_OPS)");
        } catch (IOException e) {
            throw new Refused("cannot reach the sidecar at " + base + ": " + describe(e));
        } catch (IllegalArgumentException e) {
            throw new Refused("cannot reach the sidecar at " + base + ": " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refused("interrupted while waiting for the sidecar at " + base);
        }
        JsonNode body = parse(response.body());
        int status = response.statusCode();
        if (status >= 200 && status < 300 && body != null) {
            return new Answer(body, response.body());
        }
        String message = body != null && body.hasNonNull("message") ? body.get("message").asText() : null;
        String code = body != null && body.hasNonNull("error") ? body.get("error").asText() : null;
        if (message == null) {
            throw new Refused(base + " answered HTTP " + status + " without a crossfade answer; is --ops the"
                    + " sidecar's ops listener (--ops-listen)?");
        }
        if (status == 401) {
            throw new Refused("the sidecar refused the token in " + tokenFile + " (401): " + message
                    + ". Use the token the sidecar was started with: --state pointing at its state directory,"
                    + " or --token-file");
        }
        throw new Refused("refused (" + status + " " + code + "): " + message);
    }

    private static JsonNode parse(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null || message.isBlank() ? root.getClass().getSimpleName() : message;
    }
}
