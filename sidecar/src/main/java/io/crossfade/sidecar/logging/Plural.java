package io.crossfade.sidecar.logging;

/** A count with its noun in the right number, for sentences a person reads: "1 migration", "6 settings". */
public final class Plural {

    private Plural() {
    }

    /** {@code n} and {@code noun}, with an "s" unless {@code n} is 1; {@code noun} is a regular English noun. */
    public static String of(long n, String noun) {
        return n + " " + (n == 1 ? noun : noun + "s");
    }
}
