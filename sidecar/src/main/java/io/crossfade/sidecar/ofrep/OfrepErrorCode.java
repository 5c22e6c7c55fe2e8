package io.crossfade.sidecar.ofrep;

/**
 * The OpenFeature error codes an OFREP answer of Crossfade can carry, each with the status it is
 * answered with. {@code TYPE_MISMATCH} is not among them: the SDK decides a type mismatch itself, so
 * the sidecar always returns the value.
 */
public enum OfrepErrorCode {
    /** The key names no setting (404). */
    FLAG_NOT_FOUND(404),
    /** The body is not JSON, or not a JSON object (400). */
    PARSE_ERROR(400),
    /** {@code context} is not an object, or its {@code targetingKey} is not a string within the unit limit (400). */
    INVALID_CONTEXT(400);

    private final int status;

    OfrepErrorCode(int status) {
        this.status = status;
    }

    /** The HTTP status answered with this code. */
    public int status() {
        return status;
    }
}
