package io.crossfade.sidecar.rollout;

/**
 * A commit lost a compare-and-swap: another writer committed after the revision it was based on.
 * Nothing was written; the caller re-reads the state and decides again.
 */
public final class StaleStateException extends Exception {

    private final long current;

    /** @param current the store's revision as the commit found it */
    public StaleStateException(long basedOn, long current) {
        super("the state changed since revision " + basedOn + " (now " + current + ")");
        this.current = current;
    }

    /** The store's revision as the failed commit found it. */
    public long current() {
        return current;
    }
}
