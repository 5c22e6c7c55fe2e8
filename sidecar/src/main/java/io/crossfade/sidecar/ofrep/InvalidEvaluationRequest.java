package io.crossfade.sidecar.ofrep;

/** An OFREP request body the sidecar cannot evaluate, with the error code and a sentence for the caller. */
final class InvalidEvaluationRequest extends Exception {

    private final OfrepErrorCode code;

    InvalidEvaluationRequest(OfrepErrorCode code, String details) {
        super(details, null, false, false);
        this.code = code;
    }

    OfrepErrorCode code() {
        return code;
    }
}
