package io.crossfade.sidecar.guard;

import java.util.Locale;

/**
 * Where the guard of one migration stands. The guard's thread moves it; everyone else only reads it.
 *
 * <pre>
 *   (migration runs) ── WAITING_FOR_SAMPLES ⇄ HEALTHY ── rule holds ──▶ TRIPPING ──▶ TRIPPED
 *        ▲                                                   │ change refused        │
 *        │                                                   ▼                       │
 *        └──────── resume / set (the migration runs again): fresh window ◀──────────┘
 *   IDLE: the migration is not running for another reason (paused, halted or rolled back by an
 *   operator, completed); outcomes are dropped.
 * </pre>
 */
public enum GuardStatus {
    /** Fewer than {@code minSamples} new-variant outcomes in the window. */
    WAITING_FOR_SAMPLES,
    /** Enough outcomes and the rule does not hold. */
    HEALTHY,
    /** The rule held; the halt or rollback was asked for and is not durable yet. */
    TRIPPING,
    /** The guard halted or rolled the migration back; it stays so until an operator runs it again. */
    TRIPPED,
    /** Not watching: the migration is not running. */
    IDLE;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The lower-case name used in JSON. */
    public String wireName() {
        return wireName;
    }
}
