package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The token-form check accepts what the regular expression it replaced accepted, and nothing else. */
class CompactTokensTest {

    /** The expression {@link TokenVerifier#isCompact} replaced. */
    private static final Pattern COMPACT_SERIALIZATION = Pattern.compile(
            "[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]*){2}|[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]*){4}");

    @Test
    void agreesWithTheRegularExpressionOnHostileAndOrdinaryStrings() {
        String alphabet = "Aa9-_.,.=+/ \u00e9\u0000.";
        SplittableRandom random = new SplittableRandom(7);
        int accepted = 0;
        for (int n = 0; n < 200_000; n++) {
            StringBuilder token = new StringBuilder();
            int length = random.nextInt(12);
            for (int i = 0; i < length; i++) {
                token.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            boolean expected = COMPACT_SERIALIZATION.matcher(token).matches();
            assertThat(TokenVerifier.isCompact(token.toString())).as("\"%s\"", token).isEqualTo(expected);
            accepted += expected ? 1 : 0;
        }
        assertThat(accepted).as("the sample holds tokens of both kinds").isGreaterThan(500);
    }

    @Test
    void namedCases() {
        assertThat(TokenVerifier.isCompact("a.b.c")).isTrue();
        assertThat(TokenVerifier.isCompact("a..")).isTrue();
        assertThat(TokenVerifier.isCompact("a.b.c.d.e")).isTrue();
        assertThat(TokenVerifier.isCompact("")).isFalse();
        assertThat(TokenVerifier.isCompact(".b.c")).isFalse();
        assertThat(TokenVerifier.isCompact("a.b")).isFalse();
        assertThat(TokenVerifier.isCompact("a.b.c.d")).isFalse();
        assertThat(TokenVerifier.isCompact("a.b.c.d.e.f")).isFalse();
        assertThat(TokenVerifier.isCompact("a.b.sig,nature")).isFalse();
        assertThat(TokenVerifier.isCompact("a.b.c=")).isFalse();
    }
}
