package io.crossfade.client.internal;

import java.util.function.Consumer;

/**
 * Turns the lines of a Server-Sent Events stream into events, as the HTML standard's parsing rules
 * say: {@code field: value} lines accumulate until an empty line dispatches them; lines starting with
 * {@code :} are comments (the sidecar's heartbeat). Not thread-safe: feed it from one stream.
 */
final class SseParser {

    /** One dispatched event: its type ({@code message} unless the stream named one) and its data. */
    public record Event(String type, String data) {
    }

    private final Consumer<Event> events;
    private String type = "";
    private StringBuilder data;

    /** @param events told each dispatched event, on the feeding thread */
    public SseParser(Consumer<Event> events) {
        this.events = events;
    }

    /** Feeds one line, without its line terminator. */
    public void line(String line) {
        if (line.isEmpty()) {
            dispatch();
            return;
        }
        if (line.charAt(0) == ':') {
            return;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "event":
                type = value;
                break;
            case "data":
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
                break;
            default:
                // id and retry are not used by this client; unknown fields are ignored by the standard
                break;
        }
    }

    private void dispatch() {
        if (data != null) {
            events.accept(new Event(type.isEmpty() ? "message" : type, data.toString()));
        }
        data = null;
        type = "";
    }
}
