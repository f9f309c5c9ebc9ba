package dev.pulse.gateway.lifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.netty.util.concurrent.EventExecutor;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;

/**
 * Ready only while every Vert.x event loop runs a task within two seconds: a loop that is blocked (by a bug, or by
 * blocking code where it must not be) cannot serve its connections, whatever the databases say. Part of what
 * readiness asks: can this replica serve? (The shared databases are in the {@code sources} group.)
 */
@Readiness
@ApplicationScoped
public class EventLoopsReadinessCheck implements AsyncHealthCheck {

    private static final Duration DEADLINE = Duration.ofSeconds(2);

    private final Vertx vertx;

    public EventLoopsReadinessCheck(Vertx vertx) {
        this.vertx = vertx;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        List<CompletableFuture<Void>> probes = new ArrayList<>();
        for (EventExecutor loop : vertx.nettyEventLoopGroup()) {
            CompletableFuture<Void> ran = new CompletableFuture<>();
            loop.execute(() -> ran.complete(null));
            probes.add(ran);
        }
        int loops = probes.size();
        return Uni.createFrom().completionStage(CompletableFuture.allOf(probes.toArray(CompletableFuture[]::new)))
                .ifNoItem().after(DEADLINE).fail()
                .map(ignored -> HealthCheckResponse.named("event-loops").up().withData("loops", loops).build())
                .onFailure().recoverWithItem(() -> HealthCheckResponse.named("event-loops").down()
                        .withData("loops", loops)
                        .withData("blocked", probes.stream().filter(probe -> !probe.isDone()).count()).build());
    }
}
