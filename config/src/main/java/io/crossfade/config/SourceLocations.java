package io.crossfade.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
        Map<List<String>, Integer> lines = new HashMap<>();
        try (JsonParser parser = factory.createParser(content)) {
            Deque<Object> path = new ArrayDeque<>(); // String field names or int[] array counters
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                switch (token) {
                    case FIELD_NAME:
                        if (!path.isEmpty() && path.peekLast() instanceof String) {
                            path.removeLast();
                        }
                        path.addLast(parser.currentName());
                        lines.put(render(path), parser.currentTokenLocation().getLineNr());
                        break;
                    case START_OBJECT:
                    case START_ARRAY:
                        recordArrayElement(path, lines, parser);
                        path.addLast(token == JsonToken.START_ARRAY ? new int[] {0} : new Object());
                        break;
                    case END_OBJECT:
                    case END_ARRAY:
                        if (!path.isEmpty() && path.peekLast() instanceof String) {
                            path.removeLast();
                        }
                        path.removeLast();
                        break;
                    default:
                        recordArrayElement(path, lines, parser);
                        break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Syntax errors are reported by the tree parse; whatever was scanned so far is still useful.
        }
        return new SourceLocations(lines);
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
