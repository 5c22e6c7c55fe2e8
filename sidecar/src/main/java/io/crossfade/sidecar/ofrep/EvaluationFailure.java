package io.crossfade.sidecar.ofrep;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * OFREP's failure body: {@code evaluationFailure} and {@code flagNotFound} of a single evaluation
 * (with {@code key}), and {@code bulkEvaluationFailure} (without).
 *
 * @param key the flag key asked for; null (left out) in a bulk failure
 * @param errorCode an {@link OfrepErrorCode} name
 * @param errorDetails a sentence saying what was wrong and what was expected
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvaluationFailure(String key, OfrepErrorCode errorCode, String errorDetails) {
}
