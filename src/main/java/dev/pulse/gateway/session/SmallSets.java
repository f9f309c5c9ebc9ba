package dev.pulse.gateway.session;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sets of strings for what one connection watches (its devices, rooms and event filter), kept cheap for the common
 * case of a few elements: up to {@value #SMALL} they are immutable sets replaced whole on each change (the empty one
 * shared, a one-element set 24 bytes, where a concurrent set costs about 90 bytes empty and 200 with one element; across
 * tens of thousands of idle connections that difference is a large share of their heap). Past that a set becomes a
 * concurrent set changed in place, so a connection subscribing to a thousand devices does not copy its set a thousand
 * times. Changes are made by one thread at a time (the session's lock); readers need no lock, and get a
 * {@linkplain #snapshot snapshot} when they keep the set.
 */
final class SmallSets {

    /** The most elements a set holds as an immutable copy. */
    static final int SMALL = 8;

    private SmallSets() {
    }

    /** {@code set} with {@code element} added: the same set when it holds it already or is a large one. */
    static Set<String> with(Set<String> set, String element) {
        if (set.contains(element)) {
            return set;
        }
        if (isLarge(set)) {
            set.add(element);
            return set;
        }
        if (set.size() >= SMALL) {
            Set<String> large = ConcurrentHashMap.newKeySet(SMALL * 2);
            large.addAll(set);
            large.add(element);
            return large;
        }
        if (set.isEmpty()) {
            return Set.of(element);
        }
        String[] elements = set.toArray(new String[set.size() + 1]);
        elements[set.size()] = element;
        return Set.of(elements);
    }

    /** {@code set} without {@code element}: the same set when it did not hold it or is a large one. */
    static Set<String> without(Set<String> set, String element) {
        if (!set.contains(element)) {
            return set;
        }
        if (isLarge(set)) {
            set.remove(element);
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

    /** A set that stays as it is: the set itself while immutable, a copy of a large one. */
    static Set<String> snapshot(Set<String> set) {
        return isLarge(set) ? Set.copyOf(set) : set;
    }

    private static boolean isLarge(Set<String> set) {
        return set instanceof ConcurrentHashMap.KeySetView;
    }
}
