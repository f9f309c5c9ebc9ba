package dev.pulse.gateway.telemetry;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Builds the one InfluxQL statement Pulse sends. InfluxQL has no bind parameters, so every value is a quoted literal
 * (device ids: escaped literals inside one regular expression) and every name a quoted identifier. Device ids are
 * validated before they get here ({@code Identifiers}); escaping is the second line of defence and the only one for
 * tenant ids, which come from tokens.
 */
public final class InfluxQl {

    /** Measurement and tag names come from configuration; they are checked once at start-up. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,127}");

    private InfluxQl() {
    }

    /**
     * The latest point of each listed device of one tenant, fields only ({@code *::field}, so tags never pose as
     * metrics), grouped by device so each device's series carries its own latest row.
     *
     * <p>The devices are named by one anchored regular expression, an alternation of their escaped ids, not by an
     * {@code OR} of equalities: InfluxDB 1.x evaluates a chain of {@code OR}s in time that grows with its length times
     * the measurement's series (200 devices among 150,000 series: 0.78 s per query, 1.3 s for 400), and the one
     * regular expression once per tag value (0.08 s for 200 devices, 0.2 s for 1,000). Measured in
     * src/docs/benchmarks.md.
     */
    public static String latestPoints(String measurement, String tenantTag, String deviceTag, String tenant,
            List<String> deviceIds, Duration lookback) {
        if (deviceIds.isEmpty()) {
            throw new IllegalArgumentException("no devices");
        }
        StringBuilder q = new StringBuilder(128 + deviceIds.size() * 24);
        q.append("SELECT *::field FROM ").append(identifier(measurement))
                .append(" WHERE ").append(identifier(tenantTag)).append(" = ").append(stringLiteral(tenant))
                .append(" AND ").append(identifier(deviceTag)).append(" =~ /^(?:");
        for (int i = 0; i < deviceIds.size(); i++) {
            if (i > 0) {
                q.append('|');
            }
            appendRegexLiteral(q, deviceIds.get(i));
        }
        q.append(")$/ AND time > now() - ").append(Math.max(1, lookback.toSeconds())).append('s')
                .append(" GROUP BY ").append(identifier(deviceTag))
                .append(" ORDER BY time DESC LIMIT 1");
        return q.toString();
    }

    /**
     * Appends {@code value} to a regular expression literal so that it matches exactly itself: letters, digits and
     * {@code _} as they are, every other ASCII punctuation character escaped with a backslash (a literal in Go's
     * RE2, and {@code \/} is how an InfluxQL regular expression holds a slash). Anything else (spaces, control
     * characters, non-ASCII) is refused: device ids are validated before they get here, so this is the second line
     * of defence.
     */
    static void appendRegexLiteral(StringBuilder regex, String value) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException("empty device id");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
                regex.append(c);
            } else if (c > ' ' && c < 0x7f) {
                regex.append('\\').append(c);
            } else {
                throw new IllegalArgumentException("device id not fit for a query: " + value);
            }
        }
    }

    /** A single-quoted string literal. InfluxQL strings know exactly three escapes: {@code \\ \' \n}. */
    public static String stringLiteral(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('\'');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\'' -> out.append("\\'");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
        return out.append('\'').toString();
    }

    /** A double-quoted identifier. */
    public static String identifier(String name) {
        return '"' + name.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /** Rejects configured names that are not plain identifiers, so a typo fails at start-up, not at every poll. */
    public static String requireName(String property, String value) {
        if (!NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(property + " must be a plain name (letters, digits, _ . -), got: "
                    + value);
        }
        return value;
    }
}
