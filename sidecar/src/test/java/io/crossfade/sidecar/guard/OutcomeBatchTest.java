package io.crossfade.sidecar.guard;

import io.crossfade.config.WireLimits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crossfade.config.Variant;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OutcomeBatchTest {

    private static List<Outcome> parse(String body) throws OutcomeBatch.Invalid {
        return OutcomeBatch.parse(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parsesBothFormsMixedInOneBatch() throws Exception {
        List<Outcome> outcomes = parse("""
                {"outcomes": [
                  {"key": "db.pool.size", "unit": "user-42", "ok": true},
                  {"key": "db.pool.size", "variant": "new", "ok": 120, "errors": 3},
                  {"key": "db.pool.size", "unit": "user-7", "ok": false},
                  {"key": "payments.timeout_ms", "variant": "old", "ok": 0, "errors": 0}
                ]}""");
        assertThat(outcomes).containsExactly(
                new Outcome.PerUnit("db.pool.size", "user-42", true),
                new Outcome.Aggregated("db.pool.size", Variant.NEW, 120, 3),
                new Outcome.PerUnit("db.pool.size", "user-7", false),
                new Outcome.Aggregated("payments.timeout_ms", Variant.OLD, 0, 0));
    }

    @Test
    void anEmptyListIsAValidBatch() throws Exception {
        assertThat(parse("{\"outcomes\": []}")).isEmpty();
    }

    @Test
    void acceptsExactlyTheMaximumNumberOfEntries() throws Exception {
        assertThat(parse(batchOf(WireLimits.MAX_OUTCOMES_PER_REQUEST))).hasSize(WireLimits.MAX_OUTCOMES_PER_REQUEST);
    }

    @Test
    void oneEntryTooManyIsTooLarge() {
        assertThatThrownBy(() -> parse(batchOf(WireLimits.MAX_OUTCOMES_PER_REQUEST + 1)))
                .isInstanceOfSatisfying(OutcomeBatch.Invalid.class, e -> assertThat(e.tooLarge()).isTrue())
                .hasMessage("at most 1000 outcomes per request, got 1001; send them in several batches");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "empty body                 | ``                                                                  | the body is empty",
        "not JSON                   | `{\"outcomes\": [`                                                  | the body is not valid JSON at line 1",
        "not an object              | `[]`                                                                | the body must be a JSON object {\"outcomes\": [...]}, found an array",
        "no outcomes                | `{}`                                                                | the body needs an \"outcomes\" array",
        "outcomes not an array      | `{\"outcomes\": {}}`                                                | \"outcomes\" must be an array, found an object",
        "unknown top-level field    | `{\"outcomes\": [], \"extra\": 1}`                                  | unknown field 'extra' in the body",
        "entry not an object        | `{\"outcomes\": [\"x\"]}`                                           | outcomes[0] must be an object",
        "neither unit nor variant   | `{\"outcomes\": [{\"key\": \"a\", \"ok\": true}]}`                  | outcomes[0] needs a unit (per-unit form {key, unit, ok}) or a variant",
        "both unit and variant      | `{\"outcomes\": [{\"key\": \"a\", \"unit\": \"u\", \"variant\": \"new\", \"ok\": true}]}` | outcomes[0] has both unit and variant",
        "key missing                | `{\"outcomes\": [{\"unit\": \"u\", \"ok\": true}]}`                  | outcomes[0].key is missing",
        "key not a string           | `{\"outcomes\": [{\"key\": 5, \"unit\": \"u\", \"ok\": true}]}`     | outcomes[0].key must be a string, found number 5",
        "key invalid                | `{\"outcomes\": [{\"key\": \"Bad Key\", \"unit\": \"u\", \"ok\": true}]}` | outcomes[0].key 'Bad Key' is not a valid key",
        "unit not a string          | `{\"outcomes\": [{\"key\": \"a\", \"unit\": 7, \"ok\": true}]}`     | outcomes[0].unit must be a string, found number 7",
        "unit empty                 | `{\"outcomes\": [{\"key\": \"a\", \"unit\": \"\", \"ok\": true}]}`  | outcomes[0].unit is empty",
        "ok missing (per unit)      | `{\"outcomes\": [{\"key\": \"a\", \"unit\": \"u\"}]}`               | outcomes[0].ok is missing",
        "ok a string (per unit)     | `{\"outcomes\": [{\"key\": \"a\", \"unit\": \"u\", \"ok\": \"yes\"}]}` | outcomes[0].ok must be true or false in the per-unit form, found string \"yes\"",
        "errors in per-unit form    | `{\"outcomes\": [{\"key\": \"a\", \"unit\": \"u\", \"ok\": true, \"errors\": 1}]}` | outcomes[0] has an unknown field 'errors'",
        "typo in aggregated form    | `{\"outcomes\": [{\"key\": \"a\", \"variant\": \"new\", \"ok\": 1, \"error\": 2}]}` | outcomes[0] has an unknown field 'error'",
        "variant static             | `{\"outcomes\": [{\"key\": \"a\", \"variant\": \"static\", \"ok\": 1, \"errors\": 0}]}` | outcomes[0].variant must be \"old\" or \"new\", found string \"static\"",
        "variant not a string       | `{\"outcomes\": [{\"key\": \"a\", \"variant\": 1, \"ok\": 1, \"errors\": 0}]}` | outcomes[0].variant must be \"old\" or \"new\", found number 1",
        "errors missing             | `{\"outcomes\": [{\"key\": \"a\", \"variant\": \"old\", \"ok\": 1}]}` | outcomes[0].errors is missing",
        "ok negative                | `{\"outcomes\": [{\"key\": \"a\", \"variant\": \"old\", \"ok\": -1, \"errors\": 0}]}` | outcomes[0].ok must be a whole number from 0 to 1000000000, found number -1",
        "ok fractional              | `{\"outcomes\": [{\"key\": \"a\", \"variant\": \"old\", \"ok\": 1.5, \"errors\": 0}]}` | outcomes[0].ok must be a whole number",
        "errors boolean             | `{\"outcomes\": [{\"key\": \"a\", \"variant\": \"old\", \"ok\": 1, \"errors\": true}]}` | outcomes[0].errors must be a whole number from 0 to 1000000000, found boolean true",
        "count too large            | `{\"outcomes\": [{\"key\": \"a\", \"variant\": \"old\", \"ok\": 1000000001, \"errors\": 0}]}` | outcomes[0].ok must be a whole number from 0 to 1000000000",
        "count beyond a long        | `{\"outcomes\": [{\"key\": \"a\", \"variant\": \"old\", \"ok\": 99999999999999999999999, \"errors\": 0}]}` | outcomes[0].ok must be a whole number",
        "bad entry after good ones  | `{\"outcomes\": [{\"key\": \"a\", \"unit\": \"u\", \"ok\": true}, {\"key\": \"a\", \"unit\": \"u\", \"ok\": null}]}` | outcomes[1].ok must be true or false in the per-unit form, found null",
    })
    void rejectsWithAMessageNamingEntryAndField(String description, String body, String expected) {
        assertThatThrownBy(() -> parse(body))
                .isInstanceOfSatisfying(OutcomeBatch.Invalid.class, e -> assertThat(e.tooLarge()).isFalse())
                .hasMessageStartingWith(expected);
    }

    @Test
    void aUnitOverTheReadPathsLimitIsRejected() {
        String unit = "u".repeat(257);
        assertThatThrownBy(() -> parse("{\"outcomes\": [{\"key\": \"a\", \"unit\": \"" + unit + "\", \"ok\": true}]}"))
                .hasMessage("outcomes[0].unit is longer than 256 bytes");
    }

    private static String batchOf(int n) {
        StringBuilder b = new StringBuilder("{\"outcomes\": [");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("{\"key\": \"a\", \"unit\": \"u").append(i).append("\", \"ok\": true}");
        }
        return b.append("]}").toString();
    }
}
