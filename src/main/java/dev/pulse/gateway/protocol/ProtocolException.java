package dev.pulse.gateway.protocol;

/** A client frame that cannot be served; becomes an {@code error} message, never a closed connection. */
public final class ProtocolException extends Exception {

    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
