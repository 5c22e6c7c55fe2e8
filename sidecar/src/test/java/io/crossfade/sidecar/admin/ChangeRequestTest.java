package io.crossfade.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crossfade.sidecar.admin.ChangeRequest.Action;
import io.crossfade.sidecar.rollout.Change;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChangeRequestTest {

    private static ChangeRequest parse(Action action, String body) throws ChangeRequest.Invalid {
        return ChangeRequest.parse(action, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aPercentBodyBecomesASetPercentInThousandths() throws Exception {
        assertThat(parse(Action.PERCENT, "{\"percent\": 25, \"reason\": \"  more  \"}"))
                .isEqualTo(new ChangeRequest(new Change.SetPercent(25_000), "more"));
        assertThat(parse(Action.PERCENT, "{\"percent\": 12.345}").change()).isEqualTo(new Change.SetPercent(12_345));
        assertThat(parse(Action.PERCENT, "{\"percent\": 0}").change()).isEqualTo(new Change.SetPercent(0));
        assertThat(parse(Action.PERCENT, "{\"percent\": 100.000}").change()).isEqualTo(new Change.SetPercent(100_000));
        assertThat(parse(Action.PERCENT, "{\"percent\": 2.5e1}").change()).isEqualTo(new Change.SetPercent(25_000));
    }

    /** The README says so: up to three decimals, and zeros after them change nothing. */
    @Test
    void trailingZerosAfterThreeDecimalsAreAcceptedAsTheSamePercent() throws Exception {
        assertThat(parse(Action.PERCENT, "{\"percent\": 50.0000}").change()).isEqualTo(new Change.SetPercent(50_000));
        assertThat(parse(Action.PERCENT, "{\"percent\": 12.3450000}").change()).isEqualTo(new Change.SetPercent(12_345));
        assertThatThrownBy(() -> parse(Action.PERCENT, "{\"percent\": 12.3451}"))
                .hasMessageContaining("at most three decimals");
    }

    @Test
    void theOtherActionsTakeAnOptionalReason() throws Exception {
        assertThat(parse(Action.PAUSE, "")).isEqualTo(new ChangeRequest(new Change.Pause(), null));
        assertThat(parse(Action.RESUME, "{}")).isEqualTo(new ChangeRequest(new Change.Resume(), null));
        assertThat(parse(Action.ROLLBACK, "{\"reason\": \"errors\"}"))
                .isEqualTo(new ChangeRequest(new Change.Rollback(), "errors"));
        assertThat(parse(Action.COMPLETE, "{\"reason\": null}")).isEqualTo(new ChangeRequest(new Change.Complete(), null));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"percent\": 101}                 | percent must be between 0 and 100, got 101",
            "{\"percent\": -1}                  | percent must be between 0 and 100, got -1",
            "{\"percent\": 1e999999999}         | percent must be between 0 and 100",
            "{\"percent\": 12.3456}             | percent has at most three decimals (0.001 % steps), got 12.3456",
            "{\"percent\": 1e-999999999}        | percent has at most three decimals",
            "{\"percent\": NaN}                 | percent must be a number from 0 to 100, got NaN",
            "{\"percent\": Infinity}            | percent must be a number from 0 to 100, got Infinity",
            "{\"percent\": \"25\"}              | percent must be a JSON number from 0 to 100, got a string (write 25, not \"25\")",
            "{\"percent\": true}                | percent must be a JSON number from 0 to 100, got a boolean",
            "{\"percent\": null}                | percent is missing",
            "{\"reason\": \"x\"}                | percent is missing",
            "{\"percent\": 5, \"pecrent\": 1}   | unknown field 'pecrent'; percent takes percent and reason",
            "{\"percent\": 5, \"reason\": 7}    | reason must be a string, got a number",
            "{\"percent\": 5, \"reason\": \"a\\nb\"} | reason must be one line of text",
            "[25]                               | the body must be a JSON object like",
            "25                                 | the body must be a JSON object like",
            "{\"percent\": 5,}                  | the body is not valid JSON",
            "{\"percent\": 5, \"percent\": 6}   | Duplicate field 'percent'",
            "{\"percent\": 5} {}                | the body is not valid JSON",
    })
    void badPercentBodiesAreRefusedWithTheirOwnSentence(String body, String message) {
        assertThatThrownBy(() -> parse(Action.PERCENT, body.strip())).isInstanceOf(ChangeRequest.Invalid.class)
                .hasMessageContaining(message.strip());
    }

    @Test
    void anEmptyPercentBodyAndALongReasonAreRefused() {
        assertThatThrownBy(() -> parse(Action.PERCENT, "")).hasMessageContaining("the body is empty");
        String reason = "x".repeat(ChangeRequest.MAX_REASON_LENGTH + 1);
        assertThatThrownBy(() -> parse(Action.PAUSE, "{\"reason\": \"" + reason + "\"}"))
                .hasMessageContaining("longer than 1000");
        assertThatThrownBy(() -> parse(Action.PAUSE, "{\"percent\": 5}"))
                .hasMessageContaining("unknown field 'percent'; pause takes only reason");
    }

    @Test
    void theCohortActionsTakeUnitsAndAReason() throws Exception {
        ChangeRequest r = parse(Action.EXCLUDE, "{\"units\": [\"acme\", \"globex\"], \"reason\": \"contract freeze\"}");
        assertThat(r.change()).isEqualTo(new Change.Cohort(Change.CohortOp.EXCLUDE, java.util.List.of("acme", "globex")));
        assertThat(r.change().action()).isEqualTo("exclude");
        assertThat(r.reason()).isEqualTo("contract freeze");
        assertThat(Action.ofSegment("uninclude")).isEqualTo(Action.UNINCLUDE);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|the body is empty; send {\"units\": [\"alice\"]",
        "{}|units is missing",
        "{\"units\": []}|units must be a non-empty JSON array of strings",
        "{\"units\": \"alice\"}|units must be a non-empty JSON array of strings",
        "{\"units\": [1]}|units[0] must be a string",
        "{\"units\": [\"\"]}|units[0]: a unit must not be empty",
        "{\"units\": [\"a\"], \"percent\": 5}|unknown field 'percent'; include takes units and reason"})
    void aBadCohortBodyIsRefusedWithWhatWasWrong(String body, String message) {
        assertThatThrownBy(() -> parse(Action.INCLUDE, body)).isInstanceOf(ChangeRequest.Invalid.class)
                .hasMessageContaining(message);
    }

    @Test
    void aUnitOverTheWireLimitIsRefused() {
        String body = "{\"units\": [\"" + "x".repeat(257) + "\"]}";
        assertThatThrownBy(() -> parse(Action.EXCLUDE, body)).hasMessageContaining("longer than 256 bytes");
    }
}
