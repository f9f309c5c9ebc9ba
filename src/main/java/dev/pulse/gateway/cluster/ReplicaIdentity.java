package dev.pulse.gateway.cluster;

import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Who this replica is to the others: a random id per process, so a restarted replica is a new member. PostgreSQL knows
 * the live members by the {@code application_name} of their LISTEN connections ({@link #applicationName()}): a
 * connection that ends (the process died, the network dropped it) removes its replica from the cluster at once.
 */
@ApplicationScoped
public class ReplicaIdentity {

    /** The prefix of a replica's {@code application_name}; the rest is its id. */
    public static final String APPLICATION_NAME_PREFIX = "pulse-replica:";

    private final String id = UUID.randomUUID().toString();

    public String id() {
        return id;
    }

    /** What the LISTEN connection calls itself (at most 63 bytes, PostgreSQL's limit). */
    public String applicationName() {
        return APPLICATION_NAME_PREFIX + id;
    }
}
