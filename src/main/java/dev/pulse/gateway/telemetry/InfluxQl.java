package dev.pulse.gateway.telemetry;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Builds the one InfluxQL statement Pulse sends. InfluxQL has no bind parameters, so every value is a quoted literal
 * and every name a quoted identifier. Device ids are validated before they get here ({@code Identifiers}); escaping
 * is the second line of defence and the only one for tenant ids, which come from tokens.
 */
public final class InfluxQl {

    /** Measurement and tag names come from configuration; they are checked once at start-up. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,127}");

    private InfluxQl() {
    }

    /**
     * The latest point of each listed device of one tenant, fields only ({@code *::field}, so tags never pose as
     * metrics), grouped by device so each device's series carries its own latest row.
     */
    public static String latestPoints(String measurement, String tenantTag, String deviceTag, String tenant,
            List<String> deviceIds, Duration lookback) {
        if (deviceIds.isEmpty()) {
            throw new IllegalArgumentException("no devices");
        }
        StringBuilder q = new StringBuilder(96 + deviceIds.size() * 32);
        q.append("SELECT *::field FROM ").append(identifier(measurement))
                .append(" WHERE ").append(identifier(tenantTag)).append(" = ").append(stringLiteral(tenant))
                .append(" AND (");
        for (int i = 0; i < deviceIds.size(); i++) {
            if (i > 0) {
                q.append(" OR ");
            }
            q.append(identifier(deviceTag)).append(" = ").append(stringLiteral(deviceIds.get(i)));
        }
        q.append(") AND time > now() - ").append(Math.max(1, lookback.toSeconds())).append('s')
                .append(" GROUP BY ").append(identifier(deviceTag))
                .append(" ORDER BY time DESC LIMIT 1");
        return q.toString();
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
