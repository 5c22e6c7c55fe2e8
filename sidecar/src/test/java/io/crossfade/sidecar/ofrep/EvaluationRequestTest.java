package io.crossfade.sidecar.ofrep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EvaluationRequestTest {

    static EvaluationRequest parse(String body, boolean canonical) throws InvalidEvaluationRequest {
        return EvaluationRequest.parse(body.getBytes(StandardCharsets.UTF_8), canonical);
    }

    static OfrepErrorCode refusal(String body, boolean canonical) {
        try {
            parse(body, canonical);
        } catch (InvalidEvaluationRequest e) {
            assertThat(e.getMessage()).isNotBlank();
            return e.code();
        }
        return null;
    }

    @Test
    void theTargetingKeyIsTheUnitInBothReadings() throws Exception {
        String body = "{\"x\":[{\"targetingKey\":1}],\"context\":{\"plan\":{\"targetingKey\":2},\"targetingKey\":\"user-42\"}}";
        assertThat(parse(body, false).targetingKey()).isEqualTo("user-42");
        assertThat(parse(body, true).targetingKey()).isEqualTo("user-42");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " \n\t", "{}", "{\"context\":{}}", "{\"flags\":[1,2]}"})
    void noContextMeansNoTargetingKey(String body) throws Exception {
        assertThat(parse(body, false).targetingKey()).isNull();
        assertThat(parse(body, true).targetingKey()).isNull();
    }

    @Test
    void equalContextsInAnyFieldOrderGiveEqualTags() throws Exception {
        String a = parse("{\"context\":{\"targetingKey\":\"u\",\"plan\":\"pro\",\"n\":{\"b\":1,\"a\":2}}}", true)
                .contextTag("u");
        String b = parse("{ \"context\" : {\"n\":{\"a\":2,\"b\":1}, \"plan\":\"pro\", \"targetingKey\":\"u\"}, \"x\":1 }", true)
                .contextTag("u");
        assertThat(a).isEqualTo(b).hasSize(32);
        assertThat(parse("{\"context\":{\"targetingKey\":\"u\",\"plan\":\"free\",\"n\":{\"b\":1,\"a\":2}}}", true)
                .contextTag("u")).isNotEqualTo(a);
    }

    @Test
    void theUnitIsPartOfTheTagSoTheInstanceIdCounts() throws Exception {
        EvaluationRequest none = parse("{}", true);
        assertThat(none.contextTag("pod-1")).isNotEqualTo(none.contextTag("pod-2"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{                                  | PARSE_ERROR",
        "[]                                 | PARSE_ERROR",
        "null                               | PARSE_ERROR",
        "{} []                              | PARSE_ERROR",
        "{\"a\":1,\"a\":2}                  | PARSE_ERROR",
        "{\"context\":[],                   | PARSE_ERROR",
        "{\"context\":null}                 | INVALID_CONTEXT",
        "{\"context\":\"u\"}                | INVALID_CONTEXT",
        "{\"context\":{\"targetingKey\":7}} | INVALID_CONTEXT",
        "{\"context\":{\"targetingKey\":null}} | INVALID_CONTEXT",
    })
    void refusalsNameTheirCode(String body, OfrepErrorCode code) {
        assertThat(refusal(body, false)).as("single reading of %s", body).isEqualTo(code);
        assertThat(refusal(body, true)).as("bulk reading of %s", body).isEqualTo(code);
    }

    @Test
    void aTargetingKeyIsAtMost256Utf8Bytes() throws Exception {
        assertThat(parse("{\"context\":{\"targetingKey\":\"" + "€".repeat(85) + "a\"}}", false).targetingKey()).hasSize(86);
        assertThat(refusal("{\"context\":{\"targetingKey\":\"" + "€".repeat(86) + "\"}}", false))
                .isEqualTo(OfrepErrorCode.INVALID_CONTEXT);
    }

    @Test
    void aParseErrorSaysWhereAndWhatWasExpected() {
        assertThatThrownBy(() -> parse("{\"context\":\n  {\"targetingKey\": }", false))
                .isInstanceOf(InvalidEvaluationRequest.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("expected a JSON object such as");
    }
}
