package io.crossfade.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {

    private final List<SseParser.Event> events = new ArrayList<>();
    private final SseParser parser = new SseParser(events::add);

    private void feed(String... lines) {
        for (String line : lines) {
            parser.line(line);
        }
    }

    @Test
    void anEmptyLineDispatchesTheEventItEnds() {
        feed("event: change", "data: {\"version\":2,\"keys\":[\"a\"]}");
        assertThat(events).isEmpty();
        feed("");
        assertThat(events).containsExactly(new SseParser.Event("change", "{\"version\":2,\"keys\":[\"a\"]}"));
    }

    @Test
    void commentsAndHeartbeatsAreNotEvents() {
        feed(": watching version 1", "", ": heartbeat", "", "");
        assertThat(events).isEmpty();
    }

    @Test
    void dataLinesJoinWithNewlinesAndTheTypeDefaultsToMessage() {
        feed("data:first", "data: second", "");
        assertThat(events).containsExactly(new SseParser.Event("message", "first\nsecond"));
    }

    @Test
    void eachEventStartsWithAFreshType() {
        feed("event: change", "data: 1", "", "data: 2", "");
        assertThat(events).extracting(SseParser.Event::type).containsExactly("change", "message");
    }

    @Test
    void unknownFieldsAndIdsAreIgnored() {
        feed("id: 7", "retry: 1000", "whatever", "event: change", "data: x", "");
        assertThat(events).containsExactly(new SseParser.Event("change", "x"));
    }
}
