package dev.pulse.gateway.protocol;

import java.util.regex.Pattern;

/**
 * Bounds on the identifiers clients send. Device ids are checked before they reach a query: 1 to 128 characters,
 * starting with a letter or digit, then letters, digits, {@code . _ : -}. Connection ids requested with
 * {@code client_id} and room names follow the same rule with at most 64 characters. Rooms belong to a tenant: two
 * tenants' rooms of the same name are different rooms.
 */
public final class Identifiers {

    public static final int DEVICE_ID_MAX_LENGTH = 128;
    public static final int CLIENT_ID_MAX_LENGTH = 64;

    private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
    private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");

    public static final int ROOM_MAX_LENGTH = 64;

    private Identifiers() {
    }

    public static boolean isValidDeviceId(String id) {
        return id != null && DEVICE_ID.matcher(id).matches();
    }

    public static boolean isValidRoom(String room) {
        return room != null && ROOM.matcher(room).matches();
    }

    public static boolean isValidClientId(String id) {
        return id != null && CLIENT_ID.matcher(id).matches();
    }
}
