package dev.pulse.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** What a connection watches: immutable while small, changed in place once large, never losing an element. */
class SmallSetsTest {

    @Test
    void smallSetsAreReplacedWholeAndLargeOnesChangedInPlace() {
        Set<String> set = Set.of();
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < SmallSets.SMALL; i++) {
            Set<String> before = set;
            set = SmallSets.with(set, "d" + i);
            expected.add("d" + i);
            assertThat(set).isNotSameAs(before).isEqualTo(expected);
            assertThat(before).hasSize(i); // the old set is untouched: readers holding it see no change
        }
        Set<String> small = set;
        set = SmallSets.with(set, "d" + SmallSets.SMALL);
        expected.add("d" + SmallSets.SMALL);
        assertThat(set).isEqualTo(expected);
        assertThat(small).hasSize(SmallSets.SMALL);

        Set<String> large = set;
        for (int i = SmallSets.SMALL + 1; i < 1000; i++) {
            set = SmallSets.with(set, "d" + i);
            expected.add("d" + i);
        }
        assertThat(set).isSameAs(large).isEqualTo(expected);
        Set<String> snapshot = SmallSets.snapshot(set);
        set = SmallSets.without(set, "d5");
        expected.remove("d5");
        assertThat(set).isSameAs(large).isEqualTo(expected);
        assertThat(snapshot).hasSize(1000).contains("d5");
    }

    @Test
    void repeatedAndMissingElementsChangeNothing() {
        Set<String> one = SmallSets.with(Set.of(), "room");
        assertThat(SmallSets.with(one, "room")).isSameAs(one);
        assertThat(SmallSets.without(one, "other")).isSameAs(one);
        assertThat(SmallSets.without(one, "room")).isEmpty();
        assertThat(SmallSets.snapshot(one)).isSameAs(one);
    }
}
