package io.crossfade.config;

import java.util.Objects;

/**
 * Why a unit is on the side it is on in a migration: excluded (old), included (new) or placed by
 * the percent. Every reader (read API, OFREP, proxy, clients, guard) asks {@link
 * ActiveMigration#placementFor} and so agrees. Instances are shared and immutable; reads allocate
 * none.
 */
public final class Placement {

    /** The four ways a unit is placed, in the order they are decided. */
    public enum Kind {
        /** In the migration's {@code exclude}: old, whatever the percent. */
        EXCLUDED_OLD(Variant.OLD),
        /** In its {@code include} and not excluded: new, whatever the percent. */
        INCLUDED_NEW(Variant.NEW),
        /** In neither; the percent put it on new. */
        SPLIT_NEW(Variant.NEW),
        /** In neither; the percent put it on old. */
        SPLIT_OLD(Variant.OLD);

        private final Variant variant;

        Kind(Variant variant) {
            this.variant = variant;
        }

        /** The side this kind of placement means. */
        public Variant variant() {
            return variant;
        }
    }

    /** Placed by the percent, on new. */
    public static final Placement SPLIT_NEW = new Placement(Kind.SPLIT_NEW, null, false);
    /** Placed by the percent, on old. */
    public static final Placement SPLIT_OLD = new Placement(Kind.SPLIT_OLD, null, false);

    private final Kind kind;
    private final String cohort;
    private final boolean byOperator;

    Placement(Kind kind, String cohort, boolean byOperator) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.cohort = cohort;
        this.byOperator = byOperator;
    }

    /** How the unit was placed. */
    public Kind kind() {
        return kind;
    }

    /** The side the unit is on. */
    public Variant variant() {
        return kind.variant;
    }

    /** True when a cohort (named or inline, from the files or an operator) placed the unit, not the percent. */
    public boolean byCohort() {
        return kind == Kind.EXCLUDED_OLD || kind == Kind.INCLUDED_NEW;
    }

    /** The named cohort that placed the unit; null when placed by the percent or by a unit listed inline or by an operator. */
    public String cohort() {
        return cohort;
    }

    /** True when the unit is in an operator's list ({@code ctl include}/{@code exclude}) rather than the files'. */
    public boolean byOperator() {
        return byOperator;
    }

    @Override
    public String toString() {
        return kind + (cohort == null ? "" : "(" + cohort + ")") + (byOperator ? "[operator]" : "");
    }
}
