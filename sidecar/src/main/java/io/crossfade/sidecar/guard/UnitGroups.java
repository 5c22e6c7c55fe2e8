package io.crossfade.sidecar.guard;

import java.nio.charset.StandardCharsets;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * Puts every unit in one of {@link #GROUPS} groups by a second hash, independent of the bucketing
 * hash that puts it on a side: the guard's outcomes are counted per side and group, so that memory
 * stays {@code 4 * GROUPS} counters however many units there are, while the spread between groups
 * shows how much the units differ (heavy users, retries, one client's storm). Because the group of
 * a unit is unrelated to its side, and units are independent of each other, the groups of a side
 * are independent samples of that side's units: what a cluster-robust variance needs.
 *
 * <p>Layout of a group count array ({@code long[SIZE]}): for side {@code s} (0 old, 1 new) and
 * group {@code g}, outcomes at {@code index(s, g)} and errors at {@code index(s, g) + 1}.
 * Pure; thread-safe.
 */
public final class UnitGroups {

    /** Groups per side. A power of two. */
    public static final int GROUPS = 64;

    /** Length of a group count array. */
    public static final int SIZE = 4 * GROUPS;

    /** Side index of the old variant. */
    public static final int OLD = 0;

    /** Side index of the new variant. */
    public static final int NEW = 1;

    /**
     * The seed of the grouping hash: any seed but the bucketing's 0 would do; this one spells
     * "CRSF", so that no other use of murmur3 here picks it by chance.
     */
    private static final int SEED = 0x43525346;

    private UnitGroups() {
    }

    /** The group of {@code unit}, in {@code [0, GROUPS)}. */
    public static int of(String unit) {
        byte[] bytes = unit.getBytes(StandardCharsets.UTF_8);
        return MurmurHash3.hash32x86(bytes, 0, bytes.length, SEED) & (GROUPS - 1);
    }

    /** Index of the outcome count of {@code side}'s group {@code group}; errors follow it. */
    public static int index(int side, int group) {
        return (side * GROUPS + group) * 2;
    }

    /** The outcomes of a group count array summed per side, as window counts (ok and errors). */
    public static WindowCounts totals(long[] groups) {
        long oldN = 0;
        long oldE = 0;
        long newN = 0;
        long newE = 0;
        for (int g = 0; g < GROUPS; g++) {
            int o = index(OLD, g);
            int n = index(NEW, g);
            oldN += groups[o];
            oldE += groups[o + 1];
            newN += groups[n];
            newE += groups[n + 1];
        }
        return new WindowCounts(oldN - oldE, oldE, newN - newE, newE);
    }
}
