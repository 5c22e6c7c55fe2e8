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
    /** A request line over the listener's limit: the contract's {@code bad_request}, with HTTP's own status. */
    URI_TOO_LONG("bad_request", 414),
    /** Request headers over the listener's limit: the contract's {@code bad_request}, with HTTP's own status. */
    HEADERS_TOO_LARGE("bad_request", 431),
    /** An Origin that may not call this listener (a web page in a browser): the contract's {@code unauthorized}. */
    FORBIDDEN("unauthorized", 403),
    /** A request that took too long to arrive: the contract's {@code bad_request}, with HTTP's own status. */
    REQUEST_TIMEOUT("bad_request", 408),
    /** A POST whose body is not declared JSON: the contract's {@code bad_request}, with HTTP's own status. */
    UNSUPPORTED_MEDIA_TYPE("bad_request", 415),
    /** A Host this listener does not answer for (DNS rebinding): the contract's {@code bad_request}. */
    MISDIRECTED_REQUEST("bad_request", 421),
    /**
     * A request in an HTTP version other than 1.0 or 1.1 (the listeners speak only those): the
     * contract's {@code bad_request}, with HTTP's own status.
     */
    HTTP_VERSION_NOT_SUPPORTED("bad_request", 505),
    /** An {@code Expect} the proxy cannot meet (anything but {@code 100-continue}): the contract's {@code bad_request}, with HTTP's own status. */
    EXPECTATION_FAILED("bad_request", 417),
    INTERNAL("internal", 500),
    /**
     * A failure inside the proxy while it forwarded a request (a header the HTTP codec refused, a
     * bug): the contract's {@code internal}, with the status of a gateway that could not get an answer.
     */
    PROXY_INTERNAL("internal", 502),
    /** The proxy's upstream refused or broke the connection: the contract's {@code unavailable}, with HTTP's own status. */
    BAD_GATEWAY("unavailable", 502),
    /** The proxy's upstream did not answer in time: the contract's {@code unavailable}, with HTTP's own status. */
    GATEWAY_TIMEOUT("unavailable", 504),
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
