package io.crossfade.sidecar.testing;

import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Waiting for a settings change to show over HTTP. The bound is generous on purpose: these tests
 * check that a change is served, not how fast; bench/reaction.py measures how fast.
 */
public final class Reloads {

    /** Long enough for a machine loaded by parallel builds; a reload typically takes well under a second. */
    public static final Duration BOUND = Duration.ofSeconds(30);

    private static final Duration POLL = Duration.ofMillis(20);

    private Reloads() {
    }

    /**
     * Waits, at most {@link #BOUND} from now, until {@code GET /v1/settings/{key}/value} answers
     * {@code expectedBody} (compact JSON, e.g. {@code 42} or {@code "text"}). Call right after the change.
     */
    public static void awaitValue(SidecarProcess sidecar, String key, String expectedBody) {
        await("value of " + key + " to become " + expectedBody).atMost(BOUND).pollDelay(Duration.ZERO)
                .pollInterval(POLL).until(() -> {
                    HttpResponse<String> r = sidecar.get("/v1/settings/" + key + "/value");
                    return r.statusCode() == 200 && r.body().equals(expectedBody);
                });
    }

    /** Waits, at most {@link #BOUND} from now, until {@code key} is no longer served (404). */
    public static void awaitGone(SidecarProcess sidecar, String key) {
        await(key + " to be gone").atMost(BOUND).pollDelay(Duration.ZERO).pollInterval(POLL)
                .until(() -> sidecar.get("/v1/settings/" + key + "/value").statusCode() == 404);
    }
}
