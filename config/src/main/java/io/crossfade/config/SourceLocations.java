package io.crossfade.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Line numbers of the fields of one settings file, so that validation errors (found on the parsed
 * tree, which has no positions) can still point at a line. Paths are lists of field names, with
 * array elements as {@code "[i]"}.
 */
final class SourceLocations {

    private final Map<List<String>, Integer> lines;

    private SourceLocations(Map<List<String>, Integer> lines) {
        this.lines = lines;
    }

    static SourceLocations none() {
        return new SourceLocations(Map.of());
    }

    /** Scans {@code content} with a streaming parser of {@code factory}; an unreadable file yields no locations. */
    static SourceLocations scan(JsonFactory factory, byte[] content) {
        try (JsonParser parser = factory.createParser(content)) {
            Recording recording = new Recording(parser);
            try {
                while (recording.nextToken() != null) {
                    // every token is recorded on its way past
                }
            } catch (IOException | RuntimeException e) {
                // Syntax errors are reported by the tree parse; whatever was scanned so far is still useful.
            }
            return recording.locations();
        } catch (IOException e) {
            return none();
        }
    }

    /**
     * A parser that records the line of every field (and array element) it hands out, so that one
     * pass both builds the tree (whoever reads from it, e.g. {@code ObjectMapper.readTree}) and
     * finds the lines: a settings file of 10 000 entries is then parsed once, not twice. The
     * {@code next…} methods of {@link JsonParser} all advance through {@link #nextToken()}.
     */
    static final class Recording extends JsonParserDelegate {

        private final Map<List<String>, Integer> lines = new HashMap<>();
        private final Deque<Object> path = new ArrayDeque<>(); // String field names or int[] array counters

        Recording(JsonParser parser) {
            super(parser);
        }

        @Override
        public JsonToken nextToken() throws IOException {
            JsonToken token = delegate.nextToken();
            if (token != null) {
                record(token);
            }
            return token;
        }

        @Override
        public JsonToken nextValue() throws IOException {
            JsonToken token = nextToken();
            return token == JsonToken.FIELD_NAME ? nextToken() : token;
        }

        @Override
        public JsonParser skipChildren() throws IOException {
            if (!currentToken().isStructStart()) {
                return this;
            }
            for (int open = 1; open > 0; ) {
                JsonToken token = nextToken();
                if (token == null) {
                    return this;
                }
                if (token.isStructStart()) {
                    open++;
                } else if (token.isStructEnd()) {
                    open--;
                }
            }
            return this;
        }

        private void record(JsonToken token) throws IOException {
            switch (token) {
                case FIELD_NAME:
                    if (!path.isEmpty() && path.peekLast() instanceof String) {
                        path.removeLast();
                    }
                    path.addLast(delegate.currentName());
                    lines.put(render(path), delegate.currentTokenLocation().getLineNr());
                    break;
                case START_OBJECT:
                case START_ARRAY:
                    recordArrayElement(path, lines, delegate);
                    path.addLast(token == JsonToken.START_ARRAY ? new int[] {0} : new Object());
                    break;
                case END_OBJECT:
                case END_ARRAY:
                    if (!path.isEmpty() && path.peekLast() instanceof String) {
                        path.removeLast();
                    }
                    if (!path.isEmpty()) {
                        path.removeLast();
                    }
                    break;
                default:
                    recordArrayElement(path, lines, delegate);
                    break;
            }
        }

        /** The lines of what has passed so far. */
        SourceLocations locations() {
            return new SourceLocations(lines);
        }
    }

    private static void recordArrayElement(Deque<Object> path, Map<List<String>, Integer> lines, JsonParser parser) {
        if (!path.isEmpty() && path.peekLast() instanceof int[]) {
            int[] counter = (int[]) path.peekLast();
            List<String> rendered = render(path);
            rendered.remove(rendered.size() - 1);
            rendered.add("[" + counter[0] + "]");
            lines.put(rendered, parser.currentTokenLocation().getLineNr());
            counter[0]++;
        }
    }

    private static List<String> render(Deque<Object> path) {
        List<String> out = new ArrayList<>();
        for (Object o : path) {
            if (o instanceof String s) {
                out.add(s);
            } else if (o instanceof int[] counter) {
                // the element currently open is the one before the counter's next index
                out.add("[" + Math.max(0, counter[0] - 1) + "]");
            }
        }
        return out;
    }

    /** The line of {@code path}, or of its deepest known ancestor; 0 when nothing is known. */
    int lineOf(String... path) {
        List<String> p = new ArrayList<>(List.of(path));
        while (!p.isEmpty()) {
            Integer line = lines.get(p);
            if (line != null) {
                return line;
            }
            p.remove(p.size() - 1);
        }
        return 0;
    }
}
