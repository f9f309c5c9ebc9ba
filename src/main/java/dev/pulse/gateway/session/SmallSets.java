package dev.pulse.gateway.session;

import java.util.Set;

/**
 * Immutable sets of strings, replaced whole on each change: what one connection watches (a few devices, a room or
 * two, a short event filter). An empty one is a shared constant and a one-element set is 24 bytes, where a concurrent
 * set costs about 90 bytes empty and 200 with one element; across tens of thousands of idle connections that
 * difference is a large share of their heap (src/docs/benchmarks.md). Readers need no lock; a change copies the set,
 * which the per-connection limits keep small (at most {@code pulse.limits.devices-per-connection}).
 */
final class SmallSets {

    private SmallSets() {
    }

    /** {@code set} with {@code element} added (the same instance when it is there already). */
    static Set<String> with(Set<String> set, String element) {
        if (set.contains(element)) {
            return set;
        }
        if (set.isEmpty()) {
            return Set.of(element);
        }
        String[] elements = set.toArray(new String[set.size() + 1]);
        elements[set.size()] = element;
        return Set.of(elements);
    }

    /** {@code set} without {@code element} (the same instance when it was not there). */
    static Set<String> without(Set<String> set, String element) {
        if (!set.contains(element)) {
            return set;
        }
        if (set.size() == 1) {
            return Set.of();
        }
        String[] rest = new String[set.size() - 1];
        int i = 0;
        for (String kept : set) {
            if (!kept.equals(element)) {
                rest[i++] = kept;
            }
        }
        return Set.of(rest);
    }
}
