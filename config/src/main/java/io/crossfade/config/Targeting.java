package io.crossfade.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A migration's cohorts, compiled for reads: the units and cohorts it always puts on new
 * ({@code include}) and those it always leaves on old ({@code exclude}), from the settings files
 * and from operators ({@code ctl include}/{@code exclude}). The order is fixed: exclude, then
 * include, then the percent (which this class leaves to {@link ActiveMigration#placementFor}).
 *
 * <p>Every listed unit sits in one hash map and every prefix in one of two sorted, prefix-free
 * arrays, so {@link #place} costs one map lookup and at most two binary searches whatever the
 * number of cohorts. Immutable and safe to share; {@link #place} allocates nothing. Equality is
 * that of the lists it was built from.
 */
public final class Targeting {

    /** No cohorts: every unit is placed by the percent. */
    public static final Targeting NONE = new Targeting(List.of(), List.of(), Set.of(), Set.of());

    private final List<Cohort> include;
    private final List<Cohort> exclude;
    private final Set<String> operatorInclude;
    private final Set<String> operatorExclude;

    private final boolean empty;
    private final List<Placement> placements;
    private final Map<String, Placement> units;
    private final String[] excludePrefixes;
    private final Placement[] excludePrefixPlacements;
    private final String[] includePrefixes;
    private final Placement[] includePrefixPlacements;

    private Targeting(List<Cohort> include, List<Cohort> exclude, Set<String> operatorInclude, Set<String> operatorExclude) {
        this.include = List.copyOf(include);
        this.exclude = List.copyOf(exclude);
        this.operatorInclude = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(operatorInclude));
        this.operatorExclude = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(operatorExclude));
        Map<String, Placement> map = new HashMap<>();
        Map<String, Placement> labels = new HashMap<>();
        for (Cohort c : this.include) {
            Placement p = label(labels, Placement.Kind.INCLUDED_NEW, c.name(), false);
            c.units().forEach(u -> map.putIfAbsent(u, p));
        }
        Placement opIn = label(labels, Placement.Kind.INCLUDED_NEW, null, true);
        this.operatorInclude.forEach(u -> map.putIfAbsent(u, opIn));
        // exclude wins: an excluded unit replaces an included one, never another exclusion
        Placement opOut = label(labels, Placement.Kind.EXCLUDED_OLD, null, true);
        for (String u : this.operatorExclude) {
            map.put(u, opOut);
        }
        for (Cohort c : this.exclude) {
            Placement p = label(labels, Placement.Kind.EXCLUDED_OLD, c.name(), false);
            for (String u : c.units()) {
                Placement old = map.get(u);
                if (old == null || old.kind() != Placement.Kind.EXCLUDED_OLD) {
                    map.put(u, p);
                }
            }
        }
        this.units = map;
        TreeMap<String, Placement> out = prefixes(this.exclude, labels, Placement.Kind.EXCLUDED_OLD);
        this.excludePrefixes = out.keySet().toArray(new String[0]);
        this.excludePrefixPlacements = out.values().toArray(new Placement[0]);
        TreeMap<String, Placement> in = prefixes(this.include, labels, Placement.Kind.INCLUDED_NEW);
        this.includePrefixes = in.keySet().toArray(new String[0]);
        this.includePrefixPlacements = in.values().toArray(new Placement[0]);
        this.empty = map.isEmpty() && excludePrefixes.length == 0 && includePrefixes.length == 0;
        this.placements = List.copyOf(labels.values());
    }

    /**
     * Every placement {@link #place} can return (one per cohort and side, and per operator side), so
     * that a reader can prepare an answer for each.
     */
    public List<Placement> placements() {
        return placements;
    }

    /**
     * The targeting of a migration's files' lists.
     *
     * @param include cohorts whose units get new unless excluded, first listed first
     * @param exclude cohorts whose units keep old
     */
    public static Targeting of(List<Cohort> include, List<Cohort> exclude) {
        return include.isEmpty() && exclude.isEmpty() ? NONE : new Targeting(include, exclude, Set.of(), Set.of());
    }

    /** This targeting with an operator's lists added, kept apart from the files' lists. */
    public Targeting withOperator(Set<String> include, Set<String> exclude) {
        if (include.isEmpty() && exclude.isEmpty() && operatorInclude.isEmpty() && operatorExclude.isEmpty()) {
            return this;
        }
        return new Targeting(this.include, this.exclude, include, exclude);
    }

    private static Placement label(Map<String, Placement> labels, Placement.Kind kind, String cohort, boolean byOperator) {
        String key = kind + "\u0000" + cohort + "\u0000" + byOperator;
        return labels.computeIfAbsent(key, k -> new Placement(kind, cohort, byOperator));
    }

    /** Sorted and prefix-free (a prefix covered by a shorter one is dropped), so a unit can match only the floor entry. */
    private static TreeMap<String, Placement> prefixes(List<Cohort> cohorts, Map<String, Placement> labels, Placement.Kind kind) {
        TreeMap<String, Placement> all = new TreeMap<>();
        for (Cohort c : cohorts) {
            Placement p = label(labels, kind, c.name(), false);
            c.prefixes().forEach(prefix -> all.putIfAbsent(prefix, p));
        }
        TreeMap<String, Placement> kept = new TreeMap<>();
        String last = null;
        for (Map.Entry<String, Placement> e : all.entrySet()) {
            if (last == null || !e.getKey().startsWith(last)) {
                kept.put(e.getKey(), e.getValue());
                last = e.getKey();
            }
        }
        return kept;
    }

    /**
     * The cohort placement of {@code unit}: {@link Placement.Kind#EXCLUDED_OLD} if any exclude list
     * holds it, else {@link Placement.Kind#INCLUDED_NEW} if any include list does, else null (the
     * percent decides). Pure, allocation-free, safe on any thread.
     */
    public Placement place(String unit) {
        if (empty) {
            return null;
        }
        Placement listed = units.get(unit);
        if (listed != null && listed.kind() == Placement.Kind.EXCLUDED_OLD) {
            return listed;
        }
        Placement p = match(excludePrefixes, excludePrefixPlacements, unit);
        if (p != null) {
            return p;
        }
        if (listed != null) {
            return listed;
        }
        return match(includePrefixes, includePrefixPlacements, unit);
    }

    private static Placement match(String[] prefixes, Placement[] placements, String unit) {
        if (prefixes.length == 0) {
            return null;
        }
        int i = Arrays.binarySearch(prefixes, unit);
        if (i >= 0) {
            return placements[i];
        }
        int floor = -i - 2;
        return floor >= 0 && unit.startsWith(prefixes[floor]) ? placements[floor] : null;
    }

    /** True when no unit is placed by a cohort. */
    public boolean isEmpty() {
        return empty;
    }

    /** The files' include list, in the order declared. */
    public List<Cohort> include() {
        return include;
    }

    /** The files' exclude list, in the order declared. */
    public List<Cohort> exclude() {
        return exclude;
    }

    /** Units an operator included, sorted. */
    public Set<String> operatorInclude() {
        return operatorInclude;
    }

    /** Units an operator excluded, sorted. */
    public Set<String> operatorExclude() {
        return operatorExclude;
    }

    /** The files' include and exclude lists without the operator's. */
    public Targeting filesOnly() {
        return operatorInclude.isEmpty() && operatorExclude.isEmpty() ? this : of(include, exclude);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Targeting t && include.equals(t.include) && exclude.equals(t.exclude)
                && operatorInclude.equals(t.operatorInclude) && operatorExclude.equals(t.operatorExclude);
    }

    @Override
    public int hashCode() {
        return Objects.hash(include, exclude, operatorInclude, operatorExclude);
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        include.forEach(c -> parts.add("include " + (c.name() == null ? c.units() : c.name())));
        exclude.forEach(c -> parts.add("exclude " + (c.name() == null ? c.units() : c.name())));
        if (!operatorInclude.isEmpty()) {
            parts.add("operator include " + operatorInclude);
        }
        if (!operatorExclude.isEmpty()) {
            parts.add("operator exclude " + operatorExclude);
        }
        return "Targeting" + parts;
    }
}
