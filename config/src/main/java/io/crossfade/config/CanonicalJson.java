package io.crossfade.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.UncheckedIOException;

/**
 * JSON text with object fields sorted, so equal values always give equal text (used for identities:
 * a change of this text changes every migration's id). Jackson sorts while writing
 * ({@link JsonNodeFeature#WRITE_PROPERTIES_SORTED}, by {@code String} order, at every depth);
 * {@code CanonicalJsonTest} pins that the bytes equal those of sorting the tree by hand.
 */
public final class CanonicalJson {

    private static final ObjectWriter WRITER = JsonMapper.builder()
            .enable(JsonNodeFeature.WRITE_PROPERTIES_SORTED)
            .build()
            .writer();

    private CanonicalJson() {
    }

    /** The canonical JSON text of {@code node}: object fields sorted recursively, no whitespace. */
    public static String write(JsonNode node) {
        try {
            return WRITER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
