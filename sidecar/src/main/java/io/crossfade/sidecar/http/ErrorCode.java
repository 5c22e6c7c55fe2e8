package io.crossfade.sidecar.http;

/** The {@code error} codes of the HTTP contract, each with its status. */
public enum ErrorCode {
    BAD_REQUEST("bad_request", 400),
    UNAUTHORIZED("unauthorized", 401),
    NOT_FOUND("not_found", 404),
    METHOD_NOT_ALLOWED("method_not_allowed", 405),
    CONFLICT("conflict", 409),
    PRECONDITION_FAILED("precondition_failed", 412),
    PAYLOAD_TOO_LARGE("payload_too_large", 413),
    INTERNAL("internal", 500),
    UNAVAILABLE("unavailable", 503);

    private final String code;
    private final int status;

    ErrorCode(String code, int status) {
        this.code = code;
        this.status = status;
    }

    public String code() {
        return code;
    }

    public int status() {
        return status;
    }
}
