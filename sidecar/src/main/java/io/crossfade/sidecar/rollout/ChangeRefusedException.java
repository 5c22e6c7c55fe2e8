package io.crossfade.sidecar.rollout;

/** A change the controller would not make; nothing was changed. The message is for the operator. */
public final class ChangeRefusedException extends RuntimeException {

    /** Why, in terms an API maps to a status code. */
    public enum Reason {
        /** No migration for that key. */
        NOT_FOUND,
        /** The transition is not possible from the current state. */
        CONFLICT,
        /** The caller's {@code If-Match} revision is stale. */
        PRECONDITION_FAILED,
        /** The change could not be made durable. */
        UNAVAILABLE
    }

    private final Reason reason;

    public ChangeRefusedException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public ChangeRefusedException(Reason reason, String message, Throwable cause) {
        super(message, cause, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
