package io.crossfade.sidecar.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/watch} against the real sidecar: a settings edit arrives as one change event. */
class WatchEndpointIT {

    @TempDir
    Path settings;
    @TempDir
    Path state;

    @Test
    @Timeout(30)
    void aSettingsEditArrivesAsAChangeEventWithTheNewVersionAndItsKeys() throws Exception {
        Files.writeString(settings.resolve("app.yaml"), "settings: { a: { value: 1 }, b: { value: 2 } }\n");
        try (SidecarProcess sidecar = SidecarProcess.start(settings, state)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(sidecar.readUri().resolve("/v1/watch")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(stream.statusCode()).isEqualTo(200);
            assertThat(stream.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                assertThat(lines.readLine()).startsWith(": watching version ");

                Files.writeString(settings.resolve("app.yaml"), "settings: { a: { value: 1 }, b: { value: 3 } }\n");

                String line;
                do {
                    line = lines.readLine();
                } while (line != null && !line.startsWith("event:"));
                assertThat(line).isEqualTo("event: change");
                String data = lines.readLine();
                assertThat(data).startsWith("data: ");
                JsonNode event = new ObjectMapper().readTree(data.substring("data: ".length()));
                assertThat(event.get("keys")).hasSize(1);
                assertThat(event.get("keys").get(0).asText()).isEqualTo("b");
                long served = new ObjectMapper().readTree(sidecar.get("/v1/snapshot").body()).get("version").asLong();
                assertThat(event.get("version").asLong()).isEqualTo(served);
            }
        }
    }
}
